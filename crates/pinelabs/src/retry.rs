//! The retry rules: the policy, the status lists, the classifier of what
//! may be retried, and the one source of backoff jitter. How long to wait is
//! kept apart from whether to retry.
//!
//! The bottom layer: nothing here imports another module of the crate.

use std::time::Duration;

use reqwest::{Method, StatusCode};

/// The statuses after which an idempotent call (a `GET`, say) is retried:
/// the request may be resent whatever the server did with it.
pub const RETRYABLE_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504];

/// The statuses that say the server **did not process** the request (it
/// declined before acting; the spec gives both a `Retry-After`): the only
/// ones after which a non-idempotent call (the delete `POST`) is retried.
pub const NOT_PROCESSED_STATUSES: &[u16] = &[429, 503];

/// The former name of [`NOT_PROCESSED_STATUSES`].
#[deprecated(
    since = "0.2.0",
    note = "renamed NOT_PROCESSED_STATUSES: \"refused\" now only means refused credentials"
)]
pub const REFUSED_STATUSES: &[u16] = NOT_PROCESSED_STATUSES;

/// When and how a failed attempt is retried.
///
/// Build one from the defaults:
///
/// ```
/// use std::time::Duration;
/// let policy = pinelabs::RetryPolicy::default()
///     .with_max_attempts(5)
///     .with_initial_backoff(Duration::from_millis(50));
/// assert_eq!(policy.max_attempts, 5);
/// ```
///
/// Backoff is exponential with *full jitter*: before retry `n` (1-based) the
/// client sleeps a random time in `0..=min(max_backoff, initial_backoff *
/// 2^(n-1))`. A `Retry-After` header (seconds or HTTP date) replaces that
/// delay, capped at `max_retry_after`.
///
/// What is retried depends on whether the operation is idempotent:
///
/// * **idempotent** operations (GET, HEAD, PUT, DELETE, OPTIONS: the list):
///   connect errors, attempt timeouts, connections closed before the answer,
///   and [`RETRYABLE_STATUSES`];
/// * **the others** (POST, PATCH: the delete): only where the request
///   provably did not take effect: connect errors (nothing reached the
///   server) and [`NOT_PROCESSED_STATUSES`] (the server refused before
///   processing). A 500, 502, 504, a timeout or a connection closed before
///   the answer may come after the token was
///   deleted, so those are returned to the caller. Every retry resends the
///   same body (so the same `merchant_unique_reference`) and the same
///   `Request-ID`.
///
/// The method's rule can be overridden per operation with
/// [`ClientBuilder::idempotent`](crate::ClientBuilder::idempotent).
///
/// When the credentials can be refreshed, a `401` (nothing was processed)
/// triggers a token refresh and a resend: the first one of a call on top of
/// these attempts, a further one (the fresh token was revoked meanwhile) as
/// one of them.
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
    pub fn with_max_attempts(mut self, max_attempts: u32) -> Self {
        self.max_attempts = max_attempts;
        self
    }

    /// Sets the base of the exponential backoff.
    pub fn with_initial_backoff(mut self, initial_backoff: Duration) -> Self {
        self.initial_backoff = initial_backoff;
        self
    }

    /// Sets the upper bound of one backoff delay.
    pub fn with_max_backoff(mut self, max_backoff: Duration) -> Self {
        self.max_backoff = max_backoff;
        self
    }

    /// Sets the upper bound of a delay taken from `Retry-After`.
    pub fn with_max_retry_after(mut self, max_retry_after: Duration) -> Self {
        self.max_retry_after = max_retry_after;
        self
    }

    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The full-jitter backoff before retry number `retry` (1-based).
    pub fn backoff(&self, retry: u32) -> Duration {
        jitter(
            Duration::ZERO,
            exponential(self.initial_backoff, retry, self.max_backoff),
        )
    }
}

/// `initial * 2^(n-1)`, at most `max` (`n` is 1-based).
pub(crate) fn exponential(initial: Duration, n: u32, max: Duration) -> Duration {
    initial
        .saturating_mul(2u32.saturating_pow(n.saturating_sub(1)))
        .min(max)
}

/// A uniformly random duration in `[low, high]`: the one source of jitter.
pub(crate) fn jitter(low: Duration, high: Duration) -> Duration {
    let nanos = |d: Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    let (low, high) = (nanos(low), nanos(high));
    Duration::from_nanos(fastrand::u64(low.min(high)..=high))
}

/// Whether an operation may be resent after an ambiguous failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Retry {
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
    pub(crate) fn for_method(method: &Method) -> Self {
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

    /// Whether an answer with `status` may be retried.
    pub(crate) fn status(self, status: StatusCode) -> bool {
        let statuses = match self {
            Retry::Idempotent => RETRYABLE_STATUSES,
            Retry::OnlyIfNotProcessed => NOT_PROCESSED_STATUSES,
        };
        statuses.contains(&status.as_u16())
    }

    /// Whether a transport failure may be retried. A connect error means
    /// nothing reached the server. A timeout or a connection closed before
    /// the answer may come after the server acted, so only idempotent calls
    /// retry those.
    pub(crate) fn error(self, error: &reqwest::Error) -> bool {
        error.is_connect()
            || (self == Retry::Idempotent && (error.is_timeout() || error.is_request()))
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
                assert!(policy.backoff(retry) <= cap);
            }
        }
        // Full jitter spreads the delays: not all equal to the cap.
        let delays: std::collections::BTreeSet<_> = (0..20).map(|_| policy.backoff(3)).collect();
        assert!(delays.len() > 1);
    }

    /// Every documented 5xx and 429 is retried for idempotent calls, and
    /// every not-processed status is one that every authenticated operation
    /// documents (the token endpoint documents neither 429 nor 503).
    #[test]
    fn status_lists_agree_with_the_spec() {
        let spec = pinelabs_api::spec::OPERATIONS;
        assert!(!spec.is_empty());
        for op in spec {
            for (status, _) in pinelabs_api::spec::documented_errors(op.operation_id) {
                if status >= 500 || status == 429 {
                    assert!(
                        RETRYABLE_STATUSES.contains(&status),
                        "{} documents {status}, which is not retried",
                        op.operation_id
                    );
                }
            }
        }
        for status in NOT_PROCESSED_STATUSES {
            assert!(RETRYABLE_STATUSES.contains(status));
            for op in spec.iter().filter(|op| op.authenticated) {
                assert!(
                    pinelabs_api::spec::documented_errors(op.operation_id)
                        .any(|(s, _)| s == *status),
                    "{} does not document {status}",
                    op.operation_id
                );
            }
        }
    }

    #[test]
    fn jitter_stays_in_its_range() {
        let (low, high) = (Duration::from_millis(500), Duration::from_secs(1));
        for _ in 0..100 {
            let d = jitter(low, high);
            assert!(d >= low && d <= high, "{d:?}");
        }
        assert_eq!(jitter(high, high), high);
        assert_eq!(
            exponential(Duration::from_secs(1), 6, Duration::from_secs(30)),
            Duration::from_secs(30)
        );
        assert_eq!(
            exponential(Duration::from_secs(1), 3, Duration::from_secs(30)),
            Duration::from_secs(4)
        );
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
    }
}
