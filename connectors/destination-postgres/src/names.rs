//! Table and column names: any UTF-8, at most 63 bytes, without collisions.

/// PostgreSQL's longest identifier, in bytes.
pub const MAX_IDENTIFIER: usize = 63;

/// `name` if it fits in 63 bytes; else a prefix and a hash of the whole name,
/// so two long names that share a prefix stay distinct.
///
/// ```ignore
/// assert_eq!(fit("users"), "users");
/// ```
pub fn fit(name: &str) -> String {
    fit_with_suffix(name, "")
}

/// Like [`fit`], with `suffix` kept whole at the end (`_airbyte_tmp`).
pub fn fit_with_suffix(name: &str, suffix: &str) -> String {
    if name.len() + suffix.len() <= MAX_IDENTIFIER {
        return format!("{name}{suffix}");
    }
    let hash = format!("_{:08x}", fnv1a(name) as u32);
    let budget = MAX_IDENTIFIER - hash.len() - suffix.len();
    let mut cut = budget.min(name.len());
    while !name.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{hash}{suffix}", &name[..cut])
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_names_are_cut_on_char_boundaries_without_collisions() {
        let a = format!("{}_a", "é".repeat(40));
        let b = format!("{}_b", "é".repeat(40));
        assert!(fit(&a).len() <= 63 && fit(&b).len() <= 63);
        assert_ne!(fit(&a), fit(&b));
        assert_eq!(fit("short"), "short");
        let tmp = airbyte_sdk::protocol::columns::TMP_TABLE_SUFFIX;
        assert!(fit_with_suffix(&"x".repeat(70), tmp).ends_with("_airbyte_tmp"));
        assert!(fit_with_suffix(&"x".repeat(70), tmp).len() <= 63);
    }
}
