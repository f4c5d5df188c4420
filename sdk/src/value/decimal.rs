//! Exact decimals, borrowed from their text: sign, digits, point, scale and
//! exponent, never through a float and without allocating.
//!
//! ```
//! use airbyte_sdk::value::Decimal;
//!
//! let d = Decimal::parse("-1234.5600e-2").unwrap();
//! assert!(d.is_negative());
//! assert_eq!(d.digits().collect::<Vec<u8>>(), [1, 2, 3, 4, 5, 6, 0, 0]);
//! assert_eq!((d.point(), d.scale(), d.exponent()), (2, 6, -2));
//! // Compared by value, at any precision.
//! assert!(Decimal::parse("99999999999999999999.5").unwrap() > Decimal::parse("99999999999999999999.49").unwrap());
//! assert_eq!(Decimal::parse("1.50").unwrap(), Decimal::parse("15e-1").unwrap());
//! // numeric(38, 9) holds it once rounded to 9 places?
//! assert!(!Decimal::parse("99999999999999999999999999999.9999999995").unwrap().fits(38, 9));
//! ```

use std::cmp::Ordering;

/// The longest exponent read (digits): larger exponents are not numbers any
/// store holds, and the point arithmetic stays far from overflow.
const MAX_EXPONENT_DIGITS: usize = 15;

/// A decimal number split into its parts, borrowed from the text.
///
/// Equality and order are by value: `1.50 == 15e-1`, `-0 == 0`.
#[derive(Debug, Clone, Copy)]
pub struct Decimal<'a> {
    negative: bool,
    /// The digits of the mantissa, the point removed and leading zeros
    /// skipped: `int[lead..]` then `frac`, or `frac[lead - int.len()..]`.
    int: &'a [u8],
    frac: &'a [u8],
    lead: usize,
    exponent: i64,
}

impl<'a> Decimal<'a> {
    /// A number in JSON's grammar: `-?digits[.digits][(e|E)[+-]digits]`.
    ///
    /// ```
    /// use airbyte_sdk::value::Decimal;
    ///
    /// assert!(Decimal::parse("1.5E+5").is_some());
    /// for not in ["", "-", "1.", ".5", "+1", "1e", "NaN", "Infinity", "1,5", "0x10", "--1"] {
    ///     assert!(Decimal::parse(not).is_none(), "{not}");
    /// }
    /// ```
    #[inline]
    pub fn parse(text: &'a str) -> Option<Self> {
        Self::parse_with(text, false)
    }

    /// A number as databases print and read them: JSON's grammar, and also a
    /// leading `+` and a point without digits on one side (`+1`, `.5`, `5.`).
    ///
    /// ```
    /// use airbyte_sdk::value::Decimal;
    ///
    /// assert_eq!(Decimal::parse_text("+.5").unwrap(), Decimal::parse("0.5").unwrap());
    /// assert!(Decimal::parse_text("5.").is_some());
    /// assert!(Decimal::parse_text(".").is_none());
    /// ```
    #[inline]
    pub fn parse_text(text: &'a str) -> Option<Self> {
        Self::parse_with(text, true)
    }

    #[inline]
    fn parse_with(text: &'a str, lenient: bool) -> Option<Self> {
        let b = text.as_bytes();
        let (negative, b) = match b {
            [b'-', rest @ ..] => (true, rest),
            [b'+', rest @ ..] if lenient => (false, rest),
            _ => (false, b),
        };
        let (mantissa, exponent) = match b.iter().position(|c| matches!(c, b'e' | b'E')) {
            Some(i) => (&b[..i], Some(&b[i + 1..])),
            None => (b, None),
        };
        let (int, frac, point) = match mantissa.iter().position(|c| *c == b'.') {
            Some(i) => (&mantissa[..i], &mantissa[i + 1..], true),
            None => (mantissa, &[][..], false),
        };
        let all_digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
        if !all_digits(int) || !all_digits(frac) {
            return None;
        }
        let well_formed = if lenient {
            !(int.is_empty() && frac.is_empty())
        } else {
            // Digits before the point, and after it if there is one.
            !(int.is_empty() || point && frac.is_empty())
        };
        if !well_formed {
            return None;
        }
        let exponent = match exponent {
            None => 0,
            Some(e) => {
                let (negative, digits) = match e {
                    [b'-', d @ ..] => (true, d),
                    [b'+', d @ ..] => (false, d),
                    d => (false, d),
                };
                if digits.is_empty() || digits.len() > MAX_EXPONENT_DIGITS || !all_digits(digits) {
                    return None;
                }
                let value = digits
                    .iter()
                    .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'));
                if negative { -value } else { value }
            }
        };
        let lead = int.iter().chain(frac).take_while(|d| **d == b'0').count();
        Some(Decimal {
            negative,
            int,
            frac,
            lead,
            exponent,
        })
    }

    /// Whether it is below zero (`-0.00` is not).
    #[inline]
    pub fn is_negative(&self) -> bool {
        self.negative && !self.is_zero()
    }

    /// Whether it is zero, however written.
    #[inline]
    pub fn is_zero(&self) -> bool {
        self.digit_count() == 0
    }

    /// The significant digits as numbers, from the first non-zero one to the
    /// last one written (trailing zeros included).
    #[inline]
    pub fn digits(&self) -> impl Iterator<Item = u8> + '_ {
        self.int
            .iter()
            .chain(self.frac)
            .skip(self.lead)
            .map(|d| d - b'0')
    }

    /// How many [`digits`](Self::digits) there are.
    #[inline]
    pub fn digit_count(&self) -> usize {
        self.int.len() + self.frac.len() - self.lead
    }

    /// Where the point goes in [`digits`](Self::digits): the number of digits
    /// before it, negative for zeros after it (`0.05` is -1) or past the
    /// digits for zeros before it (`5e3` is 4).
    #[inline]
    pub fn point(&self) -> i64 {
        self.int.len() as i64 + self.exponent - self.lead as i64
    }

    /// The display scale: digits after the point as written, less the
    /// exponent, never below 0 (`1.50` is 2, `1.5e-3` is 4, `1e5` is 0).
    #[inline]
    pub fn scale(&self) -> i64 {
        (self.frac.len() as i64 - self.exponent).max(0)
    }

    /// The exponent as written (0 without one).
    #[inline]
    pub fn exponent(&self) -> i64 {
        self.exponent
    }

    /// Digits before the point once rounded (half away from zero) to `scale`
    /// places.
    ///
    /// ```
    /// use airbyte_sdk::value::Decimal;
    ///
    /// let d = |t| Decimal::parse(t).unwrap();
    /// assert_eq!(d("9.9999999995").integer_digits_rounded(9), 2, "rounds up to 10");
    /// assert_eq!(d("9.9999999994").integer_digits_rounded(9), 1);
    /// assert_eq!(d("0.5").integer_digits_rounded(0), 1);
    /// ```
    #[inline]
    pub fn integer_digits_rounded(&self, scale: i64) -> i64 {
        if self.is_zero() {
            return 0;
        }
        let point = self.point();
        let kept = point.saturating_add(scale);
        let carries = usize::try_from(kept).is_ok_and(|kept| {
            self.digits().nth(kept).is_some_and(|d| d >= 5)
                && self.digits().take(kept).all(|d| d == 9)
        });
        // 9.99…95 rounds up to 10.00…: one more digit before the point.
        if carries {
            (point + 1).max(0)
        } else {
            point.max(0)
        }
    }

    /// Whether a `NUMERIC(precision, scale)` column holds it once rounded to
    /// `scale` places.
    #[inline]
    pub fn fits(&self, precision: i64, scale: i64) -> bool {
        self.integer_digits_rounded(scale) <= precision - scale
    }

    /// The magnitudes compared: the first digit's place, then digit by
    /// digit, trailing zeros being nothing.
    fn cmp_magnitude(&self, other: &Self) -> Ordering {
        match (self.is_zero(), other.is_zero()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            (false, false) => {}
        }
        let place = self.point().cmp(&other.point());
        if place != Ordering::Equal {
            return place;
        }
        let (mut a, mut b) = (self.digits(), other.digits());
        loop {
            match (a.next(), b.next()) {
                (None, None) => return Ordering::Equal,
                (x, y) => match x.unwrap_or(0).cmp(&y.unwrap_or(0)) {
                    Ordering::Equal => {}
                    unequal => return unequal,
                },
            }
        }
    }
}

impl PartialEq for Decimal<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal<'_> {}

impl PartialOrd for Decimal<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.is_negative(), other.is_negative()) {
            (false, false) => self.cmp_magnitude(other),
            (true, true) => other.cmp_magnitude(self),
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal<'_> {
        Decimal::parse(text).expect("number")
    }

    #[test]
    fn parts() {
        let parts = |t: &str| {
            let x = d(t);
            (x.digits().collect::<Vec<_>>(), x.point(), x.scale())
        };
        assert!(d("0").is_zero() && d("-0.00").is_zero() && d("0e5").is_zero());
        assert_eq!((d("-0.00").scale(), d("0").digit_count()), (2, 0));
        assert_eq!(parts("12345.678"), (vec![1, 2, 3, 4, 5, 6, 7, 8], 5, 3));
        assert_eq!(parts("0.0001"), (vec![1], -3, 4));
        assert_eq!(parts("007.5"), (vec![7, 5], 1, 1));
        assert_eq!(parts("1.5e-3"), (vec![1, 5], -2, 4));
        assert_eq!(parts("1.5E+5"), (vec![1, 5], 6, 0));
        assert!(!d("-0.00").is_negative());
        assert!(d("-0.01").is_negative());
    }

    #[test]
    fn not_numbers() {
        for text in [
            "", "-", "1.", ".5", "1e", "1e+", "NaN", "Infinity", "1,5", "0x10", "--1", "+1",
            "1e1.5", "1 ", " 1", "١",
        ] {
            assert!(Decimal::parse(text).is_none(), "{text}");
        }
        for text in ["", "+", "-", ".", "+.", "1e", "NaN", "1.2.3", "e5"] {
            assert!(Decimal::parse_text(text).is_none(), "{text}");
        }
        assert!(Decimal::parse("1e1000").is_some());
        assert!(Decimal::parse("1e999999999999999").is_some());
        assert!(Decimal::parse("1e9999999999999999").is_none());
    }

    #[test]
    fn integer_digits_after_rounding() {
        let digits = |t: &str| d(t).integer_digits_rounded(9);
        assert_eq!(digits("0.5"), 0);
        assert_eq!(digits("123.45"), 3);
        assert_eq!(digits("9.9999999995"), 2, "rounds up to 10");
        assert_eq!(digits("9.9999999994"), 1);
        assert_eq!(digits("99999999999999999999999999999"), 29);
        assert_eq!(digits("99999999999999999999999999999.9999999995"), 30);
        assert_eq!(digits("1e28"), 29);
        assert_eq!(digits("0.0000000004"), 0);
        assert_eq!(digits("0.0000000005"), 0);
        assert_eq!(d("0.4").integer_digits_rounded(0), 0);
        assert_eq!(d("99.5").integer_digits_rounded(0), 3);
        assert_eq!(d("1e-999999999999999").integer_digits_rounded(9), 0);
        assert!(d("99999999999999999999999999999.999999999").fits(38, 9));
        assert!(!d("1e29").fits(38, 9));
    }

    #[test]
    fn order_by_value() {
        let ascending = [
            "-1e3",
            "-999.5",
            "-10",
            "-9",
            "-0.5",
            "-0.05",
            "0",
            "1e-9",
            "0.05",
            "0.5",
            "9",
            "10",
            "99999999999999999999.49",
            "99999999999999999999.5",
            "1e20",
        ];
        for (i, a) in ascending.iter().enumerate() {
            for (j, b) in ascending.iter().enumerate() {
                assert_eq!(d(a).cmp(&d(b)), i.cmp(&j), "{a} vs {b}");
            }
        }
        assert_eq!(d("1.50"), d("15e-1"));
        assert_eq!(d("-0.00"), d("0"));
        assert_eq!(d("0010"), d("1e1"));
        assert_eq!(Decimal::parse_text("+10.").expect("text"), d("10"));
    }
}
