//! IANA time zones for `today_with_timezone(tz)`, read offline from the
//! system's compiled tz database (`/usr/share/zoneinfo`, TZif files): the
//! offset of the last transition at or before the instant, else (a zone
//! without transitions, or past them) the standard offset of the file's
//! POSIX footer.

use std::path::PathBuf;

/// Where the tz database is looked for (`TZDIR` first, as glibc does).
fn zoneinfo_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(dir) = std::env::var_os("TZDIR") {
        dirs.push(PathBuf::from(dir));
    }
    dirs.push(PathBuf::from("/usr/share/zoneinfo"));
    dirs
}

/// The UTC offset, in seconds, of zone `name` at `unix_seconds`; `None`
/// for a name that is no zone (pytz's `UnknownTimeZoneError`).
///
/// ```
/// # use source_http::interpolation::zone_offset;
/// assert_eq!(zone_offset("UTC", 0), Some(0));
/// assert!(zone_offset("Not/AZone", 0).is_none());
/// assert!(zone_offset("../etc/passwd", 0).is_none());
/// ```
pub fn zone_offset(name: &str, unix_seconds: i64) -> Option<i32> {
    let valid = !name.is_empty()
        && !name.starts_with('/')
        && name.split('/').all(|part| part != ".." && part != ".")
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/_+-".contains(c));
    if !valid {
        return None;
    }
    zoneinfo_dirs().into_iter().find_map(|dir| {
        let data = std::fs::read(dir.join(name)).ok()?;
        offset_at(&data, unix_seconds)
    })
}

fn be_i32(data: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?))
}

fn be_i64(data: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_be_bytes(data.get(at..at + 8)?.try_into().ok()?))
}

/// The six counts of a TZif header at `at`.
fn counts(data: &[u8], at: usize) -> Option<[usize; 6]> {
    if data.get(at..at + 4)? != b"TZif" {
        return None;
    }
    let mut out = [0usize; 6];
    for (i, c) in out.iter_mut().enumerate() {
        *c = usize::try_from(be_i32(data, at + 20 + 4 * i)?).ok()?;
    }
    Some(out)
}

/// The offset in a TZif file (version 2 or later: the 64-bit block).
fn offset_at(data: &[u8], unix_seconds: i64) -> Option<i32> {
    let [isut, isstd, leap, time, types, chars] = counts(data, 0)?;
    let v1 = 44 + time * 5 + types * 6 + chars + leap * 8 + isstd + isut;
    let (base, width) = match data.get(4) {
        Some(b'2'..=b'9') => (v1, 8),
        _ => (0, 4),
    };
    let [isut, isstd, leap, time, types, chars] = counts(data, base)?;
    let times = base + 44;
    let indices = times + time * width;
    let infos = indices + time;
    let info_offset = |i: usize| be_i32(data, infos + i * 6);
    let transition = |i: usize| match width {
        8 => be_i64(data, times + i * 8),
        _ => be_i32(data, times + i * 4).map(i64::from),
    };
    let mut last = None;
    for i in 0..time {
        if transition(i)? > unix_seconds {
            break;
        }
        last = Some(i);
    }
    let footer = infos + types * 6 + chars + leap * (width + 4) + isstd + isut;
    match last {
        Some(i) if i + 1 < time || width == 4 => info_offset(usize::from(*data.get(indices + i)?)),
        Some(i) => footer_offset(data.get(footer..)?)
            .or_else(|| info_offset(usize::from(*data.get(indices + i)?))),
        None => footer_offset(data.get(footer..)?).or_else(|| info_offset(0)),
    }
}

/// The standard offset of a footer's POSIX TZ string when it has no
/// daylight saving time (`<+12>-12`, `EST5`); else `None`.
fn footer_offset(footer: &[u8]) -> Option<i32> {
    let text = std::str::from_utf8(footer).ok()?.trim_matches('\n');
    let rest = match text.strip_prefix('<') {
        Some(quoted) => &quoted[quoted.find('>')? + 1..],
        None => text.trim_start_matches(|c: char| c.is_ascii_alphabetic()),
    };
    let end = rest
        .find(|c: char| !(c.is_ascii_digit() || "+-:".contains(c)))
        .unwrap_or(rest.len());
    if end != rest.len() || rest.is_empty() {
        return None; // daylight saving rules: the transitions cover them.
    }
    let (sign, digits) = match rest.as_bytes()[0] {
        b'-' => (1, &rest[1..]),
        b'+' => (-1, &rest[1..]),
        _ => (-1, rest),
    };
    let mut seconds = 0i32;
    for (i, part) in digits.split(':').enumerate() {
        let n: i32 = part.parse().ok()?;
        seconds += n * [3600, 60, 1].get(i)?;
    }
    // POSIX offsets are west of UTC.
    Some(sign * seconds)
}
