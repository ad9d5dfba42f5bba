//! Everything cfp writes for people passes here: secrets are removed (in
//! every form a server may echo them, see `cfp_api::Redactor`) and text
//! that came from a server cannot drive the terminal — control characters,
//! escape sequences and bidirectional overrides are made visible. JSON
//! output keeps its exact values (JSON escapes its own control characters;
//! the few a terminal would still act on are written as `\u` escapes).

use std::borrow::Cow;
use std::io::{self, Write};
use std::sync::{OnceLock, RwLock};

use cfp_api::Redactor;
use cfp_api::model::UpdateUrl;

/// What replaces a secret: the SDK redactor's own marker, so that every
/// redacted span reads the same.
const REDACTED: &str = "<redacted>";

fn redactor() -> &'static RwLock<Redactor> {
    static R: OnceLock<RwLock<Redactor>> = OnceLock::new();
    R.get_or_init(|| RwLock::new(Redactor::default()))
}

/// Whole texts replaced by their redacted form before the redactor runs:
/// the forms of an update URL that carries credentials. The redactor
/// leaves a secret shorter than its minimum alone (it cannot tell `pw`
/// from ordinary text), but a whole URL that holds it can be matched
/// exactly, with no risk of cutting anything else.
fn exact() -> &'static RwLock<Vec<(String, String)>> {
    static E: OnceLock<RwLock<Vec<(String, String)>>> = OnceLock::new();
    E.get_or_init(|| RwLock::new(Vec::new()))
}

/// Adds secrets the run must never print (credentials from any setting).
pub fn protect(r: &Redactor) {
    if let Ok(mut mine) = redactor().write() {
        mine.extend(r);
    }
}

/// Adds the secrets an update URL carries (its user information and query
/// values) — and the URL itself in the forms it is written in (as typed,
/// in JSON, in a query string), replaced whole by its redacted form — so
/// that it never reaches stdout, stderr or a log line: not from an answer
/// that echoes it, nor from a trace. A URL without secret parts is not a
/// secret and is left as it is.
pub fn protect_update_url(url: &UpdateUrl) {
    let raw = url.expose();
    let mut parts = url.secret_parts();
    parts.extend(update_url_secrets(raw));
    if parts.is_empty() {
        return;
    }
    protect(&Redactor::new(parts));
    let shown = redacted_url(raw);
    let json = |s: &str| {
        let quoted = serde_json::to_string(s).unwrap_or_default();
        quoted
            .strip_prefix('"')
            .and_then(|q| q.strip_suffix('"'))
            .unwrap_or_default()
            .to_owned()
    };
    let forms = [
        (raw.to_owned(), shown.clone()),
        (json(raw), json(&shown)),
        // PHP's json_encode writes `/` as `\/`.
        (
            json(raw).replace('/', "\\/"),
            json(&shown).replace('/', "\\/"),
        ),
        (form_encode(raw), form_encode(&shown)),
    ];
    if let Ok(mut exact) = exact().write() {
        for (needle, replacement) in forms {
            if !needle.is_empty() && !exact.iter().any(|(n, _)| *n == needle) {
                exact.push((needle, replacement));
            }
        }
        // The longest first, so that a form inside another never splits it.
        exact.sort_by_key(|e| std::cmp::Reverse(e.0.len()));
    }
}

/// Where an update URL's user information is, as byte offsets: between
/// `://` and the **last** `@` before the query. Read generously, so that
/// a secret pasted with an unencoded `/` (AWS secrets hold them), which
/// the URL grammar would take for the start of the path, is still all of
/// it; a path with an `@` in it is then hidden too, which is safe.
fn userinfo_span(raw: &str) -> Option<(usize, usize)> {
    let start = raw.find("://").map_or(0, |i| i + 3);
    let end = raw[start..].find('?').map_or(raw.len(), |i| start + i);
    let at = start + raw[start..end].rfind('@')?;
    Some((start, at))
}

/// The secret parts of an update URL as cfp reads them: the user
/// information, each of its `:`-separated pieces, and the query's values.
pub fn update_url_secrets(raw: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    if let Some((start, at)) = userinfo_span(raw) {
        let user = &raw[start..at];
        parts.extend(user.split(':').filter(|p| !p.is_empty()));
        if !user.is_empty() {
            parts.push(user);
        }
    }
    let query_from =
        userinfo_span(raw).map_or_else(|| raw.find("://").map_or(0, |i| i + 3), |(_, at)| at);
    if let Some((_, query)) = raw[query_from..].split_once('?') {
        for pair in query.split('&') {
            if let Some((_, v)) = pair.split_once('=')
                && !v.is_empty()
            {
                parts.push(v);
            }
        }
    }
    parts
}

/// An update URL with its user information and query values replaced by
/// `<redacted>`: `s3://<redacted>@builds/1.4.2/?region=<redacted>`. What
/// cfp shows of an update URL, in tables and in place of one in JSON.
pub fn redacted_url(raw: &str) -> String {
    let (head, rest) = match userinfo_span(raw) {
        Some((start, at)) => (format!("{}{REDACTED}", &raw[..start]), &raw[at..]),
        None => {
            let start = raw.find("://").map_or(0, |i| i + 3);
            (raw[..start].to_owned(), &raw[start..])
        }
    };
    let rest = match rest.split_once('?') {
        Some((before, query)) => {
            let pairs: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((k, v)) if !v.is_empty() => format!("{k}={REDACTED}"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{before}?{}", pairs.join("&"))
        }
        None => rest.to_owned(),
    };
    format!("{head}{rest}")
}

/// `application/x-www-form-urlencoded`, as a query string carries a value.
fn form_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3 / 2);
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

/// `text` without any protected secret.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut text = Cow::Borrowed(text);
    if let Ok(exact) = exact().read() {
        for (needle, replacement) in exact.iter() {
            if text.contains(needle.as_str()) {
                text = Cow::Owned(text.replace(needle.as_str(), replacement));
            }
        }
    }
    match redactor().read() {
        Ok(r) => match r.redact(&text) {
            Cow::Borrowed(_) => text,
            Cow::Owned(o) => Cow::Owned(o),
        },
        Err(_) => text,
    }
}

/// Text for a terminal: secrets removed, controls made visible. Newlines
/// and tabs stay (tables and messages span lines).
pub fn for_terminal(text: &str) -> String {
    neutralize(&redact(text)).into_owned()
}

/// A character a terminal would act on rather than show: C0 and C1
/// controls (ESC starts CSI and OSC sequences), DEL, and the bidirectional
/// overrides and isolates that reorder what is shown.
pub fn is_unsafe(c: char) -> bool {
    let u = c as u32;
    u < 0x20
        || (0x7f..=0x9f).contains(&u)
        || matches!(u, 0x200e | 0x200f | 0x061c | 0x202a..=0x202e | 0x2066..=0x2069)
}

/// Control characters, escape sequences and bidi overrides made visible
/// (`\x1b`, `\r`, `\u{202e}`); `\n` and `\t` kept.
pub fn neutralize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| is_unsafe(c) && c != '\n' && c != '\t') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => out.push_str("\\r"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if is_unsafe(c) => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// A writer that shields every line written through it (for the tracing
/// output on stderr).
pub struct ShieldedWriter<W: Write> {
    inner: W,
    line: Vec<u8>,
}

impl<W: Write> ShieldedWriter<W> {
    /// Wraps `inner`.
    pub fn new(inner: W) -> Self {
        Self {
            inner,
            line: Vec::new(),
        }
    }

    fn emit(&mut self) -> io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.line).into_owned();
        self.line.clear();
        // One line at a time: a trailing newline is kept, everything else
        // in it is shielded.
        let (body, nl) = match text.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (text.as_str(), ""),
        };
        self.inner.write_all(for_terminal(body).as_bytes())?;
        self.inner.write_all(nl.as_bytes())
    }
}

impl<W: Write> Write for ShieldedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        for &b in buf {
            self.line.push(b);
            if b == b'\n' {
                self.emit()?;
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.emit()?;
        self.inner.flush()
    }
}

impl<W: Write> Drop for ShieldedWriter<W> {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_overrides_are_made_visible() {
        let hostile = "Run\u{1b}]0;pwned\u{7}ning\r\u{8}\u{202e}gnp.exe\u{9b}31m";
        let shown = neutralize(hostile);
        assert_eq!(
            shown,
            "Run\\x1b]0;pwned\\x07ning\\r\\x08\\u{202e}gnp.exe\\u{9b}31m"
        );
        assert!(
            !shown
                .chars()
                .any(|c| is_unsafe(c) && c != '\n' && c != '\t')
        );
        assert!(matches!(neutralize("plain\ttext\n"), Cow::Borrowed(_)));
    }

    #[test]
    fn update_urls_are_redacted_in_their_secret_parts_only() {
        assert_eq!(
            redacted_url("s3://AKIA-FAKE:pw-FAKE@builds/1.4.2/?region=eu&x="),
            "s3://<redacted>@builds/1.4.2/?region=<redacted>&x="
        );
        assert_eq!(redacted_url("https://h/p"), "https://h/p");
        assert_eq!(redacted_url("steam://u:p@app"), "steam://<redacted>@app");
        // An AWS secret pasted with its `/` unencoded is still all hidden.
        assert_eq!(
            redacted_url("s3://AKIA-FAKE:se/cr+et-FAKE@bucket/x/"),
            "s3://<redacted>@bucket/x/"
        );
        assert_eq!(
            update_url_secrets("s3://AKIA-FAKE:se/cr+et-FAKE@bucket/x/?a=1&b=&c=zz"),
            [
                "AKIA-FAKE",
                "se/cr+et-FAKE",
                "AKIA-FAKE:se/cr+et-FAKE",
                "1",
                "zz"
            ]
        );
        assert!(update_url_secrets("https://h/p").is_empty());
    }

    #[test]
    fn a_url_with_short_credentials_is_replaced_whole_in_every_form() {
        // `FAKE:FAKE` is shorter than the redactor's minimum: only the
        // whole URL gives it away.
        let url: UpdateUrl = "s3://FAKE:FAKE@bucket/x/".parse().unwrap();
        protect_update_url(&url);
        assert_eq!(
            redact("url s3://FAKE:FAKE@bucket/x/ end"),
            "url s3://<redacted>@bucket/x/ end"
        );
        assert_eq!(
            redact(r#"{"update_url":"s3:\/\/FAKE:FAKE@bucket\/x\/"}"#),
            r#"{"update_url":"s3:\/\/<redacted>@bucket\/x\/"}"#
        );
        assert!(!redact("url=s3%3A%2F%2FFAKE%3AFAKE%40bucket%2Fx%2F").contains("FAKE%3AFAKE"));
        // A URL without credentials is no secret: left as it is.
        let plain: UpdateUrl = "s3://bucket-FAKE/plain-path/".parse().unwrap();
        protect_update_url(&plain);
        assert_eq!(
            redact("s3://bucket-FAKE/plain-path/"),
            "s3://bucket-FAKE/plain-path/"
        );
    }

    #[test]
    fn the_writer_shields_line_by_line() {
        let mut out = Vec::new();
        {
            let mut w = ShieldedWriter::new(&mut out);
            w.write_all(b"a\x1b[2Jb\nc").unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "a\\x1b[2Jb\nc");
    }
}
