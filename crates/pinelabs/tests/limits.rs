//! The response-size cap: an oversized or endless body ends the call with
//! `Error::ResponseTooLarge` after at most the limit is read.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use common::*;
use pinelabs::Error;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

const LIMIT: usize = 64 * 1024;

#[tokio::test]
async fn a_body_over_the_limit_is_a_typed_error() {
    let server = MockServer::start().await;
    let big = format!(
        r#"{{"customer_id": "c", "tokens": [], "pad": "{}"}}"#,
        "x".repeat(LIMIT)
    );
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(big, "application/json"))
        .mount(&server)
        .await;
    let client = builder(&server)
        .max_response_bytes(LIMIT)
        .build()
        .expect("config");
    let err = client.list_tokens(CUSTOMER).await.expect_err("too large");
    assert!(
        matches!(
            err,
            Error::ResponseTooLarge {
                limit: LIMIT,
                request_id: Some(_),
                ..
            }
        ),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    // Within the limit, the same client decodes.
    let small = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(list_200(), "application/json"))
        .mount(&small)
        .await;
    let client = builder(&small)
        .max_response_bytes(LIMIT)
        .build()
        .expect("config");
    client
        .list_tokens(CUSTOMER)
        .await
        .expect("within the limit");
}

/// A server that answers one request with a chunked body that never ends
/// (it stops by itself after `CEILING` bytes, or when the client hangs up),
/// counting what it wrote.
async fn endless_server(written: Arc<AtomicUsize>) -> (String, tokio::task::JoinHandle<()>) {
    const CEILING: usize = 256 * 1024 * 1024;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let task = tokio::spawn(async move {
        let Ok((mut socket, _)) = listener.accept().await else {
            return;
        };
        let mut request = Vec::new();
        let mut buf = [0u8; 4096];
        while !request.windows(4).any(|w| w == b"\r\n\r\n") {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => request.extend_from_slice(&buf[..n]),
            }
        }
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n";
        if socket.write_all(head.as_bytes()).await.is_err() {
            return;
        }
        let chunk = format!("10000\r\n{}\r\n", " ".repeat(0x10000));
        while written.load(Ordering::SeqCst) < CEILING {
            if socket.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
            written.fetch_add(0x10000, Ordering::SeqCst);
        }
    });
    (format!("http://{addr}"), task)
}

#[tokio::test]
async fn an_endless_body_stops_at_the_limit() {
    let written = Arc::new(AtomicUsize::new(0));
    let (base_url, server) = endless_server(written.clone()).await;
    let client = pinelabs::Client::builder()
        .base_url(base_url)
        .access_token(BEARER)
        .retry_policy(pinelabs::RetryPolicy::default().max_attempts(1))
        .max_response_bytes(LIMIT)
        .build()
        .expect("config");
    let err = client.list_tokens(CUSTOMER).await.expect_err("endless");
    assert!(
        matches!(err, Error::ResponseTooLarge { limit: LIMIT, .. }),
        "{err:?}"
    );
    drop(client);
    // The server stops when the client hangs up: far below its ceiling.
    server.await.expect("server task");
    let written = written.load(Ordering::SeqCst);
    assert!(
        written < 64 * 1024 * 1024,
        "the client read on: {written} bytes sent"
    );
}

/// The token endpoint's answer is capped too: an oversized one is an
/// `Error::TokenUnavailable` that says so, not unbounded memory.
#[tokio::test]
async fn an_oversized_token_answer_is_a_token_error() {
    let server = MockServer::start().await;
    let huge = format!(
        r#"{{"access_token": "t", "pad": "{}"}}"#,
        "x".repeat(64 * 1024) // the documented 64 KiB cap of a token answer
    );
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(huge, "application/json"))
        .mount(&server)
        .await;
    let client = pinelabs::Client::builder()
        .base_url(server.uri())
        .client_credentials("id", "secret")
        .build()
        .expect("config");
    let err = client.list_tokens(CUSTOMER).await.expect_err("too large");
    assert!(
        matches!(&err, Error::TokenUnavailable { reason, .. } if reason.contains("larger than")),
        "{err:?}"
    );
}
