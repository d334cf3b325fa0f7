//! Configuration: environments, timeouts and the retry policy.

use std::time::Duration;

use pinelabs_api::spec::SERVERS;

use crate::error::{Error, Result};

/// Base URL of Pine Labs' UAT (test) environment: the spec's first server.
pub const UAT_BASE_URL: &str = SERVERS[0].url;
/// Base URL of Pine Labs' production environment: the spec's second server.
pub const PRODUCTION_BASE_URL: &str = SERVERS[1].url;

/// The statuses after which an idempotent call (a `GET`, say) is retried:
/// the request may be resent whatever the server did with it.
pub const RETRYABLE_STATUSES: &[u16] = &[408, 429, 500, 502, 503, 504];

/// The statuses where the server refused before acting (the spec gives both
/// a `Retry-After`): the only ones after which a non-idempotent call (the
/// delete `POST`) is retried.
pub const REFUSED_STATUSES: &[u16] = &[429, 503];

/// The default [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes):
/// 4 MiB, about 2,000 tokens in one list.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Which Pine Labs Online deployment to talk to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Environment {
    /// UAT, Pine Labs' test environment ([`UAT_BASE_URL`]). The default, so
    /// that nobody reaches production by accident.
    #[default]
    Uat,
    /// Production ([`PRODUCTION_BASE_URL`]).
    Production,
    /// Any other base URL, e.g. a sandbox. It must be `https`, or `http` on a
    /// loopback host (`127.0.0.0/8`, `::1`, `localhost`).
    Custom(String),
}

impl Environment {
    /// The base URL, checked: `https`, or `http` on loopback only, and with no
    /// trailing slash.
    pub fn base_url(&self) -> Result<String> {
        let raw = match self {
            Environment::Uat => UAT_BASE_URL,
            Environment::Production => PRODUCTION_BASE_URL,
            Environment::Custom(url) => url,
        };
        check_base_url(raw)
    }
}

fn check_base_url(raw: &str) -> Result<String> {
    let url = url::Url::parse(raw)
        .map_err(|e| Error::invalid("base_url", format!("`{raw}` is not a URL ({e})")))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(Error::invalid(
                "base_url",
                format!(
                    "`{raw}` is plain http on a non-loopback host, so the access token would travel in clear text; use https"
                ),
            ));
        }
        other => {
            return Err(Error::invalid(
                "base_url",
                format!("scheme `{other}` is not supported; use https"),
            ));
        }
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::invalid(
            "base_url",
            "a base URL has no query or fragment",
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Time limits of a call.
///
/// Build one from the defaults: `Timeouts::default().with_total(Duration::from_secs(5))`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Limit on establishing a connection. Default 5 s.
    pub connect: Duration,
    /// Limit on one attempt, from sending to the end of the body. Default 10 s.
    pub attempt: Duration,
    /// Limit on the whole call, retries and backoff included: when it passes,
    /// the call fails with [`Error::Timeout`]. Default 30 s.
    pub total: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            connect: Duration::from_secs(5),
            attempt: Duration::from_secs(10),
            total: Duration::from_secs(30),
        }
    }
}

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
///   server) and [`REFUSED_STATUSES`] (the server refused before
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

impl Timeouts {
    /// Sets the limit on establishing a connection.
    pub fn with_connect(mut self, connect: Duration) -> Self {
        self.connect = connect;
        self
    }

    /// Sets the limit on one attempt.
    pub fn with_attempt(mut self, attempt: Duration) -> Self {
        self.attempt = attempt;
        self
    }

    /// Sets the limit on a whole call, retries included.
    pub fn with_total(mut self, total: Duration) -> Self {
        self.total = total;
        self
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
        let exp = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)));
        let cap = exp.min(self.max_backoff);
        let nanos = u64::try_from(cap.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(fastrand::u64(0..=nanos))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_https_or_loopback_http() {
        assert_eq!(
            Environment::Uat.base_url().ok().as_deref(),
            Some(UAT_BASE_URL)
        );
        assert_eq!(
            Environment::Production.base_url().ok().as_deref(),
            Some(PRODUCTION_BASE_URL)
        );
        for ok in [
            "http://127.0.0.1:8080",
            "http://127.1.2.3:1/",
            "http://[::1]:9000",
            "http://localhost:1234",
            "https://pine.example/prefix/",
        ] {
            assert!(
                Environment::Custom(ok.into()).base_url().is_ok(),
                "{ok} should be accepted"
            );
        }
        for bad in [
            "http://pluraluat.v2.pinepg.in",
            "http://10.0.0.1",
            "http://localhost.evil.example",
            "ftp://127.0.0.1",
            "not a url",
            "https://x.example/?q=1",
        ] {
            let err = Environment::Custom(bad.into()).base_url();
            assert!(
                matches!(
                    err,
                    Err(Error::InvalidInput {
                        field: "base_url",
                        ..
                    })
                ),
                "{bad} should be refused"
            );
        }
        assert_eq!(
            Environment::Custom("https://x.example/api/".into())
                .base_url()
                .ok()
                .as_deref(),
            Some("https://x.example/api")
        );
    }

    /// The base URLs are the spec's servers, in the order the constants assume.
    #[test]
    fn base_urls_are_the_specs_servers() {
        assert!(SERVERS[0].description.contains("UAT"), "{:?}", SERVERS[0]);
        assert!(
            SERVERS[1].description.contains("Production"),
            "{:?}",
            SERVERS[1]
        );
    }

    /// Every documented 5xx and 429 is retried for idempotent calls, and
    /// every refusal status is one that every operation documents.
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
        for status in REFUSED_STATUSES {
            assert!(RETRYABLE_STATUSES.contains(status));
            for op in spec {
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
}
