//! The [`Client`] and its [`ClientBuilder`].

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use pinelabs_api::{
    ResponseValue,
    hooks::Hooks,
    types::{CustomerTokens, DeletedToken, ErrorResponse, RequestId, RequestTimestamp},
};
use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;
use tracing::{Instrument, field};

use crate::{
    auth::{Credentials, TokenProvider},
    config::{Environment, RetryPolicy, Timeouts},
    error::{Error, Result, excerpt},
    transport::{self, Call, Operation},
    validate,
};

/// The default `User-Agent`: `pinelabs-rust/<crate version>`.
pub const USER_AGENT: &str = concat!("pinelabs-rust/", env!("CARGO_PKG_VERSION"));

type ApiError = pinelabs_api::Error<ErrorResponse>;

/// A Pine Labs Online customer-token client.
///
/// Cheap to clone (`Arc` inside), `Send + Sync`: build one per service and
/// share it. Every call validates its inputs before sending, sends a fresh
/// `Request-ID` and `Request-Timestamp`, authenticates, retries where that is
/// safe, and runs inside one `pinelabs.call` tracing span.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

struct Shared {
    base_url: String,
    http: reqwest::Client,
    auth: Arc<dyn TokenProvider>,
    retry: RetryPolicy,
    timeouts: Timeouts,
    user_agent: HeaderValue,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.shared.base_url)
            .field("auth", &self.shared.auth)
            .field("retry", &self.shared.retry)
            .field("timeouts", &self.shared.timeouts)
            .finish_non_exhaustive()
    }
}

/// The arguments of a delete: the merchant's unique reference of this delete
/// and optional metadata.
///
/// Keep the value to retry a failed delete yourself: resending the same
/// reference lets Pine Labs recognise the replay.
///
/// ```
/// let delete = pinelabs::DeleteToken::new("del-ref-001").metadata("tid", "9000990");
/// assert_eq!(delete.reference(), "del-ref-001");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeleteToken {
    reference: String,
    metadata: BTreeMap<String, String>,
}

impl DeleteToken {
    /// A delete with `merchant_unique_reference` = `reference` (1 to 50
    /// characters; checked when the call is made).
    pub fn new(reference: impl Into<String>) -> Self {
        Self {
            reference: reference.into(),
            metadata: BTreeMap::new(),
        }
    }

    /// Adds one `merchant_metadata` pair (at most 10, each key and value at
    /// most 256 characters; checked when the call is made).
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(key.into(), value.into());
        self
    }

    /// The merchant's unique reference of this delete.
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// The metadata pairs.
    pub fn metadata_pairs(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }
}

impl Client {
    /// A builder with the defaults: UAT, 5 s connect / 10 s attempt / 30 s
    /// total timeouts, 3 attempts, `User-Agent: pinelabs-rust/<version>`.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// The base URL calls go to.
    pub fn base_url(&self) -> &str {
        &self.shared.base_url
    }

    /// Every token saved for `customer_id`.
    ///
    /// `GET /api/v1/customer/{customer_id}/tokens`. Retried on connect
    /// errors, timeouts and 408/429/500/502/503/504.
    pub async fn list_tokens(&self, customer_id: &str) -> Result<CustomerTokens> {
        let customer_id = validate::id("customer_id", customer_id)?;
        self.call(
            &transport::LIST_TOKENS,
            async |api, request_id, timestamp| {
                api.list_customer_tokens(&customer_id, Some(request_id), Some(timestamp))
                    .await
            },
        )
        .await
    }

    /// Deletes `token_id` of `customer_id`.
    ///
    /// `POST /api/v1/customer/{customer_id}/tokens/{token_id}/delete`.
    /// Retried only where the delete provably did not happen (connect
    /// errors, 429, 503), with the same reference and `Request-ID`.
    pub async fn delete_token(
        &self,
        customer_id: &str,
        token_id: &str,
        delete: &DeleteToken,
    ) -> Result<DeletedToken> {
        let customer_id = validate::id("customer_id", customer_id)?;
        let token_id = validate::id("token_id", token_id)?;
        let body = validate::delete_body(&delete.reference, &delete.metadata)?;
        self.call(
            &transport::DELETE_TOKEN,
            async |api, request_id, timestamp| {
                api.delete_customer_token(
                    &customer_id,
                    &token_id,
                    Some(request_id),
                    Some(timestamp),
                    &body,
                )
                .await
            },
        )
        .await
    }

    /// Runs one call: headers, span, middleware, total timeout, error mapping.
    async fn call<T: DeserializeOwned>(
        &self,
        op: &'static Operation,
        send: impl AsyncFnOnce(
            &pinelabs_api::Client,
            &RequestId,
            &RequestTimestamp,
        ) -> std::result::Result<ResponseValue<T>, ApiError>,
    ) -> Result<T> {
        let timestamp = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        let (Ok(rid), Ok(ts)) = (
            RequestId::try_from(uuid::Uuid::new_v4().to_string()),
            RequestTimestamp::try_from(timestamp),
        ) else {
            return Err(Error::invalid(
                "request headers",
                "could not build Request-ID/Request-Timestamp",
            ));
        };

        let span = tracing::info_span!(
            "pinelabs.call",
            operation = op.id,
            http.method = op.method,
            http.route = op.route,
            request_id = rid.as_str(),
            http.status_code = field::Empty,
            attempts = field::Empty,
            latency_ms = field::Empty,
        );
        let call = Arc::new(Call {
            op,
            auth: self.shared.auth.clone(),
            policy: self.shared.retry,
            timeouts: self.shared.timeouts,
            deadline: std::time::Instant::now() + self.shared.timeouts.total,
            user_agent: self.shared.user_agent.clone(),
            outcome: Default::default(),
        });
        let api = pinelabs_api::Client::new_with_client(
            &self.shared.base_url,
            self.shared.http.clone(),
            Hooks::new(call.clone()),
        );

        let started = std::time::Instant::now();
        // The total timeout is enforced inside the middleware (see
        // `Call::deadline`), so no extra timer wraps the call.
        let result = async {
            match send(&api, &rid, &ts).await {
                Ok(value) => Ok(value.into_inner()),
                Err(e) => Err(map_error::<T>(e, &call, &rid).await),
            }
        };
        // Entering a span on every poll costs even when nobody listens.
        let result = if span.is_disabled() {
            result.await
        } else {
            result.instrument(span.clone()).await
        };

        let outcome = call.outcome();
        if let Some(status) = outcome.status {
            span.record("http.status_code", status);
        }
        span.record("attempts", outcome.attempts);
        span.record("latency_ms", started.elapsed().as_millis() as u64);
        let _entered = span.enter();
        match &result {
            Ok(_) => tracing::debug!("pinelabs call succeeded"),
            Err(e) => tracing::warn!(error = %e, "pinelabs call failed"),
        }
        result
    }
}

/// Turns the generated client's error into ours, using what the middleware saw.
async fn map_error<T: DeserializeOwned>(error: ApiError, call: &Call, request_id: &str) -> Error {
    let request_id = request_id.to_owned();
    let (status, retry_after, auth_error, token, deadline_hit) = {
        let mut outcome = call.outcome();
        (
            outcome.status,
            outcome.retry_after,
            outcome.auth_error.take(),
            outcome.token.clone(),
            outcome.deadline_hit,
        )
    };
    if deadline_hit && status.is_none() {
        return Error::Timeout {
            after: call.timeouts.total,
            request_id,
        };
    }
    if let Some(auth_error) = auth_error {
        return auth_error;
    }
    let token = token.as_ref().map(|t| t.expose_secret()).unwrap_or("");
    match error {
        pinelabs_api::Error::ErrorResponse(body) => {
            let status = body.status().as_u16();
            documented_api_error(status, body.into_inner(), retry_after, request_id)
        }
        pinelabs_api::Error::InvalidResponsePayload(bytes, e) => match status {
            Some(status) if status >= 400 => Error::Api {
                status,
                code: None,
                message: "the error body is not Pine Labs' documented JSON shape".to_owned(),
                details: None,
                excerpt: Some(excerpt(&bytes, &[token])),
                retry_after,
                request_id,
            },
            _ => match decode_with_path::<T>(&bytes, token, Some(request_id.clone())) {
                Err(decode) => decode,
                // serde_path_to_error accepted what serde_json refused:
                // report serde_json's own message.
                Ok(_) => Error::Decode {
                    path: ".".to_owned(),
                    message: e.to_string(),
                    excerpt: excerpt(&bytes, &[token]),
                    request_id: Some(request_id),
                },
            },
        },
        pinelabs_api::Error::UnexpectedResponse(response) => {
            let status = response.status().as_u16();
            let bytes = response.bytes().await.unwrap_or_default();
            match serde_json::from_slice::<ErrorResponse>(&bytes) {
                Ok(body) => documented_api_error(status, body, retry_after, request_id),
                Err(_) => Error::Api {
                    status,
                    code: None,
                    message: format!("undocumented status {status}"),
                    details: None,
                    excerpt: Some(excerpt(&bytes, &[token])),
                    retry_after,
                    request_id,
                },
            }
        }
        pinelabs_api::Error::CommunicationError(e)
        | pinelabs_api::Error::ResponseBodyError(e)
        | pinelabs_api::Error::InvalidUpgrade(e) => {
            if e.is_timeout() {
                Error::Timeout {
                    after: call.timeouts.attempt,
                    request_id,
                }
            } else {
                Error::Transport {
                    message: format!("{} error", transport::transport_kind(&e)),
                    request_id,
                    source: Some(e.without_url()),
                }
            }
        }
        pinelabs_api::Error::InvalidRequest(why) => Error::invalid("request", why),
        pinelabs_api::Error::Custom(why) => Error::Auth {
            reason: why,
            status: None,
        },
    }
}

/// `Error::Api` from a body in Pine Labs' documented error shape.
fn documented_api_error(
    status: u16,
    body: ErrorResponse,
    retry_after: Option<Duration>,
    request_id: String,
) -> Error {
    Error::Api {
        status,
        code: Some(body.code),
        message: body.message,
        details: body.additional_error_details.map(Box::new),
        excerpt: None,
        retry_after,
        request_id,
    }
}

/// Decodes a JSON body into `T`, or says where it went wrong.
///
/// The client decodes every success body this way; it is public so that
/// stored or captured bodies can be decoded with the same rules. A failure is
/// [`Error::Decode`] with the JSON path of the offending field (found with
/// `serde_path_to_error`), e.g. `tokens[0].is_compliant`.
///
/// ```
/// use pinelabs::{Error, types::CustomerTokens};
///
/// let body = br#"{"customer_id": "c", "tokens": [{"token_id": "t", "is_compliant": "yes"}]}"#;
/// match pinelabs::decode_json::<CustomerTokens>(body) {
///     Err(Error::Decode { path, .. }) => assert_eq!(path, "tokens[0].is_compliant"),
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    decode_with_path(bytes, "", None)
}

fn decode_with_path<T: DeserializeOwned>(
    bytes: &[u8],
    token: &str,
    request_id: Option<String>,
) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let decoded = serde_path_to_error::deserialize::<_, T>(&mut de)
        .map_err(|e| (render_path(e.path()), e.into_inner()))
        .and_then(|value| de.end().map(|()| value).map_err(|e| (".".to_owned(), e)));
    decoded.map_err(|(path, e)| Error::Decode {
        path,
        message: e.to_string(),
        excerpt: excerpt(bytes, &[token]),
        request_id,
    })
}

/// A JSON path such as `tokens[0].is_compliant`; `.` for the root. Keys that
/// would be ambiguous in dotted form (empty, or with `.`, `[`, `]` or `"`)
/// are written `["key"]`.
fn render_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if key.is_empty() || key.contains(['.', '[', ']', '"']) {
                    out.push_str(&format!("[{key:?}]"));
                } else {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
            }
            Segment::Unknown => out.push_str(".?"),
        }
    }
    if out.is_empty() { ".".to_owned() } else { out }
}

/// Builds a [`Client`]; see [`Client::builder`].
#[derive(Debug, Default)]
pub struct ClientBuilder {
    environment: Environment,
    credentials: Option<Credentials>,
    timeouts: Timeouts,
    retry: RetryPolicy,
    user_agent: Option<String>,
    http: Option<reqwest::Client>,
}

impl ClientBuilder {
    /// UAT (the default), production, or a custom base URL.
    pub fn environment(mut self, environment: Environment) -> Self {
        self.environment = environment;
        self
    }

    /// A custom base URL (shorthand for `Environment::Custom`): `https`, or
    /// `http` on loopback only.
    pub fn base_url(self, url: impl Into<String>) -> Self {
        self.environment(Environment::Custom(url.into()))
    }

    /// Where tokens come from. Required.
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Shorthand for [`Credentials::access_token`].
    pub fn access_token(self, token: impl Into<String>) -> Self {
        self.credentials(Credentials::access_token(token))
    }

    /// Shorthand for [`Credentials::client_credentials`].
    pub fn client_credentials(
        self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.credentials(Credentials::client_credentials(client_id, client_secret))
    }

    /// All time limits at once.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Limit on establishing a connection (ignored with [`http_client`](Self::http_client),
    /// whose own setting applies).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.connect = timeout;
        self
    }

    /// Limit on one attempt.
    pub fn attempt_timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.attempt = timeout;
        self
    }

    /// Limit on a whole call, retries included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeouts.total = timeout;
        self
    }

    /// The retry policy.
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Replaces the `User-Agent` (default [`USER_AGENT`]).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Shares an existing `reqwest::Client` (connection pool, proxy, TLS
    /// settings) instead of building one.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// Checks the configuration and builds the client. Nothing is sent.
    pub fn build(self) -> Result<Client> {
        let base_url = self.environment.base_url()?;
        let credentials = self.credentials.ok_or_else(|| {
            Error::invalid(
                "credentials",
                "none given; set an access token, client credentials or a token provider",
            )
        })?;
        if self.timeouts.total.is_zero() || self.timeouts.attempt.is_zero() {
            return Err(Error::invalid("timeouts", "must be greater than zero"));
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::invalid(
                "retry_policy",
                "max_attempts must be at least 1",
            ));
        }
        let user_agent = self.user_agent.unwrap_or_else(|| USER_AGENT.to_owned());
        let user_agent = HeaderValue::try_from(user_agent)
            .map_err(|_| Error::invalid("user_agent", "must be a valid header value"))?;
        let http = match self.http {
            Some(http) => http,
            None => reqwest::Client::builder()
                .connect_timeout(self.timeouts.connect)
                // Retries are this crate's job (with idempotency rules), so
                // reqwest's own protocol-level retry is off; that also saves
                // it cloning every request. (HTTP/1 only: nothing to nack.)
                .retry(reqwest::retry::never().max_retries_per_request(0))
                .build()
                .map_err(|e| Error::Transport {
                    message: "the HTTP client could not be built".to_owned(),
                    request_id: "(none)".to_owned(),
                    source: Some(e),
                })?,
        };
        let auth = credentials.into_provider(http.clone(), &base_url);
        Ok(Client {
            shared: Arc::new(Shared {
                base_url,
                http,
                auth,
                retry: self.retry,
                timeouts: self.timeouts,
                user_agent,
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One client is shared across a service: it must be cheap to clone and
    /// usable from any task (checked by the compiler).
    #[test]
    fn client_is_clone_send_sync_and_its_calls_are_send() {
        fn shareable<T: Clone + Send + Sync + 'static>(_: &T) {}
        fn send<F: std::future::Future + Send>(_: F) {}
        let client = Client::builder()
            .base_url("http://127.0.0.1:9")
            .access_token("t")
            .build()
            .expect("config");
        shareable(&client);
        send(client.list_tokens("c"));
        send(client.delete_token("c", "t", &DeleteToken::new("r")));
        assert_eq!(client.base_url(), "http://127.0.0.1:9");
    }

    #[test]
    fn render_path_is_unambiguous() {
        let decode = |body: &str| match decode_json::<CustomerTokens>(body.as_bytes()) {
            Err(Error::Decode { path, .. }) => path,
            other => panic!("{other:?}"),
        };
        assert_eq!(decode("[]"), ".");
        assert_eq!(decode(r#"{"customer_id": 1, "tokens": []}"#), "customer_id");
        assert_eq!(
            decode(
                r#"{"customer_id": "c", "tokens": [{"token_id": "t", "merchant_metadata": {"": 1}}]}"#
            ),
            r#"tokens[0].merchant_metadata[""]"#
        );
    }
}
