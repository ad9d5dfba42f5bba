//! The CLI's value parsers (ids, durations, --at, KEY=VALUE) on arbitrary
//! text: never panic; whatever they accept is well-formed.
#![no_main]

use std::str::FromStr;

use cfp_values::{At, KeyValue, parse_duration};
use cfp_model::{ImageId, TaskId, ZStackImageId};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| {
    if let Ok(id) = ImageId::from_str(text) {
        assert!(id.get() > 0);
        // Leading zeros are accepted ("007" is 7); the value is the number.
        assert_eq!(id.to_string(), text.trim_start_matches('0'));
    }
    let _ = TaskId::from_str(text);
    if let Ok(id) = ZStackImageId::from_str(text) {
        assert!(!id.as_str().is_empty());
        assert!(!id.as_str().chars().any(char::is_whitespace));
    }
    if let Ok(d) = parse_duration(text) {
        assert!(!d.is_zero());
    }
    if let Ok(at) = At::from_str(text) {
        let now = jiff::Timestamp::UNIX_EPOCH;
        let _ = at.resolve(now);
    }
    if let Ok(kv) = KeyValue::from_str(text) {
        assert!(!kv.key.is_empty());
    }
});
