//! How one call goes out and comes back, in one ordered place:
//!
//! 1. the surface's base URL and credentials must be configured (else
//!    [`Error::Config`], nothing sent);
//! 2. the operation's parameters write the request target and the body,
//!    checking every value (else [`Error::InvalidInput`], nothing sent);
//! 3. the cross-cutting headers, in this order: `User-Agent`, `Accept`,
//!    `Content-Type` (when there is a body);
//! 4. the dispatcher adds the surface's auth header on every attempt, and
//!    runs timeouts, retries by the operation's retry class, and tracing;
//! 5. the operation reads the answer;
//! 6. credentials the server echoed are redacted from the error.

use bytes::Bytes;
use cfp_model::params::Params;
use cfp_model::{OperationId, Surface};
use cfp_transport::Credentials;
use http::HeaderValue;
use http::header::{ACCEPT, CONTENT_TYPE, USER_AGENT};

use crate::answer::Answer;
use crate::base_url::BaseUrl;
use crate::call::Operation;
use crate::client::Client;
use crate::error::Error;
use crate::settings;

/// `Accept` on every request: every surface answers JSON.
const JSON: HeaderValue = HeaderValue::from_static("application/json");
/// The body type ZStack's documentation shows.
const JSON_UTF8: HeaderValue = HeaderValue::from_static("application/json;charset=UTF-8");

impl Client {
    /// Steps 1 to 3: the request for `params`, without auth.
    pub(crate) fn build_request<P: Params>(
        &self,
        params: &P,
    ) -> Result<http::Request<Bytes>, Error> {
        let op = P::OPERATION;
        let (base, _) = self.configured(op)?;
        self.request_on(base, params)
    }

    fn request_on<P: Params>(
        &self,
        base: &BaseUrl,
        params: &P,
    ) -> Result<http::Request<Bytes>, Error> {
        let op = P::OPERATION;
        let spec = op.spec();
        let invalid = |e: cfp_model::params::ParamError| Error::InvalidInput {
            operation: op,
            field: e.field,
            reason: e.reason,
        };
        // Sized for the path and query, so that writing them does not
        // regrow it: 1.1–1.4 k instructions per call (docs/benchmarks.md).
        let mut uri = base.start(spec.path.len() + 48);
        params.write_target(&mut uri).map_err(invalid)?;
        let body = params.body().map_err(invalid)?;
        let mut request = http::Request::new(
            body.as_deref()
                .map_or_else(Bytes::new, Bytes::copy_from_slice),
        );
        *request.method_mut() = method(spec.method);
        *request.uri_mut() =
            http::Uri::try_from(uri).map_err(|e| Error::invalid(op, "url", e.to_string()))?;
        let headers = request.headers_mut();
        headers.insert(USER_AGENT, self.inner.user_agent.clone());
        headers.insert(ACCEPT, JSON);
        if body.is_some() {
            let ct = match spec.surface {
                Surface::ZStack => JSON_UTF8,
                Surface::Clanforge | Surface::Task => JSON,
            };
            headers.insert(CONTENT_TYPE, ct);
        }
        Ok(request)
    }

    /// Steps 1 to 4: sends `params`; the response whatever its status.
    pub(crate) async fn dispatch<P: Params>(
        &self,
        params: &P,
    ) -> Result<http::Response<Bytes>, Error> {
        let op = P::OPERATION;
        let (base, credentials) = self.configured(op)?;
        let request = self.request_on(base, params)?;
        self.inner
            .dispatcher
            .send(op, request, credentials)
            .await
            .map_err(|source| Error::Transport {
                operation: op,
                source,
            })
            .map_err(|e| self.redacted(e, None))
    }

    /// Steps 1 to 6: sends `params` and reads the answer.
    pub(crate) async fn execute<P: Operation>(
        &self,
        params: &P,
    ) -> Result<Answer<P::Output>, Error> {
        let response = self.dispatch(params).await?;
        self.read::<P>(&response)
    }

    /// Steps 1 to 6 for parameters that carry secrets of their own (an
    /// update URL with storage credentials): they are redacted from any
    /// error too, with the client's credentials, in one pass.
    pub(crate) async fn execute_with_secrets<P: Operation>(
        &self,
        params: &P,
        secrets: &[&str],
    ) -> Result<Answer<P::Output>, Error> {
        let mut redactor = self.inner.redactor.clone();
        for s in secrets {
            redactor.add(s);
        }
        let op = P::OPERATION;
        let (base, credentials) = self.configured(op)?;
        let request = self.request_on(base, params)?;
        let response = self
            .inner
            .dispatcher
            .send(op, request, credentials)
            .await
            .map_err(|source| Error::Transport {
                operation: op,
                source,
            })
            .map_err(|e| crate::redact::error(e, &redactor, None))?;
        let date = server_date(&response);
        if let Some(d) = date {
            self.observe_date(op.spec().surface, d);
        }
        P::parse(&response)
            .map(|a| a.with_server_date(date))
            .map_err(|e| crate::redact::error(e, &redactor, Some(response.body())))
    }

    /// Steps 5 and 6: reads an answer of `P`.
    pub(crate) fn read<P: Operation>(
        &self,
        response: &http::Response<Bytes>,
    ) -> Result<Answer<P::Output>, Error> {
        let date = server_date(response);
        if let Some(d) = date {
            self.observe_date(P::OPERATION.spec().surface, d);
        }
        P::parse(response)
            .map(|a| a.with_server_date(date))
            .map_err(|e| self.redacted(e, Some(response.body())))
    }

    /// The base URL and credentials of `op`'s surface, or what to set. An
    /// operation that needs no credentials (ZStack's session calls) gets
    /// none, so a stale session is never sent with them.
    fn configured(&self, op: OperationId) -> Result<(&BaseUrl, Option<&Credentials>), Error> {
        let surface = op.spec().surface;
        let config = self.surface(surface);
        let (url, creds) = match surface {
            Surface::Clanforge => (
                settings::CLANFORGE_URL,
                "CFP_CLANFORGE_KEY and CFP_CLANFORGE_SECRET".to_owned(),
            ),
            Surface::Task => (settings::TASK_URL, settings::TASK_TOKEN.env.to_owned()),
            Surface::ZStack => (
                settings::ZSTACK_URL,
                format!(
                    "{}, or {} and {}, or run `cfp zstack login`",
                    settings::ZSTACK_SESSION.env,
                    settings::ZSTACK_ACCESS_KEY_ID.env,
                    settings::ZSTACK_ACCESS_KEY_SECRET.env
                ),
            ),
        };
        let missing = |setting: &'static str, how: String| Error::Config {
            operation: Some(op),
            setting,
            reason: format!("not set ({how})"),
        };
        let base = config
            .base
            .as_ref()
            .ok_or_else(|| missing(url.name, url.env.to_owned()))?;
        if op.spec().auth == cfp_model::AuthScheme::None {
            return Ok((base, None));
        }
        let credentials = config.credentials.as_ref().ok_or_else(|| {
            missing(
                match surface {
                    Surface::Clanforge => "clanforge credentials",
                    Surface::Task => settings::TASK_TOKEN.name,
                    Surface::ZStack => "zstack credentials",
                },
                creds,
            )
        })?;
        Ok((base, Some(credentials)))
    }

    /// Step 6: the error without any credential of the client (a server
    /// may echo another surface's too), excerpts cut from the redacted
    /// `body`.
    pub(crate) fn redacted(&self, e: Error, body: Option<&[u8]>) -> Error {
        crate::redact::error(e, &self.inner.redactor, body)
    }
}

/// The server's `Date` header, if it sent a valid one.
fn server_date(response: &http::Response<Bytes>) -> Option<std::time::SystemTime> {
    let v = response.headers().get(http::header::DATE)?.to_str().ok()?;
    httpdate::parse_http_date(v).ok()
}

/// The contract's method as the http crate's.
pub(crate) fn method(m: cfp_model::Method) -> http::Method {
    match m {
        cfp_model::Method::Get => http::Method::GET,
        cfp_model::Method::Post => http::Method::POST,
        cfp_model::Method::Put => http::Method::PUT,
        cfp_model::Method::Patch => http::Method::PATCH,
        cfp_model::Method::Delete => http::Method::DELETE,
    }
}
