//! Retries, Retry-After, idempotency rules and timeouts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::{Duration, Instant};

use common::*;
use pinelabs::{Client, DeleteToken, Error};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

async fn failing_then_ok(status: u16, failures: u64, ok_body: &str) -> MockServer {
    fail_then_ok(
        ResponseTemplate::new(status).set_body_json(error_body("X")),
        failures,
        ok_body,
    )
    .await
}

/// Answers `failure` `failures` times, then 200 with `ok_body`.
async fn fail_then_ok(failure: ResponseTemplate, failures: u64, ok_body: &str) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(failure)
        .up_to_n_times(failures)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_raw(ok_body.to_owned(), "application/json"),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn get_retries_503_honouring_retry_after_then_succeeds_with_the_same_request_id() {
    let unavailable = ResponseTemplate::new(503)
        .insert_header("retry-after", "1")
        .set_body_json(error_body("SERVICE_UNAVAILABLE"));
    let server = fail_then_ok(unavailable, 1, list_200()).await;

    let started = Instant::now();
    let tokens = client(&server)
        .list_tokens(CUSTOMER)
        .await
        .expect("retried to success");
    assert_eq!(tokens.total_tokens, Some(1));
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 was honoured"
    );

    let sent = requests(&server).await;
    assert_eq!(sent.len(), 2);
    assert_eq!(
        header(&sent[0], "request-id"),
        header(&sent[1], "request-id")
    );
    assert_eq!(
        header(&sent[0], "request-timestamp"),
        header(&sent[1], "request-timestamp")
    );
}

/// A `Retry-After: 3600` is capped at `max_retry_after` (50 ms): the
/// retry comes 50 ms later on the paused clock.
#[tokio::test(start_paused = true)]
async fn retry_after_is_capped() {
    let (sandbox, client) =
        paused_sandbox(Duration::from_secs(30), Duration::from_millis(50)).await;
    sandbox.inject_faults(1, pinelabs_sandbox::Fault::status(429).retry_after(3600));
    let started = tokio::time::Instant::now();
    client
        .list_tokens(pinelabs_sandbox::SEED_CUSTOMER_ID)
        .await
        .expect("retried");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_millis(50) && took < Duration::from_millis(60),
        "took {took:?}"
    );
    assert_eq!(sandbox.requests().len(), 2);
}

/// A sandbox on this test's runtime (so its latency and faults run on the
/// paused clock) and a client for it: 200 ms attempts, `total` per call,
/// `Retry-After` capped at `max_retry_after`.
async fn paused_sandbox(
    total: Duration,
    max_retry_after: Duration,
) -> (pinelabs_sandbox::Sandbox, Client) {
    let sandbox = pinelabs_sandbox::Sandbox::start().await.expect("sandbox");
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .retry_policy(fast_retries().max_retry_after(max_retry_after))
        .timeouts(
            pinelabs::Timeouts::default()
                .attempt(Duration::from_millis(200))
                .total(total),
        )
        .build()
        .expect("config");
    (sandbox, client)
}

#[tokio::test]
async fn get_retries_each_retryable_status_up_to_max_attempts() {
    for status in [408, 429, 500, 502, 503, 504] {
        let server = failing_then_ok(status, 100, list_200()).await;
        let err = client(&server)
            .list_tokens(CUSTOMER)
            .await
            .expect_err("keeps failing");
        assert_eq!(err.status(), Some(status));
        assert_eq!(
            requests(&server).await.len(),
            3,
            "status {status}: 3 attempts"
        );
    }
}

#[tokio::test]
async fn get_does_not_retry_client_errors() {
    for status in [400, 403, 404] {
        let server = failing_then_ok(status, 100, list_200()).await;
        client(&server)
            .list_tokens(CUSTOMER)
            .await
            .expect_err("fails");
        assert_eq!(requests(&server).await.len(), 1, "status {status}");
    }
}

#[tokio::test]
async fn delete_is_not_retried_on_500_502_504() {
    for status in [500, 502, 504] {
        let server = failing_then_ok(status, 1, delete_200()).await;
        let err = client(&server)
            .delete_token(CUSTOMER, TOKEN, &DeleteToken::new("del-ref-001"))
            .await
            .expect_err("not retried");
        assert_eq!(err.status(), Some(status));
        assert!(
            err.is_retryable(),
            "the caller may retry with the same reference"
        );
        assert_eq!(
            requests(&server).await.len(),
            1,
            "status {status}: sent once"
        );
    }
}

#[tokio::test]
async fn delete_is_retried_on_429_and_503_with_the_same_reference_and_request_id() {
    for status in [429, 503] {
        let server = failing_then_ok(status, 1, delete_200()).await;
        client(&server)
            .delete_token(CUSTOMER, TOKEN, &DeleteToken::new("del-ref-001"))
            .await
            .expect("retried to success");
        let sent = requests(&server).await;
        assert_eq!(sent.len(), 2);
        assert_eq!(
            sent[0].body, sent[1].body,
            "same body, so the same reference"
        );
        assert_eq!(
            header(&sent[0], "request-id"),
            header(&sent[1], "request-id")
        );
    }
}

/// A server that answers `body` after 10 s, and a client with a 200 ms
/// attempt timeout and the given total timeout.
async fn slow_server(body: &str, total: Duration) -> (MockServer, Client) {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(body.to_owned(), "application/json")
                .set_delay(Duration::from_secs(10)),
        )
        .mount(&server)
        .await;
    let client = builder(&server)
        .timeouts(
            pinelabs::Timeouts::default()
                .attempt(Duration::from_millis(200))
                .total(total),
        )
        .build()
        .expect("config");
    (server, client)
}

/// A server slower than every attempt: the call ends as `Error::Timeout`
/// at its 500 ms deadline (paused clock: exactly, not "about").
#[tokio::test(start_paused = true)]
async fn a_slow_server_gives_error_timeout_at_the_deadline() {
    let (sandbox, client) =
        paused_sandbox(Duration::from_millis(500), Duration::from_secs(5)).await;
    sandbox.set_latency(Duration::from_secs(10));
    let started = tokio::time::Instant::now();
    let err = client
        .list_tokens(pinelabs_sandbox::SEED_CUSTOMER_ID)
        .await
        .expect_err("too slow");
    let took = started.elapsed();
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert!(
        took >= Duration::from_millis(500) && took < Duration::from_millis(510),
        "took {took:?}"
    );
    assert!(err.request_id().is_some());
}

#[tokio::test]
async fn a_slow_delete_times_out_without_being_resent() {
    let (server, client) = slow_server(delete_200(), Duration::from_secs(3)).await;
    let err = client
        .delete_token(CUSTOMER, TOKEN, &DeleteToken::new("r"))
        .await
        .expect_err("too slow");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert_eq!(
        requests(&server).await.len(),
        1,
        "a timed-out delete may have happened: not resent"
    );
}

// Connection refused, DNS, TLS and closed connections: `tests/causes.rs`.

#[tokio::test]
async fn a_dropped_connection_is_retried_for_a_get_but_not_for_a_delete() {
    let sandbox = pinelabs_sandbox::Sandbox::start().await.expect("sandbox");
    // Every answer is dropped after the sandbox handled the call.
    sandbox.set_chaos(Some(pinelabs_sandbox::Chaos::new(1).dropped(1.0)));
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .retry_policy(fast_retries())
        .build()
        .expect("config");
    let attempts = fast_retries().max_attempts as usize;
    let err = client
        .list_tokens(pinelabs_sandbox::SEED_CUSTOMER_ID)
        .await
        .expect_err("every answer dropped");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert_eq!(sandbox.requests().len(), attempts, "the list was retried");
    let err = client
        .delete_token(
            pinelabs_sandbox::SEED_CUSTOMER_ID,
            pinelabs_sandbox::SEED_TOKEN_ID,
            &DeleteToken::new("dropped-1"),
        )
        .await
        .expect_err("answer dropped");
    assert!(matches!(err, Error::Transport { .. }), "{err:?}");
    assert!(
        err.is_retryable(),
        "the caller may resend with the same reference"
    );
    assert_eq!(
        sandbox.requests().len(),
        attempts + 1,
        "the delete was sent once"
    );
    assert_eq!(sandbox.applied_deletes().len(), 1, "and it took effect");
}

/// A token source that never answers.
#[derive(Debug)]
struct Hanging;

impl pinelabs::auth::TokenProvider for Hanging {
    fn token(
        &self,
    ) -> pinelabs::auth::BoxFuture<'_, pinelabs::Result<pinelabs::auth::AccessToken>> {
        Box::pin(std::future::pending())
    }
}

#[tokio::test(start_paused = true)]
async fn a_hanging_token_provider_is_bounded_by_the_total_timeout() {
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .credentials(pinelabs::auth::Credentials::provider(std::sync::Arc::new(
            Hanging,
        )))
        .timeouts(pinelabs::Timeouts::default().total(Duration::from_millis(300)))
        .build()
        .expect("config");
    let started = tokio::time::Instant::now();
    let err = client.list_tokens(CUSTOMER).await.expect_err("no token");
    assert!(
        matches!(err, Error::Timeout { after, .. } if after == Duration::from_millis(300)),
        "{err:?}"
    );
    assert_eq!(started.elapsed(), Duration::from_millis(300));
}

/// A `Retry-After` longer than the time left is not slept: the 503 is the
/// answer, at once (paused clock).
#[tokio::test(start_paused = true)]
async fn no_retry_sleeps_past_the_deadline() {
    let (sandbox, client) = paused_sandbox(Duration::from_secs(1), Duration::from_secs(5)).await;
    sandbox.inject_faults(1, pinelabs_sandbox::Fault::status(503).retry_after(3));
    let started = tokio::time::Instant::now();
    let err = client
        .list_tokens(pinelabs_sandbox::SEED_CUSTOMER_ID)
        .await
        .expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(
        started.elapsed(),
        Duration::ZERO,
        "returned the 503 instead of sleeping 3 s"
    );
    assert_eq!(sandbox.requests().len(), 1);
}

/// Retry safety follows the method unless the client overrides it for an
/// operationId: a delete marked idempotent is retried after a 500.
#[tokio::test]
async fn an_idempotency_override_makes_a_delete_retryable_like_a_get() {
    let server = failing_then_ok(500, 1, delete_200()).await;
    let client = builder(&server)
        .idempotent("delete_customer_token", true)
        .build()
        .expect("a known operationId");
    client
        .delete_token(CUSTOMER, TOKEN, &DeleteToken::new("del-ref-001"))
        .await
        .expect("retried to success");
    assert_eq!(requests(&server).await.len(), 2);

    let unknown = Client::builder()
        .access_token("t")
        .idempotent("no_such_operation", true)
        .build()
        .expect_err("not in the spec");
    assert!(
        matches!(
            unknown,
            Error::InvalidInput {
                field: "idempotent",
                ..
            }
        ),
        "{unknown:?}"
    );
}
