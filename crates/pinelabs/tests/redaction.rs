//! Secrets never appear in Debug output, errors or traces; spans carry the
//! documented fields.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use pinelabs::{Client, DeleteToken, auth::Credentials};
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{any, path},
};

const SECRET: &str = "client-secret-0d5f-super";
const ISSUED: &str = "issued-bearer-91ab-super";

#[test]
fn debug_output_never_shows_secrets() {
    let cc = Credentials::client_credentials("id", SECRET);
    let bearer = Credentials::access_token(ISSUED);
    for text in [format!("{cc:?}"), format!("{bearer:?}")] {
        assert!(!text.contains(SECRET) && !text.contains(ISSUED), "{text}");
        assert!(text.contains("[REDACTED]"), "{text}");
    }
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .credentials(cc)
        .build()
        .expect("config");
    let text = format!("{client:?}");
    assert!(!text.contains(SECRET), "{text}");
    let client = Client::builder()
        .base_url("http://127.0.0.1:9")
        .access_token(ISSUED)
        .build()
        .expect("config");
    assert!(!format!("{client:?}").contains(ISSUED));
}

#[tokio::test]
async fn traces_and_errors_never_contain_the_token_or_secret() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests may have hit these callsites with no subscriber listening.
    tracing::callsite::rebuild_interest_cache();

    let server = MockServer::start().await;
    Mock::given(path("/api/auth/v1/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": ISSUED, "expires_in": 3600})),
        )
        .mount(&server)
        .await;
    // The API echoes the bearer token in its error body, as a badly behaved
    // gateway might: it must be scrubbed from the error.
    Mock::given(path(DELETE_PATH))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_raw(format!("<html>Bearer {ISSUED}</html>"), "text/html"),
        )
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503).set_body_json(error_body("SERVICE_UNAVAILABLE")))
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .client_credentials("client-id", SECRET)
        .retry_policy(fast_retries())
        .build()
        .expect("config");

    let list_err = client.list_tokens(CUSTOMER).await.expect_err("503");
    let delete_err = client
        .delete_token(CUSTOMER, TOKEN, &DeleteToken::new("r"))
        .await
        .expect_err("500");
    for text in [
        list_err.to_string(),
        format!("{list_err:?}"),
        delete_err.to_string(),
        format!("{delete_err:?}"),
    ] {
        assert!(!text.contains(ISSUED) && !text.contains(SECRET), "{text}");
    }
    assert!(format!("{delete_err:?}").contains("[REDACTED]"));

    let logs = captured.text();
    assert!(!logs.contains(ISSUED), "token leaked into traces:\n{logs}");
    assert!(!logs.contains(SECRET), "secret leaked into traces:\n{logs}");
    // The span has the documented fields, the path template and no raw id.
    assert!(logs.contains("pinelabs.call"), "{logs}");
    assert!(
        logs.contains("pinelabs.operation_id=\"list_customer_tokens\""),
        "{logs}"
    );
    assert!(
        logs.contains("url.template=\"/api/v1/customer/{customer_id}/tokens\""),
        "{logs}"
    );
    assert!(logs.contains("http.response.status_code=503"), "{logs}");
    assert!(logs.contains("pinelabs.attempts=3"), "{logs}");
    assert!(logs.contains("http.request.resend_count=2"), "{logs}");
    assert!(
        logs.contains(list_err.request_id().expect("request id")),
        "{logs}"
    );
    assert!(!logs.contains(CUSTOMER), "raw ids are not logged:\n{logs}");
}
