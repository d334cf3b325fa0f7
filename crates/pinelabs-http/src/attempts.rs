//! The attempt loop: send, classify, wait or refresh, send again.
//!
//! [`Attempts::send`] is the only writer of what a request's attempts saw
//! ([`Outcome`]): every variable of the loop is its own, and each helper
//! takes values and returns a decision.

use std::{
    future::Future,
    pin::Pin,
    task::{Context, Poll},
    time::Duration,
};

use bytes::Bytes;
use reqwest::{Request, StatusCode};
use tokio::time::Instant;
use tracing::Instrument;

use crate::{
    budget::Bucket,
    cause::BoxError,
    policy::{Retry, RetryPolicy},
    telemetry::{self, ErrorType, Route},
};

/// The attempts of one request: the client's settings, narrowed for it.
#[derive(Debug, Clone, Copy)]
pub struct Attempts<'a> {
    /// The HTTP client.
    pub client: &'a reqwest::Client,
    /// How long to wait between attempts.
    pub policy: &'a RetryPolicy,
    /// The retry budget shared by the client's requests, if it has one.
    pub budget: Option<&'a Bucket>,
    /// What may be retried.
    pub rule: Retry,
    /// Attempts in all (a first `401` refresh is on top).
    pub max_attempts: u32,
    /// When the request must be over, retries and backoff included.
    pub deadline: Instant,
    /// The limit on one attempt, body included (clipped to the deadline).
    pub attempt_timeout: Duration,
    /// The method, path template and server, for spans and metrics.
    pub route: Route<'a>,
}

/// What the attempts of one request saw.
#[derive(Debug)]
pub struct Outcome {
    /// The final answer, its body not read yet (see [`crate::whole`]), or
    /// the final failure.
    pub result: reqwest::Result<reqwest::Response>,
    /// Requests sent, a `401` resend included.
    pub attempts: u32,
    /// Whether the retry budget refused a retry that the policy allowed.
    pub budget_exhausted: bool,
    /// Whether the deadline, not the attempt timeout, bounded the last
    /// attempt (its body included): a timeout of it is the deadline's.
    pub clipped: bool,
}

/// What [`Attempts::send`] asks after a `401`: to put fresh credentials
/// on the request, if there are any.
pub trait Reauthorize {
    /// Whether `request` now carries fresh credentials.
    fn reauthorize<'a>(
        &'a mut self,
        request: &'a mut Request,
    ) -> impl Future<Output = bool> + Send + 'a;
}

/// What to do after an attempt.
enum Step {
    Done,
    Reauthorize,
    Retry(Duration),
}

impl Attempts<'_> {
    /// Sends the request in `slot` until an answer is final. The request
    /// stays in the slot between attempts (each sends a copy; the last one,
    /// or one that cannot be copied, the request itself). An empty slot
    /// fails at once.
    ///
    /// After a `401`, `reauthorize` may put fresh credentials on the
    /// request (returning `true`): the first time this costs no attempt, a
    /// further one does. Each retry resends the same request, after the
    /// answer's `Retry-After` or the policy's backoff, while the deadline
    /// and the retry budget allow.
    pub async fn send(
        &self,
        slot: &mut Option<Request>,
        reauthorize: &mut impl Reauthorize,
    ) -> Outcome {
        let (mut attempts, mut retries, mut refreshed) = (0, 0, false);
        let (mut taken, mut budget_exhausted) = (None, false);
        let (result, clipped) = loop {
            let more = retries + 1 < self.max_attempts || !refreshed;
            let copy = slot.as_ref().filter(|_| more).and_then(copy);
            let Some((sent, clipped)) = copy.or_else(|| slot.take()).map(|r| self.start(r)) else {
                break (fail("no request to send: the slot is empty"), false);
            };
            let result = self.attempt(sent, attempts).await;
            attempts += 1;
            let (Some(request), step) = (slot.as_mut(), self.step(&result, retries, refreshed))
            else {
                break (result, clipped);
            };
            match step {
                Step::Reauthorize if reauthorize.reauthorize(request).await => {
                    retries += u32::from(refreshed);
                    refreshed = true;
                    self.count_retry(&result, false);
                }
                Step::Retry(delay) => match self.take_budget(&result) {
                    Some(cost) => {
                        (taken, retries) = (Some(cost), retries + 1);
                        self.count_retry(&result, false);
                        log_retry(retries, result, delay);
                        // Boxed: a retry's wait adds nothing to every future.
                        Box::pin(tokio::time::sleep(delay)).await;
                    }
                    None => {
                        budget_exhausted = true;
                        self.count_retry(&result, true);
                        break (result, clipped);
                    }
                },
                _ => break (result, clipped),
            }
        };
        self.settle(&result, taken);
        Outcome {
            result,
            attempts,
            budget_exhausted,
            clipped,
        }
    }

    /// Sends `request` with the attempt's time limit, clipped to the
    /// deadline (at least 1 ms, so that a spent deadline ends as a
    /// timeout); also whether the deadline clipped it.
    fn start(
        &self,
        mut request: Request,
    ) -> (
        impl Future<Output = reqwest::Result<reqwest::Response>> + use<'_>,
        bool,
    ) {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        let limit = self.attempt_timeout.min(remaining);
        *request.timeout_mut() = Some(limit.max(Duration::from_millis(1)));
        (self.client.execute(request), limit < self.attempt_timeout)
    }

    /// One attempt, inside its span when someone listens, timed.
    async fn attempt(
        &self,
        sent: impl Future<Output = reqwest::Result<reqwest::Response>>,
        resend_count: u32,
    ) -> reqwest::Result<reqwest::Response> {
        let span = telemetry::attempt_span(self.route, resend_count);
        let started = Instant::now();
        // Entering a span on every poll costs even when nobody listens.
        let result = if span.is_disabled() {
            sent.await
        } else {
            sent.instrument(span.clone()).await
        };
        telemetry::record_result(&span, &result);
        telemetry::attempt(self.route, &result, started.elapsed().as_secs_f64());
        result
    }

    /// What to do after an attempt (the request can be resent).
    fn step(
        &self,
        result: &reqwest::Result<reqwest::Response>,
        retries: u32,
        refreshed: bool,
    ) -> Step {
        let headers = result.as_ref().ok().map(reqwest::Response::headers);
        let status = result.as_ref().ok().map(reqwest::Response::status);
        let attempts_left = retries + 1 < self.max_attempts;
        if status == Some(StatusCode::UNAUTHORIZED) {
            return if attempts_left || !refreshed {
                Step::Reauthorize
            } else {
                Step::Done
            };
        }
        if !attempts_left || !self.rule.allows(result) {
            return Step::Done;
        }
        let delay = self.policy.delay(retries + 1, headers);
        if delay >= self.deadline.saturating_duration_since(Instant::now()) {
            return Step::Done; // no time left for another attempt
        }
        Step::Retry(delay)
    }

    /// Takes one retry's cost from the budget, if there is one; `None` when
    /// the budget refuses.
    fn take_budget(&self, result: &reqwest::Result<reqwest::Response>) -> Option<u32> {
        let Some(bucket) = self.budget else {
            return Some(0);
        };
        let cost = bucket.take(result.as_ref().is_err_and(reqwest::Error::is_timeout));
        telemetry::retry_budget(bucket.left());
        if cost.is_none() {
            tracing::info!("retry refused: the client's retry budget is exhausted");
        }
        cost
    }

    /// After the final answer: a success puts tokens back in the budget.
    fn settle(&self, result: &reqwest::Result<reqwest::Response>, taken: Option<u32>) {
        let succeeded = result.as_ref().is_ok_and(|r| r.status().is_success());
        if let Some(bucket) = self.budget.filter(|_| succeeded)
            && bucket.refund(taken)
        {
            telemetry::retry_budget(bucket.left());
        }
    }

    fn count_retry(&self, result: &reqwest::Result<reqwest::Response>, refused: bool) {
        telemetry::retry(self.route.template, ErrorType::of(result), refused);
    }
}

/// A copy of `request` for a later attempt. reqwest's `try_clone` also
/// copies the request's extensions, where reqwest keeps only the timeout,
/// and on the way fills in an empty timeout it then drops: three
/// allocations a call for nothing. Each attempt sets its own timeout
/// ([`Attempts::start`]), so a request without a body (whose copy needs
/// reqwest's own) is copied without them.
fn copy(request: &Request) -> Option<Request> {
    if request.body().is_some() {
        return request.try_clone();
    }
    let mut copy = Request::new(request.method().clone(), request.url().clone());
    *copy.headers_mut() = request.headers().clone();
    *copy.version_mut() = request.version();
    Some(copy)
}

/// Logs a retry after `result`, which is dropped: nothing of it is held
/// during the wait.
fn log_retry(retry: u32, result: reqwest::Result<reqwest::Response>, delay: Duration) {
    let error = ErrorType::of(&result);
    tracing::info!(
        retry,
        error = error.as_ref().map_or("", ErrorType::as_str),
        delay_ms = delay.as_millis() as u64,
        "retrying request"
    );
}

/// A failed result whose `reqwest::Error` has `error` as its source: how a
/// failure that is not reqwest's travels through code that only returns
/// `reqwest::Result` (a generated client's `exec` hook, say). Find it again
/// with [`carried`].
pub fn fail(error: impl Into<BoxError>) -> reqwest::Result<reqwest::Response> {
    let body = reqwest::Body::wrap(Failing(Some(error.into())));
    let mut response = reqwest::Response::from(http::Response::new(body));
    // The body fails on its first read, at once: polled once, the read is
    // over, and the `Ok` arm is not reached.
    let polled = {
        let read = std::pin::pin!(response.chunk());
        read.poll(&mut Context::from_waker(std::task::Waker::noop()))
    };
    match polled {
        Poll::Ready(Err(e)) => Err(e),
        _ => Ok(response),
    }
}

/// The error of type `E` that [`fail`] put into `error`, if any.
pub fn carried<E: std::error::Error + 'static>(error: &reqwest::Error) -> Option<&E> {
    crate::cause::chain(error).find_map(|e| e.downcast_ref::<E>())
}

/// A body whose first read fails with its error.
struct Failing(Option<BoxError>);

impl http_body::Body for Failing {
    type Data = Bytes;
    type Error = BoxError;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
        Poll::Ready(self.0.take().map(Err))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct Mine(u32);

    impl std::fmt::Display for Mine {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            write!(f, "mine {}", self.0)
        }
    }

    impl std::error::Error for Mine {}

    #[test]
    fn a_copy_keeps_the_method_url_headers_version_and_body() {
        let client = reqwest::Client::new();
        let get = client
            .get("http://127.0.0.1:1/api/v1/customer/c-1/tokens")
            .header("request-id", "id-1")
            .version(http::Version::HTTP_2)
            .build()
            .expect("request");
        let post = client
            .post("http://127.0.0.1:1/api/auth/v1/token")
            .body("{}")
            .build()
            .expect("request");
        for request in [get, post] {
            let copy = copy(&request).expect("copied");
            assert_eq!(copy.method(), request.method());
            assert_eq!(copy.url(), request.url());
            assert_eq!(copy.headers(), request.headers());
            assert_eq!(copy.version(), request.version());
            let body = |r: &Request| r.body().and_then(|b| b.as_bytes()).map(<[u8]>::to_vec);
            assert_eq!(body(&copy), body(&request));
        }
    }

    #[tokio::test]
    async fn a_carried_error_is_found_again() {
        let Err(error) = fail(Mine(7)) else {
            panic!("fail gives a failure");
        };
        assert_eq!(carried::<Mine>(&error), Some(&Mine(7)));
        assert!(carried::<std::io::Error>(&error).is_none());
    }
}
