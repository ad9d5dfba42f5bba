//! The exact reading of integers in exponent form agrees with arithmetic:
//! whatever it accepts, it reads exactly, and it accepts every integer
//! written plainly.
#![no_main]

use cfp_model::number::parse_exact_u64;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|input: (u64, u8, &str)| {
    let (n, shift, text) = input;
    // Arbitrary text: no panic, and agreement with u64 parsing on plain digits.
    let r = parse_exact_u64(text);
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        assert_eq!(r.ok(), text.parse::<u64>().ok());
    }
    // Any u64 written as digits with the point moved and an exponent to match.
    let digits = n.to_string();
    let shift = usize::from(shift) % digits.len();
    let (int, frac) = digits.split_at(digits.len() - shift);
    let written = if frac.is_empty() {
        format!("{int}E0")
    } else {
        format!("{int}.{frac}e+{shift}")
    };
    assert_eq!(parse_exact_u64(&written), Ok(n), "{written}");
});
