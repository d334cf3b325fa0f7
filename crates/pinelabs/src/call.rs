//! One call with its per-call options: [`Call`], [`CallOptions`] and the
//! [`Response`] metadata of a success.
//!
//! Every call of the client is a [`Call`]: `.await` it as it is, or narrow
//! what the client would do first. Options can only narrow: a shorter
//! deadline, fewer attempts. None of them makes a call retry where the
//! client would not (a delete is still never retried after a `500`).
//!
//! ```no_run
//! # async fn run(client: pinelabs::Client) -> pinelabs::Result<()> {
//! use std::time::Duration;
//!
//! let tokens = client.list_tokens("cust-1").await?;
//! let answer = client
//!     .list_tokens("cust-1")
//!     .timeout(Duration::from_millis(800))
//!     .request_id("order-7781-list")
//!     .header("x-correlation-id", "order-7781")
//!     .with_metadata()
//!     .await?;
//! println!("{} {:?}", answer.status(), answer.request_id());
//! # Ok(()) }
//! ```

use std::{future::IntoFuture, pin::Pin, time::Duration};

use pinelabs_api::{ResponseValue, types::RequestId};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::{
    error::{ApiError, Error, Result},
    map::{Context, map_with_body},
    monitor::Monitor,
    telemetry::{self, ErrorType},
    transport::{CallLimits, CallState, Transport},
};

/// Headers a call may not set: the middleware, the generated client or
/// the HTTP stack own them (`Request-ID` has its own option).
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

/// Options of one call, all unset by default (the client's settings
/// apply). Set them on a [`Call`] directly, or build a set once and pass it
/// with [`Call::options`].
///
/// ```
/// use std::time::Duration;
/// let options = pinelabs::CallOptions::default()
///     .timeout(Duration::from_secs(2))
///     .no_retries()
///     .header("x-tenant", "north");
/// ```
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct CallOptions {
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    max_attempts: Option<u32>,
    request_id: Option<String>,
    headers: Vec<(String, String)>,
}

impl CallOptions {
    /// The whole call, retries included, must end within `timeout` (or the
    /// client's total timeout, if shorter). Then it is [`Error::Timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The whole call must end by `deadline` (a `tokio::time::Instant`;
    /// `Instant::from_std` converts a `std` one).
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// At most `attempts` requests (the first included), if fewer than the
    /// client's [`RetryPolicy`](crate::RetryPolicy) allows.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// Sends once: no retry at all.
    pub fn no_retries(self) -> Self {
        self.max_attempts(1)
    }

    /// The `Request-ID` to send (on every attempt) instead of a fresh UUID:
    /// the service's own, for correlation. 1 to 50 characters.
    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// An extra header on every attempt. Checked when the call is made: a
    /// valid name and value, and not one the client sets itself
    /// (`Authorization`, `Request-ID`, `Content-Type`, ...).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The limits the middleware applies, checked before anything is sent.
    fn limits(&self, client_total: Duration) -> Result<CallLimits> {
        let now = Instant::now();
        let mut deadline = now + client_total;
        if let Some(timeout) = self.timeout {
            if timeout.is_zero() {
                return Err(Error::invalid("timeout", "must be greater than zero"));
            }
            deadline = deadline.min(now + timeout);
        }
        if let Some(at) = self.deadline {
            deadline = deadline.min(at);
        }
        if self.max_attempts == Some(0) {
            return Err(Error::invalid("max_attempts", "must be at least 1"));
        }
        Ok(CallLimits {
            deadline,
            total: deadline.saturating_duration_since(now),
            max_attempts: self.max_attempts,
            request_id: self.request_id.as_deref().map(request_id).transpose()?,
            headers: self.header_map()?,
        })
    }

    fn header_map(&self) -> Result<HeaderMap> {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| Error::invalid("header", format!("`{name}` is not a header name")))?;
            if RESERVED.contains(&name.as_str()) {
                return Err(Error::invalid(
                    "header",
                    format!("`{name}` is set by the client; use the call's own option for it"),
                ));
            }
            let value = HeaderValue::try_from(value.as_str()).map_err(|_| {
                Error::invalid(
                    "header",
                    format!("the value of `{name}` is not a header value"),
                )
            })?;
            map.append(name, value);
        }
        Ok(map)
    }
}

/// Header values may be credentials of the service's own: `Debug` shows
/// their names only.
impl std::fmt::Debug for CallOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("CallOptions")
            .field("timeout", &self.timeout)
            .field("deadline", &self.deadline)
            .field("max_attempts", &self.max_attempts)
            .field("request_id", &self.request_id)
            .field("headers", &names)
            .finish()
    }
}

/// A caller's `Request-ID`, checked against the spec's `RequestId`.
fn request_id(id: &str) -> Result<HeaderValue> {
    RequestId::try_from(id).map_err(|e| Error::invalid("request_id", e.to_string()))?;
    HeaderValue::try_from(id).map_err(|_| Error::invalid("request_id", "must be visible ASCII"))
}

/// A successful call's value, with the status, the headers and the
/// `Request-ID` it was sent with.
#[derive(Debug)]
#[non_exhaustive]
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
}

/// One call: `.await` it, or set options first. Nothing is sent until it
/// is awaited; dropping it (or its future) at any point cancels it cleanly
/// (see [`Client`](crate::Client)).
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'a, F> {
    transport: &'a Transport,
    request: Result<F>,
    options: CallOptions,
}

impl<F> std::fmt::Debug for Call<'_, F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl<'a, F, T> Call<'a, F>
where
    F: Future<Output = std::result::Result<ResponseValue<T>, ApiError>> + Send + 'a,
    T: DeserializeOwned + Send + 'a,
{
    /// A call of `request` (or of nothing, when its inputs were refused).
    pub(crate) fn new(transport: &'a Transport, request: Result<F>) -> Self {
        Self {
            transport,
            request,
            options: CallOptions::default(),
        }
    }

    /// See [`CallOptions::timeout`].
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.options = self.options.timeout(timeout);
        self
    }

    /// See [`CallOptions::deadline`].
    pub fn deadline(mut self, deadline: Instant) -> Self {
        self.options = self.options.deadline(deadline);
        self
    }

    /// See [`CallOptions::max_attempts`].
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.options = self.options.max_attempts(attempts);
        self
    }

    /// See [`CallOptions::no_retries`].
    pub fn no_retries(mut self) -> Self {
        self.options = self.options.no_retries();
        self
    }

    /// See [`CallOptions::request_id`].
    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.options = self.options.request_id(request_id);
        self
    }

    /// See [`CallOptions::header`].
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.options = self.options.header(name, value);
        self
    }

    /// Replaces every option at once.
    pub fn options(mut self, options: CallOptions) -> Self {
        self.options = options;
        self
    }

    /// Runs the call and returns its value with the status, headers and
    /// `Request-ID` of the answer.
    pub async fn with_metadata(self) -> Result<Response<T>> {
        self.run(Response::of).await
    }

    /// Runs the call; `output` makes the success's result (only the
    /// metadata path copies the headers).
    async fn run<O>(self, output: impl FnOnce(ResponseValue<T>, &CallState) -> O) -> Result<O> {
        let limits = self.options.limits(self.transport.timeouts.total)?;
        let request = self.request?;
        let call = CallState::new(limits);
        let (result, notes) = call.scope(pinelabs_api::drift::watch(request)).await;
        inspect(&self.transport.monitor, &call, notes, &result);
        let result = match result {
            Ok(value) => Ok(output(value, &call)),
            Err(e) => {
                let cx = Context::of(&call, self.transport);
                // Boxed: the rare path adds nothing to every call's future.
                Err(Box::pin(map_with_body::<T>(e, cx)).await)
            }
        };
        record(&call, result.as_ref().err());
        result
    }
}

/// Hands the call's answer to the drift monitor, with the notes its decoding
/// made and whether the generated client could not decode it.
fn inspect<T>(
    monitor: &Monitor,
    call: &CallState,
    notes: u32,
    result: &std::result::Result<T, ApiError>,
) {
    let mut seen = call.outcome();
    let (Some(operation), Some(status), Some(body)) =
        (seen.operation, seen.status, seen.body.take())
    else {
        return;
    };
    drop(seen);
    let failed = matches!(
        result,
        Err(ApiError::InvalidResponsePayload(..) | ApiError::UnexpectedResponse(_))
    );
    monitor.inspect(operation, status, &body, notes, failed);
}

impl<T> Response<T> {
    fn of(value: ResponseValue<T>, call: &CallState) -> Self {
        let outcome = call.outcome();
        Self {
            status: value.status().as_u16(),
            headers: value.headers().clone(),
            request_id: outcome.request_id.clone(),
            attempts: outcome.attempts,
            value: value.into_inner(),
        }
    }
}

/// Records the call's end on its span, when someone listens.
fn record(call: &CallState, error: Option<&Error>) {
    let Some(span) = call.existing_span().filter(|s| !s.is_disabled()) else {
        return;
    };
    let _entered = span.enter();
    match error {
        None => tracing::debug!("pinelabs call succeeded"),
        Some(e) => {
            telemetry::record_error(&span, ErrorType::of_error(e));
            tracing::warn!(error = %e, "pinelabs call failed");
        }
    }
}

impl<'a, F, T> IntoFuture for Call<'a, F>
where
    F: Future<Output = std::result::Result<ResponseValue<T>, ApiError>> + Send + 'a,
    T: DeserializeOwned + Send + 'a,
{
    type Output = Result<T>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run(|value, _| value.into_inner()))
    }
}
