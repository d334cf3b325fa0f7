//! One call: its options ([`CallOptions`]), the scope that carries them to
//! the pipeline and brings its [`Record`] back, its future, and the one
//! mapping of the generated client's error into [`Error`].
//!
//! ```no_run
//! # async fn run(client: pinelabs::Client) -> pinelabs::Result<()> {
//! use std::time::Duration;
//! use pinelabs::CallOptions;
//!
//! let tokens = client.list_tokens("cust-1").await?;
//! let answer = client
//!     .list_tokens("cust-1")
//!     .options(
//!         CallOptions::new()
//!             .timeout(Duration::from_millis(800))
//!             .request_id("order-7781-list")
//!             .header("x-correlation-id", "order-7781"),
//!     )
//!     .with_metadata()
//!     .await?;
//! println!("{} {:?}", answer.status(), answer.request_id());
//! # Ok(()) }
//! ```

use std::{
    future::{Future, IntoFuture},
    pin::Pin,
    task::{Context, Poll, ready},
    time::Duration,
};

use futures_util::FutureExt;
use pinelabs_api::{
    ResponseValue,
    types::{ErrorResponse, RequestId},
};
pub use pinelabs_http::CallOptions;
use pinelabs_http::scope::{self, Limits, Record, Scoped};
use reqwest::header::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::{ApiError, Error, Result};

/// Headers a call may not set: the pipeline, the generated client or the
/// HTTP stack own them (`Request-ID` has its own option; the comparison
/// ignores case).
const RESERVED: &[&str] = &[
    "api-version",
    "authorization",
    "content-length",
    "content-type",
    "host",
    "request-id",
    "transfer-encoding",
    "user-agent",
];

/// The limits of a call with `options`, checked before anything is sent:
/// the caller's `Request-ID` as the spec's `RequestId`, and none of the
/// headers the client sets.
fn limits(options: &CallOptions, total: Duration) -> Result<Limits> {
    let request_id = |id: &str| RequestId::try_from(id).map(drop).map_err(|e| e.to_string());
    Ok(options.limits(total, RESERVED, request_id)?)
}

/// `request` run in a scope of its own with `limits`: its answer, or its
/// error mapped (the token exchange's call).
pub(crate) fn run<F, T>(limits: Limits, request: F) -> CallFuture<F, T, Response<T>>
where
    F: Future<Output = std::result::Result<ResponseValue<T>, ApiError>>,
    T: DeserializeOwned,
{
    CallFuture::new(Ok(limits), Ok(request), Response::of)
}

/// A successful call's value, with the status, the headers and the
/// `Request-ID` it was sent with.
#[derive(Debug)]
pub struct Response<T> {
    value: T,
    status: u16,
    headers: HeaderMap,
    request_id: Option<String>,
    attempts: u32,
}

impl<T> Response<T> {
    /// The decoded value.
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The decoded value, owned.
    pub fn into_inner(self) -> T {
        self.value
    }

    /// The HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The `Request-ID` this call sent (on every attempt): quote it to Pine
    /// Labs support, or keep it in an audit log.
    pub fn request_id(&self) -> Option<&str> {
        self.request_id.as_deref()
    }

    /// Requests sent for this call, retries included.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    fn of(value: ResponseValue<T>, record: &Record) -> Self {
        Self {
            status: value.status().as_u16(),
            headers: value.headers().clone(),
            request_id: record.request_id(),
            attempts: record.attempts,
            value: value.into_inner(),
        }
    }
}

/// One call: `.await` it, or set [`options`](Self::options) first. Nothing
/// is sent until it is awaited; dropping it (or its future) at any point
/// cancels it cleanly (see [`Client`](crate::Client)).
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<F> {
    total: Duration,
    request: Result<F>,
    options: CallOptions,
}

impl<F> std::fmt::Debug for Call<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<F, T> Call<F>
where
    F: Future<Output = std::result::Result<ResponseValue<T>, ApiError>>,
    T: DeserializeOwned,
{
    /// A call of `request` (or of nothing, when its inputs were refused)
    /// with the client's total timeout.
    pub(crate) fn new(total: Duration, request: Result<F>) -> Self {
        Self {
            total,
            request,
            options: CallOptions::default(),
        }
    }

    /// Sets every option of this call.
    pub fn options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Runs the call and returns its value with the status, headers and
    /// `Request-ID` of the answer.
    pub fn with_metadata(self) -> CallFuture<F, T, Response<T>> {
        CallFuture::new(
            limits(&self.options, self.total),
            self.request,
            Response::of,
        )
    }
}

impl<F, T> IntoFuture for Call<F>
where
    F: Future<Output = std::result::Result<ResponseValue<T>, ApiError>>,
    T: DeserializeOwned,
{
    type Output = Result<T>;
    type IntoFuture = CallFuture<F, T, T>;

    #[inline(always)] // the request is large: built in the caller's place
    fn into_future(self) -> Self::IntoFuture {
        let limits = limits(&self.options, self.total);
        CallFuture::new(limits, self.request, |value, _| value.into_inner())
    }
}

pin_project_lite::pin_project! {
    /// The future of a [`Call`]: the generated request in the call's scope,
    /// then its value or its error, mapped with what the call saw.
    #[must_use = "futures do nothing unless polled"]
    pub struct CallFuture<F: Future, T, O> {
        #[pin]
        scoped: Option<Scoped<F>>,
        refused: Option<Error>,
        finish: fn(ResponseValue<T>, &Record) -> O,
    }
}

impl<F: Future, T, O> std::fmt::Debug for CallFuture<F, T, O> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallFuture").finish_non_exhaustive()
    }
}

impl<F: Future, T, O> CallFuture<F, T, O> {
    #[inline(always)] // the request is large: built in the caller's place
    fn new(
        limits: Result<Limits>,
        request: Result<F>,
        finish: fn(ResponseValue<T>, &Record) -> O,
    ) -> Self {
        // Built in place: the request is large, and each move of it is a
        // copy (a tuple of both results would be one more).
        let refused = |e| Self {
            scoped: None,
            refused: Some(e),
            finish,
        };
        match request {
            Ok(request) => match limits {
                Ok(limits) => Self {
                    scoped: Some(scope::scoped(limits, request)),
                    refused: None,
                    finish,
                },
                Err(e) => refused(e),
            },
            Err(e) => refused(e),
        }
    }
}

impl<F, T, O> Future for CallFuture<F, T, O>
where
    F: Future<Output = std::result::Result<ResponseValue<T>, ApiError>>,
    T: DeserializeOwned,
{
    type Output = Result<O>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<O>> {
        let mut this = self.project();
        let Some(mut scoped) = this.scoped.as_mut().as_pin_mut() else {
            let again = || Error::invalid("call", "polled again after it completed");
            return Poll::Ready(Err(this.refused.take().unwrap_or_else(again)));
        };
        let output = ready!(scoped.as_mut().poll(cx));
        let record = scope::record_of(scoped).unwrap_or_default();
        this.scoped.set(None);
        Poll::Ready(match output {
            Ok(value) => Ok((this.finish)(value, &record)),
            Err(e) => Err(map(e, &record, crate::decode::path_of::<T>)),
        })
    }
}

/// The generated client's error as ours, without a call's record: the
/// request id comes from the response (when Pine Labs echoes it), and no
/// excerpt of a body is kept.
impl From<ApiError> for Error {
    fn from(error: ApiError) -> Self {
        let bare = Record {
            timeout: crate::config::Timeouts::default().attempt,
            ..Record::default()
        };
        map(error, &bare, |_| None)
    }
}

/// The one mapping of the generated client's error, with what the call saw.
/// `path` finds where a success body fails to decode (the caller knows the
/// type).
fn map(error: ApiError, record: &Record, path: fn(&[u8]) -> Option<(String, String)>) -> Error {
    use pinelabs_api::Error as E;
    match error {
        E::CommunicationError(e) | E::ResponseBodyError(e) | E::InvalidUpgrade(e) => {
            transport(e, record)
        }
        E::ErrorResponse(body) => {
            let (status, headers) = (body.status().as_u16(), body.headers().clone());
            api_error(Ok(body.into_inner()), status, &headers, record)
        }
        E::UnexpectedResponse(response) => {
            let (status, headers) = (response.status().as_u16(), response.headers().clone());
            // The pipeline read the body already: it is in memory.
            let body = response.bytes().now_or_never().and_then(|b| b.ok());
            let why = format!("undocumented status {status}");
            api_error(
                said(&body.unwrap_or_default(), why, record),
                status,
                &headers,
                record,
            )
        }
        E::InvalidResponsePayload(bytes, e) => {
            // Tells the drift monitor, which checks the body when it drops.
            pinelabs_api::drift::note();
            match record.status.filter(|s| *s >= 400) {
                Some(status) => {
                    let why = "the error body is not Pine Labs' documented JSON shape".to_owned();
                    api_error(said(&bytes, why, record), status, &HeaderMap::new(), record)
                }
                None => {
                    let (at, why) = path(&bytes).unwrap_or_else(|| (".".into(), e.to_string()));
                    Error::decode(at, why, &bytes, record.secret(), record.request_id())
                }
            }
        }
        E::InvalidRequest(why) | E::Custom(why) => Error::invalid("request", why),
    }
}

/// `Error::Timeout` after `after`.
fn timeout(record: &Record, after: Duration) -> Error {
    Error::Timeout {
        after,
        request_id: record.request_id(),
        attempts: record.attempts,
        retry_budget_exhausted: record.budget_exhausted,
    }
}

/// A failure to send or to read: the pipeline's own (no token), the body
/// limit, a timeout, or the transport.
fn transport(e: reqwest::Error, record: &Record) -> Error {
    if let Some(unsent) = pinelabs_http::carried::<Error>(&e) {
        return unsent.clone();
    }
    if let Some(too_large) = pinelabs_http::carried::<pinelabs_http::BodyTooLarge>(&e) {
        return Error::ResponseTooLarge {
            limit: too_large.limit,
            request_id: record.request_id(),
        };
    }
    if e.is_timeout() {
        return timeout(record, record.timeout);
    }
    let cause = pinelabs_http::TransportCause::of(&e);
    Error::Transport {
        cause,
        message: cause.message(&e),
        request_id: record.request_id(),
        retry_budget_exhausted: record.budget_exhausted,
        source: std::sync::Arc::new(e.without_url()),
    }
}

/// What an error answer said: Pine Labs' documented error body, or else a
/// description and the start of the body (when the call's record allows an
/// excerpt: it knows the token to leave out).
type Said = Result<ErrorResponse, (String, Option<String>)>;

/// `bytes` as the documented shape, or undocumented with `message`.
fn said(bytes: &[u8], message: String, record: &Record) -> Said {
    serde_json::from_slice(bytes).map_err(|_| {
        // Only with a record of the pipeline's, which knows the token.
        let excerpt =
            (record.attempts > 0).then(|| pinelabs_http::excerpt(bytes, &[record.secret()]));
        (message, excerpt)
    })
}

/// `Error::Api` with the status, and the `Request-ID` of the call (or of the
/// response, where the call has none).
fn api_error(said: Said, status: u16, headers: &HeaderMap, record: &Record) -> Error {
    let (code, message, details, excerpt) = match said {
        Ok(body) => (
            Some(body.code),
            body.message,
            body.additional_error_details.map(Box::new),
            None,
        ),
        Err((message, excerpt)) => (None, message, None, excerpt),
    };
    let echoed = || headers.get("request-id")?.to_str().ok().map(str::to_owned);
    Error::Api {
        status,
        code,
        message,
        details,
        excerpt,
        retry_after: pinelabs_http::retry_after(headers),
        request_id: record.request_id().or_else(echoed),
        retry_budget_exhausted: record.budget_exhausted,
    }
}
