//! JSON numbers as PostgreSQL's binary NUMERIC, exactly: the digits as
//! written, never through a float.
//!
//! The binary form is `ndigits, weight, sign, dscale` (four i16) then
//! `ndigits` base-10000 digits; `weight` is the power of 10000 of the first.

/// The largest exponent PostgreSQL's `numeric_in` accepts.
const MAX_EXPONENT: i64 = 1000;

/// A decimal number in JSON's grammar (`-?digits[.digits][e[+-]digits]`),
/// split into its parts, borrowed from the text (nothing is allocated).
#[derive(Debug, PartialEq, Eq)]
pub struct Decimal<'a> {
    negative: bool,
    /// The digits of the mantissa, the point removed and leading zeros
    /// skipped: `int[lead..]` then `frac`, or `frac[lead - int.len()..]`.
    int: &'a [u8],
    frac: &'a [u8],
    lead: usize,
    /// Where the point goes: the number of digits before it (may be
    /// negative or past the end).
    point: i64,
    /// Digits after the point as written, for the display scale.
    scale: i64,
}

impl<'a> Decimal<'a> {
    /// Parses `text`; `None` unless it is a JSON number within PostgreSQL's exponent range.
    pub fn parse(text: &'a str) -> Option<Self> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(b) => (true, b),
            None => (false, text),
        };
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(i) => (&body[..i], Some(&body[i + 1..])),
            None => (body, None),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if int.is_empty() || !all_digits(int) || !all_digits(frac) {
            return None;
        }
        if mantissa.contains('.') && frac.is_empty() {
            return None;
        }
        let exponent = match exponent {
            None => 0,
            Some(e) => {
                let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
                if digits.is_empty() || !all_digits(digits) || digits.len() > 6 {
                    return None;
                }
                let value: i64 = digits.parse().ok()?;
                if e.starts_with('-') { -value } else { value }
            }
        };
        if exponent.abs() > MAX_EXPONENT {
            return None;
        }
        // Leading zeros carry nothing.
        let (int, frac) = (int.as_bytes(), frac.as_bytes());
        let lead = int.iter().chain(frac).take_while(|d| **d == b'0').count();
        Some(Decimal {
            negative,
            int,
            frac,
            lead,
            point: int.len() as i64 + exponent - lead as i64,
            scale: (frac.len() as i64 - exponent).max(0),
        })
    }

    /// The significant digits, as numbers.
    fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        self.int
            .iter()
            .chain(self.frac)
            .skip(self.lead)
            .map(|d| d - b'0')
    }

    fn len(&self) -> usize {
        self.int.len() + self.frac.len() - self.lead
    }

    fn is_zero(&self) -> bool {
        self.len() == 0
    }

    /// Digits before the point once rounded to `scale` (≥ 1) places, as
    /// `numeric(p, scale)` checks them against `p - scale`.
    pub fn integer_digits_rounded(&self, scale: i64) -> i64 {
        if self.is_zero() {
            return 0;
        }
        let kept = self.point + scale;
        let carries = usize::try_from(kept).is_ok_and(|kept| {
            kept > 0
                && self.digits().nth(kept).is_some_and(|d| d >= 5)
                && self.digits().take(kept).all(|d| d == 9)
        });
        // 9.99…95 rounds up to 10.00…: one more digit before the point.
        if carries {
            (self.point + 1).max(0)
        } else {
            self.point.max(0)
        }
    }

    /// Appends the binary NUMERIC value.
    pub fn write_binary(&self, out: &mut Vec<u8>) {
        let dscale = self.scale as i16;
        if self.is_zero() {
            for v in [0i16, 0, 0, dscale] {
                out.extend_from_slice(&v.to_be_bytes());
            }
            return;
        }
        // Align the point on a multiple of 4 digits: pad zeros on the left.
        let pad = (4 - self.point.rem_euclid(4)) % 4;
        let first_weight = (self.point + pad) / 4 - 1;
        let sign: i16 = if self.negative { 0x4000 } else { 0 };
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
        for d in self.digits() {
            group = group * 10 + i16::from(d);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn binary(text: &str) -> Vec<i16> {
        let mut out = Vec::new();
        Decimal::parse(text).expect("number").write_binary(&mut out);
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
            assert!(Decimal::parse(text).is_none(), "{text}");
        }
        assert!(Decimal::parse("1e1000").is_some());
    }

    #[test]
    fn integer_digits_after_rounding() {
        let d = |t: &str| Decimal::parse(t).expect("number").integer_digits_rounded(9);
        assert_eq!(d("0.5"), 0);
        assert_eq!(d("123.45"), 3);
        assert_eq!(d("9.9999999995"), 2, "rounds up to 10");
        assert_eq!(d("9.9999999994"), 1);
        assert_eq!(d("99999999999999999999999999999"), 29);
        assert_eq!(d("99999999999999999999999999999.9999999995"), 30);
        assert_eq!(d("1e28"), 29);
        assert_eq!(d("0.0000000004"), 0);
    }
}
