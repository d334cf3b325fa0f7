//! Helpers shared by the wrapper's integration tests (wiremock on loopback).
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{
    io::Write,
    sync::{Arc, Mutex},
    time::Duration,
};

use pinelabs::{Client, DriftDetection, RetryPolicy};
use pinelabs_sandbox::Sandbox;
use serde_json::json;
use tracing_subscriber::fmt::MakeWriter;
use wiremock::{MockServer, Request};

/// The spec's documented answer to the list (the fixture is the spec's example).
pub fn list_200() -> &'static str {
    pinelabs_api::spec::response_example("list_customer_tokens", 200).expect("documented")
}

/// The spec's documented answer to the delete.
pub fn delete_200() -> &'static str {
    pinelabs_api::spec::response_example("delete_customer_token", 200).expect("documented")
}
pub const CUSTOMER: &str = "cust-v1-0811030624-aa-RBDgpR";
pub const TOKEN: &str = "token-v1-1234567890-aa-ABCDEF";
pub const LIST_PATH: &str = "/api/v1/customer/cust-v1-0811030624-aa-RBDgpR/tokens";
pub const DELETE_PATH: &str =
    "/api/v1/customer/cust-v1-0811030624-aa-RBDgpR/tokens/token-v1-1234567890-aa-ABCDEF/delete";
pub const BEARER: &str = "static-test-token-3f9a";

/// The token endpoint's path, from the spec.
pub fn token_path() -> &'static str {
    pinelabs::spec::operation("generate_token")
        .expect("the spec has the token operation")
        .path
}

/// A retry policy with tiny delays, so tests are fast.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .max_attempts(3)
        .initial_backoff(Duration::from_millis(1))
        .max_backoff(Duration::from_millis(5))
        .max_retry_after(Duration::from_secs(5))
}

/// A builder for `server` with a static token and fast retries.
pub fn builder(server: &MockServer) -> pinelabs::ClientBuilder {
    Client::builder()
        .base_url(server.uri())
        .access_token(BEARER)
        .retry_policy(fast_retries())
}

/// A client with a static token against `server`.
pub fn client(server: &MockServer) -> Client {
    builder(server).build().expect("valid config")
}

pub fn error_body(code: &str) -> serde_json::Value {
    json!({
        "code": code,
        "message": format!("{code} happened"),
        "additional_error_details": {
            "source": "token-service", "step": "lookup", "reason": "r", "metadata": {"k": 1}
        }
    })
}

pub async fn requests(server: &MockServer) -> Vec<Request> {
    server.received_requests().await.unwrap_or_default()
}

pub fn header<'a>(request: &'a Request, name: &str) -> &'a str {
    request
        .headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("header {name} missing"))
}

/// A client of `sandbox` with its bearer token and drift `detection`.
pub fn sandbox_client(sandbox: &Sandbox, detection: DriftDetection) -> Client {
    Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .drift_detection(detection)
        .build()
        .expect("config")
}

/// Collects everything a `tracing_subscriber::fmt` subscriber writes.
#[derive(Clone, Default)]
pub struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("lock")).into_owned()
    }
}
