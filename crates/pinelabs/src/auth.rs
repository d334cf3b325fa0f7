//! Authentication: where the bearer token comes from.
//!
//! * [`Credentials::access_token`]: a static bearer token you already have.
//! * [`Credentials::client_credentials`]: a client id and secret exchanged at
//!   `POST /api/auth/v1/token`; the token is cached, refreshed 60 s before
//!   it expires (single-flight: concurrent callers share one refresh), and
//!   refreshed once more when an API call answers `401`.
//! * [`Credentials::provider`]: your own [`TokenProvider`], e.g. one that
//!   reads a vault.
//!
//! Secrets are held in [`secrecy::SecretString`]: `Debug` prints
//! `[REDACTED]`, and the `Authorization` header is marked sensitive so HTTP
//! tracing never prints it.
//!
//! ```
//! use pinelabs::auth::Credentials;
//!
//! let credentials = Credentials::client_credentials("my-client-id", "my-client-secret");
//! assert!(!format!("{credentials:?}").contains("my-client-secret"));
//! ```

use std::{
    fmt,
    sync::{Arc, Mutex, RwLock},
    time::Duration,
};

use tokio::time::Instant;

use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use crate::error::{Error, Result, TransportCause, transport_message};
pub use pinelabs_api::hooks::BoxFuture;

/// The path of Pine Labs' token endpoint.
pub const TOKEN_PATH: &str = "/api/auth/v1/token";

/// The most bytes of a token endpoint answer that are read.
pub const TOKEN_ANSWER_MAX_BYTES: usize = 64 * 1024;

/// How long before its expiry a cached token is replaced.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A bearer token and, if known, when to stop using it.
///
/// Cheap to clone (shared). The `Authorization` header value is built once,
/// marked sensitive, when the token is created.
#[derive(Clone)]
pub struct AccessToken {
    inner: Arc<TokenInner>,
}

struct TokenInner {
    secret: SecretString,
    /// `Bearer <secret>`, sensitive; `None` if the token cannot be a header.
    bearer: Option<HeaderValue>,
    refresh_at: Option<Instant>,
}

impl AccessToken {
    /// A token with no known expiry: it is used until a call answers `401`.
    pub fn new(secret: impl Into<String>) -> Self {
        Self::from_parts(SecretString::from(secret.into()), None)
    }

    /// A token that expires `lifetime` from now. It is considered stale
    /// [`REFRESH_MARGIN`] before that (or at half its lifetime, if shorter).
    pub fn expiring_in(secret: impl Into<String>, lifetime: Duration) -> Self {
        Self::from_parts(
            SecretString::from(secret.into()),
            Some(refresh_deadline(lifetime)),
        )
    }

    fn from_parts(secret: SecretString, refresh_at: Option<Instant>) -> Self {
        let bearer = HeaderValue::try_from(format!("Bearer {}", secret.expose_secret()))
            .ok()
            .map(|mut value| {
                value.set_sensitive(true);
                value
            });
        Self {
            inner: Arc::new(TokenInner {
                secret,
                bearer,
                refresh_at,
            }),
        }
    }

    /// The token itself. Handle with care: never log it.
    pub fn expose_secret(&self) -> &str {
        self.inner.secret.expose_secret()
    }

    /// The `Authorization: Bearer ...` value, marked sensitive; `None` when
    /// the token has characters a header cannot carry.
    pub(crate) fn bearer_header(&self) -> Option<HeaderValue> {
        self.inner.bearer.clone()
    }

    /// Whether the token can still be used (it is not within the refresh
    /// margin of its expiry).
    pub fn is_fresh(&self) -> bool {
        self.inner.refresh_at.is_none_or(|at| Instant::now() < at)
    }

    fn same_secret(&self, other: &AccessToken) -> bool {
        self.expose_secret() == other.expose_secret()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessToken")
            .field("secret", &"[REDACTED]")
            .field(
                "fresh_for",
                &self
                    .inner
                    .refresh_at
                    .map(|at| at.saturating_duration_since(Instant::now())),
            )
            .finish()
    }
}

/// When a token that lives `lifetime` from now should be replaced.
fn refresh_deadline(lifetime: Duration) -> Instant {
    Instant::now() + lifetime.saturating_sub(REFRESH_MARGIN.min(lifetime / 2))
}

/// A source of bearer tokens. Implement it to plug in your own (a vault, a
/// sidecar, a shared cache).
///
/// ```
/// use pinelabs::auth::{AccessToken, BoxFuture, TokenProvider};
///
/// #[derive(Debug)]
/// struct FromVault;
///
/// impl TokenProvider for FromVault {
///     fn token(&self) -> BoxFuture<'_, pinelabs::Result<AccessToken>> {
///         Box::pin(async { Ok(AccessToken::new("token-read-from-the-vault")) })
///     }
/// }
/// ```
pub trait TokenProvider: Send + Sync + fmt::Debug {
    /// A token to send now. Failures should be [`Error::Auth`] (the
    /// credentials were refused) or [`Error::TokenUnavailable`] (anything
    /// else; retryable).
    fn token(&self) -> BoxFuture<'_, Result<AccessToken>>;

    /// A token usable right now without waiting, if the provider holds one
    /// (a static token, a fresh cached one). The client asks this first and
    /// only awaits [`token`](Self::token) when it returns `None`; the
    /// default always returns `None`.
    fn ready_token(&self) -> Option<AccessToken> {
        None
    }

    /// Called when Pine Labs refused `rejected` with a `401`. Return `true`
    /// when the next [`token`](Self::token) may return a different token, so
    /// that the call is retried once; the default returns `false`.
    fn invalidate(&self, rejected: &AccessToken) -> bool {
        let _ = rejected;
        false
    }
}

/// A fixed token: never refreshed, so a `401` is returned to the caller.
#[derive(Debug, Clone)]
pub struct StaticToken(AccessToken);

impl StaticToken {
    /// Wraps the token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(AccessToken::new(token))
    }
}

impl TokenProvider for StaticToken {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken>> {
        Box::pin(async move { Ok(self.0.clone()) })
    }

    fn ready_token(&self) -> Option<AccessToken> {
        Some(self.0.clone())
    }
}

/// Where the client's tokens come from; given to
/// [`ClientBuilder::credentials`](crate::ClientBuilder::credentials).
#[derive(Clone)]
pub enum Credentials {
    /// A static bearer token.
    AccessToken(SecretString),
    /// A client id and secret for the client-credentials grant.
    ClientCredentials {
        /// The client id (not secret, but not logged either).
        client_id: String,
        /// The client secret.
        client_secret: SecretString,
    },
    /// A custom token source.
    Provider(Arc<dyn TokenProvider>),
}

impl Credentials {
    /// A static bearer token.
    pub fn access_token(token: impl Into<String>) -> Self {
        Self::AccessToken(SecretString::from(token.into()))
    }

    /// A client id and secret, exchanged for tokens at [`TOKEN_PATH`].
    pub fn client_credentials(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self::ClientCredentials {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
        }
    }

    /// Your own token provider.
    pub fn provider(provider: Arc<dyn TokenProvider>) -> Self {
        Self::Provider(provider)
    }

    pub(crate) fn into_provider(
        self,
        http: reqwest::Client,
        base_url: &str,
    ) -> Arc<dyn TokenProvider> {
        match self {
            Credentials::AccessToken(secret) => {
                Arc::new(StaticToken(AccessToken::from_parts(secret, None)))
            }
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => Arc::new(ClientCredentials::new(
                http,
                format!("{base_url}{TOKEN_PATH}"),
                client_id,
                client_secret,
            )),
            Credentials::Provider(provider) => provider,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::AccessToken(_) => f.write_str("Credentials::AccessToken([REDACTED])"),
            Credentials::ClientCredentials { client_id, .. } => f
                .debug_struct("Credentials::ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &"[REDACTED]")
                .finish(),
            Credentials::Provider(p) => f.debug_tuple("Credentials::Provider").field(p).finish(),
        }
    }
}

/// The client-credentials grant, with a cached, single-flight refreshed token.
///
/// A failed fetch is shared too: callers that waited on the flight get its
/// error, and for a short, jittered backoff (about 1 s after the first
/// failure, doubling to 30 s) every caller gets that error at once instead
/// of trying the token endpoint again. An outage costs a few token requests,
/// not one per caller, and adds no queueing latency.
pub struct ClientCredentials {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: SecretString,
    cached: RwLock<Option<AccessToken>>,
    refresh: tokio::sync::Mutex<()>,
    failure: Mutex<Option<Failure>>,
}

/// A failed fetch as an error: [`Error::Auth`] when the endpoint refused the
/// credentials (a 4xx other than 408 and 429), else
/// [`Error::TokenUnavailable`].
fn token_failure(reason: String, status: Option<u16>, cause: Option<TransportCause>) -> Error {
    match status {
        Some(s) if refuses(s) => Error::Auth { reason, status },
        _ => Error::TokenUnavailable {
            reason,
            status,
            cause,
        },
    }
}

/// Whether a token endpoint's status refuses the credentials (a 4xx other
/// than 408 and 429, which say "later", not "no").
fn refuses(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
}

/// What a token endpoint's error answer says, without its body: the status,
/// and the code and message when the answer is a JSON object with them.
fn refusal_reason(status: u16, body: &[u8], secret: &str) -> String {
    let said = serde_json::from_slice::<serde_json::Value>(body).ok();
    let field = |names: [&str; 2]| {
        names
            .iter()
            .find_map(|n| said.as_ref()?.get(n)?.as_str())
            .map(|v| crate::error::redact(v, &[secret]))
    };
    let code = field(["code", "error"]);
    let message = field(["message", "error_description"]);
    let said = match (code, message) {
        (Some(code), Some(message)) => format!("{status} {code}: {message}"),
        (Some(one), None) | (None, Some(one)) => format!("{status}: {one}"),
        (None, None) => status.to_string(),
    };
    if refuses(status) {
        format!("it answered {said}")
    } else {
        format!("the token endpoint answered {said}")
    }
}

/// The last failed fetch, shared until `retry_at`.
#[derive(Debug, Clone)]
struct Failure {
    reason: String,
    status: Option<u16>,
    cause: Option<TransportCause>,
    retry_at: tokio::time::Instant,
    consecutive: u32,
}

/// The negative cache after the first failure; doubles per failure.
pub const FAILURE_BACKOFF: Duration = Duration::from_secs(1);
/// The longest negative cache.
pub const MAX_FAILURE_BACKOFF: Duration = Duration::from_secs(30);

impl Failure {
    fn error(&self) -> Error {
        token_failure(self.reason.clone(), self.status, self.cause)
    }

    /// Jittered exponential backoff: a random time in `[d/2, d]` where
    /// `d = min(30 s, 1 s * 2^(n-1))` after the `n`-th failure in a row.
    fn backoff(consecutive: u32) -> Duration {
        let full = FAILURE_BACKOFF
            .saturating_mul(2u32.saturating_pow(consecutive.saturating_sub(1)))
            .min(MAX_FAILURE_BACKOFF);
        full / 2 + full.mul_f64(fastrand::f64() / 2.0)
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

#[derive(serde::Serialize)]
struct TokenRequest<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    grant_type: &'static str,
}

/// The documented token answers: `expires_at`, `expires_in`, or either
/// wrapped in `data`.
#[derive(Deserialize)]
#[serde(untagged)]
enum TokenEnvelope {
    Wrapped { data: TokenBody },
    Flat(TokenBody),
}

#[derive(Deserialize)]
struct TokenBody {
    access_token: SecretString,
    #[serde(default)]
    expires_at: Option<String>,
    #[serde(default)]
    expires_in: Option<serde_json::Value>,
}

impl TokenBody {
    /// How long the token lives, from `expires_in` (seconds, as a number or
    /// a numeric string) or `expires_at` (ISO-8601, any number of decimals).
    fn lifetime(&self) -> std::result::Result<Option<Duration>, String> {
        if let Some(v) = &self.expires_in {
            let secs = match v {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|s| s.is_finite() && *s >= 0.0)
            .ok_or_else(|| format!("`expires_in` is not a number of seconds: {v}"))?;
            return Ok(Some(Duration::from_secs_f64(secs.min(1e9))));
        }
        if let Some(at) = &self.expires_at {
            let at = chrono::DateTime::parse_from_rfc3339(at)
                .map_err(|e| format!("`expires_at` is not an ISO-8601 timestamp ({e})"))?;
            let left = at.with_timezone(&chrono::Utc) - chrono::Utc::now();
            return Ok(Some(left.to_std().unwrap_or(Duration::ZERO)));
        }
        Ok(None)
    }
}

impl ClientCredentials {
    /// A provider that exchanges `client_id` and `client_secret` at `token_url`.
    pub fn new(
        http: reqwest::Client,
        token_url: String,
        client_id: String,
        client_secret: SecretString,
    ) -> Self {
        Self {
            http,
            token_url,
            client_id,
            client_secret,
            cached: RwLock::new(None),
            refresh: tokio::sync::Mutex::new(()),
            failure: Mutex::new(None),
        }
    }

    /// The shared failure, while its backoff lasts.
    fn recent_failure(&self) -> Option<Error> {
        let failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        failure
            .as_ref()
            .filter(|f| tokio::time::Instant::now() < f.retry_at)
            .map(Failure::error)
    }

    /// Records the outcome of a fetch for the callers that come next.
    fn remember(&self, result: &Result<AccessToken>) {
        let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        match result {
            Ok(token) => {
                *failure = None;
                *self.cached.write().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
            }
            Err(e) => {
                let (reason, status, cause) = match e {
                    Error::Auth { reason, status, .. } => (reason.clone(), *status, None),
                    Error::TokenUnavailable {
                        reason,
                        status,
                        cause,
                        ..
                    } => (reason.clone(), *status, *cause),
                    other => (other.to_string(), None, None),
                };
                let consecutive = failure.as_ref().map_or(0, |f| f.consecutive) + 1;
                *failure = Some(Failure {
                    reason,
                    status,
                    cause,
                    retry_at: tokio::time::Instant::now() + Failure::backoff(consecutive),
                    consecutive,
                });
            }
        }
    }

    fn fresh_cached(&self) -> Option<AccessToken> {
        let cached = self.cached.read().unwrap_or_else(|e| e.into_inner());
        cached.as_ref().filter(|t| t.is_fresh()).cloned()
    }

    async fn fetch(&self) -> Result<AccessToken> {
        let secret = self.client_secret.expose_secret();
        let fail = |reason: String, status: Option<u16>| {
            token_failure(crate::error::redact(&reason, &[secret]), status, None)
        };
        let response = self
            .http
            .post(&self.token_url)
            .header(reqwest::header::ACCEPT, "application/json")
            .json(&TokenRequest {
                client_id: &self.client_id,
                client_secret: secret,
                grant_type: "client_credentials",
            })
            .send()
            .await
            .map_err(|e| {
                let cause = TransportCause::of(&e);
                let reason = format!(
                    "the token endpoint could not be reached: {}",
                    transport_message(cause, &e)
                );
                token_failure(crate::error::redact(&reason, &[secret]), None, Some(cause))
            })?;
        let status = response.status().as_u16();
        // A token answer is a few hundred bytes: read at most this much.
        let response = crate::transport::cap_body(response, TOKEN_ANSWER_MAX_BYTES);
        let body = response.bytes().await.map_err(|e| {
            let reason = if crate::error::is_body_limit(&e) {
                format!("the token answer is larger than {TOKEN_ANSWER_MAX_BYTES} bytes")
            } else {
                format!("the token answer could not be read ({e})")
            };
            fail(reason, Some(status))
        })?;
        if !(200..300).contains(&status) {
            return Err(fail(refusal_reason(status, &body, secret), Some(status)));
        }
        let body = match serde_json::from_slice::<TokenEnvelope>(&body) {
            Ok(TokenEnvelope::Wrapped { data } | TokenEnvelope::Flat(data)) => data,
            Err(e) => {
                return Err(fail(
                    format!("the token answer has no usable access_token ({e})"),
                    Some(status),
                ));
            }
        };
        let lifetime = body.lifetime().map_err(|e| fail(e, Some(status)))?;
        Ok(AccessToken::from_parts(
            body.access_token,
            lifetime.map(refresh_deadline),
        ))
    }
}

impl TokenProvider for ClientCredentials {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken>> {
        Box::pin(async move {
            if let Some(token) = self.fresh_cached() {
                return Ok(token);
            }
            if let Some(error) = self.recent_failure() {
                return Err(error);
            }
            // Single flight: one caller fetches, the others wait for it and
            // then share its outcome: the fresh token, or its failure.
            let _refreshing = self.refresh.lock().await;
            if let Some(token) = self.fresh_cached() {
                return Ok(token);
            }
            if let Some(error) = self.recent_failure() {
                return Err(error);
            }
            let result = self.fetch().await;
            crate::telemetry::token_fetch(match &result {
                Ok(_) => "ok",
                Err(Error::Auth { .. }) => "credentials_refused",
                Err(_) => "token_unavailable",
            });
            self.remember(&result);
            result
        })
    }

    fn ready_token(&self) -> Option<AccessToken> {
        self.fresh_cached()
    }

    fn invalidate(&self, rejected: &AccessToken) -> bool {
        let mut cached = self.cached.write().unwrap_or_else(|e| e.into_inner());

        if cached.as_ref().is_some_and(|c| c.same_secret(rejected)) {
            *cached = None;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifetime(json: &str) -> Option<Duration> {
        let envelope: TokenEnvelope = serde_json::from_str(json).expect("decodes");
        let (TokenEnvelope::Wrapped { data } | TokenEnvelope::Flat(data)) = envelope;
        data.lifetime().expect("valid lifetime")
    }

    #[test]
    fn every_documented_token_shape_decodes() {
        let in_an_hour = (chrono::Utc::now() + chrono::Duration::hours(1))
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let six = lifetime(&format!(
            r#"{{"access_token":"t","expires_at":"{in_an_hour}"}}"#
        ));
        assert!(six.is_some_and(|d| d > Duration::from_secs(3500)));
        let three = lifetime(r#"{"access_token":"t","expires_at":"2024-08-28T15:00:12.213Z"}"#);
        assert_eq!(three, Some(Duration::ZERO), "a past expiry means stale now");
        assert_eq!(
            lifetime(r#"{"access_token":"t","expires_in":3600}"#),
            Some(Duration::from_secs(3600))
        );
        assert_eq!(
            lifetime(r#"{"data":{"access_token":"t","expires_in":"60"}}"#),
            Some(Duration::from_secs(60))
        );
        assert_eq!(lifetime(r#"{"access_token":"t"}"#), None);
    }

    #[test]
    fn refresh_is_scheduled_60s_before_expiry() {
        let token = AccessToken::expiring_in("t", Duration::from_secs(3600));
        let refresh_in = token
            .inner
            .refresh_at
            .map(|at| at.saturating_duration_since(Instant::now()));
        assert!(
            refresh_in
                .is_some_and(|d| d <= Duration::from_secs(3540) && d > Duration::from_secs(3530))
        );
        // A token shorter-lived than twice the margin is refreshed at half-life.
        let short = AccessToken::expiring_in("t", Duration::from_secs(100));
        let refresh_in = short
            .inner
            .refresh_at
            .map(|at| at.saturating_duration_since(Instant::now()));
        assert!(
            refresh_in.is_some_and(|d| d <= Duration::from_secs(50) && d > Duration::from_secs(40))
        );
    }

    /// An hour-long token is fresh until 60 s before it expires, stale
    /// after (paused clock).
    #[tokio::test(start_paused = true)]
    async fn tokens_go_stale_within_the_margin_before_expiry() {
        assert!(AccessToken::new("t").is_fresh());
        let token = AccessToken::expiring_in("t", Duration::from_secs(3600));
        // The documented margin is 60 s (written out, not REFRESH_MARGIN, so
        // that a changed margin fails here).
        tokio::time::advance(Duration::from_secs(3539)).await;
        assert!(token.is_fresh(), "61 s before expiry");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(!token.is_fresh(), "59 s before expiry: inside the margin");
        assert!(!format!("{:?}", AccessToken::new("visible?")).contains("visible?"));
    }
}
