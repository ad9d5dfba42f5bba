//! Base URLs: `scheme://host[:port]` with an optional path prefix, joined
//! with the full documented operation paths.

use std::fmt;

use crate::error::Error;

/// A checked base URL of one API surface.
///
/// Only `http` and `https`; a host is required; user info (credentials in
/// the URL), a query and a fragment are refused, so a base URL can be shown
/// and logged safely. A path prefix is kept without its trailing `/`, and
/// the operation's full path (`/cfp/v1/…`, `/v3/applicationInstance/…`,
/// `/zstack/v1/…`) is appended to it.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct BaseUrl {
    /// `scheme://host[:port]`, default port omitted.
    origin: String,
    /// `""` or `/prefix` (already percent-encoded).
    prefix: String,
}

impl BaseUrl {
    pub(crate) fn parse(setting: &'static str, raw: &str) -> Result<Self, Error> {
        let bad = |reason: &str| Error::config(setting, format!("{:?} {reason}", raw.trim()));
        let url = url::Url::parse(raw.trim()).map_err(|e| bad(&format!("is not a url ({e})")))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(bad("must start with http:// or https://"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            // Do not repeat the value: it holds credentials.
            return Err(Error::config(
                setting,
                "must not carry credentials (user:password@); configure them separately",
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return Err(bad("has no host"));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(bad("must not have a query or fragment"));
        }
        Ok(Self {
            origin: url.origin().ascii_serialization(),
            prefix: url.path().trim_end_matches('/').to_owned(),
        })
    }

    /// The start of a URI on this base (`scheme://host[:port][/prefix]`), in
    /// a string with room for `more` bytes: the operation's path and query
    /// are appended to it.
    pub(crate) fn start(&self, more: usize) -> String {
        let mut s = String::with_capacity(self.origin.len() + self.prefix.len() + more);
        s.push_str(&self.origin);
        s.push_str(&self.prefix);
        s
    }

    pub(crate) fn as_string(&self) -> String {
        format!("{}{}", self.origin, self.prefix)
    }
}

impl fmt::Debug for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(s: &str) -> Result<BaseUrl, Error> {
        BaseUrl::parse("task url", s)
    }

    #[test]
    fn keeps_host_port_and_prefix() {
        let b = base("https://api.i3d.net").unwrap();
        assert_eq!(b.start(0), "https://api.i3d.net");
        let b = base("http://127.0.0.1:8080/sim/").unwrap();
        assert_eq!(b.start(16), "http://127.0.0.1:8080/sim");
        let b = base("https://api.i3d.net:443/").unwrap();
        assert_eq!(b.as_string(), "https://api.i3d.net");
        let b = base("http://[::1]:9000").unwrap();
        assert_eq!(b.as_string(), "http://[::1]:9000");
    }

    #[test]
    fn refuses_what_cannot_be_a_base() {
        for bad in [
            "ftp://h",
            "not a url",
            "https://h/?q=1",
            "https://h/#f",
            "file:///srv/cfp",
        ] {
            assert!(base(bad).is_err(), "{bad}");
        }
        let e = base("https://user:test-secret-DO-NOT-USE@h").unwrap_err();
        assert!(!e.to_string().contains("DO-NOT-USE"), "{e}");
        assert!(e.is_invalid_input());
    }
}
