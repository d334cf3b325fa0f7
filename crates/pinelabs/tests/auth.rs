//! Client-credentials tokens: shapes, caching, expiry, single flight, 401 refresh.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::{
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use common::*;
use pinelabs::{Client, Error};
use serde_json::json;
use wiremock::{
    Mock, MockServer, Request, Respond, ResponseTemplate,
    matchers::{body_json, header as has_header, method, path},
};

const CLIENT_ID: &str = "client-id-7d1e";
const SECRET: &str = "client-secret-b8c2-never-print";

fn cc_client(server: &MockServer) -> Client {
    Client::builder()
        .base_url(server.uri())
        .client_credentials(CLIENT_ID, SECRET)
        .retry_policy(fast_retries())
        .build()
        .expect("config")
}

/// Hands out `tok-1`, `tok-2`, ... with the given extra fields.
struct CountingTokens {
    issued: Arc<AtomicUsize>,
    extra: serde_json::Value,
    delay: Duration,
}

impl Respond for CountingTokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.issued.fetch_add(1, Ordering::SeqCst) + 1;
        let mut body = json!({"access_token": format!("tok-{n}")});
        if let (Some(body), Some(extra)) = (body.as_object_mut(), self.extra.as_object()) {
            body.extend(extra.clone());
        }
        ResponseTemplate::new(200)
            .set_body_json(body)
            .set_delay(self.delay)
    }
}

async fn token_endpoint(
    server: &MockServer,
    extra: serde_json::Value,
    delay: Duration,
) -> Arc<AtomicUsize> {
    let issued = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/api/auth/v1/token"))
        .and(has_header("content-type", "application/json"))
        .and(body_json(json!({
            "client_id": CLIENT_ID,
            "client_secret": SECRET,
            "grant_type": "client_credentials"
        })))
        .respond_with(CountingTokens {
            issued: issued.clone(),
            extra,
            delay,
        })
        .mount(server)
        .await;
    issued
}

async fn list_ok_for(server: &MockServer, bearer: &str) {
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .and(has_header(
            "authorization",
            format!("Bearer {bearer}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(list_200(), "application/json"))
        .mount(server)
        .await;
}

#[tokio::test]
async fn every_documented_token_shape_authenticates() {
    let later6 = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S%.6fZ")
        .to_string();
    let later3 = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let shapes = [
        json!({"access_token": "shape-token", "expires_at": later6}),
        json!({"access_token": "shape-token", "expires_at": later3}),
        json!({"access_token": "shape-token", "expires_in": 3600}),
        json!({"data": {"access_token": "shape-token", "expires_in": 3600}}),
        json!({"data": {"access_token": "shape-token", "expires_at": later3}}),
    ];
    for shape in shapes {
        let server = MockServer::start().await;
        Mock::given(path("/api/auth/v1/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(&shape))
            .expect(1)
            .mount(&server)
            .await;
        list_ok_for(&server, "shape-token").await;
        let client = cc_client(&server);
        client
            .list_tokens(CUSTOMER)
            .await
            .unwrap_or_else(|e| panic!("{shape}: {e}"));
        client
            .list_tokens(CUSTOMER)
            .await
            .expect("cached token reused");
    }
}

#[tokio::test]
async fn token_is_cached_and_refreshed_when_it_expires() {
    let server = MockServer::start().await;
    // A 1 s token is stale after half its life (the 60 s margin, capped).
    let issued = token_endpoint(&server, json!({"expires_in": 1}), Duration::ZERO).await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(list_200(), "application/json"))
        .mount(&server)
        .await;
    let client = cc_client(&server);
    client.list_tokens(CUSTOMER).await.expect("first");
    client.list_tokens(CUSTOMER).await.expect("second");
    assert_eq!(issued.load(Ordering::SeqCst), 1, "cached while fresh");
    tokio::time::sleep(Duration::from_millis(700)).await;
    client.list_tokens(CUSTOMER).await.expect("third");
    assert_eq!(issued.load(Ordering::SeqCst), 2, "refreshed once stale");
    let sent = requests(&server).await;
    let last = sent
        .iter()
        .rev()
        .find(|r| r.method.as_str() == "GET")
        .expect("a GET");
    assert_eq!(header(last, "authorization"), "Bearer tok-2");
}

/// A token living an hour is used until `REFRESH_MARGIN` before it
/// expires and replaced inside that margin, while it would still be valid:
/// with no margin the second fetch would not happen. Paused clock; the
/// sandbox runs on the same runtime.
#[tokio::test(start_paused = true)]
async fn a_token_is_replaced_within_the_margin_before_it_expires() {
    use pinelabs_sandbox::{SEED_CUSTOMER_ID, Sandbox, SandboxConfig, TokenShape};
    let lifetime = Duration::from_secs(3600);
    let config = SandboxConfig {
        token_ttl: lifetime,
        token_shape: TokenShape::ExpiresIn,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start_with(config, ([127, 0, 0, 1], 0).into())
        .await
        .expect("sandbox");
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .client_credentials(
            pinelabs_sandbox::SANDBOX_CLIENT_ID,
            pinelabs_sandbox::SANDBOX_CLIENT_SECRET,
        )
        .build()
        .expect("config");
    let fetches = || {
        sandbox
            .requests()
            .iter()
            .filter(|r| r.path == token_path())
            .count()
    };
    client.list_tokens(SEED_CUSTOMER_ID).await.expect("first");
    assert_eq!(fetches(), 1);
    // The documented margin is 60 s: fresh at 3539 s, replaced at 3541 s.
    tokio::time::advance(Duration::from_secs(3539)).await;
    client.list_tokens(SEED_CUSTOMER_ID).await.expect("second");
    assert_eq!(fetches(), 1, "fresh until the margin");
    tokio::time::advance(Duration::from_secs(2)).await;
    client.list_tokens(SEED_CUSTOMER_ID).await.expect("third");
    assert_eq!(
        fetches(),
        2,
        "replaced inside the margin, before it expires"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn hundred_concurrent_calls_make_exactly_one_token_request() {
    let server = MockServer::start().await;
    let issued = token_endpoint(
        &server,
        json!({"expires_in": 3600}),
        Duration::from_millis(200),
    )
    .await;
    list_ok_for(&server, "tok-1").await;
    let client = cc_client(&server);
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move { client.list_tokens(CUSTOMER).await })
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("call");
    }
    assert_eq!(issued.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_401_invalidates_refreshes_and_retries_once() {
    let server = MockServer::start().await;
    let issued = token_endpoint(&server, json!({"expires_in": 3600}), Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(has_header("authorization", "Bearer tok-1"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(error_body("USER_AUTHENTICATION_FAILED")),
        )
        .mount(&server)
        .await;
    list_ok_for(&server, "tok-2").await;
    let client = cc_client(&server);
    client
        .list_tokens(CUSTOMER)
        .await
        .expect("refreshed and retried");
    assert_eq!(issued.load(Ordering::SeqCst), 2);
    let gets: Vec<_> = requests(&server)
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == "GET")
        .collect();
    assert_eq!(gets.len(), 2);
    assert_eq!(
        header(&gets[0], "request-id"),
        header(&gets[1], "request-id")
    );
}

/// Every API call answers 401.
async fn refuse_every_get(server: &MockServer) {
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(error_body("USER_AUTHENTICATION_FAILED")),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn repeated_401s_are_bounded_by_the_retry_budget_not_looped() {
    let server = MockServer::start().await;
    let issued = token_endpoint(&server, json!({"expires_in": 3600}), Duration::ZERO).await;
    refuse_every_get(&server).await;
    let err = cc_client(&server)
        .list_tokens(CUSTOMER)
        .await
        .expect_err("still 401");
    assert_eq!(err.status(), Some(401));
    // The default policy has 3 attempts: the first refresh is free, two
    // more 401s cost the two retries.
    let max = pinelabs::RetryPolicy::default().max_attempts as usize;
    assert_eq!(
        issued.load(Ordering::SeqCst),
        max + 1,
        "first token + refreshes"
    );
    let gets = requests(&server)
        .await
        .into_iter()
        .filter(|r| r.method.as_str() == "GET")
        .count();
    assert_eq!(gets, max + 1);
}

#[tokio::test]
async fn a_static_token_401_is_not_retried() {
    let server = MockServer::start().await;
    refuse_every_get(&server).await;
    let err = client(&server)
        .list_tokens(CUSTOMER)
        .await
        .expect_err("401");
    assert_eq!(err.status(), Some(401));
    assert_eq!(requests(&server).await.len(), 1);
}

/// Refused credentials (a 4xx) are `Error::Auth`, not retryable; a token
/// endpoint that fails or answers without a token is
/// `Error::TokenUnavailable`, retryable. Neither shows the secret or the
/// raw body, and no API call is made without a token.
#[tokio::test]
async fn token_endpoint_failures_are_refused_or_unavailable_without_secret_or_body() {
    const REFUSED: bool = true;
    const UNAVAILABLE: bool = false;
    let cases: [(u16, String, bool, &str); 5] = [
        (
            401,
            format!(
                r#"{{"code":"USER_AUTHENTICATION_FAILED","message":"bad secret {SECRET}","raw":"RAW-BODY"}}"#
            ),
            REFUSED,
            "the token endpoint refused the credentials: it answered 401 USER_AUTHENTICATION_FAILED: bad secret [REDACTED]",
        ),
        (
            422,
            "unprocessable RAW-BODY".to_owned(),
            REFUSED,
            "the token endpoint refused the credentials: it answered 422",
        ),
        (
            200,
            r#"{"token":"RAW-BODY"}"#.to_owned(),
            UNAVAILABLE,
            "no access token: the token answer has no usable access_token",
        ),
        (
            503,
            "<html>RAW-BODY</html>".to_owned(),
            UNAVAILABLE,
            "no access token: the token endpoint answered 503",
        ),
        (
            429,
            r#"{"error":"slow down"}"#.to_owned(),
            UNAVAILABLE,
            "no access token: the token endpoint answered 429: slow down",
        ),
    ];
    for (status, body, refused, display) in cases {
        let server = MockServer::start().await;
        Mock::given(path("/api/auth/v1/token"))
            .respond_with(ResponseTemplate::new(status).set_body_raw(body, "application/json"))
            .mount(&server)
            .await;
        let err = cc_client(&server)
            .list_tokens(CUSTOMER)
            .await
            .expect_err("no token");
        let kind_ok = match refused {
            REFUSED => matches!(err, Error::Auth { .. }),
            UNAVAILABLE => matches!(err, Error::TokenUnavailable { .. }),
        };
        assert!(kind_ok, "{status}: {err:?}");
        assert_eq!(err.is_retryable(), !refused, "{status}");
        assert_eq!(err.status(), Some(status));
        assert!(err.to_string().starts_with(display), "{status}: {err}");
        for shown in [err.to_string(), format!("{err:?}")] {
            assert!(!shown.contains(SECRET), "{shown}");
            assert!(!shown.contains("RAW-BODY"), "{shown}");
        }
        assert_eq!(
            requests(&server)
                .await
                .iter()
                .filter(|r| r.url.path() == LIST_PATH)
                .count(),
            0,
            "no API call without a token"
        );
    }
}

/// A token endpoint nobody listens at: unavailable, with the transport cause.
#[tokio::test]
async fn an_unreachable_token_endpoint_is_unavailable_with_its_cause() {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(([127, 0, 0, 1], 0).into()).expect("bind");
    let port = socket.local_addr().expect("addr").port();
    let err = Client::builder()
        .base_url(format!("http://127.0.0.1:{port}"))
        .client_credentials(CLIENT_ID, SECRET)
        .build()
        .expect("config")
        .list_tokens(CUSTOMER)
        .await
        .expect_err("nobody listens");
    assert!(
        matches!(
            err,
            Error::TokenUnavailable {
                cause: Some(pinelabs::TransportCause::ConnectionRefused),
                status: None,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert!(err.to_string().contains("connection refused"), "{err}");
    drop(socket);
}

/// A token endpoint that fails with 500 after 200 ms, served on this test's
/// own runtime so that its delay runs on the paused clock.
async fn failing_token_endpoint(hits: Arc<AtomicUsize>) -> String {
    use axum::{Router, http::StatusCode, routing::post};
    let app = Router::new().route(
        "/api/auth/v1/token",
        post(move || {
            let hits = hits.clone();
            async move {
                hits.fetch_add(1, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(200)).await;
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    r#"{"code":"INTERNAL_ERROR","message":"down"}"#,
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

/// An outage of the token endpoint costs a few token requests, not one per
/// caller, and every caller fails within one token-request time.
#[tokio::test(start_paused = true)]
async fn a_token_outage_is_shared_by_concurrent_callers() {
    let hits = Arc::new(AtomicUsize::new(0));
    let base_url = failing_token_endpoint(hits.clone()).await;
    let client = Client::builder()
        .base_url(base_url)
        .client_credentials(CLIENT_ID, SECRET)
        .build()
        .expect("config");
    let started = tokio::time::Instant::now();
    let calls: Vec<_> = (0..100)
        .map(|_| {
            let client = client.clone();
            tokio::spawn(async move {
                let result = client.list_tokens(CUSTOMER).await;
                (result, started.elapsed())
            })
        })
        .collect();
    for call in calls {
        let (result, took) = call.await.expect("task");
        assert!(
            matches!(
                result,
                Err(Error::TokenUnavailable {
                    status: Some(500),
                    ..
                })
            ),
            "{result:?}"
        );
        assert!(
            took < Duration::from_millis(300),
            "a caller waited {took:?}"
        );
    }
    let hits = hits.load(Ordering::SeqCst);
    assert!(
        (1..=3).contains(&hits),
        "{hits} token requests for 100 callers"
    );

    // After the jittered backoff, the next call tries the endpoint again.
    // The backoff is at most 30 s.
    tokio::time::sleep(Duration::from_secs(30)).await;
    let _ = client.list_tokens(CUSTOMER).await;
    assert!(matches!(
        client.list_tokens(CUSTOMER).await,
        Err(Error::TokenUnavailable { .. })
    ));
}

/// The spec says the token operation carries no bearer (`security: []`):
/// sent through `Client::api`, the middleware adds none and fetches no token
/// for it, but still identifies the request.
#[tokio::test]
async fn the_token_operation_is_sent_without_a_bearer() {
    let server = MockServer::start().await;
    Mock::given(path(token_path()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "t2", "expires_in": 60})),
        )
        .mount(&server)
        .await;
    let client = cc_client(&server);
    let body = pinelabs::types::TokenRequest::builder()
        .client_id(CLIENT_ID)
        .client_secret(SECRET)
        .grant_type(pinelabs::types::GrantType::ClientCredentials);
    let answer = client
        .call(client.api().generate_token().body(body).send())
        .await
        .expect("a token answer");
    assert_eq!(answer.access_token.as_deref(), Some("t2"));
    let sent = requests(&server).await;
    assert_eq!(sent.len(), 1, "no token was fetched to send it");
    assert!(sent[0].headers.get("authorization").is_none());
    assert!(sent[0].headers.get("request-id").is_some());
}
