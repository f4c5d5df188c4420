//! `_airbyte_raw_id`: a unique id for every record a destination writes.

use std::sync::atomic::{AtomicU64, Ordering};

/// The records numbered so far in this process, across every [`RawIds`].
static NEXT: AtomicU64 = AtomicU64::new(0);

/// Generates `_airbyte_raw_id`s: 36-character ids in the UUID version 7
/// layout (the record's `emitted_at` milliseconds first, then a counter),
/// so later records sort after earlier ones, and ids increase within a
/// process even for records of the same millisecond. The process id is
/// mixed into the counter, so two loads running at once do not collide.
///
/// ```
/// use airbyte_sdk::destination::RawIds;
///
/// let ids = RawIds::new();
/// let (a, b) = (ids.next(1_700_000_000_000), ids.next(1_700_000_000_000));
/// assert_eq!(a.len(), 36);
/// assert_eq!(&a[14..15], "7", "a version 7 layout");
/// assert!(a < b, "ids increase within a process");
/// let mut out = Vec::new();
/// ids.write(1_700_000_000_001, &mut out);
/// assert!(b.as_bytes() < out.as_slice());
/// ```
#[derive(Debug, Clone)]
pub struct RawIds {
    /// The process id, in the high bits of the counter.
    salt: u64,
}

impl Default for RawIds {
    fn default() -> Self {
        RawIds::new()
    }
}

impl RawIds {
    /// A generator for this process.
    pub fn new() -> Self {
        RawIds {
            salt: u64::from(std::process::id()) << 40,
        }
    }

    /// Appends the 36 ASCII bytes of a new id for a record emitted at `ms`
    /// (milliseconds since the epoch; negative counts as 0).
    pub fn write(&self, ms: i64, out: &mut Vec<u8>) {
        let n = NEXT.fetch_add(1, Ordering::Relaxed) ^ self.salt;
        let ms = ms.max(0) as u64;
        hex(ms >> 16, 8, out);
        out.push(b'-');
        hex(ms & 0xffff, 4, out);
        out.extend_from_slice(b"-7");
        hex((n >> 60) & 0xfff, 3, out);
        out.push(b'-');
        hex(0x8000 | ((n >> 48) & 0x3fff), 4, out);
        out.push(b'-');
        hex(n & 0xffff_ffff_ffff, 12, out);
    }

    /// A new id for a record emitted at `ms`, as a string.
    pub fn next(&self, ms: i64) -> String {
        let mut out = Vec::with_capacity(36);
        self.write(ms, &mut out);
        // Only hex digits and dashes were written.
        String::from_utf8(out).unwrap_or_default()
    }
}

/// Appends `n` in lowercase hex, `width` digits.
fn hex(n: u64, width: u32, out: &mut Vec<u8>) {
    for shift in (0..width).rev() {
        out.push(b"0123456789abcdef"[((n >> (shift * 4)) & 0xf) as usize]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_ids_sort_in_time_order() {
        let ids = RawIds::new();
        let (mut a, mut b, mut c) = (Vec::new(), Vec::new(), Vec::new());
        ids.write(5, &mut a);
        ids.write(5, &mut b);
        ids.write(1_700_000_000_000, &mut c);
        assert!(a < b && b < c, "later ids sort after earlier ones");
        assert_eq!(a.len(), 36);
        assert_eq!(&c[14..15], b"7", "a version 7 UUID layout");
        let text = String::from_utf8(c).expect("ascii");
        let groups: Vec<usize> = text.split('-').map(str::len).collect();
        assert_eq!(groups, [8, 4, 4, 4, 12], "the UUID layout");
        assert!(
            matches!(&text[19..20], "8" | "9" | "a" | "b"),
            "the variant bits"
        );
        // 1_700_000_000_000 ms = 0x18B_CFE5_6800.
        assert_eq!(&text[..13], "018bcfe5-6800");
    }

    #[test]
    fn raw_ids_are_unique_across_generators() {
        let (x, y) = (RawIds::new(), RawIds::new());
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1000 {
            assert!(seen.insert(x.next(42)));
            assert!(seen.insert(y.next(42)));
        }
        assert_eq!(RawIds::new().next(-5)[..13], *"00000000-0000");
    }
}
