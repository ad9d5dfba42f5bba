//! Keeping credentials out of errors: a server may echo the request's
//! headers back (an error page, a message, a ZStack cause chain), in any
//! encoding, so every text an error carries from the server is redacted
//! before the error is returned — an excerpt is cut from the redacted body,
//! never redacted after the cut (a secret cut in half would survive).

use cfp_transport::Redactor;

use crate::error::{Error, ServiceError};
use crate::response;

/// `e` with every secret `r` knows removed from every server text it
/// carries; `body` is the whole answer the error came from, if any.
pub(crate) fn error(mut e: Error, r: &Redactor, body: Option<&[u8]>) -> Error {
    if r.is_empty() {
        return e;
    }
    let red = |text: &mut String| {
        if let std::borrow::Cow::Owned(t) = r.redact(text) {
            *text = t;
        }
    };
    let redacted_body = body.map(|b| r.redact(&String::from_utf8_lossy(b)).into_owned());
    match &mut e {
        Error::Http { excerpt, .. } => match &redacted_body {
            Some(b) => *excerpt = response::excerpt(b.as_bytes()),
            None => red(excerpt),
        },
        Error::Credentials { reason, .. } => match &redacted_body {
            Some(b) => *reason = response::excerpt(b.as_bytes()),
            None => red(reason),
        },
        Error::Decode { source, .. } => {
            match &redacted_body {
                Some(b) => source.excerpt = cfp_model::decode::excerpt(b.as_bytes()),
                None => red(&mut source.excerpt),
            }
            red(&mut source.message);
            red(&mut source.path);
        }
        Error::Service { error, .. } => match error {
            ServiceError::Clanforge(c) => {
                if let Some(m) = &mut c.error_message {
                    red(m);
                }
            }
            ServiceError::Task(t) => {
                red(&mut t.error_message);
                for d in &mut t.errors {
                    red(&mut d.message);
                    red(&mut d.property);
                }
            }
            ServiceError::ZStack(z) => {
                for text in z.texts_mut() {
                    red(text);
                }
            }
        },
        Error::Transport { source, .. } => {
            if let std::borrow::Cow::Owned(t) = r.redact(source.message()) {
                *source = cfp_transport::TransportError::new(source.kind(), t)
                    .with_attempts(source.attempts());
            }
        }
        _ => {}
    }
    e
}
