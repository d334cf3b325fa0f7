//! Authentication: where the bearer token comes from.
//!
//! * [`Credentials::access_token`]: a static bearer token you already have.
//! * [`Credentials::client_credentials`]: a client id and secret exchanged at
//!   the spec's `generate_token` operation (`POST /api/auth/v1/token`),
//!   through the same pipeline as every call, sent once per fetch; the token
//!   is cached, refreshed 60 s before it expires, fetched once for every
//!   caller waiting on it, a failure shared for a short backoff (its retry;
//!   `pinelabs_http::TokenCache`), and refreshed once more when a call
//!   answers `401`.
//! * [`Credentials::provider`]: your own [`TokenProvider`], e.g. one that
//!   reads a vault.
//!
//! Secrets never print: `Debug` shows `[REDACTED]`, and the `Authorization`
//! header is marked sensitive so HTTP tracing never prints it.
//!
//! ```
//! use pinelabs::auth::Credentials;
//!
//! let credentials = Credentials::client_credentials("my-client-id", "my-client-secret");
//! assert!(!format!("{credentials:?}").contains("my-client-secret"));
//! ```

use std::{fmt, sync::Arc, time::Duration};

pub use futures_util::future::BoxFuture;
use pinelabs_api::types::{GrantType, TokenRequest};
pub use pinelabs_http::AccessToken;
use pinelabs_http::{TokenCache, redact, scope::Limits};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::{
    call,
    error::{Error, Result},
    telemetry,
};

/// The most bytes of a token endpoint answer that are read.
const TOKEN_ANSWER_MAX_BYTES: usize = 64 * 1024;

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
/// [`ClientBuilder::credentials`](crate::ClientBuilder::credentials). A
/// clone shares its cached token.
#[derive(Clone)]
pub struct Credentials(Source);

#[derive(Clone)]
enum Source {
    Static(AccessToken),
    Exchange {
        client_id: String,
        client_secret: SecretString,
        cache: Arc<TokenCache<Error>>,
    },
    Provider(Arc<dyn TokenProvider>),
}

impl Credentials {
    /// A static bearer token, never refreshed: a `401` is returned to the
    /// caller.
    pub fn access_token(token: impl Into<String>) -> Self {
        Self(Source::Static(AccessToken::new(token)))
    }

    /// A client id and secret, exchanged for tokens at the spec's token
    /// operation.
    pub fn client_credentials(
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        Self(Source::Exchange {
            client_id: client_id.into(),
            client_secret: SecretString::from(client_secret.into()),
            cache: Arc::default(),
        })
    }

    /// Your own token provider.
    pub fn provider(provider: Arc<dyn TokenProvider>) -> Self {
        Self(Source::Provider(provider))
    }

    /// Refuses empty credentials, before anything is sent.
    pub(crate) fn check(&self) -> Result<()> {
        let empty = match &self.0 {
            Source::Static(token) => token.expose_secret().is_empty().then_some("access token"),
            Source::Exchange { client_id, .. } if client_id.is_empty() => Some("client id"),
            Source::Exchange { client_secret, .. } => client_secret
                .expose_secret()
                .is_empty()
                .then_some("client secret"),
            Source::Provider(_) => None,
        };
        match empty {
            Some(what) => Err(Error::invalid(
                "credentials",
                format!("the {what} is empty"),
            )),
            None => Ok(()),
        }
    }

    /// A token usable at once, without waiting: a static one, or a fresh
    /// cached one.
    pub(crate) fn ready(&self) -> Option<AccessToken> {
        match &self.0 {
            Source::Static(token) => Some(token.clone()),
            Source::Exchange { cache, .. } => cache.ready(),
            Source::Provider(_) => None,
        }
    }

    /// A token to send; `api` makes the exchange (bounded by `total`), if
    /// there is one.
    pub(crate) async fn token(
        &self,
        api: &pinelabs_api::Client,
        total: Duration,
    ) -> Result<AccessToken> {
        match &self.0 {
            Source::Static(token) => Ok(token.clone()),
            Source::Exchange {
                client_id,
                client_secret,
                cache,
            } => {
                let (api, id, secret) = (api.clone(), client_id.clone(), client_secret.clone());
                let fetch = move || -> BoxFuture<'static, Result<AccessToken>> {
                    Box::pin(async move { exchange(&api, &id, &secret, total).await })
                };
                cache.get(fetch).await
            }
            Source::Provider(provider) => provider.token().await,
        }
    }

    /// After a `401` refused `rejected`: whether another token may come.
    pub(crate) fn invalidate(&self, rejected: &AccessToken) -> bool {
        match &self.0 {
            Source::Static(_) => false,
            Source::Exchange { cache, .. } => {
                cache.forget(rejected);
                true
            }
            Source::Provider(provider) => provider.invalidate(rejected),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Source::Static(_) => f.write_str("Credentials::AccessToken([REDACTED])"),
            Source::Exchange { client_id, .. } => f
                .debug_struct("Credentials::ClientCredentials")
                .field("client_id", client_id)
                .field("client_secret", &"[REDACTED]")
                .finish(),
            Source::Provider(p) => f.debug_tuple("Credentials::Provider").field(p).finish(),
        }
    }
}

/// One exchange: the spec's `generate_token`, sent once (the cache's shared
/// failure is its retry), its answer capped and checked like any other,
/// counted.
async fn exchange(
    api: &pinelabs_api::Client,
    client_id: &str,
    secret: &SecretString,
    total: Duration,
) -> Result<AccessToken> {
    let secret = secret.expose_secret();
    let body = TokenRequest::builder()
        .client_id(client_id)
        .client_secret(secret)
        .grant_type(GrantType::ClientCredentials);
    let limits = Limits {
        deadline: Instant::now() + total,
        total,
        max_attempts: Some(1),
        request_id: None,
        headers: Default::default(),
        max_body: Some(TOKEN_ANSWER_MAX_BYTES),
    };
    let fetched = match call::run(limits, api.generate_token().body(body).send()).await {
        Ok(answer) => {
            let status = Some(answer.status());
            pinelabs_api::token::issued(answer.into_inner()).map_err(|why| {
                let reason = redact(&why, &[secret]);
                Error::TokenUnavailable {
                    reason,
                    status,
                    cause: None,
                }
            })
        }
        Err(e) => Err(refusal(e, secret)),
    };
    telemetry::token_fetch(fetched.as_ref().err());
    let issued = fetched?;
    Ok(match issued.lifetime {
        Some(lifetime) => AccessToken::expiring_in(issued.token, lifetime),
        None => AccessToken::new(issued.token),
    })
}

/// A failed exchange as a token failure, without the secret or the body:
/// a 4xx other than 408 and 429 ("later", not "no") refuses the
/// credentials.
fn refusal(error: Error, secret: &str) -> Error {
    let unavailable = |reason: String, status, cause| Error::TokenUnavailable {
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
            if (400..500).contains(&status) && status != 408 && status != 429 {
                let reason = redact(&format!("it answered {said}"), &[secret]);
                Error::Auth {
                    reason,
                    status: Some(status),
                }
            } else {
                unavailable(
                    format!("the token endpoint answered {said}"),
                    Some(status),
                    None,
                )
            }
        }
        Error::Transport { cause, message, .. } => unavailable(
            format!("the token endpoint could not be reached: {message}"),
            None,
            Some(cause),
        ),
        // The token answer too large or not decodable, say.
        other => unavailable(format!("the token answer: {other}"), other.status(), None),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_say_the_status_code_and_message() {
        assert_eq!(said(422, Some("C"), Some("m")), "422 C: m");
        assert_eq!(said_by(429, r#"{"error":"slow down"}"#), "429: slow down");
        assert_eq!(said_by(503, "<html>"), "503");
    }
}
