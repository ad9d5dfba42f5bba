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

fn redactor() -> &'static RwLock<Redactor> {
    static R: OnceLock<RwLock<Redactor>> = OnceLock::new();
    R.get_or_init(|| RwLock::new(Redactor::default()))
}

/// Adds secrets the run must never print (credentials from any setting).
pub fn protect(r: &Redactor) {
    if let Ok(mut mine) = redactor().write() {
        mine.extend(r);
    }
}

/// `text` without any protected secret.
pub fn redact(text: &str) -> Cow<'_, str> {
    match redactor().read() {
        Ok(r) => match r.redact(text) {
            Cow::Borrowed(_) => Cow::Borrowed(text),
            Cow::Owned(o) => Cow::Owned(o),
        },
        Err(_) => Cow::Borrowed(text),
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
    fn the_writer_shields_line_by_line() {
        let mut out = Vec::new();
        {
            let mut w = ShieldedWriter::new(&mut out);
            w.write_all(b"a\x1b[2Jb\nc").unwrap();
        }
        assert_eq!(String::from_utf8(out).unwrap(), "a\\x1b[2Jb\nc");
    }
}
