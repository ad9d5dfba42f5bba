//! Keeping secrets out of text shown to people: every form a server may
//! echo a secret in, and any part of it long enough to matter.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use base64::Engine as _;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};

/// How many consecutive characters of a secret are enough to redact: any
/// window this long of any form of a secret is removed, so a secret echoed
/// in part (cut by the server, or by an excerpt) does not leak either.
pub const WINDOW: usize = 10;

/// Secrets shorter than this are not redacted: they cannot be told apart
/// from ordinary text (a simulator's `demo`), and real credentials are
/// longer.
pub const MIN_SECRET: usize = 8;

/// What replaces a redacted span.
pub const REDACTED: &str = "<redacted>";

/// Removes secrets from text: their raw form, JSON-escaped (`\/` and
/// `\"` included), percent- and form-encoded, and base64 of a Basic
/// `key:secret` pair (standard and URL-safe alphabets) — and any
/// [`WINDOW`] consecutive characters of any of these, so prefixes,
/// suffixes and cut-off parts go too.
///
/// ```
/// use cfp_transport::Redactor;
///
/// let r = Redactor::new(["test-token-DO-NOT-USE"]);
/// assert_eq!(r.redact("token test-token-DO-NOT-USE refused"), "token <redacted> refused");
/// // A part long enough to matter, e.g. cut by an excerpt:
/// assert_eq!(r.redact("…oken-DO-NOT"), "…<redacted>");
/// // Percent-encoded, as in a URL:
/// let r = Redactor::new(["s3cret/with+plus"]);
/// assert_eq!(r.redact("url?x=s3cret%2Fwith%2Bplus"), "url?x=<redacted>");
/// ```
#[derive(Clone, Default)]
pub struct Redactor {
    /// Every window of every form of every secret.
    windows: HashSet<[u8; WINDOW]>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Redactor")
            .field("windows", &self.windows.len())
            .finish()
    }
}

impl Redactor {
    /// A redactor of these secrets (each in all its forms).
    pub fn new<S: AsRef<str>>(secrets: impl IntoIterator<Item = S>) -> Self {
        let mut r = Self::default();
        for s in secrets {
            r.add(s.as_ref());
        }
        r
    }

    /// Adds a secret (in all its forms).
    pub fn add(&mut self, secret: &str) {
        if secret.chars().count() < MIN_SECRET {
            return;
        }
        for form in forms(secret) {
            self.add_form(&form);
        }
    }

    /// Adds a Basic `key:secret` pair: both parts, and the base64 of the
    /// pair (what the `Authorization` header carries) with its prefixes.
    pub fn add_basic(&mut self, key: &str, secret: &str) {
        self.add(key);
        self.add(secret);
        let pair = format!("{key}:{secret}");
        self.add(&pair);
        for engine in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE,
        ] {
            self.add_form(&engine.encode(&pair));
        }
    }

    /// Adds another redactor's secrets.
    pub fn extend(&mut self, other: &Redactor) {
        self.windows.extend(other.windows.iter().copied());
    }

    /// No secret to redact.
    pub fn is_empty(&self) -> bool {
        self.windows.is_empty()
    }

    fn add_form(&mut self, form: &str) {
        let b = form.as_bytes();
        if b.len() < WINDOW {
            return;
        }
        for w in b.windows(WINDOW) {
            let mut key = [0u8; WINDOW];
            key.copy_from_slice(w);
            self.windows.insert(key);
        }
    }

    /// `text` without any secret; borrowed when nothing was found.
    pub fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.windows.is_empty() || text.len() < WINDOW {
            return Cow::Borrowed(text);
        }
        let b = text.as_bytes();
        // Byte spans to remove, merged as they are found (windows are
        // scanned left to right, so a new one starts at or after the last).
        let mut spans: Vec<(usize, usize)> = Vec::new();
        for (i, w) in b.windows(WINDOW).enumerate() {
            let mut key = [0u8; WINDOW];
            key.copy_from_slice(w);
            if self.windows.contains(&key) {
                let end = i + WINDOW;
                match spans.last_mut() {
                    Some((_, e)) if *e >= i => *e = (*e).max(end),
                    _ => spans.push((i, end)),
                }
            }
        }
        if spans.is_empty() {
            return Cow::Borrowed(text);
        }
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (mut start, mut end) in spans {
            // Whole characters only; and an escape (`\"`, `%2F`) is never
            // split, so JSON and URLs stay well formed.
            while start > 0 && !text.is_char_boundary(start) {
                start -= 1;
            }
            while end < text.len() && !text.is_char_boundary(end) {
                end += 1;
            }
            if start > 0 && b[start - 1] == b'\\' {
                start -= 1;
            }
            if end < b.len() && b[end - 1] == b'\\' {
                end += 1;
            }
            if end >= 1 && end < b.len() && b[end - 1] == b'%' {
                end = (end + 2).min(b.len());
            } else if end >= 2 && end < b.len() && b[end - 2] == b'%' {
                end += 1;
            }
            let start = start.max(at);
            out.push_str(&text[at..start]);
            out.push_str(REDACTED);
            at = end.min(text.len());
        }
        out.push_str(&text[at..]);
        Cow::Owned(out)
    }
}

/// A secret as a server may write it back.
fn forms(secret: &str) -> Vec<String> {
    let json = serde_json_escape(secret);
    let mut forms = vec![
        secret.to_owned(),
        utf8_percent_encode(secret, NON_ALPHANUMERIC).to_string(),
        form_encode(secret),
        json.clone(),
        // PHP's json_encode escapes `/` as `\/`.
        json.replace('/', "\\/"),
        base64::engine::general_purpose::STANDARD.encode(secret),
    ];
    forms.sort();
    forms.dedup();
    forms
}

/// `application/x-www-form-urlencoded` (space as `+`), as `url` writes it.
fn form_encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'*' | b'-' | b'.' | b'_' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The text of a JSON string (without quotes), as serde_json writes it.
fn serde_json_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "test-key-DO-NOT-USE";
    const SECRET: &str = "test/secret\"DO-NOT-USE";

    fn basic() -> Redactor {
        let mut r = Redactor::default();
        r.add_basic(KEY, SECRET);
        r
    }

    /// No `WINDOW` consecutive characters of any form survive.
    fn clean(r: &Redactor, text: &str) -> bool {
        let out = r.redact(text);
        let b = out.as_bytes();
        b.windows(WINDOW).all(|w| {
            let mut k = [0u8; WINDOW];
            k.copy_from_slice(w);
            !r.windows.contains(&k)
        })
    }

    #[test]
    fn every_encoding_of_a_basic_pair_is_removed() {
        let r = basic();
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("{KEY}:{SECRET}"));
        for text in [
            format!("Authorization: Basic {b64}"),
            format!("cut at 160: Basic {}", &b64[..17]),
            format!(r#"{{"echo": "{}"}}"#, serde_json_escape(SECRET)),
            format!(
                r#"{{"php": "{}"}}"#,
                serde_json_escape(SECRET).replace('/', "\\/")
            ),
            format!("?secret={}", utf8_percent_encode(SECRET, NON_ALPHANUMERIC)),
            format!("?secret={}", form_encode(SECRET)),
            format!("{KEY}:{SECRET}"),
            format!("the middle of it: {}", &KEY[3..15]),
        ] {
            assert!(clean(&r, &text), "{text} → {}", r.redact(&text));
            assert!(r.redact(&text).contains(REDACTED), "{text}");
        }
    }

    #[test]
    fn json_stays_well_formed() {
        let r = basic();
        let json = serde_json::json!({"msg": format!("key {KEY} and {SECRET}")}).to_string();
        let out = r.redact(&json);
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["msg"].as_str().unwrap().contains(REDACTED), "{out}");
    }

    #[test]
    fn short_secrets_and_clean_text_are_left_alone() {
        let r = Redactor::new(["demo"]);
        assert!(r.is_empty());
        assert_eq!(r.redact("demo-server"), "demo-server");
        let r = basic();
        assert!(matches!(
            r.redact("nothing to see here, really"),
            Cow::Borrowed(_)
        ));
    }
}
