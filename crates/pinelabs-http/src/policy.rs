//! What is retried and how long to wait: the policy, the status lists, the
//! classifier and the one source of backoff jitter. Whether to retry is
//! kept apart from how long to wait.

use std::time::{Duration, SystemTime};

use reqwest::{Method, StatusCode, header::HeaderMap};

/// The statuses after which an idempotent request (a `GET`, say) is
/// retried: it may be resent whatever the server did with it.
pub const RETRYABLE_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504];

/// The statuses that say the server **did not process** the request (it
/// declined before acting): the only ones after which a non-idempotent
/// request (a `POST`) is retried.
pub const NOT_PROCESSED_STATUSES: &[u16] = &[429, 503];

/// When and how a failed attempt is retried.
///
/// ```
/// use std::time::Duration;
/// let policy = pinelabs_http::RetryPolicy::default()
///     .max_attempts(5)
///     .initial_backoff(Duration::from_millis(50));
/// assert_eq!(policy.max_attempts, 5);
/// ```
///
/// Backoff is exponential with *full jitter*: before retry `n` (1-based)
/// the client sleeps a random time in `0..=min(max_backoff, initial_backoff
/// * 2^(n-1))`. A `Retry-After` header (seconds or HTTP date) replaces that
/// delay, capped at `max_retry_after`.
///
/// What is retried depends on whether the request is idempotent:
///
/// * **idempotent** (GET, HEAD, PUT, DELETE, OPTIONS): connect errors,
///   attempt timeouts, connections closed before the answer, and
///   [`RETRYABLE_STATUSES`];
/// * **the others** (POST, PATCH): only where the request provably did not
///   take effect: connect errors (nothing reached the server) and
///   [`NOT_PROCESSED_STATUSES`]. A 500, 502, 504, a timeout or a connection
///   closed before the answer may come after the server acted, so those are
///   returned to the caller. Every retry resends the same bytes.
///
/// A `401` is not retried by the policy: the caller may refresh its
/// credentials and resend once (see [`Attempts::send`](crate::Attempts::send)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Attempts in all, the first included. `1` disables retries. Default 3.
    pub max_attempts: u32,
    /// Base of the exponential backoff. Default 100 ms.
    pub initial_backoff: Duration,
    /// Upper bound of one backoff delay. Default 2 s.
    pub max_backoff: Duration,
    /// Upper bound of a delay taken from `Retry-After`. Default 10 s.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// Sets the attempts in all (`1` disables retries).
    pub fn max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the base of the exponential backoff.
    pub fn initial_backoff(mut self, initial_backoff: Duration) -> Self {
        self.initial_backoff = initial_backoff;
        self
    }

    /// Sets the upper bound of one backoff delay.
    pub fn max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Sets the upper bound of a delay taken from `Retry-After`.
    pub fn max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// The delay before retry number `retry` (1-based): the answer's
    /// `Retry-After` (capped) if it has one, else the full-jitter backoff.
    pub fn delay(&self, retry: u32, headers: Option<&HeaderMap>) -> Duration {
        match headers.and_then(retry_after) {
            Some(asked) => asked.min(self.max_retry_after),
            None => jitter(
                Duration::ZERO,
                exponential(self.initial_backoff, retry, self.max_backoff),
            ),
        }
    }
}

/// `initial * 2^(n-1)`, at most `max` (`n` is 1-based).
pub fn exponential(initial: Duration, n: u32, max: Duration) -> Duration {
    initial
        .saturating_mul(2u32.saturating_pow(n.saturating_sub(1)))
        .min(max)
}

/// A uniformly random duration in `[low, high]`: the one source of jitter.
pub fn jitter(low: Duration, high: Duration) -> Duration {
    let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let (low, high) = (nanos(low), nanos(high));
    Duration::from_nanos(fastrand::u64(low.min(high)..=high))
}

/// The `Retry-After` in `headers` as a delay: delta-seconds or an HTTP date
/// (a date in the past is no delay).
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Whether a request may be resent after an ambiguous failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// Resending is harmless: retry transport errors, timeouts and
    /// [`RETRYABLE_STATUSES`].
    Idempotent,
    /// Resending may repeat an effect: retry only where the request
    /// provably was not processed (connect errors, [`NOT_PROCESSED_STATUSES`]).
    OnlyIfNotProcessed,
}

impl Retry {
    /// From the HTTP method: GET, HEAD, PUT, DELETE and OPTIONS are
    /// idempotent (RFC 9110, 9.2.2); POST and PATCH are not.
    pub fn for_method(method: &Method) -> Self {
        let idempotent = [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
        ];
        if idempotent.contains(method) {
            Retry::Idempotent
        } else {
            Retry::OnlyIfNotProcessed
        }
    }

    /// Whether an attempt's result may be retried. A connect error means
    /// nothing reached the server; a timeout or a connection closed before
    /// the answer may come after the server acted, so only idempotent
    /// requests retry those.
    pub fn allows(self, result: &reqwest::Result<reqwest::Response>) -> bool {
        match result {
            Ok(response) => self.status(response.status()),
            Err(e) => {
                e.is_connect() || (self == Retry::Idempotent && (e.is_timeout() || e.is_request()))
            }
        }
    }

    fn status(self, status: StatusCode) -> bool {
        let statuses = match self {
            Retry::Idempotent => RETRYABLE_STATUSES,
            Retry::OnlyIfNotProcessed => NOT_PROCESSED_STATUSES,
        };
        statuses.contains(&status.as_u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_full_jitter_within_the_exponential_cap() {
        let policy = RetryPolicy::default();
        for retry in 1..=10 {
            let cap = (policy.initial_backoff * 2u32.pow(retry - 1)).min(policy.max_backoff);
            for _ in 0..50 {
                assert!(policy.delay(retry, None) <= cap);
            }
        }
        let delays: std::collections::BTreeSet<_> =
            (0..20).map(|_| policy.delay(3, None)).collect();
        assert!(delays.len() > 1, "full jitter spreads the delays");
    }

    fn with_retry_after(value: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            reqwest::header::RETRY_AFTER,
            reqwest::header::HeaderValue::from_static(value),
        );
        headers
    }

    #[test]
    fn retry_after_takes_seconds_and_http_dates_and_is_capped() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(5));
        assert_eq!(
            policy.delay(1, Some(&with_retry_after("3"))),
            Duration::from_secs(3)
        );
        assert_eq!(
            policy.delay(1, Some(&with_retry_after("60"))),
            Duration::from_secs(5)
        );
        let past = with_retry_after("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(retry_after(&past), Some(Duration::ZERO));
        assert_eq!(retry_after(&with_retry_after("soon")), None);
        let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let mut future = HeaderMap::new();
        future.insert(
            reqwest::header::RETRY_AFTER,
            date.parse().expect("header value"),
        );
        assert!(retry_after(&future).is_some_and(|d| d > Duration::from_secs(100)));
    }

    #[test]
    fn jitter_and_exponential_stay_in_their_range() {
        let (low, high) = (Duration::from_millis(500), Duration::from_secs(1));
        for _ in 0..100 {
            let d = jitter(low, high);
            assert!(d >= low && d <= high, "{d:?}");
        }
        assert_eq!(jitter(high, high), high);
        let s = Duration::from_secs;
        assert_eq!(exponential(s(1), 6, s(30)), s(30));
        assert_eq!(exponential(s(1), 3, s(30)), s(4));
    }

    #[test]
    fn retry_safety_follows_the_method() {
        assert_eq!(Retry::for_method(&Method::GET), Retry::Idempotent);
        assert_eq!(Retry::for_method(&Method::PUT), Retry::Idempotent);
        assert_eq!(Retry::for_method(&Method::POST), Retry::OnlyIfNotProcessed);
        assert_eq!(Retry::for_method(&Method::PATCH), Retry::OnlyIfNotProcessed);
        assert!(Retry::OnlyIfNotProcessed.status(StatusCode::SERVICE_UNAVAILABLE));
        assert!(!Retry::OnlyIfNotProcessed.status(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(Retry::Idempotent.status(StatusCode::INTERNAL_SERVER_ERROR));
        assert!(!Retry::Idempotent.status(StatusCode::NOT_FOUND));
    }
}
