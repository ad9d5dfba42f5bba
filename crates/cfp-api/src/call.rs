//! One call of one operation: its parameters, ready to be sent.

use std::future::Future;

use bytes::Bytes;
use cfp_model::params::Params;

use crate::answer::Answer;
use crate::client::Client;
use crate::error::Error;

/// An operation of the contract, as cfp-api runs it: the generated
/// parameters (what to send, in `cfp_model::params`) plus how to read the
/// answer. Each operation's module implements it; a user who brings their
/// own HTTP stack can build the request with [`Call::request`] and read the
/// answer with [`Operation::parse`], without a client doing I/O.
pub trait Operation: Params {
    /// What a successful answer decodes to.
    type Output: Send + Sync + 'static;

    /// Reads an answer, whatever its status: the value, or the error the
    /// vendor's answer stands for.
    fn parse(response: &http::Response<Bytes>) -> Result<Answer<Self::Output>, Error>;

    /// Sends the call: by default one request, read by
    /// [`parse`](Self::parse). An operation whose vendor needs more
    /// (another wire form after a 405, a read after a `204 No Content`)
    /// overrides it.
    fn send(call: Call<Self>) -> impl Future<Output = Result<Answer<Self::Output>, Error>> + Send
    where
        Self: Sized,
    {
        async move { call.client.execute(&call.params).await }
    }
}

/// A call ready to send: the client and the operation's parameters.
/// Optional parameters are set with the builder methods of each operation;
/// [`send`](Self::send) sends it.
///
/// ```
/// use cfp_api::Client;
/// use cfp_model::{AccountServiceId, DiffId};
///
/// let client = Client::builder().clanforge_credentials("k", "s").build().unwrap();
/// let call = client.clanforge(AccountServiceId(1)).get_image_diff_status(DiffId(7)).info(true);
/// let request = call.request().unwrap();
/// assert_eq!(
///     request.uri(),
///     "https://api.multiplay.co.uk/cfp/v1/imagediff/7/status?accountserviceid=1&diff_info=1"
/// );
/// ```
#[derive(Debug, Clone)]
#[must_use = "a call does nothing until it is sent"]
pub struct Call<P> {
    pub(crate) client: Client,
    pub(crate) params: P,
}

impl<P: Operation> Call<P> {
    /// A call of `params` through `client`.
    pub fn new(client: Client, params: P) -> Self {
        Self { client, params }
    }

    /// The parameters.
    pub fn params(&self) -> &P {
        &self.params
    }

    /// The parameters, to change them.
    pub fn params_mut(&mut self) -> &mut P {
        &mut self.params
    }

    /// The request this call sends, without auth (which the transport adds
    /// per attempt): method, URL, the cross-cutting headers, the body.
    /// Pure: nothing is sent.
    pub fn request(&self) -> Result<http::Request<Bytes>, Error> {
        self.client.build_request(&self.params)
    }

    /// Sends the call and reads the answer.
    pub async fn send(self) -> Result<Answer<P::Output>, Error> {
        P::send(self).await
    }
}
