//! Per-call control: a test per option, the response metadata, and
//! cancellation at each point where a call can be waiting. Paused clock
//! against the in-runtime sandbox (its latency and token latency are tokio
//! timers), so no test depends on the machine's speed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{future::IntoFuture, time::Duration};

use common::*;
use pinelabs::{CallOptions, Client, DeleteToken, Error, RetryBudget, RetryPolicy};
use pinelabs_sandbox::{Fault, SEED_CUSTOMER_ID, SEED_TOKEN_ID, Sandbox};
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{header, method},
};

/// A static-token client of `sandbox` with a 30 s call timeout and quick
/// backoff.
fn client_of(sandbox: &Sandbox) -> Client {
    Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .timeouts(pinelabs::Timeouts::default().total(Duration::from_secs(30)))
        .retry_policy(
            RetryPolicy::default()
                .initial_backoff(Duration::from_millis(10))
                .max_backoff(Duration::from_millis(10)),
        )
        .build()
        .expect("config")
}

#[tokio::test(start_paused = true)]
async fn a_per_call_timeout_shorter_than_the_clients_ends_the_call_with_its_context() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.set_latency(Duration::from_secs(5));
    let client = client_of(&sandbox);
    let started = tokio::time::Instant::now();
    let err = client
        .list_tokens(SEED_CUSTOMER_ID)
        .options(
            CallOptions::new()
                .timeout(Duration::from_millis(800))
                .request_id("handler-budget-1"),
        )
        .await
        .expect_err("the answer takes 5 s");
    assert_eq!(started.elapsed(), Duration::from_millis(800));
    match &err {
        Error::Timeout {
            after,
            request_id,
            attempts,
            ..
        } => {
            assert_eq!(*after, Duration::from_millis(800));
            assert_eq!(request_id.as_deref(), Some("handler-budget-1"));
            assert_eq!(*attempts, 1);
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn one_attempt_sends_once() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let client = client_of(&sandbox);
    sandbox.inject_faults(1, Fault::status(503).retry_after(0));
    let err = client
        .list_tokens(SEED_CUSTOMER_ID)
        .options(CallOptions::new().max_attempts(1))
        .await
        .expect_err("503");
    assert_eq!(err.status(), Some(503));
    assert_eq!(sandbox.requests().len(), 1, "sent once");
    // Without the option the same fault is retried.
    sandbox.inject_faults(1, Fault::status(503).retry_after(0));
    client.list_tokens(SEED_CUSTOMER_ID).await.expect("retried");
    assert_eq!(sandbox.requests().len(), 3);
}

/// `max_attempts` caps the attempts below the policy's (3), and never
/// raises them: `max_attempts(10)` still sends at most 3.
#[tokio::test(start_paused = true)]
async fn max_attempts_narrows_the_policy_and_never_widens_it() {
    for (asked, sent) in [(2, 2), (10, 3)] {
        let sandbox = Sandbox::start().await.expect("sandbox");
        sandbox.inject_faults(10, Fault::status(503).retry_after(0));
        client_of(&sandbox)
            .list_tokens(SEED_CUSTOMER_ID)
            .options(CallOptions::new().max_attempts(asked))
            .await
            .expect_err("503");
        assert_eq!(sandbox.requests().len(), sent, "max_attempts({asked})");
    }
}

#[tokio::test(start_paused = true)]
async fn a_callers_request_id_is_sent_on_every_attempt_and_reported_back() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let client = client_of(&sandbox);
    sandbox.inject_faults(1, Fault::status(503).retry_after(0));
    let answer = client
        .list_tokens(SEED_CUSTOMER_ID)
        .options(CallOptions::new().request_id("svc-7781"))
        .with_metadata()
        .await
        .expect("retried once");
    assert_eq!(answer.request_id(), Some("svc-7781"));
    assert_eq!(answer.attempts(), 2);
    let sent: Vec<_> = sandbox
        .requests()
        .into_iter()
        .map(|r| r.request_id)
        .collect();
    assert_eq!(sent, [Some("svc-7781".into()), Some("svc-7781".into())]);
    sandbox.inject_faults(1, Fault::status(500));
    let err = client
        .delete_token(SEED_CUSTOMER_ID, SEED_TOKEN_ID, &DeleteToken::new("d-1"))
        .options(CallOptions::new().request_id("svc-7782"))
        .await
        .expect_err("500");
    assert_eq!(err.request_id(), Some("svc-7782"), "errors report it too");
    let invalid = client
        .list_tokens(SEED_CUSTOMER_ID)
        .options(CallOptions::new().request_id("x".repeat(51)))
        .await
        .expect_err("too long");
    assert!(
        matches!(
            invalid,
            Error::InvalidInput {
                field: "request_id",
                ..
            }
        ),
        "{invalid:?}"
    );
    assert_eq!(
        sandbox.requests().len(),
        3,
        "nothing sent for an invalid id"
    );
}

#[tokio::test]
async fn extra_headers_arrive_and_reserved_ones_are_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("x-correlation-id", "order-7781"))
        .and(header("x-tenant", "north"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(list_200(), "application/json"))
        .mount(&server)
        .await;
    let client = client(&server);
    client
        .list_tokens(CUSTOMER)
        .options(
            CallOptions::new()
                .header("x-correlation-id", "order-7781")
                .header("x-tenant", "north"),
        )
        .await
        .expect("both headers matched");
    for reserved in ["Authorization", "request-id", "content-type", "User-Agent"] {
        let err = client
            .list_tokens(CUSTOMER)
            .options(CallOptions::new().header(reserved, "x"))
            .await
            .expect_err("reserved");
        assert!(
            matches!(
                err,
                Error::InvalidInput {
                    field: "header",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert_eq!(
        requests(&server).await.len(),
        1,
        "nothing sent for a refused header"
    );
}

/// No option makes a delete retry where the client would not: more
/// attempts than the policy, or any, after a 500.
#[tokio::test(start_paused = true)]
async fn no_option_makes_a_delete_retry_after_a_500() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let client = client_of(&sandbox);
    sandbox.inject_faults(1, Fault::status(500));
    let err = client
        .delete_token(SEED_CUSTOMER_ID, SEED_TOKEN_ID, &DeleteToken::new("d-500"))
        .options(
            CallOptions::new()
                .max_attempts(10)
                .timeout(Duration::from_secs(60)),
        )
        .await
        .expect_err("500");
    assert_eq!(err.status(), Some(500));
    assert_eq!(
        sandbox.requests().len(),
        1,
        "a delete is not resent after a 500"
    );
}

#[tokio::test]
async fn metadata_has_the_status_headers_and_request_id_of_a_success() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let client = client_of(&sandbox);
    let answer = client
        .list_tokens(SEED_CUSTOMER_ID)
        .with_metadata()
        .await
        .expect("listed");
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let logged = sandbox.requests();
    assert_eq!(answer.request_id(), logged[0].request_id.as_deref());
    assert!(
        answer.request_id().is_some_and(|id| id.len() == 36),
        "a UUID"
    );
    assert_eq!(answer.attempts(), 1);
    assert_eq!(answer.into_inner().customer_id, SEED_CUSTOMER_ID);
}

/// Cancelled mid-attempt: the request is dropped, nothing is resent later,
/// and the client is not left waiting on anything.
#[tokio::test(start_paused = true)]
async fn cancelled_mid_attempt_leaves_nothing_behind() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.set_latency(Duration::from_secs(5));
    let client = client_of(&sandbox);
    let call = client.list_tokens(SEED_CUSTOMER_ID).into_future();
    assert!(
        tokio::time::timeout(Duration::from_secs(1), call)
            .await
            .is_err(),
        "dropped while the answer is 4 s away"
    );
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert!(sandbox.requests().len() <= 1, "no attempt after the drop");
    sandbox.set_latency(Duration::ZERO);
    client
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .expect("the client still works");
}

/// Cancelled while sleeping before a retry: the retry is never sent.
#[tokio::test(start_paused = true)]
async fn cancelled_mid_backoff_sends_no_retry() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let client = client_of(&sandbox);
    sandbox.inject_faults(1, Fault::status(503).retry_after(5));
    let call = client.list_tokens(SEED_CUSTOMER_ID).into_future();
    assert!(
        tokio::time::timeout(Duration::from_secs(1), call)
            .await
            .is_err(),
        "dropped during the 5 s Retry-After"
    );
    assert_eq!(sandbox.requests().len(), 1, "the 503 arrived");
    tokio::time::sleep(Duration::from_secs(60)).await;
    assert_eq!(sandbox.requests().len(), 1, "no retry after the drop");
    client
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .expect("the client still works");
}

/// Two calls wait on one token fetch; the first is dropped. The fetch goes
/// on for the second, which gets its token: one token request in all.
/// Then both waiters of a second fetch are dropped: that fetch is dropped
/// with them, and the next call starts a fresh one and succeeds.
#[tokio::test(start_paused = true)]
async fn cancelled_while_waiting_on_the_shared_token_fetch() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.set_token_latency(Duration::from_secs(2));
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .client_credentials(
            pinelabs_sandbox::SANDBOX_CLIENT_ID,
            pinelabs_sandbox::SANDBOX_CLIENT_SECRET,
        )
        .build()
        .expect("config");
    let token_requests = || {
        sandbox
            .requests()
            .iter()
            .filter(|r| r.path == token_path())
            .count()
    };
    let started = tokio::time::Instant::now();
    let mut first = Box::pin(client.list_tokens(SEED_CUSTOMER_ID).into_future());
    let mut second = Box::pin(client.list_tokens(SEED_CUSTOMER_ID).into_future());
    tokio::select! {
        _ = &mut first => panic!("the token is 2 s away"),
        _ = &mut second => panic!("the token is 2 s away"),
        () = tokio::time::sleep(Duration::from_millis(500)) => {}
    }
    drop(first);
    let listed = second
        .await
        .expect("the fetch went on for the second waiter");
    assert_eq!(listed.customer_id, SEED_CUSTOMER_ID);
    // Had the fetch been the first caller's own (restarted by the second
    // when the first was dropped at 0.5 s), the token would come at 2.5 s.
    assert_eq!(started.elapsed(), Duration::from_secs(2), "the same fetch");
    assert_eq!(token_requests(), 1, "one fetch for both waiters");
    let api_calls = sandbox.requests().len() - token_requests();
    assert_eq!(api_calls, 1, "the dropped call sent nothing");

    // An hour on, the token is stale: two waiters of a new fetch, both
    // dropped. Had the fetch outlived them, the next call would join it and
    // have its token when it ends (2 s after it began); a fresh fetch
    // started by the next call takes its full 2 s.
    tokio::time::advance(Duration::from_secs(3600)).await;
    let both = futures::future::join(
        client.list_tokens(SEED_CUSTOMER_ID).into_future(),
        client.list_tokens(SEED_CUSTOMER_ID).into_future(),
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(500), both)
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = tokio::time::Instant::now();
    client
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .expect("a fresh fetch");
    assert!(
        started.elapsed() >= Duration::from_secs(2),
        "the dropped fetch was not kept running: {:?}",
        started.elapsed()
    );
}

/// The retry budget, shared by clones: once retries have drained it, a
/// failing call returns its error at once and says that the budget, not
/// the policy, stopped it; successes refill it; without a budget every
/// retry the policy allows is made.
#[tokio::test(start_paused = true)]
async fn the_retry_budget_stops_retries_and_says_so() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let budget = RetryBudget::default().capacity(10);
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .retry_budget(budget)
        .build()
        .expect("config");
    let clone = client.clone();
    sandbox.inject_faults(100, Fault::status(503).retry_after(0));
    let first = client.list_tokens(SEED_CUSTOMER_ID).await.expect_err("503");
    assert!(
        !first.retry_budget_exhausted(),
        "the policy's 3 attempts ran out"
    );
    assert_eq!(
        sandbox.requests().len(),
        3,
        "two retries: 10 -> 5 -> 0 tokens"
    );
    let second = clone.list_tokens(SEED_CUSTOMER_ID).await.expect_err("503");
    assert_eq!(sandbox.requests().len(), 4, "the clone's retry was refused");
    assert!(second.retry_budget_exhausted(), "{second:?}");
    assert!(
        second.to_string().contains("retry budget is exhausted"),
        "{second}"
    );
    assert_eq!(second.status(), Some(503), "its last error");

    // Five first-attempt successes put 5 tokens back: one retry again.
    let sandbox2 = Sandbox::start().await.expect("sandbox");
    let fresh = Client::builder()
        .base_url(sandbox2.base_url())
        .access_token(sandbox2.access_token())
        .retry_budget(budget)
        .build()
        .expect("config");
    sandbox2.inject_faults(3, Fault::status(503).retry_after(0));
    fresh
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .expect_err("drained");
    for _ in 0..5 {
        fresh.list_tokens(SEED_CUSTOMER_ID).await.expect("ok");
    }
    sandbox2.inject_faults(1, Fault::status(503).retry_after(0));
    fresh
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .expect("retried with the refilled budget");

    let unbudgeted = Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .retry_budget(None)
        .build()
        .expect("config");
    let before = sandbox.requests().len();
    unbudgeted
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .expect_err("503");
    assert_eq!(
        sandbox.requests().len() - before,
        3,
        "no budget: every retry"
    );
}
