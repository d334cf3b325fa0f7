//! Transport failures name their cause, read from the error chain that
//! reqwest really produces: DNS, connection refused, TLS, a connection closed
//! before the answer; a timeout is `Error::Timeout`. Loopback only.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::time::Duration;

use common::*;
use pinelabs::{
    Client, Error, TransportCause,
    reqwest::dns::{Name, Resolve, Resolving},
};
use tokio::io::AsyncWriteExt;

/// The cause of the transport error `client` ends a list with.
async fn cause_of(client: Client) -> (TransportCause, String) {
    let err = client.list_tokens(CUSTOMER).await.expect_err("fails");
    let Error::Transport { cause, .. } = &err else {
        panic!("expected Error::Transport, got {err:?}");
    };
    assert!(err.is_retryable(), "{err:?}");
    (*cause, err.to_string())
}

fn builder(base_url: String) -> pinelabs::ClientBuilder {
    Client::builder()
        .base_url(base_url)
        .access_token(BEARER)
        .retry_policy(fast_retries())
}

/// A resolver that knows no name, as for a mistyped host.
struct NoSuchHost;

impl Resolve for NoSuchHost {
    fn resolve(&self, _name: Name) -> Resolving {
        Box::pin(async {
            Err(std::io::Error::new(std::io::ErrorKind::NotFound, "no such host").into())
        })
    }
}

#[tokio::test]
async fn an_unresolvable_host_is_dns() {
    let http = pinelabs::reqwest::Client::builder()
        .dns_resolver(NoSuchHost)
        .build()
        .expect("http client");
    let client = builder("https://pinelabs.example".into())
        .http_client(http)
        .build()
        .expect("config");
    let (cause, text) = cause_of(client).await;
    assert_eq!(cause, TransportCause::Dns, "{text}");
    assert!(text.contains("DNS lookup failed"), "{text}");
}

#[tokio::test]
async fn nobody_listening_is_connection_refused() {
    // Bound but never listening: the port stays ours and refuses.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.bind(([127, 0, 0, 1], 0).into()).expect("bind");
    let port = socket.local_addr().expect("addr").port();
    let client = builder(format!("http://127.0.0.1:{port}"))
        .build()
        .expect("config");
    let (cause, text) = cause_of(client).await;
    assert_eq!(cause, TransportCause::ConnectionRefused, "{text}");
    assert!(text.contains("connection refused"), "{text}");
    drop(socket);
}

#[tokio::test]
async fn a_server_that_does_not_speak_tls_is_tls() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let _ = socket
                .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n")
                .await;
        }
    });
    let client = builder(format!("https://{addr}")).build().expect("config");
    let (cause, text) = cause_of(client).await;
    assert_eq!(cause, TransportCause::Tls, "{text}");
    assert!(text.contains("TLS handshake failed"), "{text}");
}

#[tokio::test]
async fn a_connection_closed_before_the_answer_is_closed() {
    let sandbox = pinelabs_sandbox::Sandbox::start().await.expect("sandbox");
    sandbox.set_chaos(Some(pinelabs_sandbox::Chaos::new(1).dropped(1.0)));
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .retry_policy(fast_retries())
        .build()
        .expect("config");
    let err = client
        .list_tokens(pinelabs_sandbox::SEED_CUSTOMER_ID)
        .await
        .expect_err("dropped");
    let Error::Transport { cause, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(*cause, TransportCause::ConnectionClosed, "{err}");
    assert!(err.advice().contains("same merchant_unique_reference"));
}

/// A timeout is its own variant, not a transport cause.
#[tokio::test]
async fn a_silent_server_is_error_timeout() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let accepted = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket); // never answers
        }
    });
    let client = builder(format!("http://{addr}"))
        .timeouts(pinelabs::Timeouts::default().total(Duration::from_millis(300)))
        .build()
        .expect("config");
    let err = client.list_tokens(CUSTOMER).await.expect_err("silent");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    accepted.abort();
}
