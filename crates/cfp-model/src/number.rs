//! Numbers in the forms the vendors actually send.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// A non-negative integer that may be written in exponent notation.
///
/// ZStack's `offset` is a Java `long`, but its documentation writes
/// `452984832E8`. Parsing that as `f64` loses precision past 2^53, so the
/// number's text is read exactly: an integral value in any JSON number form is
/// accepted; a fractional, negative or too-large one is an error.
///
/// Decoding needs the JSON text, so it works with `serde_json`'s
/// deserializers from bytes, strings and readers (not from a
/// `serde_json::Value`). It encodes as a plain integer.
///
/// ```
/// use cfp_model::ExactU64;
///
/// let n: ExactU64 = serde_json::from_str("452984832E8").unwrap();
/// assert_eq!(n.get(), 45_298_483_200_000_000);
/// assert!(serde_json::from_str::<ExactU64>("1.5").is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct ExactU64(pub u64);

impl ExactU64 {
    /// The value.
    pub const fn get(self) -> u64 {
        self.0
    }
}

impl fmt::Display for ExactU64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Why a JSON number's text is not an exact non-negative integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ExactIntError {
    /// Not a JSON number at all.
    #[error("expected a JSON number")]
    NotANumber,
    /// Negative.
    #[error("expected a non-negative integer, found a negative number")]
    Negative,
    /// Has a non-zero fractional part.
    #[error("expected an integer, found a number with a fractional part")]
    Fractional,
    /// Larger than `u64::MAX`.
    #[error("integer is larger than 18446744073709551615")]
    TooLarge,
}

/// Parses the text of a JSON number as an exact `u64`.
///
/// ```
/// use cfp_model::number::{parse_exact_u64, ExactIntError};
///
/// assert_eq!(parse_exact_u64("4.5E1"), Ok(45));
/// assert_eq!(parse_exact_u64("4500e-2"), Ok(45));
/// assert_eq!(parse_exact_u64("4.55E1"), Err(ExactIntError::Fractional));
/// ```
pub fn parse_exact_u64(text: &str) -> Result<u64, ExactIntError> {
    let (negative, rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text),
    };
    let (mantissa, exponent) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int_part, frac_part) = match mantissa.split_once('.') {
        Some((i, f)) => (i, f),
        None => (mantissa, ""),
    };
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int_part.is_empty()
        || !all_digits(int_part)
        || (mantissa.contains('.') && frac_part.is_empty())
        || !all_digits(frac_part)
    {
        return Err(ExactIntError::NotANumber);
    }
    let exp: i128 = match exponent {
        None => 0,
        Some(e) => {
            let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
            if digits.is_empty() || !all_digits(digits) {
                return Err(ExactIntError::NotANumber);
            }
            // An exponent too long for i128 is far past any u64 either way;
            // saturate and let the checks below decide.
            let magnitude: i128 = digits.parse().unwrap_or(i128::MAX / 2);
            if e.starts_with('-') {
                -magnitude
            } else {
                magnitude
            }
        }
    };

    // All significant digits, without leading zeros, and the power of ten
    // that scales them.
    let mut digits: Vec<u8> = int_part
        .bytes()
        .chain(frac_part.bytes())
        .skip_while(|&b| b == b'0')
        .collect();
    let mut scale = exp - frac_part.len() as i128;
    if digits.is_empty() {
        return Ok(0);
    }
    if negative {
        return Err(ExactIntError::Negative);
    }
    while scale < 0 && digits.last() == Some(&b'0') {
        digits.pop();
        scale += 1;
    }
    if scale < 0 {
        return Err(ExactIntError::Fractional);
    }
    if digits.len() as i128 + scale > 20 {
        return Err(ExactIntError::TooLarge);
    }
    let mut value: u64 = 0;
    for d in digits {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or(ExactIntError::TooLarge)?;
    }
    for _ in 0..scale {
        value = value.checked_mul(10).ok_or(ExactIntError::TooLarge)?;
    }
    Ok(value)
}

impl Serialize for ExactU64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for ExactU64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Box::<RawValue>::deserialize(d)?;
        let text = raw.get();
        if text.starts_with('"') {
            return Err(de::Error::invalid_type(
                de::Unexpected::Other("a string"),
                &"a non-negative integer",
            ));
        }
        parse_exact_u64(text)
            .map(ExactU64)
            .map_err(|e| de::Error::custom(format_args!("{e}: {}", excerpt(text))))
    }
}

fn excerpt(text: &str) -> &str {
    match text.char_indices().nth(40) {
        Some((i, _)) => &text[..i],
        None => text,
    }
}

/// Decodes a count such as Clanforge's `jobfailed` (how many times a job
/// has failed).
///
/// Accepts any non-negative integer, a string holding one (PHP backends
/// quote numbers), and the booleans an older reading of the field as a
/// 0/1 flag would produce (`false` 0, `true` 1); encodes as the integer.
pub mod count {
    use super::*;

    /// Encodes the count as an integer.
    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*v)
    }

    /// Decodes a non-negative integer, a string holding one, or a boolean.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        d.deserialize_any(CountVisitor)
    }

    struct CountVisitor;

    impl Visitor<'_> for CountVisitor {
        type Value = u64;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a non-negative count")
        }

        fn visit_bool<E: de::Error>(self, v: bool) -> Result<u64, E> {
            Ok(u64::from(v))
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
            Ok(v)
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
            u64::try_from(v).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
        }

        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
            // `2.0` is a whole count; anything else is not.
            if v.fract() == 0.0 && (0.0..=9.007_199_254_740_992e15).contains(&v) {
                // Whole and within f64's exact integers, so the cast is exact.
                return Ok(v as u64);
            }
            Err(E::invalid_value(de::Unexpected::Float(v), &self))
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
            let t = v.trim();
            if !t.is_empty()
                && t.bytes().all(|b| b.is_ascii_digit())
                && let Ok(n) = t.parse()
            {
                return Ok(n);
            }
            Err(E::invalid_value(de::Unexpected::Str(v), &self))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponent_form_integers_decode_exactly() {
        assert_eq!(parse_exact_u64("452984832E8"), Ok(45_298_483_200_000_000));
        // 2^53 + 1 is not representable as f64; the text path keeps it.
        assert_eq!(
            parse_exact_u64("9.007199254740993E15"),
            Ok(9_007_199_254_740_993)
        );
        assert_eq!(parse_exact_u64("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_exact_u64("1.8446744073709551615e19"), Ok(u64::MAX));
        assert_eq!(parse_exact_u64("0"), Ok(0));
        assert_eq!(parse_exact_u64("0.000e-7"), Ok(0));
        assert_eq!(parse_exact_u64("-0"), Ok(0));
        assert_eq!(parse_exact_u64("12E+0"), Ok(12));
        assert_eq!(parse_exact_u64("120e-1"), Ok(12));
    }

    #[test]
    fn fractional_negative_and_huge_are_refused() {
        assert_eq!(parse_exact_u64("1.5"), Err(ExactIntError::Fractional));
        assert_eq!(parse_exact_u64("15e-1"), Err(ExactIntError::Fractional));
        assert_eq!(parse_exact_u64("-3"), Err(ExactIntError::Negative));
        assert_eq!(parse_exact_u64("-3E2"), Err(ExactIntError::Negative));
        assert_eq!(
            parse_exact_u64("18446744073709551616"),
            Err(ExactIntError::TooLarge)
        );
        assert_eq!(parse_exact_u64("1e20"), Err(ExactIntError::TooLarge));
        assert_eq!(
            parse_exact_u64("1e99999999999999999999999999999999999999999"),
            Err(ExactIntError::TooLarge)
        );
        assert_eq!(
            parse_exact_u64("1e-99999999999999999999"),
            Err(ExactIntError::Fractional)
        );
        assert_eq!(parse_exact_u64("abc"), Err(ExactIntError::NotANumber));
        assert_eq!(parse_exact_u64("1."), Err(ExactIntError::NotANumber));
        assert_eq!(parse_exact_u64("1e"), Err(ExactIntError::NotANumber));
    }

    #[test]
    fn strings_are_not_numbers() {
        let e = serde_json::from_str::<ExactU64>("\"12\"").unwrap_err();
        assert!(e.to_string().contains("string"), "{e}");
    }

    #[derive(Deserialize, Serialize)]
    struct F {
        #[serde(with = "count")]
        f: u64,
    }

    #[test]
    fn counts_accept_any_non_negative_integer() {
        for (raw, want) in [
            ("0", 0),
            ("1", 1),
            ("2", 2),
            ("17", 17),
            ("\"3\"", 3),
            ("false", 0),
            ("true", 1),
            ("2.0", 2),
        ] {
            let f: F = serde_json::from_str(&format!("{{\"f\":{raw}}}")).unwrap();
            assert_eq!(f.f, want, "{raw}");
        }
        for bad in ["-1", "1.5", "\"x\"", "\"-2\"", "null", "[]"] {
            assert!(
                serde_json::from_str::<F>(&format!("{{\"f\":{bad}}}")).is_err(),
                "{bad}"
            );
        }
        assert_eq!(serde_json::to_string(&F { f: 2 }).unwrap(), "{\"f\":2}");
    }
}
