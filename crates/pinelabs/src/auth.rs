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

use futures_util::future::{FutureExt, Shared, WeakShared};
use pinelabs_api::{
    hooks::{Hooks, Middleware},
    types::{GrantType, TokenRequest, TokenResponse},
};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::{
    error::{Error, Result, TransportCause, transport_message},
    monitor::Monitor,
    retry::{exponential, jitter},
    telemetry, wire,
};
pub use pinelabs_api::hooks::BoxFuture;

/// The operationId of Pine Labs' token endpoint in the spec.
pub const TOKEN_OPERATION: &str = "generate_token";

/// The path of Pine Labs' token endpoint, from the spec (a build error if
/// the spec loses the operation).
#[allow(clippy::panic)] // evaluated at compile time only
pub const TOKEN_PATH: &str = match pinelabs_api::spec::path_of(TOKEN_OPERATION) {
    Some(path) => path,
    None => panic!("the spec has no generate_token operation"),
};

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

    /// Rejects empty credentials, before anything is sent.
    pub(crate) fn check(&self) -> Result<()> {
        let empty = match self {
            Credentials::AccessToken(token) => {
                token.expose_secret().is_empty().then_some("access token")
            }
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => (client_id.is_empty().then_some("client id")).or(client_secret
                .expose_secret()
                .is_empty()
                .then_some("client secret")),
            Credentials::Provider(_) => None,
        };
        match empty {
            Some(what) => Err(Error::invalid(
                "credentials",
                format!("the {what} is empty"),
            )),
            None => Ok(()),
        }
    }

    /// The provider; a client-credentials one reports the token answers'
    /// drift to `monitor`.
    pub(crate) fn into_provider(
        self,
        http: reqwest::Client,
        base_url: &str,
        monitor: Arc<Monitor>,
    ) -> Arc<dyn TokenProvider> {
        match self {
            Credentials::AccessToken(secret) => {
                Arc::new(StaticToken(AccessToken::from_parts(secret, None)))
            }
            Credentials::ClientCredentials {
                client_id,
                client_secret,
            } => Arc::new(
                ClientCredentials::new(
                    http,
                    format!("{base_url}{TOKEN_PATH}"),
                    client_id,
                    client_secret,
                )
                .watched_by(monitor),
            ),
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
/// The exchange is the spec's `generate_token` operation, sent through the
/// generated client once per fetch (no retry loop: the shared failure below
/// is the backoff).
///
/// A failed fetch is shared too: callers that waited on the flight get its
/// error, and for a short, jittered backoff (about 1 s after the first
/// failure, doubling to 30 s) every caller gets that error at once instead
/// of trying the token endpoint again. An outage costs a few token requests,
/// not one per caller, and adds no queueing latency.
///
/// **Single flight, safe to cancel.** The fetch is one shared future that
/// every waiting caller polls: a caller that is dropped (its call was
/// cancelled or ran out of time) leaves the fetch running for the others,
/// and when the last waiter is dropped the fetch is dropped with it. No
/// task runs in the background and no lock is held across an `.await`.
pub struct ClientCredentials {
    state: Arc<State>,
    flight: Mutex<Option<WeakShared<Flight>>>,
}

/// A fetch in flight: its token, or the failure every waiter shares.
type Flight = BoxFuture<'static, std::result::Result<AccessToken, Failure>>;

/// What a fetch needs and leaves behind: the credentials, the cached token
/// and the last failure.
struct State {
    http: reqwest::Client,
    token_url: String,
    client_id: String,
    client_secret: SecretString,
    cached: RwLock<Option<AccessToken>>,
    failure: Mutex<Option<Failure>>,
    /// The client's drift monitor, which checks the token answers too.
    monitor: Option<Arc<Monitor>>,
}

/// A failed fetch as an error: [`Error::Auth`] when the endpoint rejected
/// the credentials, else [`Error::TokenUnavailable`].
fn token_failure(reason: String, status: Option<u16>, cause: Option<TransportCause>) -> Error {
    match status {
        Some(s) if rejects_credentials(s) => Error::Auth { reason, status },
        _ => Error::TokenUnavailable {
            reason,
            status,
            cause,
        },
    }
}

/// Whether a token endpoint's status rejects the credentials: a 4xx other
/// than 408 and 429, which say "later", not "no". (Not to be confused with
/// [`NOT_PROCESSED_STATUSES`](crate::NOT_PROCESSED_STATUSES), the API's
/// answers that declined a request before acting.)
fn rejects_credentials(status: u16) -> bool {
    (400..500).contains(&status) && status != 408 && status != 429
}

/// What a token endpoint's error answer says, without its body: the status,
/// and the code and message when the answer is a JSON object with them
/// (Pine Labs' `code`/`message`, or OAuth's `error`/`error_description`).
fn refusal_reason(status: u16, body: &[u8]) -> String {
    let said = serde_json::from_slice::<serde_json::Value>(body).ok();
    let field = |names: [&str; 2]| names.iter().find_map(|n| said.as_ref()?.get(n)?.as_str());
    refusal(
        status,
        field(["code", "error"]),
        field(["message", "error_description"]),
    )
}

/// `it answered 422 CODE: message` (rejected credentials) or `the token
/// endpoint answered 503` (unavailable).
fn refusal(status: u16, code: Option<&str>, message: Option<&str>) -> String {
    let said = match (code, message) {
        (Some(code), Some(message)) => format!("{status} {code}: {message}"),
        (Some(one), None) | (None, Some(one)) => format!("{status}: {one}"),
        (None, None) => status.to_string(),
    };
    if rejects_credentials(status) {
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
        let full = exponential(FAILURE_BACKOFF, consecutive, MAX_FAILURE_BACKOFF);
        jitter(full / 2, full)
    }
}

impl fmt::Debug for ClientCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredentials")
            .field("token_url", &self.state.token_url)
            .field("client_id", &self.state.client_id)
            .field("client_secret", &"[REDACTED]")
            .finish_non_exhaustive()
    }
}

/// The token fields of an answer in any documented shape: the `data`
/// envelope, else the top level.
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
        Ok(AccessToken::from_parts(
            SecretString::from(token),
            lifetime.map(refresh_deadline),
        ))
    }
}

/// The generated client's hooks for one token exchange: sends once to the
/// configured token URL, caps the answer and keeps its status (the
/// generated error of an undecodable body does not carry it).
#[derive(Debug)]
struct Exchange {
    url: reqwest::Url,
    status: Mutex<Option<u16>>,
    /// The answer's body, kept for the drift monitor when there is one.
    body: Option<Mutex<Option<bytes::Bytes>>>,
}

impl Exchange {
    /// Hands the token answer to the drift monitor (its body never leaves
    /// the check: only the finding's kind and path do).
    fn inspect(&self, monitor: &Monitor, status: u16, notes: u32, failed: bool) {
        let body = self
            .body
            .as_ref()
            .and_then(|slot| slot.lock().unwrap_or_else(|e| e.into_inner()).take());
        if let (Some(body), Some(op)) = (body, pinelabs_api::spec::operation(TOKEN_OPERATION)) {
            monitor.inspect(op, status, &body, notes, failed);
        }
    }
}

impl Middleware for Exchange {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _operation_id: &'static str,
    ) -> BoxFuture<'a, std::result::Result<(), String>> {
        *request.url_mut() = self.url.clone();
        Box::pin(async { Ok(()) })
    }

    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        _operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let response = client.execute(request).await?;
            *self.status.lock().unwrap_or_else(|e| e.into_inner()) =
                Some(response.status().as_u16());
            let response = wire::cap_body(response, TOKEN_ANSWER_MAX_BYTES);
            let Some(slot) = &self.body else {
                return Ok(response);
            };
            let (response, body) = wire::buffered(response).await?;
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(body);
            Ok(response)
        })
    }
}

impl ClientCredentials {
    /// A provider that exchanges `client_id` and `client_secret` at
    /// `token_url` (normally the base URL followed by [`TOKEN_PATH`]).
    pub fn new(
        http: reqwest::Client,
        token_url: String,
        client_id: String,
        client_secret: SecretString,
    ) -> Self {
        let state = State {
            http,
            token_url,
            client_id,
            client_secret,
            cached: RwLock::new(None),
            failure: Mutex::new(None),
            monitor: None,
        };
        Self {
            state: Arc::new(state),
            flight: Mutex::new(None),
        }
    }

    /// The same provider, its answers checked by `monitor` (a client's).
    fn watched_by(mut self, monitor: Arc<Monitor>) -> Self {
        // Not shared yet: the state was made by `new` just before.
        if let Some(state) = Arc::get_mut(&mut self.state) {
            state.monitor = Some(monitor);
        }
        self
    }

    /// The fetch in flight, joined, or a new one; `None` when none is in
    /// flight and the last one left a token or a failure to use.
    fn join_or_start(&self) -> Option<Shared<Flight>> {
        let mut slot = self.flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(flight) = slot.as_ref().and_then(WeakShared::upgrade) {
            return Some(flight);
        }
        if self.state.ready().is_some() {
            return None;
        }
        let state = self.state.clone();
        let flight = async move { state.fetch_and_remember().await }
            .boxed()
            .shared();
        *slot = flight.downgrade();
        Some(flight)
    }
}

impl State {
    /// A fresh cached token, or the shared failure while its backoff lasts.
    fn ready(&self) -> Option<Result<AccessToken>> {
        if let Some(token) = self.fresh_cached() {
            return Some(Ok(token));
        }
        self.recent_failure().map(Err)
    }

    /// One fetch, counted, its outcome kept for the callers that come next.
    async fn fetch_and_remember(&self) -> std::result::Result<AccessToken, Failure> {
        let result = self.fetch().await;
        telemetry::token_fetch(result.as_ref().err().map_or("ok", Error::kind));
        self.remember(result)
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
    fn remember(&self, result: Result<AccessToken>) -> std::result::Result<AccessToken, Failure> {
        let mut failure = self.failure.lock().unwrap_or_else(|e| e.into_inner());
        let e = match result {
            Ok(token) => {
                *failure = None;
                *self.cached.write().unwrap_or_else(|e| e.into_inner()) = Some(token.clone());
                return Ok(token);
            }
            Err(e) => e,
        };
        let (reason, status, cause) = e.token_parts();
        let consecutive = failure.as_ref().map_or(0, |f| f.consecutive) + 1;
        let recorded = Failure {
            reason,
            status,
            cause,
            retry_at: tokio::time::Instant::now() + Failure::backoff(consecutive),
            consecutive,
        };
        *failure = Some(recorded.clone());
        Err(recorded)
    }

    fn fresh_cached(&self) -> Option<AccessToken> {
        let cached = self.cached.read().unwrap_or_else(|e| e.into_inner());
        cached.as_ref().filter(|t| t.is_fresh()).cloned()
    }

    /// One exchange: the spec's `generate_token`, sent once.
    async fn fetch(&self) -> Result<AccessToken> {
        let url = reqwest::Url::parse(&self.token_url)
            .map_err(|e| token_failure(format!("the token URL is not a URL ({e})"), None, None))?;
        let watched = self.monitor.as_ref().filter(|m| m.is_on());
        let exchange = Arc::new(Exchange {
            url,
            status: Mutex::new(None),
            body: watched.map(|_| Mutex::new(None)),
        });
        let base = self.token_url.strip_suffix(TOKEN_PATH);
        let api = pinelabs_api::Client::new_with_client(
            base.unwrap_or(&self.token_url),
            self.http.clone(),
            Hooks::new(exchange.clone()),
        );
        let body = TokenRequest::builder()
            .client_id(self.client_id.clone())
            .client_secret(self.client_secret.expose_secret().to_owned())
            .grant_type(GrantType::ClientCredentials);
        // Watched: notes made decoding the token answer are not the notes
        // of the call that happened to poll this fetch.
        let (sent, notes) =
            pinelabs_api::drift::watch(api.generate_token().body(body).send()).await;
        let status = *exchange.status.lock().unwrap_or_else(|e| e.into_inner());
        if let (Some(monitor), Some(status)) = (watched, status) {
            exchange.inspect(monitor, status, notes, sent.is_err());
        }
        let secret = self.client_secret.expose_secret();
        match sent {
            Ok(answer) => TokenFields::of(answer.into_inner())
                .into_token()
                .map_err(|why| token_failure(wire::redact(&why, &[secret]), status, None)),
            Err(e) => Err(failed(e, status, secret).await),
        }
    }
}

/// A failed exchange as an error, without the secret or the body.
async fn failed(
    error: pinelabs_api::Error<pinelabs_api::types::ErrorResponse>,
    status: Option<u16>,
    secret: &str,
) -> Error {
    use pinelabs_api::Error as E;
    let reason = match (error, status) {
        // Read by the exchange itself when the drift monitor keeps the body,
        // else by the generated code.
        (E::CommunicationError(e) | E::ResponseBodyError(e), _) if wire::is_body_limit(&e) => {
            format!("the token answer is larger than {TOKEN_ANSWER_MAX_BYTES} bytes")
        }
        (E::CommunicationError(e), _) => {
            let cause = TransportCause::of(&e);
            let reason = transport_message(cause, &e);
            let reason = format!("the token endpoint could not be reached: {reason}");
            return token_failure(wire::redact(&reason, &[secret]), None, Some(cause));
        }
        (E::ErrorResponse(body), Some(status)) => {
            refusal(status, Some(&body.code), Some(&body.message))
        }
        (E::UnexpectedResponse(response), Some(status)) => {
            refusal_reason(status, &response.bytes().await.unwrap_or_default())
        }
        (E::InvalidResponsePayload(body, _), Some(status)) if status >= 400 => {
            refusal_reason(status, &body)
        }
        (E::InvalidResponsePayload(_, e), _) => {
            format!("the token answer has no usable access_token ({e})")
        }
        (other, _) => format!("the token answer could not be read ({other})"),
    };
    token_failure(wire::redact(&reason, &[secret]), status, None)
}

impl TokenProvider for ClientCredentials {
    fn token(&self) -> BoxFuture<'_, Result<AccessToken>> {
        Box::pin(async move {
            // A flight that ends between the two looks leaves its result
            // to the next turn.
            loop {
                if let Some(ready) = self.state.ready() {
                    return ready;
                }
                if let Some(flight) = self.join_or_start() {
                    return flight.await.map_err(|failure| failure.error());
                }
            }
        })
    }

    fn ready_token(&self) -> Option<AccessToken> {
        self.state.fresh_cached()
    }

    fn invalidate(&self, rejected: &AccessToken) -> bool {
        let mut cached = self.state.cached.write().unwrap_or_else(|e| e.into_inner());
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
