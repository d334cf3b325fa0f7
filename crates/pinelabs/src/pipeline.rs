//! The pipeline: the one path of every call into the API. The generated
//! client hands each request it built to [`Pipeline`]'s `execute` (its
//! `exec` hook, through `pinelabs_api::hooks`), whoever made the call: the
//! typed calls, [`Client::call`](crate::Client::call), a bare
//! `client.api()...send()`, an operation added to the spec later, and the
//! token exchange itself.
//!
//! For each, in one function: the call's options (from its scope, else the
//! client's settings), `User-Agent`, `Request-ID` and `Request-Timestamp`,
//! the bearer (refreshed once after a `401`), the attempts with retries,
//! the retry budget and the deadline (`pinelabs_http`), the call span, the
//! record handed back to the call's scope, and the drift monitor. Nothing
//! here names an operation: what an operation is comes from the spec.

use std::{collections::BTreeMap, future::Future, sync::Arc, time::Duration};

use pinelabs_api::{
    ClientInfo,
    hooks::{BoxFuture, Middleware},
    spec::{self, Operation},
};
use pinelabs_http::{
    Attempts, Bucket, Outcome, Reauthorize, Retry, RetryPolicy, telemetry::Server,
};
use reqwest::{
    Request, Response,
    header::{AUTHORIZATION, HeaderValue, USER_AGENT},
};
use tokio::time::Instant;
use tracing::{Instrument, Span};

use pinelabs_api::monitor::Monitor;
use pinelabs_http::scope::{self, Limits, Record};

use crate::{
    auth::{AccessToken, Credentials},
    config::Timeouts,
    error::Error,
    telemetry,
};

/// The middleware of one [`Client`](crate::Client), shared by all its calls.
#[derive(Debug)]
pub(crate) struct Pipeline {
    pub auth: Credentials,
    pub policy: RetryPolicy,
    pub timeouts: Timeouts,
    pub user_agent: HeaderValue,
    /// Retry safety by operationId, where the method's default is wrong.
    pub idempotency: BTreeMap<String, bool>,
    /// The most bytes of a response body that are read.
    pub max_body: usize,
    /// The retry budget shared by every call, if on.
    pub budget: Option<Bucket>,
    /// The server, as metric labels.
    pub server: Server,
    pub monitor: Arc<Monitor>,
}

impl Middleware for Pipeline {
    fn execute<'a>(
        &'a self,
        api: &'a pinelabs_api::Client,
        mut request: Request,
        operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<Response>> {
        let limits = scope::limits().unwrap_or_else(|| self.limits());
        let op = spec::operation(operation_id).unwrap_or(&spec::UNDOCUMENTED_OPERATION);
        let request_id = self.identify(&mut request, &limits);
        let attempts = self.attempts(api, op, &request, &limits);
        let token = match op.authenticated {
            true => self.auth.ready().map(|token| bearer(&mut request, token)),
            false => None,
        };
        let mut call = InFlight {
            refresh: Refresh {
                pipeline: self,
                api,
                deadline: limits.deadline,
                total: limits.total,
                token: None,
                failure: None,
            },
            slot: Some(request),
            op,
            span: pinelabs_http::telemetry::call_span(
                op.operation_id,
                telemetry::route(op, &self.server),
                &request_id,
            ),
            request_id,
            max_body: limits
                .max_body
                .map_or(self.max_body, |n| n.min(self.max_body)),
        };
        let fetch = op.authenticated && token.is_none();
        match token.transpose() {
            Ok(token) => call.refresh.token = token,
            Err(failure) => return Box::pin(std::future::ready(call.failure(failure))),
        }
        // The call's state lives in the future once: it is moved in, and
        // each step borrows it.
        Box::pin(async move {
            if fetch && let Err(failure) = Box::pin(call.fetch_token()).await {
                return call.failure(failure);
            }
            call.run(&attempts).await
        })
    }
}

/// One call on its way: what `execute` prepared, kept across its awaits.
struct InFlight<'a> {
    /// The token sent, and the pipeline and client to refresh it.
    refresh: Refresh<'a>,
    /// The request, between its attempts.
    slot: Option<Request>,
    op: &'static Operation,
    request_id: HeaderValue,
    span: Span,
    max_body: usize,
}

impl InFlight<'_> {
    /// A token fetched within the call's deadline, on the request.
    async fn fetch_token(&mut self) -> Result<(), Error> {
        let refresh = &mut self.refresh;
        let fetched = refresh
            .pipeline
            .fresh_token(refresh.api, refresh.deadline, refresh.total);
        let token = fetched.await?;
        if let Some(request) = self.slot.as_mut() {
            refresh.token = Some(bearer(request, token)?);
        }
        Ok(())
    }

    /// The attempts, the record, and the answer handed on to the generated
    /// code through the drift monitor.
    async fn run(&mut self, attempts: &Attempts<'_>) -> reqwest::Result<Response> {
        let sent = attempts.send(&mut self.slot, &mut self.refresh);
        let outcome = if self.span.is_disabled() {
            sent.await
        } else {
            sent.instrument(self.span.clone()).await
        };
        let response = self.record(outcome)?;
        let (op, status) = (self.op, response.status().as_u16());
        let monitor = &self.refresh.pipeline.monitor;
        let watch = |body| monitor.watch(op, status, body);
        pinelabs_http::read_whole(response, self.max_body, watch).await
    }

    /// Writes the call's record (once) and gives its answer.
    fn record(&mut self, outcome: Outcome) -> reqwest::Result<Response> {
        pinelabs_http::telemetry::end_call(&self.span, outcome.attempts, &outcome.result);
        let (pipeline, total) = (self.refresh.pipeline, self.refresh.total);
        scope::write(Record {
            request_id: Some(self.request_id.clone()),
            attempts: outcome.attempts,
            status: outcome.result.as_ref().ok().map(|r| r.status().as_u16()),
            budget_exhausted: outcome.budget_exhausted,
            timeout: if outcome.clipped {
                total
            } else {
                pipeline.timeouts.attempt
            },
            bearer: self
                .refresh
                .token
                .as_ref()
                .and_then(AccessToken::bearer)
                .cloned(),
        });
        match self.refresh.failure.take() {
            Some(failure) => pinelabs_http::fail(*failure),
            None => outcome.result,
        }
    }

    /// The end of a call that sent nothing: no token.
    fn failure(&self, failure: Error) -> reqwest::Result<Response> {
        telemetry::unsent(&self.span, &failure);
        scope::write(Record {
            request_id: Some(self.request_id.clone()),
            ..Record::default()
        });
        pinelabs_http::fail(failure)
    }
}

impl Pipeline {
    /// The client's own limits, for a call made without a scope.
    fn limits(&self) -> Limits {
        let total = self.timeouts.total;
        Limits {
            deadline: Instant::now() + total,
            total,
            max_attempts: None,
            request_id: None,
            headers: Default::default(),
            max_body: None,
        }
    }

    /// `User-Agent`, the call's extra headers, `Request-ID` (the caller's,
    /// else a fresh UUID) and `Request-Timestamp` (unless the caller set
    /// one); the `Request-ID` sent.
    fn identify(&self, request: &mut Request, limits: &Limits) -> HeaderValue {
        let headers = request.headers_mut();
        headers.insert(USER_AGENT, self.user_agent.clone());
        for (name, value) in &limits.headers {
            headers.append(name, value.clone());
        }
        pinelabs_api::headers::identify(headers, limits.request_id.as_ref())
    }

    /// A token from the source, bounded by the call's deadline.
    async fn fresh_token(
        &self,
        api: &pinelabs_api::Client,
        deadline: Instant,
        total: Duration,
    ) -> Result<AccessToken, Error> {
        match tokio::time::timeout_at(deadline, self.auth.token(api, self.timeouts.total)).await {
            Ok(result) => result,
            Err(_elapsed) => Err(Error::Timeout {
                after: total,
                request_id: None,
                attempts: 0,
                retry_budget_exhausted: false,
            }),
        }
    }

    /// The attempts of this call: the client's settings, narrowed.
    fn attempts<'a>(
        &'a self,
        api: &'a pinelabs_api::Client,
        op: &Operation,
        request: &Request,
        limits: &Limits,
    ) -> Attempts<'a> {
        let policy = self.policy.max_attempts;
        let rule = match self.idempotency.get(op.operation_id) {
            Some(true) => Retry::Idempotent,
            Some(false) => Retry::OnlyIfNotProcessed,
            None => Retry::for_method(request.method()),
        };
        Attempts {
            client: api.client(),
            policy: &self.policy,
            budget: self.budget.as_ref(),
            rule,
            max_attempts: limits.max_attempts.map_or(policy, |n| n.min(policy)),
            deadline: limits.deadline,
            attempt_timeout: self.timeouts.attempt,
            route: telemetry::route(op, &self.server),
        }
    }
}

/// The token a call sent, refreshed after a `401` when the source can.
struct Refresh<'a> {
    pipeline: &'a Pipeline,
    api: &'a pinelabs_api::Client,
    deadline: Instant,
    total: Duration,
    token: Option<AccessToken>,
    /// Why no fresh token came: the call's error (boxed: the call's future
    /// stays small).
    failure: Option<Box<Error>>,
}

impl Reauthorize for Refresh<'_> {
    fn reauthorize<'a>(
        &'a mut self,
        request: &'a mut Request,
    ) -> impl Future<Output = bool> + Send + 'a {
        // Boxed: the rare path adds nothing to every call's future.
        Box::pin(async move {
            let auth = &self.pipeline.auth;
            if !self.token.as_ref().is_some_and(|t| auth.invalidate(t)) {
                return false;
            }
            tracing::debug!("access token refused with 401; resending with a fresh token");
            let fresh = self
                .pipeline
                .fresh_token(self.api, self.deadline, self.total);
            match fresh.await.and_then(|t| bearer(request, t)) {
                Ok(fresh) => self.token = Some(fresh),
                Err(failure) => self.failure = Some(Box::new(failure)),
            }
            self.failure.is_none()
        })
    }
}

/// Puts `token` on `request` as its bearer.
fn bearer(request: &mut Request, token: AccessToken) -> Result<AccessToken, Error> {
    let Some(value) = token.bearer() else {
        return Err(Error::TokenUnavailable {
            reason: "the access token has characters a header cannot carry".to_owned(),
            status: None,
            cause: None,
        });
    };
    request.headers_mut().insert(AUTHORIZATION, value.clone());
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every documented 5xx and 429 is retried for idempotent calls, and
    /// every not-processed status is one that every authenticated operation
    /// documents (the token endpoint documents neither 429 nor 503).
    #[test]
    fn the_retry_lists_agree_with_the_spec() {
        use pinelabs_http::{NOT_PROCESSED_STATUSES, RETRYABLE_STATUSES};
        assert!(!spec::OPERATIONS.is_empty());
        for op in spec::OPERATIONS {
            for (status, _) in spec::documented_errors(op.operation_id) {
                if status >= 500 || status == 429 {
                    assert!(RETRYABLE_STATUSES.contains(&status), "{status}");
                }
            }
        }
        for status in NOT_PROCESSED_STATUSES {
            assert!(RETRYABLE_STATUSES.contains(status));
            for op in spec::OPERATIONS.iter().filter(|op| op.authenticated) {
                let documented = spec::documented_errors(op.operation_id);
                assert!(documented.into_iter().any(|(s, _)| s == *status));
            }
        }
    }
}
