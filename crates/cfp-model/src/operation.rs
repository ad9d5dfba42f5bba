//! The operation table: every wire operation of the contract, with its
//! method, path template, surface, auth scheme and retry class.
//!
//! The table itself ([`OperationId`], [`OperationId::spec`]) is generated from
//! `docs/openapi.yaml` by `cargo xtask codegen`; this module holds the types
//! it is made of.

use std::fmt;

pub use crate::generated::operations::OperationId;

/// One of the three vendor API surfaces, each with its own base URL and
/// auth scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Surface {
    /// Clanforge (Multiplay), `https://api.multiplay.co.uk`.
    Clanforge,
    /// The application-instance task API, `https://api.i3d.net`.
    Task,
    /// ZStack Cloud (self-hosted; no default URL).
    ZStack,
}

impl Surface {
    /// Every surface.
    pub const ALL: [Surface; 3] = [Surface::Clanforge, Surface::Task, Surface::ZStack];

    /// A short lowercase name, as used in configuration and messages.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Clanforge => "clanforge",
            Self::Task => "task",
            Self::ZStack => "zstack",
        }
    }

    /// The answer is the service's own final word although its status
    /// (429, 502, 503, 504) would otherwise say "try again later".
    ///
    /// ZStack's REST server answers **every** failed API call with HTTP 503
    /// and its error body (`{"error": {"code": …}}`, see `RestServer` in
    /// ZStack's source): repeating the call gets the same answer. A 503
    /// without that body (a proxy's HTML page) stays retryable.
    ///
    /// ```
    /// use cfp_model::Surface;
    ///
    /// let body = br#"{"error": {"code": "SYS.1001", "description": "not found"}}"#;
    /// assert!(Surface::ZStack.is_final_answer(503, body));
    /// assert!(!Surface::ZStack.is_final_answer(503, b"<html>busy</html>"));
    /// assert!(!Surface::Task.is_final_answer(503, body));
    /// ```
    pub fn is_final_answer(self, status: u16, body: &[u8]) -> bool {
        match self {
            Self::ZStack => status == 503 && crate::zstack::error_from_body(body).is_some(),
            Self::Clanforge | Self::Task => false,
        }
    }

    /// How the surface authenticates.
    pub const fn auth(self) -> AuthScheme {
        match self {
            Self::Clanforge => AuthScheme::Basic,
            Self::Task => AuthScheme::PrivateToken,
            Self::ZStack => AuthScheme::OAuthSession,
        }
    }
}

impl fmt::Display for Surface {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a request authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthScheme {
    /// No credentials (ZStack's session calls carry their own).
    None,
    /// `Authorization: Basic base64(key:secret)` (Clanforge).
    Basic,
    /// `PRIVATE-TOKEN: <token>` (task API).
    PrivateToken,
    /// `Authorization: OAuth <session uuid>` (ZStack).
    OAuthSession,
    /// `Authorization: ZStack <key id>:<signature>` with `Date` (ZStack's
    /// AccessKey, signed per request). Accepted wherever a ZStack session
    /// is.
    AccessKey,
}

/// Whether a failed call may be sent again automatically.
///
/// A failure that proves the request never left (connection refused, DNS)
/// may be retried for every class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RetryClass {
    /// Repeating it changes nothing: retry on 429, 502, 503, 504 and
    /// connection errors.
    Safe,
    /// Repeating it may do the thing twice (start a second job, create a
    /// second batch): only a never-sent failure is retried.
    Unsafe,
    /// A toggle: never repeated blindly; the caller re-reads the resource
    /// instead.
    Toggle,
}

impl RetryClass {
    /// May a failure after the request may have been delivered be retried?
    pub const fn may_repeat(self) -> bool {
        matches!(self, Self::Safe)
    }
}

/// An HTTP method, as the contract uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PUT.
    Put,
    /// PATCH.
    Patch,
    /// DELETE.
    Delete,
}

impl Method {
    /// The method's name on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Get => "GET",
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    /// The method named `name` (upper case, as on the wire), if the
    /// contract uses it.
    pub fn from_name(name: &str) -> Option<Self> {
        Some(match name {
            "GET" => Self::Get,
            "POST" => Self::Post,
            "PUT" => Self::Put,
            "PATCH" => Self::Patch,
            "DELETE" => Self::Delete,
            _ => return None,
        })
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A query parameter of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryParam {
    /// Its name on the wire.
    pub name: &'static str,
    /// Whether the operation requires it.
    pub required: bool,
    /// An array sent as one `name=value` pair per element.
    pub repeated: bool,
}

/// Everything the contract says about one operation that code needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationSpec {
    /// The operation.
    pub id: OperationId,
    /// Its `operationId` in `docs/openapi.yaml`.
    pub name: &'static str,
    /// One line on what it does.
    pub summary: &'static str,
    /// HTTP method.
    pub method: Method,
    /// Path template, e.g. `/v3/applicationInstance/task/{taskId}`.
    pub path: &'static str,
    /// Names of the `{…}` segments of `path`, in order.
    pub path_params: &'static [&'static str],
    /// Query parameters.
    pub query_params: &'static [QueryParam],
    /// Whether it sends a JSON body.
    pub has_body: bool,
    /// Which API surface it belongs to.
    pub surface: Surface,
    /// How it authenticates.
    pub auth: AuthScheme,
    /// Whether it may be retried automatically.
    pub retry: RetryClass,
    /// For an alternative wire form, the operation it stands in for (the
    /// ZStack `GET` form of upload-job details).
    pub fallback_for: Option<OperationId>,
}

impl OperationId {
    /// The `operationId` in the contract.
    pub fn name(self) -> &'static str {
        self.spec().name
    }

    /// Finds an operation by its `operationId`.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| op.name() == name)
    }

    /// Finds the operation serving `method` on a concrete `path` (without
    /// query), matching `{…}` segments against any non-empty segment.
    pub fn route(method: Method, path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|op| {
            let spec = op.spec();
            spec.method == method && template_matches(spec.path, path)
        })
    }
}

impl fmt::Display for OperationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Does `path` fit `template`, segment by segment?
fn template_matches(template: &str, path: &str) -> bool {
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return true,
            (Some(ts), Some(ps)) => {
                let is_param = ts.starts_with('{') && ts.ends_with('}');
                if is_param {
                    if ps.is_empty() {
                        return false;
                    }
                } else if ts != ps {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// The values of a path's `{…}` segments, in template order, or `None` if
/// the path does not fit the template.
pub fn path_values<'p>(template: &str, path: &'p str) -> Option<Vec<&'p str>> {
    if !template_matches(template, path) {
        return None;
    }
    Some(
        template
            .split('/')
            .zip(path.split('/'))
            .filter(|(t, _)| t.starts_with('{'))
            .map(|(_, p)| p)
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_routes_to_itself() {
        for op in OperationId::ALL {
            let spec = op.spec();
            let concrete = spec
                .path_params
                .iter()
                .fold(spec.path.to_owned(), |p, name| {
                    p.replace(&format!("{{{name}}}"), "17")
                });
            assert_eq!(OperationId::route(spec.method, &concrete), Some(op), "{op}");
            assert_eq!(OperationId::from_name(spec.name), Some(op));
        }
    }

    #[test]
    fn path_values_in_template_order() {
        assert_eq!(
            path_values(
                "/cfp/v2/project/{accountserviceid}/image/{imageid}/status",
                "/cfp/v2/project/1/image/22/status"
            ),
            Some(vec!["1", "22"])
        );
        assert_eq!(path_values("/a/{x}", "/a/"), None);
        assert_eq!(path_values("/a/{x}", "/a/1/b"), None);
    }

    #[test]
    fn only_safe_operations_may_repeat() {
        for op in OperationId::ALL {
            let spec = op.spec();
            assert_eq!(spec.retry.may_repeat(), spec.retry == RetryClass::Safe);
            assert!(
                spec.auth == spec.surface.auth() || spec.auth == AuthScheme::None,
                "{op}"
            );
        }
    }
}
