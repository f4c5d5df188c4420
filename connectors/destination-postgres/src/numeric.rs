//! JSON numbers as PostgreSQL's binary NUMERIC, exactly: the digits as
//! written, never through a float. The parsing is the SDK's
//! ([`Decimal`]); what stays here is PostgreSQL's: its limits and its
//! binary layout.
//!
//! The binary form is `ndigits, weight, sign, dscale` (four i16) then
//! `ndigits` base-10000 digits; `weight` is the power of 10000 of the first.

use airbyte_sdk::value::Decimal;

/// The largest exponent PostgreSQL's `numeric_in` accepts.
const MAX_EXPONENT: i64 = 1000;
/// The most digits PostgreSQL's numeric holds after the point (`NUMERIC_DSCALE_MAX`).
const MAX_SCALE: i64 = 0x3FFF;
/// The most digits it holds before the point (a weight up to `0x7FFF`, in base 10000).
const MAX_POINT: i64 = 4 * 0x8000;

/// Parses `text`; `None` unless it is a JSON number PostgreSQL's numeric holds.
pub fn parse(text: &str) -> Option<Decimal<'_>> {
    Decimal::parse(text).filter(|d| {
        d.exponent().abs() <= MAX_EXPONENT
            && d.scale() <= MAX_SCALE
            && (d.is_zero() || d.point() <= MAX_POINT)
    })
}

/// Appends the binary NUMERIC value of `d`.
pub fn write_binary(d: &Decimal<'_>, out: &mut Vec<u8>) {
    let dscale = d.scale() as i16;
    if d.is_zero() {
        for v in [0i16, 0, 0, dscale] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        return;
    }
    let point = d.point();
    // Align the point on a multiple of 4 digits: pad zeros on the left.
    let pad = (4 - point.rem_euclid(4)) % 4;
    let first_weight = (point + pad) / 4 - 1;
    let sign: i16 = if d.is_negative() { 0x4000 } else { 0 };
    let head = out.len();
    for v in [0, first_weight as i16, sign, dscale] {
        out.extend_from_slice(&v.to_be_bytes());
    }
    let mut groups = 0usize;
    let mut group = 0i16;
    let mut filled = pad;
    let mut push = |group: i16, out: &mut Vec<u8>| {
        out.extend_from_slice(&group.to_be_bytes());
        groups += 1;
    };
    for digit in d.digits() {
        group = group * 10 + i16::from(digit);
        filled += 1;
        if filled == 4 {
            push(group, out);
            group = 0;
            filled = 0;
        }
    }
    if filled > 0 {
        push(group * 10_i16.pow(4 - filled as u32), out);
    }
    // Trailing zero groups are implied by the weight.
    while groups > 0 && out[out.len() - 2..] == [0, 0] {
        out.truncate(out.len() - 2);
        groups -= 1;
    }
    out[head..head + 2].copy_from_slice(&(groups as i16).to_be_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(text: &str) -> Vec<i16> {
        let mut out = Vec::new();
        write_binary(&parse(text).expect("number"), &mut out);
        out.chunks(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]))
            .collect()
    }

    #[test]
    fn binary_numeric_layout() {
        // [ndigits, weight, sign, dscale, digits...]
        assert_eq!(binary("0"), [0, 0, 0, 0]);
        assert_eq!(binary("-0.00"), [0, 0, 0, 2]);
        assert_eq!(binary("1"), [1, 0, 0, 0, 1]);
        assert_eq!(binary("12345.678"), [3, 1, 0, 3, 1, 2345, 6780]);
        assert_eq!(binary("-0.0001"), [1, -1, 0x4000, 4, 1]);
        assert_eq!(binary("0.00001"), [1, -2, 0, 5, 1000]);
        assert_eq!(binary("10000"), [1, 1, 0, 0, 1]);
        assert_eq!(binary("1.50"), [2, 0, 0, 2, 1, 5000]);
        assert_eq!(binary("1.5e-3"), [1, -1, 0, 4, 15]);
        assert_eq!(binary("1.5E+5"), [1, 1, 0, 0, 15]);
        assert_eq!(binary("007.5"), [2, 0, 0, 1, 7, 5000]);
    }

    #[test]
    fn not_numbers() {
        for text in [
            "", "-", "1.", ".5", "1e", "1e+", "NaN", "Infinity", "1,5", "0x10", "1e1001", "--1",
        ] {
            assert!(parse(text).is_none(), "{text}");
        }
        assert!(parse("1e1000").is_some());
        assert!(parse("1e-1000").is_some());
    }

    #[test]
    fn beyond_postgresqls_numeric() {
        let long_fraction = format!("0.{}", "1".repeat(16_383));
        assert!(parse(&long_fraction).is_some());
        assert!(
            parse(&format!("{long_fraction}1")).is_none(),
            "more than 16383 digits after the point"
        );
        let mut out = Vec::new();
        write_binary(
            &parse(&"9".repeat(131_072)).expect("the most digits"),
            &mut out,
        );
        assert_eq!(i16::from_be_bytes([out[2], out[3]]), i16::MAX, "weight");
        assert!(
            parse(&"9".repeat(131_073)).is_none(),
            "a weight past 0x7FFF"
        );
    }
}
