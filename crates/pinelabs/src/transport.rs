//! The per-call middleware behind the generated client's hooks: auth headers,
//! the retry loop, `Retry-After`, and the 401 refresh.
//!
//! **Why the retry loop lives in the `exec` hook** and not in a retry crate
//! wrapped around the generated method: the hook receives the request the
//! generated code built, so every attempt resends exactly the same bytes
//! (body, `merchant_unique_reference`, `Request-ID`, `Request-Timestamp`);
//! it sees the raw status and headers, so it can apply the per-operation
//! idempotency rules and honour `Retry-After`; and it can swap only the
//! `Authorization` header after a 401. Crates such as `backon` retry a
//! closure that rebuilds the request and see only the final typed error,
//! which would need all of this re-plumbed around them. The loop itself is
//! a dozen lines; the backoff is in [`RetryPolicy::backoff`].

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant, SystemTime},
};

use pinelabs_api::hooks::{BoxFuture, Middleware};
use reqwest::{
    StatusCode,
    header::{AUTHORIZATION, HeaderValue, RETRY_AFTER, USER_AGENT},
};

use crate::{
    auth::{AccessToken, TokenProvider},
    config::{RetryPolicy, Timeouts},
    error::Error,
};

/// What an operation is, for the retry rules and for tracing.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The spec's operationId.
    pub id: &'static str,
    /// HTTP method.
    pub method: &'static str,
    /// The path template; raw ids are not logged (they identify customers).
    pub route: &'static str,
    /// Whether resending after an ambiguous failure is harmless.
    pub idempotent: bool,
}

pub(crate) const LIST_TOKENS: Operation = Operation {
    id: "list_customer_tokens",
    method: "GET",
    route: "/api/v1/customer/{customer_id}/tokens",
    idempotent: true,
};

pub(crate) const DELETE_TOKEN: Operation = Operation {
    id: "delete_customer_token",
    method: "POST",
    route: "/api/v1/customer/{customer_id}/tokens/{token_id}/delete",
    idempotent: false,
};

impl Operation {
    fn retries_status(&self, status: StatusCode) -> bool {
        if self.idempotent {
            matches!(status.as_u16(), 408 | 429 | 500 | 502 | 503 | 504)
        } else {
            // The server refused before doing anything.
            matches!(status.as_u16(), 429 | 503)
        }
    }

    fn retries_error(&self, error: &reqwest::Error) -> bool {
        // A connect error means nothing reached the server; a timeout may
        // come after the server acted, so only idempotent calls retry it.
        error.is_connect() || (self.idempotent && error.is_timeout())
    }
}

/// What happened during one call, read by the client afterwards.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
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
}

/// One call's middleware: created per call so that its [`Outcome`] is the
/// call's own.
#[derive(Debug)]
pub(crate) struct Call {
    pub op: &'static Operation,
    pub auth: Arc<dyn TokenProvider>,
    pub policy: RetryPolicy,
    pub timeouts: Timeouts,
    /// When the whole call must be over: `timeouts.total` after it started.
    /// Every attempt's reqwest timeout (which also covers reading the body)
    /// is clipped to it, and no backoff sleeps past it, so no separate timer
    /// wraps the call.
    pub deadline: Instant,
    pub user_agent: HeaderValue,
    pub outcome: Mutex<Outcome>,
}

impl Call {
    pub(crate) fn outcome(&self) -> std::sync::MutexGuard<'_, Outcome> {
        self.outcome.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn authorize(&self, request: &mut reqwest::Request, token: AccessToken) -> Result<(), String> {
        let value = token.bearer_header().ok_or_else(|| {
            "the access token contains characters not allowed in a header".to_owned()
        })?;
        request.headers_mut().insert(AUTHORIZATION, value);
        self.outcome().token = Some(token);
        Ok(())
    }

    /// Time left before the deadline.
    fn remaining(&self) -> Duration {
        self.deadline.saturating_duration_since(Instant::now())
    }

    /// A token from the provider, bounded by the deadline.
    async fn token(&self) -> Result<AccessToken, Error> {
        if let Some(token) = self.auth.ready_token() {
            return Ok(token);
        }
        match tokio::time::timeout(self.remaining(), self.auth.token()).await {
            Ok(result) => result,
            Err(_elapsed) => {
                self.outcome().deadline_hit = true;
                Err(Error::Auth {
                    reason: format!(
                        "no access token within the call's {:?} timeout",
                        self.timeouts.total
                    ),
                    status: None,
                })
            }
        }
    }

    /// After a 401: drop the rejected token and fetch another, if the
    /// provider can. Returns whether the request now carries a new token.
    async fn refresh_after_401(&self, request: &mut reqwest::Request) -> bool {
        let Some(rejected) = self.outcome().token.clone() else {
            return false;
        };
        if !self.auth.invalidate(&rejected) {
            return false;
        }
        match self.token().await {
            Ok(fresh) => match self.authorize(request, fresh) {
                Ok(()) => true,
                Err(reason) => {
                    self.outcome().auth_error = Some(Error::Auth {
                        reason,
                        status: None,
                    });
                    false
                }
            },
            Err(e) => {
                self.outcome().auth_error = Some(e);
                false
            }
        }
    }

    fn delay_before_retry(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        match retry_after {
            Some(asked) => asked.min(self.policy.max_retry_after),
            None => self.policy.backoff(retry),
        }
    }
}

/// A short, URL-free description of a transport error for logs.
pub(crate) fn transport_kind(error: &reqwest::Error) -> &'static str {
    if error.is_connect() {
        "connect"
    } else if error.is_timeout() {
        "timeout"
    } else if error.is_body() || error.is_decode() {
        "body"
    } else {
        "request"
    }
}

/// `Retry-After` as a delay: delta-seconds or an HTTP date.
pub(crate) fn parse_retry_after(value: &HeaderValue) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if let Ok(secs) = text.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(text).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

impl Middleware for Call {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _operation_id: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            request
                .headers_mut()
                .insert(USER_AGENT, self.user_agent.clone());
            match self.token().await {
                Ok(token) => self.authorize(request, token),
                Err(e) => {
                    self.outcome().auth_error = Some(e);
                    Err("no access token could be obtained".to_owned())
                }
            }
        })
    }

    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        mut request: reqwest::Request,
        _operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let mut retries = 0;
            let mut refreshed = false;
            loop {
                // The attempt's timeout, clipped to the call's deadline (at
                // least 1 ms, so that a spent budget ends as a timeout).
                let remaining = self.remaining();
                let budget = self
                    .timeouts
                    .attempt
                    .min(remaining)
                    .max(Duration::from_millis(1));
                let clipped = budget < self.timeouts.attempt;
                *request.timeout_mut() = Some(budget);
                // JSON bodies are bytes, so the clone always succeeds; a
                // streaming body could not be resent, so it is sent once.
                let Some(this_attempt) = request.try_clone() else {
                    self.outcome().attempts += 1;
                    return client.execute(request).await;
                };
                self.outcome().attempts += 1;
                let result = client.execute(this_attempt).await;
                if clipped && result.as_ref().is_err_and(reqwest::Error::is_timeout) {
                    self.outcome().deadline_hit = true;
                }

                let (status, retry_after) = match &result {
                    Ok(response) => (
                        Some(response.status()),
                        response
                            .headers()
                            .get(RETRY_AFTER)
                            .and_then(parse_retry_after),
                    ),
                    Err(_) => (None, None),
                };
                {
                    let mut outcome = self.outcome();
                    outcome.status = status.map(|s| s.as_u16());
                    outcome.retry_after = retry_after;
                }

                if status == Some(StatusCode::UNAUTHORIZED) && !refreshed {
                    refreshed = true;
                    if self.refresh_after_401(&mut request).await {
                        tracing::debug!(
                            "access token refused with 401; resending once with a fresh token"
                        );
                        continue;
                    }
                    return result;
                }

                let retryable = match (&result, status) {
                    (_, Some(status)) => self.op.retries_status(status),
                    (Err(e), None) => self.op.retries_error(e),
                    (Ok(_), None) => false,
                };
                if !retryable || retries + 1 >= self.policy.max_attempts {
                    return result;
                }
                retries += 1;
                let delay = self.delay_before_retry(retries, retry_after);
                if delay >= self.remaining() {
                    // No time left for another attempt: this is the answer.
                    return result;
                }
                match &result {
                    Ok(response) => tracing::info!(
                        retry = retries,
                        status = response.status().as_u16(),
                        delay_ms = delay.as_millis() as u64,
                        "retrying pinelabs call after a retryable status"
                    ),
                    Err(e) => tracing::info!(
                        retry = retries,
                        error = transport_kind(e),
                        delay_ms = delay.as_millis() as u64,
                        "retrying pinelabs call after a transport error"
                    ),
                }
                drop(result);
                tokio::time::sleep(delay).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_accepts_seconds_and_http_dates() {
        let secs = HeaderValue::from_static("7");
        assert_eq!(parse_retry_after(&secs), Some(Duration::from_secs(7)));
        let future = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let delay = parse_retry_after(&HeaderValue::try_from(future).expect("header"));
        assert!(
            delay.is_some_and(|d| d > Duration::from_secs(100) && d <= Duration::from_secs(120))
        );
        let past = HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT");
        assert_eq!(parse_retry_after(&past), Some(Duration::ZERO));
        assert_eq!(parse_retry_after(&HeaderValue::from_static("soon")), None);
    }

    #[test]
    fn delete_retries_only_where_nothing_happened() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(LIST_TOKENS.retries_status(StatusCode::from_u16(code).expect("status")));
        }
        for code in [429, 503] {
            assert!(DELETE_TOKEN.retries_status(StatusCode::from_u16(code).expect("status")));
        }
        for code in [400, 401, 404, 408, 500, 502, 504] {
            assert!(!DELETE_TOKEN.retries_status(StatusCode::from_u16(code).expect("status")));
        }
    }
}
