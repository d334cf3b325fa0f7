//! The middleware behind the generated client's hooks: auth, `Request-ID`
//! and `Request-Timestamp`, the retry loop, `Retry-After`, the 401 refresh,
//! timeouts and the tracing span. It serves every operation of the
//! generated client, present and future: nothing here names an operation.
//!
//! **Why the retry loop lives in the `exec` hook** and not in a retry crate
//! wrapped around the generated method: the hook receives the request the
//! generated code built, so every attempt resends exactly the same bytes
//! (body, `merchant_unique_reference`, `Request-ID`, `Request-Timestamp`);
//! it sees the raw status and headers, so it can apply the idempotency rules
//! and honour `Retry-After`; and it can swap only the `Authorization` header
//! after a 401. Crates such as `backon` retry a closure that rebuilds the
//! request and see only the final typed error, which would need all of this
//! re-plumbed around them.
//!
//! The loop is [`Transport::execute_with`]: per attempt it takes a time
//! limit, sends, records what came back, and decides (return, refresh the
//! token, or sleep and retry). What is retried is the [classifier](Retry),
//! kept apart from how long to wait ([`RetryPolicy::backoff`]) and from
//! whether the client's retry budget still allows a retry ([`Bucket`]).
//!
//! **Per-call state.** One [`Transport`] serves every call of a client.
//! What belongs to one call (its deadline, the token it sent, the last
//! status) is a [`CallState`]: [`Client::call`](crate::Client::call) puts
//! one in a task-local scope around the generated future so that the error
//! mapping sees it; a call made on [`Client::api`](crate::Client::api)
//! without that scope gets a state per hook.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use bytes::Bytes;
use pinelabs_api::{
    hooks::{BoxFuture, Middleware},
    spec,
};
use reqwest::{
    Method, StatusCode,
    header::{AUTHORIZATION, HeaderMap, HeaderValue, USER_AGENT},
};
use tokio::time::Instant;
use tracing::Span;

use crate::{
    auth::{AccessToken, TokenProvider},
    budget::Bucket,
    config::Timeouts,
    error::Error,
    monitor::Monitor,
    retry::{Retry, RetryPolicy},
    telemetry::{self, ErrorType, Route},
    wire::{self, REQUEST_ID, REQUEST_TIMESTAMP},
};

tokio::task_local! {
    static CALL: Arc<CallState>;
}

/// What happened during one call, read when mapping its error.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// The `Request-ID` sent.
    pub request_id: Option<String>,
    /// Requests sent, the 401 resend included.
    pub attempts: u32,
    /// The final status, if a response arrived.
    pub status: Option<u16>,
    /// The final response's `Retry-After`, if any.
    pub retry_after: Option<Duration>,
    /// Why no token could be had, if that is what ended the call.
    pub auth_error: Option<Error>,
    /// The token last sent (for redaction and invalidation).
    pub token: Option<AccessToken>,
    /// Whether the call's total deadline cut an attempt or the token fetch short.
    pub deadline_hit: bool,
    /// Whether the retry budget refused a retry the policy allowed.
    pub budget_exhausted: bool,
    /// The final answer's body, kept for the drift monitor (when it is on).
    pub body: Option<Bytes>,
    /// The operation the call runs, looked up once (in `prepare`).
    pub operation: Option<&'static spec::Operation>,
}

/// What one call may do: the client's settings, narrowed by its options.
#[derive(Debug)]
pub(crate) struct CallLimits {
    /// When the whole call must be over.
    pub deadline: Instant,
    /// The whole call's time limit (for `Error::Timeout`).
    pub total: Duration,
    /// At most this many attempts, if fewer than the policy's.
    pub max_attempts: Option<u32>,
    /// The caller's `Request-ID`, sent on every attempt.
    pub request_id: Option<HeaderValue>,
    /// Extra headers, sent on every attempt.
    pub headers: HeaderMap,
}

impl CallLimits {
    /// The client's own limits: its total timeout from now.
    pub(crate) fn client(total: Duration) -> Self {
        Self {
            deadline: Instant::now() + total,
            total,
            max_attempts: None,
            request_id: None,
            headers: HeaderMap::new(),
        }
    }
}

/// One call's state: its limits, its span, and its [`Outcome`].
///
/// The deadline is the only timer: every attempt's reqwest timeout (which
/// also covers reading the body) is clipped to it, and no backoff sleeps
/// past it.
#[derive(Debug)]
pub(crate) struct CallState {
    pub limits: CallLimits,
    span: Mutex<Option<Span>>,
    outcome: Mutex<Outcome>,
}

impl CallState {
    pub(crate) fn new(limits: CallLimits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            span: Mutex::new(None),
            outcome: Mutex::default(),
        })
    }

    /// The state of the surrounding [`Client::call`](crate::Client::call),
    /// or a fresh one for a hook called without it.
    fn current(total: Duration) -> Arc<Self> {
        CALL.try_with(Arc::clone)
            .unwrap_or_else(|_| Self::new(CallLimits::client(total)))
    }

    /// `future`, run with this state as the current call's.
    pub(crate) fn scope<F: Future>(
        self: &Arc<Self>,
        future: F,
    ) -> impl Future<Output = F::Output> + use<F> {
        CALL.scope(self.clone(), future)
    }

    pub(crate) fn outcome(&self) -> MutexGuard<'_, Outcome> {
        self.outcome.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The call's span, created on first use for `operation_id`.
    pub(crate) fn span(&self, operation_id: &str) -> Span {
        let mut slot = self.span.lock().unwrap_or_else(|e| e.into_inner());
        slot.get_or_insert_with(|| {
            telemetry::call_span(operation_id, self.outcome().request_id.as_deref())
        })
        .clone()
    }

    /// Records the final status (or error type) and attempts on the span.
    pub(crate) fn close_span(&self, result: &reqwest::Result<reqwest::Response>) {
        if let Some(span) = self.existing_span() {
            telemetry::record_result(&span, result);
            span.record("pinelabs.attempts", i64::from(self.outcome().attempts));
        }
    }

    /// The call's span, if a request was made.
    pub(crate) fn existing_span(&self) -> Option<Span> {
        self.span.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Time left before the deadline.
    fn remaining(&self) -> Duration {
        self.limits
            .deadline
            .saturating_duration_since(Instant::now())
    }
}

/// The middleware of one [`Client`](crate::Client), shared by all its calls.
#[derive(Debug)]
pub(crate) struct Transport {
    pub auth: Arc<dyn TokenProvider>,
    pub policy: RetryPolicy,
    pub timeouts: Timeouts,
    pub user_agent: HeaderValue,
    /// Retry safety by operationId, where the method's default is wrong.
    pub idempotency: BTreeMap<String, bool>,
    /// The most bytes of a response body that are read.
    pub max_response_bytes: usize,
    /// The retry budget shared by every call, if on.
    pub budget: Option<Bucket>,
    /// The server, as metric labels.
    pub server: telemetry::Server,
    /// The drift monitor, which checks answers against the spec (shared
    /// with the token provider).
    pub monitor: Arc<Monitor>,
}

/// What one attempt ended with, for the decision that follows.
enum Next {
    Return,
    Resend,
    SleepThenRetry(Duration),
}

impl Transport {
    /// The call's operation: found by `prepare`, or looked up (a hook
    /// called outside `Client::call` has a state of its own).
    fn operation(call: &CallState, operation_id: &str) -> Option<&'static spec::Operation> {
        let found = call.outcome().operation;
        found.or_else(|| spec::operation(operation_id))
    }

    fn retry_rule(&self, operation_id: &str, method: &Method) -> Retry {
        match self.idempotency.get(operation_id) {
            Some(true) => Retry::Idempotent,
            Some(false) => Retry::OnlyIfNotProcessed,
            None => Retry::for_method(method),
        }
    }

    /// A token from the provider, bounded by the call's deadline.
    async fn token(&self, call: &CallState) -> Result<AccessToken, Error> {
        if let Some(token) = self.auth.ready_token() {
            return Ok(token);
        }
        match tokio::time::timeout(call.remaining(), self.auth.token()).await {
            Ok(result) => result,
            Err(_elapsed) => {
                call.outcome().deadline_hit = true;
                Err(Error::TokenUnavailable {
                    reason: format!(
                        "no access token within the call's {:?} timeout",
                        call.limits.total
                    ),
                    status: None,
                    cause: None,
                })
            }
        }
    }

    fn authorize(
        call: &CallState,
        request: &mut reqwest::Request,
        token: AccessToken,
    ) -> Result<(), String> {
        let value = token.bearer_header().ok_or_else(|| {
            "the access token contains characters not allowed in a header".to_owned()
        })?;
        request.headers_mut().insert(AUTHORIZATION, value);
        call.outcome().token = Some(token);
        Ok(())
    }

    /// `User-Agent`, and `Request-ID` / `Request-Timestamp` unless the
    /// caller set them.
    fn identify(&self, call: &CallState, request: &mut reqwest::Request) {
        let headers = request.headers_mut();
        // Room for these and `Authorization` at once, instead of growing.
        headers.reserve(4 + call.limits.headers.len());
        headers.insert(USER_AGENT, self.user_agent.clone());
        for (name, value) in &call.limits.headers {
            headers.append(name, value.clone());
        }
        if let Some(id) = &call.limits.request_id {
            headers.insert(REQUEST_ID.clone(), id.clone());
        } else if !headers.contains_key(&REQUEST_ID) {
            // Encoded on the stack: no `String` per call.
            let mut buffer = uuid::Uuid::encode_buffer();
            let id = uuid::Uuid::new_v4().hyphenated().encode_lower(&mut buffer);
            if let Ok(id) = HeaderValue::from_str(id) {
                headers.insert(REQUEST_ID.clone(), id);
            }
        }
        if !headers.contains_key(&REQUEST_TIMESTAMP)
            && let Some(now) = wire::timestamp(chrono::Utc::now())
        {
            headers.insert(REQUEST_TIMESTAMP.clone(), now);
        }
        call.outcome().request_id = wire::request_id(headers);
    }

    /// After a 401: drop the rejected token and fetch another, if the
    /// provider can. Returns whether the request now carries a new token.
    async fn refresh_after_401(&self, call: &CallState, request: &mut reqwest::Request) -> bool {
        let Some(rejected) = call.outcome().token.clone() else {
            return false;
        };
        if !self.auth.invalidate(&rejected) {
            return false;
        }
        let fresh = self.token(call).await.and_then(|fresh| {
            Self::authorize(call, request, fresh).map_err(|reason| Error::TokenUnavailable {
                reason,
                status: None,
                cause: None,
            })
        });
        match fresh {
            Ok(()) => true,
            Err(e) => {
                call.outcome().auth_error = Some(e);
                false
            }
        }
    }

    /// The attempt's timeout, clipped to the call's deadline (at least
    /// 1 ms, so that a spent deadline ends as a timeout). Also whether it
    /// was clipped.
    fn attempt_limit(&self, call: &CallState) -> (Duration, bool) {
        let limit = self
            .timeouts
            .attempt
            .min(call.remaining())
            .max(Duration::from_millis(1));
        (limit, limit < self.timeouts.attempt)
    }

    /// Records an attempt's result on the call.
    fn record(call: &CallState, result: &reqwest::Result<reqwest::Response>, clipped: bool) {
        let mut outcome = call.outcome();
        outcome.attempts += 1;
        match result {
            Ok(response) => {
                outcome.status = Some(response.status().as_u16());
                outcome.retry_after = wire::retry_after(response.headers());
            }
            Err(e) => {
                outcome.status = None;
                outcome.retry_after = None;
                if clipped && e.is_timeout() {
                    outcome.deadline_hit = true;
                }
            }
        }
    }

    /// What to do after an attempt: return it, resend after a token
    /// refresh, or sleep and retry.
    async fn decide(
        &self,
        call: &CallState,
        rule: Retry,
        result: &reqwest::Result<reqwest::Response>,
        request: &mut reqwest::Request,
        state: &mut LoopState,
    ) -> Next {
        let status = result.as_ref().ok().map(reqwest::Response::status);
        if status == Some(StatusCode::UNAUTHORIZED) {
            return self.after_401(call, request, state).await;
        }
        let retryable = match (result, status) {
            (_, Some(status)) => rule.status(status),
            (Err(e), None) => rule.error(e),
            (Ok(_), None) => false,
        };
        if !retryable || state.retries + 1 >= self.max_attempts(call) {
            return Next::Return;
        }
        let delay = match call.outcome().retry_after {
            Some(asked) => asked.min(self.policy.max_retry_after),
            None => self.policy.backoff(state.retries + 1),
        };
        if delay >= call.remaining() {
            // No time left for another attempt: this is the answer.
            return Next::Return;
        }
        let after_timeout = result.as_ref().is_err_and(reqwest::Error::is_timeout);
        if !self.take_budget(call, state, after_timeout, ErrorType::of(result)) {
            return Next::Return;
        }
        state.retries += 1;
        log_retry(state, ErrorType::of(result), delay);
        Next::SleepThenRetry(delay)
    }

    /// The policy's attempts, or fewer if the call's options say so.
    fn max_attempts(&self, call: &CallState) -> u32 {
        let policy = self.policy.max_attempts;
        call.limits.max_attempts.map_or(policy, |n| n.min(policy))
    }

    /// Takes one retry's cost from the budget (if there is one); `false`
    /// when the budget refuses, which the call's error will say.
    fn take_budget(
        &self,
        call: &CallState,
        state: &mut LoopState,
        after_timeout: bool,
        error_type: Option<ErrorType>,
    ) -> bool {
        let Some(bucket) = &self.budget else {
            return true;
        };
        state.retry_cost = bucket.take(after_timeout);
        telemetry::retry_budget(bucket.left());
        if state.retry_cost.is_none() {
            call.outcome().budget_exhausted = true;
            telemetry::retry_refused(state.route.template, error_type);
            tracing::info!("retry refused: the client's retry budget is exhausted");
        }
        state.retry_cost.is_some()
    }

    /// After the final answer: a success puts tokens back in the budget.
    fn settle(&self, result: &reqwest::Result<reqwest::Response>, state: &LoopState) {
        let succeeded = result.as_ref().is_ok_and(|r| r.status().is_success());
        if let Some(bucket) = self.budget.as_ref().filter(|_| succeeded)
            && bucket.refund(state.retry_cost)
        {
            telemetry::retry_budget(bucket.left());
        }
    }

    /// After a 401 (nothing was processed): refresh the token and resend.
    /// The first refresh of a call is free; a further 401 (the fresh token
    /// was revoked meanwhile) costs a retry, so a call sends at most
    /// `max_attempts + 1` times.
    async fn after_401(
        &self,
        call: &CallState,
        request: &mut reqwest::Request,
        state: &mut LoopState,
    ) -> Next {
        let costs_a_retry = state.refreshed;
        if costs_a_retry && state.retries + 1 >= self.max_attempts(call) {
            return Next::Return;
        }
        if !self.refresh_after_401(call, request).await {
            return Next::Return;
        }
        state.retries += u32::from(costs_a_retry);
        state.refreshed = true;
        tracing::debug!("access token refused with 401; resending with a fresh token");
        telemetry::retry(
            state.route.template,
            Some(ErrorType::Status(StatusCode::UNAUTHORIZED)),
        );
        Next::Resend
    }

    /// The retry loop: time limit, send, record, decide.
    async fn execute_with(
        &self,
        call: &CallState,
        client: &reqwest::Client,
        mut request: reqwest::Request,
        operation_id: &str,
    ) -> reqwest::Result<reqwest::Response> {
        let rule = self.retry_rule(operation_id, request.method());
        let mut state = LoopState {
            route: Route::of(Self::operation(call, operation_id)),
            ..LoopState::default()
        };
        let mut resend_count = 0;
        loop {
            let (limit, clipped) = self.attempt_limit(call);
            *request.timeout_mut() = Some(limit);
            let route = state.route;
            let span = telemetry::attempt_span(route, request.url(), resend_count);
            // JSON bodies are bytes, so the clone always succeeds; a
            // streaming body could not be resent, so it is sent once.
            let Some(this_attempt) = request.try_clone() else {
                let result = self.send(client, request, &span, route).await;
                Self::record(call, &result, clipped);
                return result;
            };
            let result = self.send(client, this_attempt, &span, route).await;
            Self::record(call, &result, clipped);
            match self
                .decide(call, rule, &result, &mut request, &mut state)
                .await
            {
                Next::Return => {
                    self.settle(&result, &state);
                    return result;
                }
                Next::Resend => {}
                Next::SleepThenRetry(delay) => {
                    drop(result);
                    tokio::time::sleep(delay).await;
                }
            }
            resend_count += 1;
        }
    }

    /// One attempt, inside its span when someone listens, and its duration.
    async fn send(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        span: &Span,
        route: Route,
    ) -> reqwest::Result<reqwest::Response> {
        let started = Instant::now();
        let result = if span.is_disabled() {
            client.execute(request).await
        } else {
            tracing::Instrument::instrument(client.execute(request), span.clone()).await
        };
        telemetry::record_result(span, &result);
        telemetry::attempt(
            route.method,
            route.template,
            &self.server,
            result.as_ref().ok().map(|r| r.status().as_u16()),
            ErrorType::of(&result),
            started.elapsed().as_secs_f64(),
        );
        result
    }
}

#[derive(Default)]
struct LoopState {
    retries: u32,
    refreshed: bool,
    /// What the latest retry took from the budget.
    retry_cost: Option<u32>,
    /// The operation's method and path template, looked up once per call.
    route: Route,
}

/// Logs and counts a retry of the call after `error` (a status or a
/// transport failure).
fn log_retry(state: &LoopState, error_type: Option<ErrorType>, delay: Duration) {
    tracing::info!(
        retry = state.retries,
        error = error_type.as_ref().map_or("", ErrorType::as_str),
        delay_ms = delay.as_millis() as u64,
        "retrying pinelabs call"
    );
    telemetry::retry(state.route.template, error_type);
}

impl Middleware for Transport {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            let call = CallState::current(self.timeouts.total);
            self.identify(&call, request);
            // The spec says which operations carry no bearer token (the
            // token endpoint's `security: []`).
            let op = spec::operation(operation_id);
            call.outcome().operation = op;
            if op.is_some_and(|op| !op.authenticated) {
                return Ok(());
            }
            match self.token(&call).await {
                Ok(token) => Self::authorize(&call, request, token),
                Err(e) => {
                    // Without `Client::call`'s context, the generated
                    // client's `Error::Custom` carries this text alone.
                    let (reason, ..) = e.token_parts();
                    call.outcome().auth_error = Some(e);
                    Err(reason)
                }
            }
        })
    }

    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let call = CallState::current(self.timeouts.total);
            if call.outcome().request_id.is_none() {
                // Outside `Client::call`, `prepare` had a state of its own.
                call.outcome().request_id = wire::request_id(request.headers());
            }
            let span = call.span(operation_id);
            let sent = self.execute_with(&call, client, request, operation_id);
            // Entering a span on every poll costs even when nobody listens.
            let result = if span.is_disabled() {
                sent.await
            } else {
                tracing::Instrument::instrument(sent, span).await
            };
            call.close_span(&result);
            let response = wire::cap_body(result?, self.max_response_bytes);
            if !self.monitor.is_on() {
                return Ok(response);
            }
            // The body is read here, once, and handed on: the monitor
            // checks it after the generated code decodes it, if it must.
            let (response, body) = wire::buffered(response).await?;
            let op = Self::operation(&call, operation_id);
            let mut seen = call.outcome();
            (seen.operation, seen.body) = (op, Some(body));
            Ok(response)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Retry safety comes from the method of each operation in the spec,
    /// unless an override says otherwise.
    #[test]
    fn retry_safety_follows_the_method_and_the_overrides() {
        let transport = Transport {
            auth: Arc::new(crate::auth::StaticToken::new("t")),
            policy: RetryPolicy::default(),
            timeouts: Timeouts::default(),
            user_agent: HeaderValue::from_static("ua"),
            idempotency: BTreeMap::from([("delete_customer_token".to_owned(), true)]),
            max_response_bytes: crate::config::DEFAULT_MAX_RESPONSE_BYTES,
            budget: None,
            server: telemetry::Server::of("http://127.0.0.1"),
            monitor: Arc::default(),
        };
        assert_eq!(
            transport.retry_rule("delete_customer_token", &Method::POST),
            Retry::Idempotent
        );
        assert_eq!(
            transport.retry_rule("list_customer_tokens", &Method::GET),
            Retry::Idempotent
        );
        assert_eq!(
            transport.retry_rule("some_new_post", &Method::POST),
            Retry::OnlyIfNotProcessed
        );
    }

    /// The headers the middleware fills in are the ones the spec declares
    /// on every operation.
    #[test]
    fn every_operation_declares_the_headers_the_middleware_fills_in() {
        for op in spec::OPERATIONS {
            for header in [wire::REQUEST_ID_HEADER, wire::REQUEST_TIMESTAMP_HEADER] {
                assert!(
                    op.header_params.contains(&header),
                    "{} does not declare {header}",
                    op.operation_id
                );
            }
        }
    }
}
