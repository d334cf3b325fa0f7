//! The generated client's hooks, forwarded to a [`Middleware`].
//!
//! progenitor calls `ClientHooks::exec` on the generated [`Client`] for
//! every request. Rust's orphan rule
//! means that implementation has to live in this crate, so it is a thin
//! forwarder: the client's inner value, [`Hooks`], holds an optional
//! [`Middleware`], and the `pinelabs` wrapper crate provides the real one
//! (authentication, retries, timeouts, tracing). Without a middleware the
//! client sends each request once, as progenitor would.
//!
//! ```
//! use pinelabs_api::{Client, ClientInfo, hooks::Hooks};
//!
//! let client = Client::new("https://pluraluat.v2.pinepg.in", Hooks::none());
//! assert_eq!(client.baseurl(), "https://pluraluat.v2.pinepg.in");
//! ```

use std::{fmt, future::Future, pin::Pin, sync::Arc};

use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};

use crate::Client;

/// A boxed, sendable future, as returned by [`Middleware`] methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Behaviour plugged into every request of the generated client.
pub trait Middleware: Send + Sync + fmt::Debug {
    /// Sends the request the generated code built and returns the final
    /// response: headers, credentials and retries belong here. `api` is the
    /// generated client making the call (for a call of its own, such as a
    /// token exchange). A failure that is not reqwest's must travel inside
    /// the `reqwest::Error` (as its source).
    fn execute<'a>(
        &'a self,
        api: &'a Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>>;
}

/// The inner value of the generated [`Client`]: an optional [`Middleware`].
#[derive(Clone, Default, Debug)]
pub struct Hooks {
    middleware: Option<Arc<dyn Middleware>>,
}

impl Hooks {
    /// No middleware: requests are sent once, unchanged.
    pub fn none() -> Self {
        Self::default()
    }

    /// Routes every request through `middleware`.
    pub fn new(middleware: Arc<dyn Middleware>) -> Self {
        Self {
            middleware: Some(middleware),
        }
    }
}

/// Only `exec`: the request is complete when the generated code hands it
/// over, so the middleware sees the call in one place.
impl ClientHooks<Hooks> for Client {
    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match &self.inner().middleware {
            Some(middleware) => middleware.execute(self, request, info.operation_id).await,
            None => self.client().execute(request).await,
        }
    }
}
