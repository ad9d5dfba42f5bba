//! Decoding response bodies, with errors that say where and what.

use serde::de::DeserializeOwned;

/// How many bytes of the body a [`DecodeError`] keeps.
pub const EXCERPT_LEN: usize = 240;

/// A body that is not the JSON the contract describes.
///
/// It names the field path (`fleets.12.regions.3.pending_machines`), says
/// what was wrong, and keeps a short excerpt of the body for the report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot decode {what}: at `{path}`: {message}")]
pub struct DecodeError {
    /// What was being decoded, e.g. `"image status"`.
    pub what: &'static str,
    /// The JSON path of the offending value; `.` for the whole document.
    pub path: String,
    /// What serde said, without its line/column suffix.
    pub message: String,
    /// Line and column in the body, when known.
    pub position: Option<(usize, usize)>,
    /// The start of the body, lossily as UTF-8 (see [`excerpt`]).
    pub excerpt: String,
}

/// The start of a body, lossily as UTF-8, at most [`EXCERPT_LEN`] bytes of
/// text (cut at a character boundary) plus `…` when cut.
pub fn excerpt(body: &[u8]) -> String {
    // Invalid bytes turn into 3-byte U+FFFD, so bound the text, not the input.
    let head = &body[..body.len().min(EXCERPT_LEN)];
    let text = String::from_utf8_lossy(head);
    let mut cut = text.len().min(EXCERPT_LEN);
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let mut s = text[..cut].to_owned();
    // A multi-byte character cut in half by `head` shows as U+FFFD at the end.
    if body.len() > head.len() && s.ends_with('\u{FFFD}') {
        s.pop();
    }
    if body.len() > head.len() || cut < text.len() {
        s.push('…');
    }
    s
}

/// Decodes a JSON body into `T`.
///
/// The fast path is plain `serde_json`; only when that fails is the body
/// decoded again with path tracking, so a successful decode costs no more
/// than `serde_json::from_slice`.
///
/// ```
/// use cfp_model::{decode, ImageStatus};
///
/// let err = decode::<ImageStatus>("image status", br#"{"pending_machines": "x"}"#).unwrap_err();
/// assert_eq!(err.path, "pending_machines");
/// ```
pub fn decode<T: DeserializeOwned>(what: &'static str, body: &[u8]) -> Result<T, DecodeError> {
    match serde_json::from_slice(body) {
        Ok(v) => Ok(v),
        Err(_) => Err(decode_error::<T>(what, body)),
    }
}

/// Builds the error for a body that failed to decode as `T`, with the path.
#[cold]
pub(crate) fn decode_error<T: DeserializeOwned>(what: &'static str, body: &[u8]) -> DecodeError {
    let mut de = serde_json::Deserializer::from_slice(body);
    let (path, inner) = match serde_path_to_error::deserialize::<_, T>(&mut de) {
        Err(e) => (path_string(e.path()), e.into_inner()),
        // Trailing characters are only seen by `end`, outside the tracker.
        Ok(_) => match de.end() {
            Err(e) => (".".to_owned(), e),
            Ok(()) => {
                return DecodeError {
                    what,
                    path: ".".into(),
                    message: "the body did not decode consistently".into(),
                    position: None,
                    excerpt: excerpt(body),
                };
            }
        },
    };
    DecodeError {
        what,
        path,
        message: strip_position(&inner.to_string()).to_owned(),
        position: (inner.line() > 0).then(|| (inner.line(), inner.column())),
        excerpt: excerpt(body),
    }
}

/// `fleets.12.regions[0].name`; a key that is empty or holds `.`, `[`, `]`,
/// a quote or whitespace is quoted (`fleets."".x`), so every path reads
/// unambiguously.
fn path_string(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;

    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                let needs_quotes = key.is_empty()
                    || key.chars().any(|c| {
                        matches!(c, '.' | '[' | ']' | '"') || c.is_whitespace() || c.is_control()
                    });
                if needs_quotes {
                    out.push_str(&format!("{key:?}"));
                } else {
                    out.push_str(key);
                }
            }
            Segment::Unknown => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push('?');
            }
        }
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

fn strip_position(msg: &str) -> &str {
    match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Outer {
        items: Vec<Inner>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Inner {
        n: u32,
    }

    #[test]
    fn errors_name_the_field_path() {
        let e = decode::<Outer>("outer", br#"{"items": [{"n": 1}, {"n": "x"}]}"#).unwrap_err();
        assert_eq!(e.path, "items[1].n");
        assert!(e.message.contains("invalid type"), "{}", e.message);
        assert_eq!(e.position, Some((1, 30)));
        assert!(
            e.to_string()
                .starts_with("cannot decode outer: at `items[1].n`")
        );
    }

    #[test]
    fn missing_fields_and_trailing_junk_are_reported() {
        let e = decode::<Outer>("outer", br#"{"items": [{}]}"#).unwrap_err();
        assert_eq!(e.path, "items[0]");
        assert!(e.message.contains("missing field `n`"));
        let e = decode::<Outer>("outer", br#"{"items": []} x"#).unwrap_err();
        assert!(e.message.contains("trailing"), "{}", e.message);
    }

    #[test]
    fn odd_keys_are_quoted_in_the_path() {
        use std::collections::BTreeMap;
        let e = decode::<BTreeMap<String, Outer>>("m", br#"{"": {"items": 1}}"#).unwrap_err();
        assert_eq!(e.path, r#""".items"#);
        let e = decode::<BTreeMap<String, u8>>("m", br#"{"a.b": "x"}"#).unwrap_err();
        assert_eq!(e.path, r#""a.b""#);
        let e = decode::<Vec<u8>>("v", b"[1, -1]").unwrap_err();
        assert_eq!(e.path, "[1]");
        let e = decode::<u8>("n", b"-1").unwrap_err();
        assert_eq!(e.path, ".");
    }

    #[test]
    fn excerpt_is_bounded_and_marks_the_cut() {
        let body = "é".repeat(500);
        let x = excerpt(body.as_bytes());
        assert!(x.len() <= EXCERPT_LEN + '…'.len_utf8());
        assert!(x.ends_with('…'));
        assert!(!x.contains('\u{FFFD}'));
        assert_eq!(excerpt(b"short"), "short");
        let junk = excerpt(&[0xff; 300]);
        assert!(junk.len() <= EXCERPT_LEN + '…'.len_utf8(), "{}", junk.len());
    }
}
