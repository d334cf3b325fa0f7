//! Bearer tokens: the token with its expiry, and a cache that fetches one
//! at a time for every caller.

use std::{
    fmt,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use futures_util::future::{BoxFuture, FutureExt, Shared, WeakShared};
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::policy::{exponential, jitter};

/// How long before its expiry a token is replaced.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// The shared failure's backoff after the first failed fetch; it doubles
/// per failure in a row, up to 30 s.
const FAILURE_BACKOFF: Duration = Duration::from_secs(1);
const MAX_FAILURE_BACKOFF: Duration = Duration::from_secs(30);

/// A bearer token and, if known, when to stop using it.
///
/// Cheap to clone (shared). The `Authorization` header value is built once,
/// marked sensitive, when the token is created; `Debug` never shows the
/// token.
///
/// ```
/// let token = pinelabs_http::AccessToken::new("t0ken");
/// assert!(token.is_fresh() && !format!("{token:?}").contains("t0ken"));
/// ```
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
        Self::with_refresh(secret.into(), None)
    }

    /// A token that expires `lifetime` from now. It is considered stale 60 s
    /// before that (or at half its lifetime, if shorter).
    pub fn expiring_in(secret: impl Into<String>, lifetime: Duration) -> Self {
        let refresh_in = lifetime.saturating_sub(REFRESH_MARGIN.min(lifetime / 2));
        Self::with_refresh(secret.into(), Some(Instant::now() + refresh_in))
    }

    fn with_refresh(secret: String, refresh_at: Option<Instant>) -> Self {
        let bearer = HeaderValue::try_from(format!("Bearer {secret}")).ok();
        let bearer = bearer.map(|mut value| {
            value.set_sensitive(true);
            value
        });
        let secret = SecretString::from(secret);
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
    pub fn bearer(&self) -> Option<&HeaderValue> {
        self.inner.bearer.as_ref()
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fresh_for = self.inner.refresh_at;
        let fresh_for = fresh_for.map(|at| at.saturating_duration_since(Instant::now()));
        f.debug_struct("AccessToken")
            .field("secret", &"[REDACTED]")
            .field("fresh_for", &fresh_for)
            .finish()
    }
}

/// A token fetched by one flight at a time, kept while it is fresh; a
/// failed fetch is kept too, for a jittered backoff (about 1 s after the
/// first failure, doubling to 30 s), and every caller gets it at once
/// instead of fetching again: an outage costs a few fetches, not one per
/// caller.
///
/// **Single flight, safe to cancel.** A fetch is one shared future that
/// every waiting caller polls: a caller that is dropped leaves it running
/// for the others, and when the last waiter is dropped the fetch is dropped
/// with it. No task runs in the background and no lock is held across an
/// `.await`.
pub struct TokenCache<E> {
    state: Arc<Mutex<State<E>>>,
}

type Flight<E> = Shared<BoxFuture<'static, Result<AccessToken, E>>>;

struct State<E> {
    token: Option<AccessToken>,
    /// The last failure, the end of its backoff, and the failures in a row.
    failure: Option<(E, Instant, u32)>,
    flight: Option<WeakShared<BoxFuture<'static, Result<AccessToken, E>>>>,
}

impl<E> fmt::Debug for TokenCache<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCache").finish_non_exhaustive()
    }
}

impl<E> Default for TokenCache<E> {
    fn default() -> Self {
        let state = State {
            token: None,
            failure: None,
            flight: None,
        };
        Self {
            state: Arc::new(Mutex::new(state)),
        }
    }
}

impl<E: Clone + Send + Sync + 'static> TokenCache<E> {
    fn lock(&self) -> MutexGuard<'_, State<E>> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The cached token, if it is fresh.
    pub fn ready(&self) -> Option<AccessToken> {
        self.lock().token.clone().filter(AccessToken::is_fresh)
    }

    /// Forgets `rejected`, if it is the cached token.
    pub fn forget(&self, rejected: &AccessToken) {
        let mut state = self.lock();
        if let Some(token) = &state.token
            && token.expose_secret() == rejected.expose_secret()
        {
            state.token = None;
        }
    }

    /// A fresh token: the cached one, the shared failure while its backoff
    /// lasts, or the result of the fetch in flight, joined or started with
    /// `fetch`.
    pub async fn get(
        &self,
        fetch: impl FnOnce() -> BoxFuture<'static, Result<AccessToken, E>>,
    ) -> Result<AccessToken, E> {
        let flight: Flight<E> = {
            let mut state = self.lock();
            if let Some(token) = state.token.as_ref().filter(|t| t.is_fresh()) {
                return Ok(token.clone());
            }
            if let Some((e, until, _)) = &state.failure
                && Instant::now() < *until
            {
                return Err(e.clone());
            }
            match state.flight.as_ref().and_then(WeakShared::upgrade) {
                Some(flight) => flight,
                None => {
                    let remember = self.state.clone();
                    let fetched = fetch();
                    let flight = async move {
                        let result = fetched.await;
                        let mut state = remember.lock().unwrap_or_else(|e| e.into_inner());
                        state.remember(&result);
                        result
                    };
                    let flight = flight.boxed().shared();
                    state.flight = flight.downgrade();
                    flight
                }
            }
        };
        flight.await
    }
}

impl<E: Clone> State<E> {
    /// Keeps a fetched token, or the failure with its backoff.
    fn remember(&mut self, result: &Result<AccessToken, E>) {
        match result {
            Ok(token) => (self.token, self.failure) = (Some(token.clone()), None),
            Err(e) => {
                let consecutive = self.failure.as_ref().map_or(0, |f| f.2) + 1;
                let full = exponential(FAILURE_BACKOFF, consecutive, MAX_FAILURE_BACKOFF);
                let until = Instant::now() + jitter(full / 2, full);
                self.failure = Some((e.clone(), until, consecutive));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An hour-long token is fresh until 60 s before it expires, stale
    /// after; a short one is replaced at half its life (paused clock).
    #[tokio::test(start_paused = true)]
    async fn tokens_go_stale_within_the_margin_before_expiry() {
        assert!(AccessToken::new("t").is_fresh());
        let token = AccessToken::expiring_in("t", Duration::from_secs(3600));
        let short = AccessToken::expiring_in("t", Duration::from_secs(100));
        // The documented margin is 60 s (written out, not REFRESH_MARGIN).
        tokio::time::advance(Duration::from_secs(49)).await;
        assert!(short.is_fresh(), "51 s before a 100 s token expires");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(!short.is_fresh(), "past half of its life");
        tokio::time::advance(Duration::from_secs(3539 - 51)).await;
        assert!(token.is_fresh(), "61 s before expiry");
        tokio::time::advance(Duration::from_secs(2)).await;
        assert!(!token.is_fresh(), "59 s before expiry: inside the margin");
    }

    /// A failure is shared for its backoff, then a new fetch is made; a
    /// token is kept until it is forgotten.
    #[tokio::test(start_paused = true)]
    async fn failures_back_off_and_tokens_are_kept() {
        let cache = TokenCache::<&'static str>::default();
        let failed = cache.get(|| Box::pin(async { Err("down") })).await;
        assert_eq!(failed.err(), Some("down"));
        let shared = cache
            .get(|| Box::pin(async { Ok(AccessToken::new("t")) }))
            .await;
        assert_eq!(shared.err(), Some("down"), "within the backoff");
        tokio::time::advance(Duration::from_secs(1)).await;
        let fetched = cache
            .get(|| Box::pin(async { Ok(AccessToken::new("t")) }))
            .await;
        let token = fetched.expect("after the backoff");
        assert!(cache.ready().is_some());
        cache.forget(&token);
        assert!(cache.ready().is_none());
    }
}
