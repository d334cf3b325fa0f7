//! One call's options, as a caller sets them, and the limits they give.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::time::Instant;

use crate::scope::Limits;

/// An option a call cannot take: which one, and the rule it breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidOption {
    /// The option, e.g. `timeout`.
    pub field: &'static str,
    /// The rule it breaks.
    pub rule: String,
}

fn invalid(field: &'static str, rule: impl Into<String>) -> InvalidOption {
    let rule = rule.into();
    InvalidOption { field, rule }
}

/// Options of one call, all unset by default (the client's settings
/// apply). Options only narrow: a shorter deadline, fewer attempts. None of
/// them makes a call retry where the client would not (a delete is still
/// never retried after a `500`).
///
/// ```
/// use std::time::Duration;
/// let options = pinelabs_http::CallOptions::new()
///     .timeout(Duration::from_secs(2))
///     .max_attempts(1) // no retries
///     .header("x-tenant", "north");
/// ```
#[derive(Clone, Default)]
pub struct CallOptions {
    timeout: Option<Duration>,
    deadline: Option<Instant>,
    max_attempts: Option<u32>,
    request_id: Option<String>,
    headers: Vec<(String, String)>,
}

impl CallOptions {
    /// No option set.
    pub fn new() -> Self {
        Self::default()
    }

    /// The whole call, retries included, must end within `timeout` (or the
    /// client's total timeout, if shorter); then the call times out.
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

    /// At most `attempts` requests, the first included (`1`: no retry), if
    /// fewer than the client's [`RetryPolicy`](crate::RetryPolicy) allows.
    pub fn max_attempts(mut self, attempts: u32) -> Self {
        self.max_attempts = Some(attempts);
        self
    }

    /// The `Request-ID` to send (on every attempt) instead of a fresh UUID:
    /// the service's own, for correlation (the client checks it against its
    /// API's rule).
    pub fn request_id(mut self, request_id: impl Into<String>) -> Self {
        self.request_id = Some(request_id.into());
        self
    }

    /// An extra header on every attempt. Checked when the call is made: a
    /// valid name and value, and not one the client sets itself
    /// (`Authorization`, `Content-Type`, ...).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// The limits of a call, checked before anything is sent: the call's
    /// deadline within `client_total`, none of the `reserved` header names
    /// (lower case), and a request id that `request_id` accepts.
    pub fn limits(
        &self,
        client_total: Duration,
        reserved: &[&str],
        request_id: impl Fn(&str) -> Result<(), String>,
    ) -> Result<Limits, InvalidOption> {
        let now = Instant::now();
        let mut deadline = now + client_total;
        if let Some(timeout) = self.timeout {
            if timeout.is_zero() {
                return Err(invalid("timeout", "must be greater than zero"));
            }
            deadline = deadline.min(now + timeout);
        }
        deadline = self.deadline.map_or(deadline, |at| deadline.min(at));
        if self.max_attempts == Some(0) {
            return Err(invalid("max_attempts", "must be at least 1"));
        }
        let request_id = match &self.request_id {
            Some(id) => Some(
                request_id(id)
                    .and_then(|()| {
                        HeaderValue::try_from(id.as_str())
                            .map_err(|_| "must be visible ASCII".into())
                    })
                    .map_err(|rule| invalid("request_id", rule))?,
            ),
            None => None,
        };
        Ok(Limits {
            deadline,
            total: deadline.saturating_duration_since(now),
            max_attempts: self.max_attempts,
            request_id,
            headers: self.header_map(reserved)?,
            max_body: None,
        })
    }

    fn header_map(&self, reserved: &[&str]) -> Result<HeaderMap, InvalidOption> {
        let mut map = HeaderMap::new();
        for (name, value) in &self.headers {
            let name = HeaderName::try_from(name.as_str())
                .map_err(|_| invalid("header", format!("`{name}` is not a header name")))?;
            if reserved.contains(&name.as_str()) {
                return Err(invalid(
                    "header",
                    format!("`{name}` is set by the client; use the call's own option for it"),
                ));
            }
            let value = HeaderValue::try_from(value.as_str()).map_err(|_| {
                invalid(
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
