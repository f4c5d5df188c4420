//! Fitting table and column names into a store's identifier length.

/// A store's longest identifier, in bytes, and how a longer name is fitted
/// into it: any UTF-8 is kept, a name that is too long is cut (on a
/// character boundary) and given a hash of the whole name, so two long
/// names that share a prefix stay distinct.
///
/// ```
/// use airbyte_sdk::destination::NameLimit;
///
/// let pg = NameLimit::POSTGRES;
/// assert_eq!(pg.fit("users"), "users");
/// let long = "x".repeat(70);
/// assert_eq!(pg.fit(&long).len(), 63);
/// assert_ne!(pg.fit(&long), pg.fit(&format!("{long}y")));
/// // A suffix is kept whole.
/// let tmp = pg.fit_with_suffix(&long, "_airbyte_tmp");
/// assert!(tmp.ends_with("_airbyte_tmp") && tmp.len() == 63);
/// assert_eq!(NameLimit::SNOWFLAKE.fit(&long), long);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameLimit {
    max_bytes: usize,
}

/// The hash appended to a cut name: `_` and 8 hex digits.
const HASH_LEN: usize = 9;

impl NameLimit {
    /// PostgreSQL's identifiers: 63 bytes (`NAMEDATALEN - 1`).
    pub const POSTGRES: NameLimit = NameLimit::new(63);
    /// Snowflake's identifiers: 255 bytes.
    pub const SNOWFLAKE: NameLimit = NameLimit::new(255);

    /// Names of at most `max_bytes` bytes.
    pub const fn new(max_bytes: usize) -> Self {
        NameLimit { max_bytes }
    }

    /// The longest name, in bytes.
    pub const fn max_bytes(&self) -> usize {
        self.max_bytes
    }

    /// `name` if it fits; else a prefix of it and a hash of the whole name.
    pub fn fit(&self, name: &str) -> String {
        self.fit_with_suffix(name, "")
    }

    /// Like [`Self::fit`], with `suffix` (such as `_airbyte_tmp`) kept whole
    /// at the end. The hash is of `name` alone, so a name and its suffixed
    /// variants share their prefix and hash. A suffix longer than the limit
    /// is itself cut.
    pub fn fit_with_suffix(&self, name: &str, suffix: &str) -> String {
        if name.len() + suffix.len() <= self.max_bytes {
            return format!("{name}{suffix}");
        }
        let hash = format!("_{:08x}", fnv1a(name) as u32);
        let budget = self.max_bytes.saturating_sub(HASH_LEN + suffix.len());
        let fitted = format!("{}{hash}{suffix}", prefix(name, budget));
        // Only when the suffix and hash alone do not fit.
        prefix(&fitted, self.max_bytes).to_owned()
    }
}

/// The longest prefix of `text` of at most `bytes` bytes, cut on a character boundary.
fn prefix(text: &str, bytes: usize) -> &str {
    let mut cut = bytes.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    &text[..cut]
}

/// FNV-1a, 64 bits: stable across releases, so a name fits the same way every sync.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TMP: &str = airbyte_protocol::columns::TMP_TABLE_SUFFIX;

    fn check_limit(limit: NameLimit) {
        let max = limit.max_bytes();
        // Fits: unchanged, up to the last byte.
        let exact = "a".repeat(max);
        assert_eq!(limit.fit(&exact), exact);
        assert_eq!(limit.fit("short"), "short");
        // One byte over: cut, with a hash, exactly at the limit.
        let over = "a".repeat(max + 1);
        let fitted = limit.fit(&over);
        assert_eq!(fitted.len(), max);
        assert!(fitted.starts_with(&"a".repeat(max - HASH_LEN)));
        assert_ne!(fitted, exact, "a cut name never equals a name that fits");
        // Multi-byte characters are never split, whatever the alignment.
        for pad in 0..3 {
            let name = format!("{}{}", "x".repeat(pad), "é".repeat(max));
            let fitted = limit.fit(&name);
            assert!(fitted.len() <= max && fitted.len() >= max - 1, "{pad}");
            assert!(fitted.ends_with(&format!("_{:08x}", fnv1a(&name) as u32)));
            let emoji = format!("{}{}", "y".repeat(pad), "😀".repeat(max));
            assert!(limit.fit(&emoji).len() <= max);
        }
        // Long names with the same prefix do not collide.
        let a = format!("{}_a", "é".repeat(max));
        let b = format!("{}_b", "é".repeat(max));
        assert_ne!(limit.fit(&a), limit.fit(&b));
        assert_eq!(limit.fit(&a), limit.fit(&a), "stable");
        // The suffix is kept whole, after the hash.
        let with_tmp = limit.fit_with_suffix(&over, TMP);
        assert_eq!(with_tmp.len(), max);
        assert!(with_tmp.ends_with(&format!("{}{TMP}", &fitted[max - HASH_LEN..])));
        let short_tmp = limit.fit_with_suffix("users", TMP);
        assert_eq!(short_tmp, "users_airbyte_tmp");
        // A name that fits alone but not with its suffix is cut too.
        let near = "n".repeat(max - 3);
        let near_tmp = limit.fit_with_suffix(&near, TMP);
        assert_eq!(near_tmp.len(), max);
        assert!(near_tmp.ends_with(TMP));
        assert_ne!(near_tmp, limit.fit_with_suffix(&format!("{near}m"), TMP));
    }

    #[test]
    fn names_fit_postgresql() {
        assert_eq!(NameLimit::POSTGRES.max_bytes(), 63);
        check_limit(NameLimit::POSTGRES);
        // The hash the destination has always used (tables keep their names).
        let long = "x".repeat(70);
        assert_eq!(
            NameLimit::POSTGRES.fit(&long),
            format!("{}_{:08x}", "x".repeat(54), fnv1a(&long) as u32)
        );
    }

    #[test]
    fn names_fit_snowflake() {
        assert_eq!(NameLimit::SNOWFLAKE.max_bytes(), 255);
        check_limit(NameLimit::SNOWFLAKE);
        let pg_cut = "z".repeat(100);
        assert_eq!(NameLimit::SNOWFLAKE.fit(&pg_cut), pg_cut);
    }

    #[test]
    fn a_suffix_longer_than_the_limit_is_cut_without_panicking() {
        let tiny = NameLimit::new(8);
        let fitted = tiny.fit_with_suffix("a_long_name", "_a_very_long_suffix");
        assert!(fitted.len() <= 8, "{fitted}");
        assert!(NameLimit::new(0).fit("x").is_empty());
    }
}
