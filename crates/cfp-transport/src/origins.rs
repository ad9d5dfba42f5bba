//! Request URLs from `http::Uri`s without parsing the host on every call.
//!
//! reqwest wants a `url::Url`, and a full `Url::parse` spends about a third
//! of its time on the scheme and host (IDNA processing even for
//! `127.0.0.1`). A client talks to a handful of origins (one per API
//! surface), so the parsed origin is kept and each request only sets the
//! path and query on a copy of it, which the `url` crate parses with the
//! same rules as a full parse. Measured with callgrind against
//! `reqwest::Request::try_from` (a full parse per request): 5.7–6.5 k
//! fewer instructions per image-status call, 6–7% of the call
//! (`docs/benchmarks.md`, Call overhead).

use std::sync::RwLock;

use crate::error::TransportError;

/// More origins than any client of three API surfaces uses; past this,
/// requests are parsed in full rather than the cache growing without bound.
const MAX_ORIGINS: usize = 16;

/// Parsed origins (`scheme://authority/`), keyed by the URI's own text of
/// scheme and authority.
#[derive(Debug, Default)]
pub(crate) struct OriginUrls {
    entries: RwLock<Vec<Origin>>,
}

#[derive(Debug)]
struct Origin {
    scheme: String,
    authority: String,
    base: url::Url,
}

impl OriginUrls {
    /// The `Url` for an absolute request URI: the same as
    /// `Url::parse(&uri.to_string())`.
    pub(crate) fn url(&self, uri: &http::Uri) -> Result<url::Url, TransportError> {
        let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
            return Err(TransportError::invalid_request(
                "the request URI is not absolute",
            ));
        };
        let authority = authority.as_str();
        let (path, query) = uri
            .path_and_query()
            .map_or(("/", None), |p| (p.path(), p.query()));
        if let Some(mut url) = self.cached(scheme, authority) {
            url.set_path(path);
            url.set_query(query);
            return Ok(url);
        }
        let mut text = String::with_capacity(
            scheme.len() + 3 + authority.len() + path.len() + query.map_or(0, |q| q.len() + 1),
        );
        text.push_str(scheme);
        text.push_str("://");
        text.push_str(authority);
        text.push_str(path);
        if let Some(q) = query {
            text.push('?');
            text.push_str(q);
        }
        let url = url::Url::parse(&text)
            .map_err(|e| TransportError::invalid_request(format!("invalid request URI: {e}")))?;
        self.remember(scheme, authority, &url);
        Ok(url)
    }

    fn cached(&self, scheme: &str, authority: &str) -> Option<url::Url> {
        // A poisoned lock only means another thread panicked while holding
        // it; the entries it guards are whole either way.
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .iter()
            .find(|o| o.scheme == scheme && o.authority == authority)
            .map(|o| o.base.clone())
    }

    fn remember(&self, scheme: &str, authority: &str, url: &url::Url) {
        // Only a URL that can carry a path is a usable base (every http and
        // https URL can).
        if url.cannot_be_a_base() {
            return;
        }
        let mut base = url.clone();
        base.set_path("/");
        base.set_query(None);
        base.set_fragment(None);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_ORIGINS
            || entries
                .iter()
                .any(|o| o.scheme == scheme && o.authority == authority)
        {
            return;
        }
        entries.push(Origin {
            scheme: scheme.to_owned(),
            authority: authority.to_owned(),
            base,
        });
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.read().map_or(0, |e| e.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn full_parse(uri: &http::Uri) -> url::Url {
        url::Url::parse(&uri.to_string()).unwrap()
    }

    /// Each URI twice: the first is parsed in full and fills the cache, the
    /// second is built from the cached origin; both must equal a full parse.
    fn check(origins: &OriginUrls, text: &str) {
        let uri: http::Uri = text.parse().unwrap();
        for _ in 0..2 {
            let got = origins.url(&uri).unwrap();
            assert_eq!(got, full_parse(&uri), "{text}");
            assert_eq!(got.as_str(), full_parse(&uri).as_str(), "{text}");
        }
    }

    #[test]
    fn cached_origins_give_the_same_urls_as_a_full_parse() {
        let origins = OriginUrls::default();
        for text in [
            "http://127.0.0.1:8080/cfp/v2/project/1/image/1/status?detail=true",
            "http://127.0.0.1:8080/cfp/v2/project/1/image/2/status",
            "http://127.0.0.1:8080/",
            "http://127.0.0.1:8080",
            "http://127.0.0.1:8080/a/./b/../c?x=1&y=%20z",
            "http://127.0.0.1:8080/p?",
            "http://127.0.0.1:8080/p%2Fq/%E2%9C%93?q=%E2%9C%93&r=a+b",
            "http://127.0.0.1:8080//double//slashes",
            "https://api.multiplay.co.uk/cfp/v1/machine/1",
            "https://API.Multiplay.co.uk:443/x",
            "https://api.multiplay.co.uk:443/x",
            "http://[::1]:9000/tasks/v1/tasks?taskId=1&taskId=2",
            "http://localhost/zstack/v1/images/abc/upload-jobs",
            "http://user@localhost:81/p",
        ] {
            check(&origins, text);
        }
        assert!(origins.len() <= MAX_ORIGINS);
    }

    #[test]
    fn relative_uris_are_refused() {
        let origins = OriginUrls::default();
        let uri: http::Uri = "/only/a/path".parse().unwrap();
        let err = origins.url(&uri).unwrap_err();
        assert!(err.to_string().contains("not absolute"), "{err}");
    }

    #[test]
    fn the_cache_is_bounded() {
        let origins = OriginUrls::default();
        for port in 1..=(MAX_ORIGINS as u16 + 8) {
            check(&origins, &format!("http://127.0.0.1:{port}/p?q={port}"));
        }
        assert_eq!(origins.len(), MAX_ORIGINS);
    }

    proptest! {
        #[test]
        fn any_path_and_query_match_a_full_parse(
            path in "(/[a-zA-Z0-9._~%!$&'()*+,;=:@-]{0,12}){0,5}",
            query in proptest::option::of("[a-zA-Z0-9._~%!$&'()*+,;=:@/?-]{0,24}"),
        ) {
            let origins = OriginUrls::default();
            let mut text = format!("http://127.0.0.1:8080{path}");
            if let Some(q) = &query {
                text.push('?');
                text.push_str(q);
            }
            // Only what `http::Uri` itself accepts reaches the transport.
            let Ok(uri) = text.parse::<http::Uri>() else { return Ok(()); };
            let Ok(expected) = url::Url::parse(&uri.to_string()) else { return Ok(()); };
            let _ = origins.url(&uri);
            let got = origins.url(&uri).unwrap();
            prop_assert_eq!(got.as_str(), expected.as_str());
        }
    }
}
