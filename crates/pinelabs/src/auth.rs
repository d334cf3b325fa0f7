//! Authentication: where the bearer token comes from.
//!
//! * [`Credentials::access_token`]: a static bearer token you already have.
//! * [`Credentials::client_credentials`]: a client id and secret exchanged at
//!   the spec's `generate_token` operation (`POST /api/auth/v1/token`),
//!   through the same pipeline as every call; the token is cached,
//!   refreshed 60 s before it expires (single flight: concurrent callers
//!   share one fetch), and refreshed once more when a call answers `401`.
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
    sync::{Arc, Mutex},
    time::Duration,
};

pub use futures_util::future::BoxFuture;
use futures_util::future::{FutureExt, Shared, WeakShared};
use pinelabs_api::types::{GrantType, TokenRequest, TokenResponse};
use reqwest::header::{HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::{
    call::{self, Limits},
    error::{Error, Result, Unsent, redact},
    telemetry,
};

/// The most bytes of a token endpoint answer that are read.
const TOKEN_ANSWER_MAX_BYTES: usize = 64 * 1024;
/// How long before its expiry a cached token is replaced.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// The shared failure's backoff after the first failed fetch; it doubles
/// per failure in a row, up to [`MAX_FAILURE_BACKOFF`].
const FAILURE_BACKOFF: Duration = Duration::from_secs(1);
const MAX_FAILURE_BACKOFF: Duration = Duration::from_secs(30);

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

    /// A token that expires `lifetime` from now. It is considered stale 60 s
    /// before that (or at half its lifetime, if shorter).
    pub fn expiring_in(secret: impl Into<String>, lifetime: Duration) -> Self {
        let refresh_in = lifetime.saturating_sub(REFRESH_MARGIN.min(lifetime / 2));
        Self::from_parts(
            SecretString::from(secret.into()),
            Some(Instant::now() + refresh_in),
        )
    }

    fn from_parts(secret: SecretString, refresh_at: Option<Instant>) -> Self {
        let bearer = HeaderValue::try_from(format!("Bearer {}", secret.expose_secret()));
        let bearer = bearer.ok().map(|mut value| {
            value.set_sensitive(true);
            value
        });
        let inner = TokenInner {
            secret,
            bearer,
            refresh_at,
        };
        Self {
            inner: Arc::new(inner),
        }
    }

    /// The token itself. Handle with care: never log it.
    pub fn expose_secret(&self) -> &str {
        self.inner.secret.expose_secret()
    }

    /// Whether the token can still be used (it is not within the refresh
    /// margin of its expiry).
    pub fn is_fresh(&self) -> bool {
        self.inner.refresh_at.is_none_or(|at| Instant::now() < at)
    }

    /// The `Authorization: Bearer ...` value, marked sensitive; `None` when
    /// the token has characters a header cannot carry.
    pub(crate) fn bearer(&self) -> Option<&HeaderValue> {
        self.inner.bearer.as_ref()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fresh_for = self.inner.refresh_at;
        f.debug_struct("AccessToken")
            .field("secret", &"[REDACTED]")
            .field(
                "fresh_for",
                &fresh_for.map(|at| at.saturating_duration_since(Instant::now())),
            )
            .finish()
    }
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

    /// Called when Pine Labs refused `rejected` with a `401`. Return `true`
    /// when the next [`token`](Self::token) may return a different token, so
    /// that the call is resent once; the default returns `false`.
    fn invalidate(&self, rejected: &AccessToken) -> bool {
        let _ = rejected;
        false
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

    /// A client id and secret, exchanged for tokens at the spec's token
    /// operation.
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

    /// The client's source of tokens; empty credentials are refused before
    /// anything is sent. `total` bounds one token fetch.
    pub(crate) fn into_auth(self, total: Duration) -> Result<Auth> {
        let empty = |what: &str| {
            Err(Error::invalid(
                "credentials",
                format!("the {what} is empty"),
            ))
        };
        match self {
            Credentials::AccessToken(token) if token.expose_secret().is_empty() => {
                empty("access token")
            }
            Credentials::AccessToken(token) => {
                Ok(Auth::Static(AccessToken::from_parts(token, None)))
            }
            Credentials::ClientCredentials { client_id, .. } if client_id.is_empty() => {
                empty("client id")
            }
            Credentials::ClientCredentials { client_secret, .. }
                if client_secret.expose_secret().is_empty() =>
            {
                empty("client secret")
            }
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => Ok(Auth::Exchange(Arc::new(TokenCache {
                client_id,
                client_secret,
                total,
                state: Mutex::default(),
            }))),
            Credentials::Provider(provider) => Ok(Auth::Provider(provider)),
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

/// A client's source of tokens.
#[derive(Debug)]
pub(crate) enum Auth {
    Static(AccessToken),
    Exchange(Arc<TokenCache>),
    Provider(Arc<dyn TokenProvider>),
}

impl Auth {
    /// A token usable at once, without waiting: a static one, or a fresh
    /// cached one.
    pub(crate) fn ready(&self) -> Option<AccessToken> {
        match self {
            Auth::Static(token) => Some(token.clone()),
            Auth::Exchange(cache) => cache.lock().token.clone().filter(AccessToken::is_fresh),
            Auth::Provider(_) => None,
        }
    }

    /// A token to send; `api` makes the exchange, if there is one.
    pub(crate) async fn token(
        &self,
        api: &pinelabs_api::Client,
    ) -> std::result::Result<AccessToken, Unsent> {
        match self {
            Auth::Static(token) => Ok(token.clone()),
            Auth::Exchange(cache) => cache.get(api).await,
            Auth::Provider(provider) => provider.token().await.map_err(Unsent::of),
        }
    }

    /// After a `401` refused `rejected`: whether another token may come.
    pub(crate) fn invalidate(&self, rejected: &AccessToken) -> bool {
        match self {
            Auth::Static(_) => false,
            Auth::Exchange(cache) => {
                let mut state = cache.lock();
                let same = |t: &AccessToken| t.expose_secret() == rejected.expose_secret();
                if state.token.as_ref().is_some_and(same) {
                    state.token = None;
                }
                true
            }
            Auth::Provider(provider) => provider.invalidate(rejected),
        }
    }
}

/// The client-credentials token: cached, fetched by one flight at a time.
///
/// **Single flight, safe to cancel.** A fetch is one shared future that
/// every waiting caller polls: a caller that is dropped leaves it running
/// for the others, and when the last waiter is dropped the fetch is dropped
/// with it. No task runs in the background and no lock is held across an
/// `.await`.
///
/// **A shared failure.** A failed fetch is kept for a short, jittered
/// backoff (about 1 s after the first failure, doubling to 30 s): every
/// caller gets that error at once instead of trying the token endpoint
/// again, so an outage costs a few token requests, not one per caller. The
/// exchange is sent once per fetch; this backoff is its retry.
pub(crate) struct TokenCache {
    client_id: String,
    client_secret: SecretString,
    total: Duration,
    state: Mutex<CacheState>,
}

impl fmt::Debug for TokenCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

type Flight = BoxFuture<'static, std::result::Result<AccessToken, Unsent>>;

#[derive(Default)]
struct CacheState {
    token: Option<AccessToken>,
    /// The last failure, its backoff's end and the failures in a row.
    failure: Option<(Unsent, Instant, u32)>,
    flight: Option<WeakShared<Flight>>,
}

impl TokenCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached token, the shared failure while its backoff lasts, or the
    /// fetch in flight, joined or started.
    async fn get(
        self: &Arc<Self>,
        api: &pinelabs_api::Client,
    ) -> std::result::Result<AccessToken, Unsent> {
        let flight: Shared<Flight> = {
            let mut state = self.lock();
            if let Some(token) = state.token.as_ref().filter(|t| t.is_fresh()) {
                return Ok(token.clone());
            }
            if let Some((unsent, until, _)) = &state.failure
                && Instant::now() < *until
            {
                return Err(unsent.clone());
            }
            match state.flight.as_ref().and_then(WeakShared::upgrade) {
                Some(flight) => flight,
                None => {
                    let flight = self.clone().fetch(api.clone()).boxed().shared();
                    state.flight = flight.downgrade();
                    flight
                }
            }
        };
        flight.await
    }

    /// One fetch, counted, its outcome kept for the callers that come next.
    async fn fetch(
        self: Arc<Self>,
        api: pinelabs_api::Client,
    ) -> std::result::Result<AccessToken, Unsent> {
        let result = self.exchange(&api).await;
        let mut state = self.lock();
        match &result {
            Ok(token) => (state.token, state.failure) = (Some(token.clone()), None),
            Err(unsent) => {
                let consecutive = state.failure.as_ref().map_or(0, |f| f.2) + 1;
                let full =
                    pinelabs_http::exponential(FAILURE_BACKOFF, consecutive, MAX_FAILURE_BACKOFF);
                let until = Instant::now() + pinelabs_http::jitter(full / 2, full);
                state.failure = Some((unsent.clone(), until, consecutive));
            }
        }
        telemetry::token_fetch(result.as_ref().err());
        result
    }

    /// One exchange: the spec's `generate_token`, sent once, its answer
    /// capped and checked like any other.
    async fn exchange(
        &self,
        api: &pinelabs_api::Client,
    ) -> std::result::Result<AccessToken, Unsent> {
        let secret = self.client_secret.expose_secret();
        let body = TokenRequest::builder()
            .client_id(self.client_id.clone())
            .client_secret(secret.to_owned())
            .grant_type(GrantType::ClientCredentials);
        let limits = Limits {
            deadline: Instant::now() + self.total,
            total: self.total,
            max_attempts: Some(1),
            request_id: None,
            headers: HeaderMap::new(),
            max_body: Some(TOKEN_ANSWER_MAX_BYTES),
        };
        let answer = call::run(limits, api.generate_token().body(body).send());
        match answer.await {
            Ok(answer) => {
                let status = Some(answer.status());
                TokenFields::of(answer.into_inner())
                    .into_token()
                    .map_err(|why| Unsent::Unavailable {
                        reason: redact(&why, &[secret]),
                        status,
                        cause: None,
                    })
            }
            Err(e) => Err(refusal(e, secret)),
        }
    }
}

/// A failed exchange as a token failure, without the secret or the body.
fn refusal(error: Error, secret: &str) -> Unsent {
    let unavailable = |reason: String, status, cause| Unsent::Unavailable {
        reason: redact(&reason, &[secret]),
        status,
        cause,
    };
    match error {
        Error::Api {
            status,
            code,
            message,
            excerpt,
            ..
        } => {
            let said = match excerpt {
                None => said(status, code.as_deref(), Some(&message)),
                Some(body) => said_by(status, &body),
            };
            // A 4xx other than 408 and 429 ("later", not "no") refuses.
            if (400..500).contains(&status) && status != 408 && status != 429 {
                let reason = redact(&format!("it answered {said}"), &[secret]);
                Unsent::Refused {
                    reason,
                    status: Some(status),
                }
            } else {
                let reason = format!("the token endpoint answered {said}");
                unavailable(reason, Some(status), None)
            }
        }
        Error::Transport { cause, message, .. } => {
            let reason = format!("the token endpoint could not be reached: {message}");
            unavailable(reason, None, Some(cause))
        }
        Error::ResponseTooLarge { limit, .. } => {
            let reason = format!("the token answer is larger than {limit} bytes");
            unavailable(reason, None, None)
        }
        Error::Decode { message, .. } => {
            let reason = format!("the token answer has no usable access_token ({message})");
            unavailable(reason, None, None)
        }
        other => unavailable(other.to_string(), other.status(), None),
    }
}

/// `422 CODE: message`, `429: message` or `503`.
fn said(status: u16, code: Option<&str>, message: Option<&str>) -> String {
    match (code, message) {
        (Some(code), Some(message)) => format!("{status} {code}: {message}"),
        (Some(one), None) | (None, Some(one)) => format!("{status}: {one}"),
        (None, None) => status.to_string(),
    }
}

/// [`said`] of an undocumented body: its code and message when it is a JSON
/// object with them (OAuth's `error`/`error_description` too).
fn said_by(status: u16, body: &str) -> String {
    let value = serde_json::from_str::<serde_json::Value>(body).ok();
    let field = |names: [&str; 2]| names.iter().find_map(|n| value.as_ref()?.get(n)?.as_str());
    said(
        status,
        field(["code", "error"]),
        field(["message", "error_description"]),
    )
}

/// The token and its lifetime, from whichever documented shape the answer
/// has: top-level fields, or the same wrapped in `data`.
struct TokenFields {
    token: Option<String>,
    expires_at: Option<pinelabs_api::types::Timestamp>,
    expires_in: Option<serde_json::Value>,
}

impl TokenFields {
    fn of(answer: TokenResponse) -> Self {
        match answer.data {
            Some(data) if data.access_token.is_some() => Self {
                token: data.access_token,
                expires_at: data.expires_at,
                expires_in: data.expires_in,
            },
            _ => Self {
                token: answer.access_token,
                expires_at: answer.expires_at,
                expires_in: answer.expires_in,
            },
        }
    }

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
        let Some(at) = &self.expires_at else {
            return Ok(None);
        };
        let at = at
            .as_datetime()
            .ok_or("`expires_at` is not an ISO-8601 timestamp")?;
        Ok(Some(
            (at - chrono::Utc::now()).to_std().unwrap_or(Duration::ZERO),
        ))
    }

    fn into_token(self) -> std::result::Result<AccessToken, String> {
        let lifetime = self.lifetime()?;
        let token = self
            .token
            .ok_or("the token answer has no usable access_token")?;
        Ok(match lifetime {
            Some(lifetime) => AccessToken::expiring_in(token, lifetime),
            None => AccessToken::new(token),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lifetime(json: &str) -> Option<Duration> {
        let answer: TokenResponse = serde_json::from_str(json).expect("decodes");
        let fields = TokenFields::of(answer);
        assert_eq!(fields.token.as_deref(), Some("t"));
        fields.lifetime().expect("valid lifetime")
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

    /// An hour-long token is fresh until 60 s before it expires, stale
    /// after; a short one is replaced at half its life (paused clock).
    #[tokio::test(start_paused = true)]
    async fn tokens_go_stale_within_the_margin_before_expiry() {
        assert!(AccessToken::new("t").is_fresh());
        let token = AccessToken::expiring_in("t", Duration::from_secs(3600));
        let short = AccessToken::expiring_in("t", Duration::from_secs(100));
        // The documented margin is 60 s (written out, not REFRESH_MARGIN, so
        // that a changed margin fails here).
        tokio::time::advance(Duration::from_secs(49)).await;
        assert!(short.is_fresh(), "51 s before a 100 s token expires");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(!short.is_fresh(), "past half of its life");
        tokio::time::advance(Duration::from_secs(3539 - 51)).await;
        assert!(token.is_fresh(), "61 s before expiry");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(!token.is_fresh(), "59 s before expiry: inside the margin");
        assert!(!format!("{:?}", AccessToken::new("visible?")).contains("visible?"));
    }

    #[test]
    fn refusals_say_the_status_code_and_message() {
        assert_eq!(said(422, Some("C"), Some("m")), "422 C: m");
        assert_eq!(said_by(429, r#"{"error":"slow down"}"#), "429: slow down");
        assert_eq!(said_by(503, "<html>"), "503");
    }
}
