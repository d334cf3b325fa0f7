//! The sandbox's logs, in a test binary of their own: `tracing` caches per
//! callsite whether anyone listens, so a capturing subscriber set for one
//! test races with other tests on other threads hitting the same callsites
//! without one (it made this test flaky beside the rest of the suite).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pinelabs_sandbox::{
    SANDBOX_ACCESS_TOKEN, SANDBOX_CLIENT_ID, SANDBOX_CLIENT_SECRET, SEED_CUSTOMER_ID, Sandbox,
};
use serde_json::{Value, json};

/// Everything the sandbox logs through `tracing` (every level) while it
/// serves a bearer call and a token exchange: the requests are there, the
/// bearer token, the client secret and the issued token are not.
#[tokio::test]
async fn the_sandbox_logs_requests_without_secrets() {
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();

    let sandbox = Sandbox::start().await.expect("start");
    let http = reqwest::Client::new();
    let issued: Value = http
        .post(format!("{}/api/auth/v1/token", sandbox.base_url()))
        .json(&json!({"client_id": SANDBOX_CLIENT_ID, "client_secret": SANDBOX_CLIENT_SECRET, "grant_type": "client_credentials"}))
        .send().await.expect("send").json().await.expect("json");
    let issued = issued["access_token"].as_str().expect("a token").to_owned();
    let listed = http
        .get(format!(
            "{}/api/v1/customer/{SEED_CUSTOMER_ID}/tokens",
            sandbox.base_url()
        ))
        .bearer_auth(SANDBOX_ACCESS_TOKEN)
        .send()
        .await
        .expect("send");
    assert_eq!(listed.status(), 200);

    let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
    assert!(
        text.contains("sandbox request"),
        "the requests are logged: {text}"
    );
    for secret in [SANDBOX_ACCESS_TOKEN, SANDBOX_CLIENT_SECRET, issued.as_str()] {
        assert!(!text.contains(secret), "{secret} was logged: {text}");
    }
}
