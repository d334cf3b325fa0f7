//! The [`Client`] and its [`ClientBuilder`].

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use pinelabs_api::{
    ResponseValue,
    hooks::Hooks,
    types::{CustomerTokens, DeletedToken},
};
use pinelabs_http::{Bucket, RetryBudget, RetryPolicy, telemetry::Server};
use reqwest::header::HeaderValue;
use serde::de::DeserializeOwned;

use pinelabs_api::{
    input,
    monitor::{DriftDetection, DriftReport, Monitor},
};

use crate::{
    auth::Credentials,
    call::Call,
    config::{DEFAULT_MAX_RESPONSE_BYTES, Environment, Timeouts},
    error::{ApiError, Error, Result},
    pipeline::Pipeline,
    telemetry,
};

/// The default `User-Agent`: `pinelabs-rust/<crate version>`.
pub const USER_AGENT: &str = concat!("pinelabs-rust/", env!("CARGO_PKG_VERSION"));

/// A Pine Labs Online customer-token client.
///
/// Cheap to clone (`Arc` inside), `Send + Sync`: build one per service and
/// share it. Every call authenticates, sends a `Request-ID` and a
/// `Request-Timestamp`, retries where that is safe, and runs inside one
/// `pinelabs.call` tracing span. [`list_tokens`](Self::list_tokens) and
/// [`delete_token`](Self::delete_token) also validate their inputs first;
/// every other operation of the spec is reached through [`api`](Self::api).
///
/// Every call is a [`Call`]: `.await` it, or set its
/// [`options`](Call::options) first (a deadline, fewer attempts, your
/// `Request-ID`, extra headers) and ask for the answer's metadata. Retries
/// of all calls (and clones) share one [`RetryBudget`].
///
/// **Cancellation is safe.** Dropping a call's future at any point (during
/// an attempt, during the backoff before a retry, or while it waits on the
/// shared token refresh) stops it there: no task keeps running, no lock is
/// held, nothing is resent later, and a token refresh that other calls wait
/// on goes on for them.
#[derive(Clone)]
pub struct Client {
    shared: Arc<Shared>,
}

struct Shared {
    base_url: String,
    /// The generated client, built once; its hooks are the [`Pipeline`].
    api: pinelabs_api::Client,
    pipeline: Arc<Pipeline>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let pipeline = &self.shared.pipeline;
        f.debug_struct("Client")
            .field("base_url", &self.shared.base_url)
            .field("auth", &pipeline.auth)
            .field("retry", &pipeline.policy)
            .field("timeouts", &pipeline.timeouts)
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

    /// Every distinct way the live API's answers have departed from the
    /// spec, as this client has seen them: each finding with its count, when
    /// it was first seen and, for an unknown enum value, the value.
    ///
    /// Answers are checked as [`ClientBuilder::drift_detection`] says, on
    /// every path: this client's methods, [`call`](Self::call), bare
    /// [`api`](Self::api) calls and the token exchange. (A bare call whose
    /// answer does not decode is checked when its error is converted into
    /// [`Error`].) Each finding also counts in
    /// the metric [`SPEC_DRIFT`](crate::telemetry::SPEC_DRIFT) and logs one
    /// `warn` event the first time. `pinelabs spec-check` turns findings
    /// into spec edits; see the README's "When the live API changes".
    ///
    /// ```no_run
    /// # async fn run(client: pinelabs::Client) -> pinelabs::Result<()> {
    /// client.list_tokens("cust-1").await?;
    /// for seen in client.spec_drift() {
    ///     eprintln!("{} ({} answers)", seen.finding, seen.count);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn spec_drift(&self) -> Vec<DriftReport> {
        self.shared.pipeline.monitor.report()
    }

    /// The generated client, for every operation of the spec.
    ///
    /// Its calls take the same path as this client's own: the bearer and
    /// the 401 refresh, `Request-ID` and `Request-Timestamp` (filled in when
    /// you set none), retries by the method's idempotency with the retry
    /// budget, timeouts, spans and metrics, and the drift monitor. Its error
    /// converts into [`Error`] with `?` or `Error::from`; wrap the call in
    /// [`call`](Self::call) to also get per-call options, the request id on
    /// every error and the body of an undocumented status.
    ///
    /// ```no_run
    /// # async fn run(client: pinelabs::Client) -> pinelabs::Result<()> {
    /// let tokens = client
    ///     .call(client.api().list_customer_tokens().customer_id("cust-1").send())
    ///     .await?;
    /// // Or, with the bare conversion:
    /// let same = client.api().list_customer_tokens().customer_id("cust-1").send().await?;
    /// # Ok(()) }
    /// ```
    pub fn api(&self) -> &pinelabs_api::Client {
        &self.shared.api
    }

    /// A call made on [`api`](Self::api), as a [`Call`]: `.await` it for
    /// its value with the error mapped with everything the call saw (the
    /// `Request-ID`, the deadline, why no token could be had, the body of
    /// an undocumented status, the JSON path of a decode failure), or set
    /// per-call options first.
    ///
    /// ```no_run
    /// # async fn run(client: pinelabs::Client) -> pinelabs::Result<()> {
    /// let request = client.api().list_customer_tokens().customer_id("cust-1").send();
    /// let tokens = client
    ///     .call(request)
    ///     .options(pinelabs::CallOptions::new().max_attempts(1))
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn call<T, F>(&self, request: F) -> Call<F>
    where
        F: Future<Output = std::result::Result<ResponseValue<T>, ApiError>>,
        T: DeserializeOwned,
    {
        Call::new(self.total(), Ok(request))
    }

    fn total(&self) -> Duration {
        self.shared.pipeline.timeouts.total
    }

    /// Every token saved for `customer_id`.
    ///
    /// `GET /api/v1/customer/{customer_id}/tokens`. Retried on connect
    /// errors, timeouts and the [`RETRYABLE_STATUSES`](crate::RETRYABLE_STATUSES).
    /// `.await` it, or set [per-call options](Call::options) first.
    pub fn list_tokens(
        &self,
        customer_id: &str,
    ) -> Call<
        impl Future<Output = std::result::Result<ResponseValue<CustomerTokens>, ApiError>> + Send + '_,
    > {
        // The generated request is made when the call is first polled, in
        // place: the call moves a few bytes until then, not the request.
        let api = self.api();
        let request = input::id("customer_id", customer_id)
            .map(|id| async move { api.list_customer_tokens().customer_id(id).send().await });
        Call::new(self.total(), request.map_err(Error::from))
    }

    /// Deletes `token_id` of `customer_id`.
    ///
    /// `POST /api/v1/customer/{customer_id}/tokens/{token_id}/delete`.
    /// Retried only where the delete provably was not processed (connect
    /// errors, the [`NOT_PROCESSED_STATUSES`](crate::NOT_PROCESSED_STATUSES)),
    /// with the same reference and `Request-ID`; no per-call option changes
    /// that. `.await` it, or set [per-call options](Call::options) first.
    pub fn delete_token(
        &self,
        customer_id: &str,
        token_id: &str,
        delete: &DeleteToken,
    ) -> Call<
        impl Future<Output = std::result::Result<ResponseValue<DeletedToken>, ApiError>> + Send + '_,
    > {
        let request = (|| {
            let customer_id = input::id("customer_id", customer_id)?;
            let token_id = input::id("token_id", token_id)?;
            let body = input::delete_body(&delete.reference, &delete.metadata)?;
            let api = self.api();
            Ok(async move {
                let request = api.delete_customer_token().customer_id(customer_id);
                request.token_id(token_id).body(body).send().await
            })
        })();
        Call::new(self.total(), request)
    }
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
    idempotency: BTreeMap<String, bool>,
    max_response_bytes: Option<usize>,
    retry_budget: Option<Option<RetryBudget>>,
    drift_detection: DriftDetection,
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

    /// The time limits ([`Timeouts`]: connect, one attempt, the whole call).
    /// The connect limit is ignored with [`http_client`](Self::http_client),
    /// whose own setting applies.
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
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

    /// Overrides the retry safety of one operation (by `operationId`),
    /// which otherwise follows its HTTP method: `true` lets it be retried
    /// like a `GET` (timeouts, 5xx), `false` only where the request provably
    /// did not take effect.
    ///
    /// ```
    /// // Pine Labs replays a delete with the same reference harmlessly, say:
    /// let builder = pinelabs::Client::builder().idempotent("delete_customer_token", true);
    /// ```
    pub fn idempotent(mut self, operation_id: impl Into<String>, idempotent: bool) -> Self {
        self.idempotency.insert(operation_id.into(), idempotent);
        self
    }

    /// The most bytes of a response body the client reads (default 4 MiB,
    /// about 2,000 tokens in one list).
    /// A larger or endless body ends the call with
    /// [`Error::ResponseTooLarge`] after at most this many bytes are held.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = Some(limit);
        self
    }

    /// The retry budget shared by every call and clone of the client
    /// (default [`RetryBudget::default`]: AWS's standard retry quota), or
    /// `None`: every retry the policy allows is made, however many calls are
    /// failing (not recommended for services at scale).
    ///
    /// ```
    /// let builder = pinelabs::Client::builder()
    ///     .retry_budget(pinelabs::RetryBudget::default().capacity(1000));
    /// let unbounded = pinelabs::Client::builder().retry_budget(None);
    /// ```
    pub fn retry_budget(mut self, budget: impl Into<Option<RetryBudget>>) -> Self {
        self.retry_budget = Some(budget.into());
        self
    }

    /// Which answers are checked against the spec:
    /// [`DriftDetection::OnSurprise`] (the default), `EveryAnswer`, or `Off`.
    /// See [`Client::spec_drift`].
    ///
    /// ```
    /// let client = pinelabs::Client::builder()
    ///     .access_token("token")
    ///     .drift_detection(pinelabs::DriftDetection::Off)
    ///     .build()?;
    /// assert!(client.spec_drift().is_empty());
    /// # Ok::<(), pinelabs::Error>(())
    /// ```
    pub fn drift_detection(mut self, detection: DriftDetection) -> Self {
        self.drift_detection = detection;
        self
    }

    /// Checks the configuration and builds the client. Nothing is sent.
    ///
    /// An invalid setting is [`Error::InvalidInput`]; an HTTP client or TLS
    /// configuration that cannot be set up is [`Error::Build`]. Neither is
    /// retryable.
    pub fn build(self) -> Result<Client> {
        let base_url = self.environment.base_url()?;
        let credentials = self.credentials.clone().ok_or_else(|| {
            Error::invalid(
                "credentials",
                "none given; set an access token, client credentials or a token provider",
            )
        })?;
        credentials.check()?;
        self.check_limits()?;
        let user_agent = self.user_agent.as_deref().unwrap_or(USER_AGENT);
        let user_agent = HeaderValue::try_from(user_agent)
            .map_err(|_| Error::invalid("user_agent", "must be a valid header value"))?;
        let http = self.http_client_for(&base_url)?;
        let budget = self.retry_budget.unwrap_or(Some(RetryBudget::default()));
        let pipeline = Arc::new(Pipeline {
            auth: credentials,
            policy: self.retry,
            timeouts: self.timeouts,
            user_agent,
            idempotency: self.idempotency,
            max_body: self
                .max_response_bytes
                .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES),
            budget: budget.map(Bucket::new),
            server: Server::of(&base_url),
            monitor: Arc::new(Monitor::new(self.drift_detection)),
        });
        telemetry::describe();
        let api =
            pinelabs_api::Client::new_with_client(&base_url, http, Hooks::new(pipeline.clone()));
        let shared = Shared {
            base_url,
            api,
            pipeline,
        };
        Ok(Client {
            shared: Arc::new(shared),
        })
    }

    /// The timeouts, the retry policy and the idempotency overrides.
    fn check_limits(&self) -> Result<()> {
        if self.timeouts.total.is_zero() || self.timeouts.attempt.is_zero() {
            return Err(Error::invalid("timeouts", "must be greater than zero"));
        }
        if self.retry.max_attempts == 0 {
            return Err(Error::invalid(
                "retry_policy",
                "max_attempts must be at least 1",
            ));
        }
        match self
            .idempotency
            .keys()
            .find(|id| pinelabs_api::spec::operation(id).is_none())
        {
            Some(unknown) => Err(Error::invalid(
                "idempotent",
                format!("`{unknown}` is not an operationId of the spec"),
            )),
            None => Ok(()),
        }
    }

    /// The shared `reqwest::Client`, or a new one with the TLS stack of the
    /// crate's features.
    fn http_client_for(&self, base_url: &str) -> Result<reqwest::Client> {
        if let Some(http) = &self.http {
            return Ok(http.clone());
        }
        if !pinelabs_http::HAS_TLS && base_url.starts_with("https://") {
            return Err(Error::invalid(
                "base_url",
                "https needs a TLS feature of pinelabs (rustls, rustls-ring or native-tls)",
            ));
        }
        pinelabs_http::http_client(self.timeouts.connect)
            .map_err(|e| Error::build("the HTTP client could not be built", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One client is shared across a service: it must be cheap to clone and
    /// usable from any task (checked by the compiler).
    #[test]
    fn client_is_clone_send_sync_and_its_calls_are_send() {
        use std::future::IntoFuture;
        fn shareable<T: Clone + Send + Sync + 'static>(_: &T) {}
        fn send<F: std::future::Future + Send>(_: F) {}
        let client = Client::builder()
            .base_url("http://127.0.0.1:9")
            .access_token("t")
            .build()
            .expect("config");
        shareable(&client);
        send(client.list_tokens("c").into_future());
        send(
            client
                .delete_token("c", "t", &DeleteToken::new("r"))
                .into_future(),
        );
        assert_eq!(client.base_url(), "http://127.0.0.1:9");
    }

    #[test]
    fn the_chosen_tls_stack_builds_an_https_client() {
        let client = Client::builder()
            .base_url("https://pluraluat.v2.pinepg.in")
            .access_token("t")
            .build();
        assert_eq!(client.is_ok(), pinelabs_http::HAS_TLS, "{client:?}");
    }
}
