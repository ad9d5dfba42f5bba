//! Reading answers, per surface: a 2xx body decodes with the model (a
//! surface that reports failure inside a 2xx body gives a service error);
//! a non-2xx body in the surface's error shape is a service error; anything
//! else is an HTTP status error with a short excerpt (an HTML 502 page is
//! never a decode error).

use std::time::{Duration, SystemTime};

use bytes::Bytes;
use cfp_model::clanforge::{self, ClanforgeError, ClanforgeReply, ClanforgeReplyError};
use cfp_model::zstack::{self, ZStackReply, ZStackReplyError};
use cfp_model::{DecodeError, OperationId, Single, TaskApiError, decode};
use cfp_transport::Attempt;
use serde::de::DeserializeOwned;

use crate::answer::Answer;
use crate::error::{Error, ServiceError};

/// How many characters of a non-JSON error body an [`Error::Http`] keeps.
pub(crate) const EXCERPT_CHARS: usize = 160;

/// A Clanforge resource, or its error envelope.
pub(crate) fn clanforge<T: ClanforgeReply>(
    op: OperationId,
    response: &http::Response<Bytes>,
) -> Result<Answer<T>, Error> {
    let status = response.status().as_u16();
    let body = response.body();
    if response.status().is_success() {
        return clanforge::decode_reply::<T>(body)
            .map(|v| Answer::new(v, body.clone()))
            .map_err(|e| match e {
                ClanforgeReplyError::Service(error) => Error::Service {
                    operation: op,
                    status,
                    error: ServiceError::Clanforge(error),
                    retry_after: None,
                },
                ClanforgeReplyError::Decode(e) => decode_error(op, status, e),
            });
    }
    match ClanforgeError::from_body(body) {
        Some(error) => Err(Error::Service {
            operation: op,
            status,
            error: ServiceError::Clanforge(error),
            retry_after: retry_after(response),
        }),
        None => Err(status_error(op, response)),
    }
}

/// One task API resource, as an object or a one-element array.
pub(crate) fn task_single<T: DeserializeOwned>(
    op: OperationId,
    what: &'static str,
    response: &http::Response<Bytes>,
) -> Result<Answer<T>, Error> {
    task_api::<Single<T>>(op, what, response)
        .map(|a| Answer::single(a.into_inner().into_inner(), response.body().clone()))
}

/// A task API resource (a list, or anything that needs no unwrapping).
pub(crate) fn task_api<T: DeserializeOwned>(
    op: OperationId,
    what: &'static str,
    response: &http::Response<Bytes>,
) -> Result<Answer<T>, Error> {
    let status = response.status().as_u16();
    if response.status().is_success() {
        return decode::<T>(what, response.body())
            .map(|v| Answer::new(v, response.body().clone()))
            .map_err(|e| decode_error(op, status, e));
    }
    match TaskApiError::from_body(response.body()) {
        Some(error) => Err(Error::Service {
            operation: op,
            status,
            error: ServiceError::Task(error),
            retry_after: retry_after(response),
        }),
        None => Err(status_error(op, response)),
    }
}

/// A ZStack answer, or its error (possibly with a 2xx).
pub(crate) fn zstack<T: ZStackReply>(
    op: OperationId,
    response: &http::Response<Bytes>,
) -> Result<Answer<T>, Error> {
    let status = response.status().as_u16();
    if response.status().is_success() {
        return zstack::decode_as::<T>(response.body())
            .map(|v| Answer::new(v, response.body().clone()))
            .map_err(|e| match e {
                ZStackReplyError::Service(error) => Error::Service {
                    operation: op,
                    status,
                    error: ServiceError::ZStack(error),
                    retry_after: None,
                },
                ZStackReplyError::Decode(e) => decode_error(op, status, e),
            });
    }
    match zstack::error_from_body(response.body()) {
        Some(error) => Err(Error::Service {
            operation: op,
            status,
            error: ServiceError::ZStack(Box::new(error)),
            retry_after: retry_after(response),
        }),
        None if is_header_refusal(status, response.body()) => Err(Error::Credentials {
            operation: op,
            status,
            reason: excerpt(response.body()),
        }),
        None => Err(status_error(op, response)),
    }
}

/// ZStack's REST server refuses a missing or malformed `Authorization`
/// header with a plain-text 400 before the API runs (`missing header
/// 'Authorization'`, `Authorization type must be 'OAuth'`, `accessKey
/// format is 'ZStack AccessKeyId:Signature'`); an AccessKey signature it
/// rejects is a plain-text 403.
fn is_header_refusal(status: u16, body: &[u8]) -> bool {
    let text = String::from_utf8_lossy(&body[..body.len().min(512)]).to_ascii_lowercase();
    matches!(status, 400 | 403)
        && (text.contains("authorization") || text.contains("accesskey") || text.contains("date"))
        && !text.trim_start().starts_with('{')
}

fn decode_error(op: OperationId, status: u16, e: DecodeError) -> Error {
    Error::Decode {
        operation: op,
        status,
        source: Box::new(e),
    }
}

/// An HTTP status error with a short, whitespace-collapsed excerpt of the
/// body and the server's `Retry-After` (read against the system clock).
pub(crate) fn status_error(op: OperationId, response: &http::Response<Bytes>) -> Error {
    Error::Http {
        operation: op,
        status: response.status().as_u16(),
        excerpt: excerpt(response.body()),
        retry_after: retry_after(response),
        attempts: response.extensions().get::<Attempt>().map_or(1, |a| a.0),
    }
}

/// The server's `Retry-After` (read against the system clock), if it asks
/// for a wait.
fn retry_after(response: &http::Response<Bytes>) -> Option<Duration> {
    cfp_transport::retry::retry_after(response.headers(), SystemTime::now())
        .filter(|d| *d > Duration::ZERO)
}

/// The start of a body for a message: lossy UTF-8, whitespace runs as one
/// space, at most [`EXCERPT_CHARS`] characters.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_CHARS * 4)]);
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        if chars > 0 {
            out.push(' ');
            chars += 1;
        }
        for c in word.chars() {
            if chars >= EXCERPT_CHARS {
                out.push('…');
                return out;
            }
            out.push(c);
            chars += 1;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::test_support::response;
    use cfp_model::{DiffJob, Task};

    #[test]
    fn an_html_error_page_is_an_http_error_with_an_excerpt() {
        let page =
            "<html>\n  <head><title>502 Bad Gateway</title></head>\n  <body>nginx</body></html>";
        for e in [
            clanforge::<DiffJob>(OperationId::CreateImageDiff, &response(502, page)).unwrap_err(),
            task_single::<Task>(OperationId::GetTask, "task", &response(502, page)).unwrap_err(),
            zstack::<cfp_model::UploadJobDetails>(
                OperationId::GetUploadJobDetails,
                &response(502, page),
            )
            .unwrap_err(),
        ] {
            match &e {
                Error::Http {
                    status, excerpt, ..
                } => {
                    assert_eq!(*status, 502);
                    assert!(
                        excerpt.starts_with("<html> <head><title>502 Bad Gateway"),
                        "{excerpt}"
                    );
                }
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_429_in_the_surfaces_error_shape_keeps_its_retry_after() {
        let mut r = response(
            429,
            r#"{"errorCode": 429, "errorMessage": "slow down", "errors": []}"#,
        );
        r.headers_mut().insert(
            http::header::RETRY_AFTER,
            http::HeaderValue::from_static("30"),
        );
        let e = task_single::<Task>(OperationId::GetTask, "task", &r).unwrap_err();
        assert!(e.service_error().is_some(), "{e:?}");
        assert_eq!(e.retry_after(), Some(Duration::from_secs(30)));
    }

    #[test]
    fn a_2xx_html_body_is_a_decode_error() {
        let e = task_single::<Task>(
            OperationId::GetTask,
            "task",
            &response(200, "<html></html>"),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Decode { status: 200, .. }), "{e:?}");
    }

    #[test]
    fn zstack_header_refusals_in_plain_text_are_refused_credentials() {
        for body in [
            "missing header 'Authorization'",
            "Authorization type must be 'OAuth'",
        ] {
            let e = zstack::<cfp_model::UploadJobDetails>(
                OperationId::GetUploadJobDetails,
                &response(400, body),
            )
            .unwrap_err();
            assert!(matches!(e, Error::Credentials { status: 400, .. }), "{e:?}");
            assert!(e.is_auth(), "{e}");
            assert!(e.to_string().contains(body), "{e}");
        }
        // Any other plain-text 400 is just an HTTP error.
        let e = zstack::<cfp_model::UploadJobDetails>(
            OperationId::GetUploadJobDetails,
            &response(400, "bad query"),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Http { status: 400, .. }), "{e:?}");
    }

    #[test]
    fn a_zstack_invalid_session_is_a_final_auth_failure() {
        let body = r#"{"error": {"code": "ID.1001", "description": "Invalid session"}}"#;
        let e = zstack::<cfp_model::UploadJobDetails>(
            OperationId::GetUploadJobDetails,
            &response(503, body),
        )
        .unwrap_err();
        assert!(e.is_auth(), "{e}");
        assert!(!e.is_retryable(), "{e}");
        let other = r#"{"error": {"code": "SYS.1001", "description": "not found"}}"#;
        let e = zstack::<cfp_model::UploadJobDetails>(
            OperationId::GetUploadJobDetails,
            &response(503, other),
        )
        .unwrap_err();
        assert!(!e.is_auth() && !e.is_retryable(), "{e}");
    }

    #[test]
    fn excerpts_are_bounded() {
        let long = "word ".repeat(200);
        let x = excerpt(long.as_bytes());
        assert_eq!(x.chars().count(), EXCERPT_CHARS + 1);
        assert!(x.ends_with('…'));
        assert_eq!(excerpt(b"  a \n\t b  "), "a b");
        assert_eq!(excerpt(b""), "");
    }
}
