//! The attempt loop: send, classify, wait or refresh, send again; then read
//! the final body, capped.
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
use http_body_util::{BodyExt, LengthLimitError};
use reqwest::{Request, StatusCode, Url, header::HeaderMap};
use tokio::time::Instant;
use tracing::Instrument;

use crate::{
    budget::Bucket,
    policy::{Retry, RetryPolicy},
    telemetry::{self, ErrorType, Route},
};

/// A boxed error, as reqwest and `http-body` carry them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

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
    /// The most bytes of the final answer's body that are read.
    pub max_body: usize,
    /// The method, path template and server, for spans and metrics.
    pub route: Route<'a>,
}

/// What the attempts of one request saw.
#[derive(Debug)]
pub struct Outcome {
    /// The final answer with its body read, or the final failure. A body
    /// over `max_body` is a failure that carries [`BodyTooLarge`].
    pub result: reqwest::Result<Answer>,
    /// Requests sent, a `401` resend included.
    pub attempts: u32,
    /// Whether the retry budget refused a retry that the policy allowed.
    pub budget_exhausted: bool,
    /// Whether the deadline, not the attempt timeout, cut the last attempt.
    pub deadline_hit: bool,
}

/// A final answer, its body in memory.
#[derive(Debug)]
pub struct Answer {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The URL it came from.
    pub url: Url,
    /// The body.
    pub body: Bytes,
}

impl Answer {
    /// The answer as a `reqwest::Response` whose body is `body` (its own
    /// bytes, or another view of them).
    pub fn into_response(self, body: Bytes) -> reqwest::Response {
        use reqwest::ResponseBuilderExt;
        let mut builder = http::Response::builder().status(self.status).url(self.url);
        if let Some(headers) = builder.headers_mut() {
            *headers = self.headers;
        }
        match builder.body(body) {
            Ok(response) => response.into(),
            // A status taken from a response is valid: not reached.
            Err(_) => http::Response::new(Bytes::new()).into(),
        }
    }
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
    /// Sends `request` until an answer is final, then reads its body.
    ///
    /// After a `401`, `reauthorize` may put fresh credentials on the
    /// request (returning `true`): the first time this costs no attempt, a
    /// further one does. Each retry resends the same request, after the
    /// answer's `Retry-After` or the policy's backoff, while the deadline
    /// and the retry budget allow.
    pub async fn send(&self, mut request: Request, reauthorize: &mut impl Reauthorize) -> Outcome {
        let (mut attempts, mut retries, mut refreshed) = (0, 0, false);
        let (mut taken, mut budget_exhausted) = (None, false);
        let (result, deadline_hit) = loop {
            let more = retries + 1 < self.max_attempts || !refreshed;
            let next = more.then(|| request.try_clone()).flatten();
            let (result, clipped) = self.attempt(request, attempts).await;
            attempts += 1;
            let deadline_hit = clipped && result.as_ref().is_err_and(reqwest::Error::is_timeout);
            let (Some(mut next), step) = (next, self.step(&result, retries, refreshed)) else {
                break (result, deadline_hit);
            };
            match step {
                Step::Reauthorize if reauthorize.reauthorize(&mut next).await => {
                    retries += u32::from(refreshed);
                    refreshed = true;
                    self.count_retry(&result, false);
                }
                Step::Retry(delay) => match self.take_budget(&result) {
                    Some(cost) => {
                        (taken, retries) = (Some(cost), retries + 1);
                        self.count_retry(&result, false);
                        log_retry(retries, &result, delay);
                        drop(result);
                        tokio::time::sleep(delay).await;
                    }
                    None => {
                        budget_exhausted = true;
                        self.count_retry(&result, true);
                        break (result, deadline_hit);
                    }
                },
                _ => break (result, deadline_hit),
            }
            request = next;
        };
        self.settle(&result, taken);
        let result = match result {
            Ok(response) => read(response, self.max_body).await,
            Err(e) => Err(e),
        };
        Outcome {
            result,
            attempts,
            budget_exhausted,
            deadline_hit,
        }
    }

    /// One attempt, inside its span when someone listens, timed; also
    /// whether the deadline clipped its timeout.
    async fn attempt(
        &self,
        mut request: Request,
        resend_count: u32,
    ) -> (reqwest::Result<reqwest::Response>, bool) {
        let remaining = self.deadline.saturating_duration_since(Instant::now());
        // At least 1 ms, so that a spent deadline ends as a timeout.
        let limit = self
            .attempt_timeout
            .min(remaining)
            .max(Duration::from_millis(1));
        *request.timeout_mut() = Some(limit);
        let span = telemetry::attempt_span(self.route, resend_count);
        let started = Instant::now();
        // Entering a span on every poll costs even when nobody listens.
        let result = if span.is_disabled() {
            self.client.execute(request).await
        } else {
            self.client.execute(request).instrument(span.clone()).await
        };
        telemetry::record_result(&span, &result);
        telemetry::attempt(self.route, &result, started.elapsed().as_secs_f64());
        (result, limit < self.attempt_timeout)
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

fn log_retry(retry: u32, result: &reqwest::Result<reqwest::Response>, delay: Duration) {
    let error = ErrorType::of(result);
    tracing::info!(
        retry,
        error = error.as_ref().map_or("", ErrorType::as_str),
        delay_ms = delay.as_millis() as u64,
        "retrying request"
    );
}

/// Reads `response`'s body, at most `limit` bytes: the one reader of
/// bodies. A body declared within the limit is read as it is; any other is
/// cut off past the limit, so an endless body costs at most `limit` bytes.
async fn read(response: reqwest::Response, limit: usize) -> reqwest::Result<Answer> {
    let declared = response.content_length();
    let url = response.url().clone();
    let (parts, body) = http::Response::<reqwest::Body>::from(response).into_parts();
    let body = if declared.is_some_and(|len| len <= limit as u64) {
        body.collect().await?.to_bytes()
    } else {
        let limited = reqwest::Body::wrap(http_body_util::Limited::new(body, limit));
        match limited.collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(e) if crate::cause::chain(&e).any(|e| e.is::<LengthLimitError>()) => {
                return Err(fail(BodyTooLarge { limit }).await.err().unwrap_or(e));
            }
            Err(e) => return Err(e),
        }
    };
    Ok(Answer {
        status: parts.status,
        headers: parts.headers,
        url,
        body,
    })
}

/// The failure of an answer whose body is over the limit of
/// [`Attempts::send`] (carried: see [`carried`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyTooLarge {
    /// The limit, in bytes.
    pub limit: usize,
}

impl std::fmt::Display for BodyTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the body is larger than the {}-byte limit", self.limit)
    }
}

impl std::error::Error for BodyTooLarge {}

/// A failed result whose `reqwest::Error` has `error` as its source: how a
/// failure that is not reqwest's travels through code that only returns
/// `reqwest::Result` (a generated client's `exec` hook, say). Find it again
/// with [`carried`].
pub async fn fail(error: impl Into<BoxError>) -> reqwest::Result<reqwest::Response> {
    let body = reqwest::Body::wrap(Failing(Some(error.into())));
    let mut response = reqwest::Response::from(http::Response::new(body));
    // The body fails on its first read, so the `Ok` arm is not reached.
    response.chunk().await.map(|_| response)
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

    #[tokio::test]
    async fn a_carried_error_is_found_again() {
        let Err(error) = fail(Mine(7)).await else {
            panic!("fail gives a failure");
        };
        assert_eq!(carried::<Mine>(&error), Some(&Mine(7)));
        assert!(carried::<std::io::Error>(&error).is_none());
    }

    #[tokio::test]
    async fn a_body_over_the_limit_fails_and_one_within_is_read() {
        let answer = |body: &'static str| reqwest::Response::from(http::Response::new(body));
        let Err(error) = read(answer("0123456789"), 4).await else {
            panic!("over the limit");
        };
        assert_eq!(carried(&error), Some(&BodyTooLarge { limit: 4 }));
        let within = read(answer("0123"), 4).await.expect("within the limit");
        assert_eq!(&within.body[..], b"0123");
        let endless = reqwest::Body::wrap(Endless);
        let Err(error) = read(reqwest::Response::from(http::Response::new(endless)), 4).await
        else {
            panic!("an endless body stops at the limit");
        };
        assert_eq!(carried(&error), Some(&BodyTooLarge { limit: 4 }));
    }

    /// A body without a declared length that never ends.
    struct Endless;

    impl http_body::Body for Endless {
        type Data = Bytes;
        type Error = BoxError;

        fn poll_frame(
            self: Pin<&mut Self>,
            _: &mut Context<'_>,
        ) -> Poll<Option<Result<http_body::Frame<Bytes>, BoxError>>> {
            Poll::Ready(Some(Ok(http_body::Frame::data(Bytes::from_static(b"xx")))))
        }
    }
}
