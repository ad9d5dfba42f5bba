//! Keeping credentials out of errors: a server may echo the request's
//! headers back (an error page, a message, a ZStack cause chain), so every
//! text an error carries from the server is redacted before the error is
//! returned.

use cfp_transport::Credentials;

use crate::error::{Error, ServiceError};

/// `e` with `credentials` removed from every server text it carries.
pub(crate) fn error(mut e: Error, credentials: &Credentials) -> Error {
    let r = |text: &mut String| *text = credentials.redact(text);
    match &mut e {
        Error::Http { excerpt, .. } => r(excerpt),
        Error::Credentials { reason, .. } => r(reason),
        Error::Decode { source, .. } => {
            r(&mut source.excerpt);
            r(&mut source.message);
        }
        Error::Service { error, .. } => match error {
            ServiceError::Clanforge(c) => {
                if let Some(m) = &mut c.error_message {
                    r(m);
                }
            }
            ServiceError::Task(t) => {
                r(&mut t.error_message);
                for d in &mut t.errors {
                    r(&mut d.message);
                    r(&mut d.property);
                }
            }
            ServiceError::ZStack(z) => {
                for text in z.texts_mut() {
                    r(text);
                }
            }
        },
        _ => {}
    }
    e
}
