//! Configuration: environments, base URLs, timeouts and limits.

use std::time::Duration;

use pinelabs_api::spec::SERVERS;

use crate::error::{Error, Result};

/// Pine Labs' UAT (test) environment: the spec's first server.
const UAT_BASE_URL: &str = SERVERS[0].url;
/// Pine Labs' production environment: the spec's second server.
const PRODUCTION_BASE_URL: &str = SERVERS[1].url;

/// The default [`ClientBuilder::max_response_bytes`](crate::ClientBuilder::max_response_bytes):
/// 4 MiB, about 2,000 tokens in one list.
pub(crate) const DEFAULT_MAX_RESPONSE_BYTES: usize = 4 * 1024 * 1024;

/// Which Pine Labs Online deployment to talk to.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Environment {
    /// UAT, Pine Labs' test environment (the spec's first server,
    /// `https://pluraluat.v2.pinepg.in`). The default, so that nobody
    /// reaches production by accident.
    #[default]
    Uat,
    /// Production (the spec's second server, `https://api.pluralpay.in`).
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
        pinelabs_http::base_url(raw).map_err(|why| Error::invalid("base_url", why))
    }
}

/// Time limits of a call.
///
/// Build one from the defaults: `Timeouts::default().total(Duration::from_secs(5))`.
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

impl Timeouts {
    /// Sets the limit on establishing a connection.
    pub fn connect(mut self, connect: Duration) -> Self {
        self.connect = connect;
        self
    }

    /// Sets the limit on one attempt.
    pub fn attempt(mut self, attempt: Duration) -> Self {
        self.attempt = attempt;
        self
    }

    /// Sets the limit on a whole call, retries included.
    pub fn total(mut self, total: Duration) -> Self {
        self.total = total;
        self
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
        // The rules themselves are pinelabs-http's (`connect::tests`); here,
        // that a custom URL goes through them and a refusal is an input error.
        assert!(
            Environment::Custom("http://127.0.0.1:8080".into())
                .base_url()
                .is_ok()
        );
        let refused = Environment::Custom("http://10.0.0.1".into()).base_url();
        assert!(
            matches!(
                refused,
                Err(Error::InvalidInput {
                    field: "base_url",
                    ..
                })
            ),
            "{refused:?}"
        );
        assert_eq!(
            Environment::Custom("https://x.example/api/".into())
                .base_url()
                .ok()
                .as_deref(),
            Some("https://x.example/api")
        );
    }
}
