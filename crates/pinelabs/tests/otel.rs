//! The traces as an OpenTelemetry backend receives them: a real pipeline
//! (`tracing-opentelemetry` into the SDK's in-memory exporter), asserting
//! the exported spans and their attributes. A test binary of its own, as
//! tracing's per-callsite interest cache is process-wide.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use opentelemetry::{
    Value,
    trace::{SpanKind, Status, TracerProvider as _},
};
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider, SpanData};
use pinelabs::{Client, DeleteToken};
use pinelabs_sandbox::{Fault, SEED_CUSTOMER_ID, SEED_TOKEN_ID, Sandbox};
use tracing_subscriber::layer::SubscriberExt;

const LIST_TEMPLATE: &str = "/api/v1/customer/{customer_id}/tokens";

fn attribute<'a>(span: &'a SpanData, key: &str) -> Option<&'a Value> {
    span.attributes
        .iter()
        .find(|kv| kv.key.as_str() == key)
        .map(|kv| &kv.value)
}

fn text(span: &SpanData, key: &str) -> String {
    attribute(span, key)
        .map(|v| v.as_str().into_owned())
        .unwrap_or_default()
}

fn int(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key)? {
        Value::I64(i) => Some(*i),
        other => panic!("{key} is not an integer: {other:?}"),
    }
}

/// Runs `calls` with an OpenTelemetry pipeline installed; the exported spans.
async fn exported<F: std::future::Future<Output = ()>>(calls: F) -> Vec<SpanData> {
    let exporter = InMemorySpanExporter::default();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(exporter.clone())
        .build();
    let layer = tracing_opentelemetry::layer().with_tracer(provider.tracer("pinelabs-tests"));
    let subscriber = tracing_subscriber::registry().with(layer);
    let guard = tracing::subscriber::set_default(subscriber);
    tracing::callsite::rebuild_interest_cache();
    calls.await;
    drop(guard);
    provider.force_flush().expect("flush");
    exporter.get_finished_spans().expect("spans")
}

#[tokio::test]
async fn a_retried_call_is_one_call_span_with_a_client_span_per_attempt() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.inject_faults(1, Fault::status(503).retry_after(0));
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .build()
        .expect("config");
    let spans = exported(async {
        client
            .list_tokens(SEED_CUSTOMER_ID)
            .await
            .expect("retried to success");
    })
    .await;

    let call = spans
        .iter()
        .find(|s| s.name == "list_customer_tokens")
        .expect("the call span, named by its operationId");
    let attempts: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name == format!("GET {LIST_TEMPLATE}"))
        .collect();
    assert_eq!(attempts.len(), 2, "{spans:#?}");

    let request_id = sandbox.requests()[0].request_id.clone().expect("sent");
    assert_eq!(text(call, "pinelabs.operation_id"), "list_customer_tokens");
    assert_eq!(text(call, "pinelabs.request_id"), request_id);
    assert_eq!(int(call, "http.response.status_code"), Some(200));
    assert_eq!(int(call, "pinelabs.attempts"), Some(2));

    let port = i64::from(sandbox.addr().port());
    for (n, attempt) in attempts.iter().enumerate() {
        assert_eq!(attempt.span_kind, SpanKind::Client);
        assert_eq!(attempt.parent_span_id, call.span_context.span_id());
        assert_eq!(text(attempt, "http.request.method"), "GET");
        assert_eq!(text(attempt, "url.template"), LIST_TEMPLATE);
        assert_eq!(text(attempt, "server.address"), "127.0.0.1");
        assert_eq!(int(attempt, "server.port"), Some(port));
        let resends = int(attempt, "http.request.resend_count");
        assert_eq!(resends, (n > 0).then_some(n as i64), "attempt {n}");
    }
    assert_eq!(int(attempts[0], "http.response.status_code"), Some(503));
    assert_eq!(text(attempts[0], "error.type"), "503");
    assert!(matches!(attempts[0].status, Status::Error { .. }));
    assert_eq!(int(attempts[1], "http.response.status_code"), Some(200));
    assert_eq!(attribute(attempts[1], "error.type"), None);
    assert!(!matches!(attempts[1].status, Status::Error { .. }));

    // No ids, tokens or bodies anywhere.
    for span in &spans {
        for kv in &span.attributes {
            let value = kv.value.as_str();
            for secret in [SEED_CUSTOMER_ID, sandbox.access_token(), "tokens\":"] {
                assert!(!value.contains(secret), "{} = {value}", kv.key);
            }
        }
    }
}

#[tokio::test]
async fn a_failed_call_carries_the_error_type() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .build()
        .expect("config");
    let spans = exported(async {
        let _ = client
            .delete_token(SEED_CUSTOMER_ID, "token-nobody", &DeleteToken::new("r-1"))
            .await
            .expect_err("404");
        let _ = client
            .delete_token(SEED_CUSTOMER_ID, SEED_TOKEN_ID, &DeleteToken::new("r-2"))
            .await
            .expect("deleted");
    })
    .await;
    let calls: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name == "delete_customer_token")
        .collect();
    assert_eq!(calls.len(), 2);
    assert_eq!(text(calls[0], "error.type"), "404");
    assert!(matches!(calls[0].status, Status::Error { .. }));
    assert_eq!(attribute(calls[1], "error.type"), None);
    let attempt = spans
        .iter()
        .find(|s| s.name == "POST /api/v1/customer/{customer_id}/tokens/{token_id}/delete")
        .expect("attempt span");
    assert_eq!(text(attempt, "http.request.method"), "POST");
}
