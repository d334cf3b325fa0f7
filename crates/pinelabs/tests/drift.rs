//! Spec drift, end to end: the drifting sandbox serves answers that depart
//! from the spec in each way, and the client's monitor reports each one.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::sandbox_client;
use pinelabs::{Client, DeleteToken, DriftDetection, Error, drift::DriftKind};
use pinelabs_sandbox::{Drift, SEED_CUSTOMER_ID, SEED_TOKEN_ID, Sandbox};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers::any};

/// What the client reports after one list (and, with `delete`, one delete)
/// against a sandbox drifting in `drift`: (kind, path, value) of each finding.
async fn seen_with(drift: Drift, delete: bool) -> Vec<(DriftKind, String, Option<String>)> {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.set_drift(&[drift]);
    let client = sandbox_client(&sandbox, DriftDetection::OnSurprise);
    let _ = client.list_tokens(SEED_CUSTOMER_ID).await;
    if delete {
        let body = DeleteToken::new("drift-ref-1");
        let _ = client
            .delete_token(SEED_CUSTOMER_ID, SEED_TOKEN_ID, &body)
            .await;
    }
    client
        .spec_drift()
        .into_iter()
        .map(|r| (r.finding.kind, r.finding.path, r.finding.value))
        .collect()
}

fn finding(kind: DriftKind, path: &str) -> (DriftKind, String, Option<String>) {
    (kind, path.to_owned(), None)
}

#[tokio::test]
async fn an_extra_field_is_reported_with_its_schema_path() {
    assert_eq!(
        seen_with(Drift::ExtraField, true).await,
        [
            finding(DriftKind::UnknownField, "deleted_at"),
            finding(DriftKind::UnknownField, "tokens[].card_data.tokenised_by"),
        ]
    );
}

#[tokio::test]
async fn an_unknown_enum_value_is_reported_with_the_value() {
    let mut paused = finding(DriftKind::UnknownEnumValue, "tokens[].status");
    paused.2 = Some("PAUSED".into());
    let mut removed = finding(DriftKind::UnknownEnumValue, "status");
    removed.2 = Some("REMOVED".into());
    assert_eq!(
        seen_with(Drift::UnknownEnumValue, true).await,
        [removed, paused]
    );
}

#[tokio::test]
async fn a_missing_required_field_is_reported() {
    assert_eq!(
        seen_with(Drift::MissingField, false).await,
        [finding(DriftKind::MissingField, "tokens[].token_id")]
    );
}

#[tokio::test]
async fn a_null_where_the_spec_forbids_it_is_reported() {
    assert_eq!(
        seen_with(Drift::NullField, false).await,
        [finding(DriftKind::NullField, "customer_id")]
    );
}

#[tokio::test]
async fn a_value_of_another_type_is_reported() {
    assert_eq!(
        seen_with(Drift::WrongType, false).await,
        [finding(DriftKind::Undecodable, "tokens[].is_compliant")]
    );
}

#[tokio::test]
async fn a_body_that_is_not_json_is_reported() {
    assert_eq!(
        seen_with(Drift::NotJson, false).await,
        [finding(DriftKind::NotJson, "200")]
    );
}

#[tokio::test]
async fn an_undocumented_status_is_reported() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.set_drift(&[Drift::UndocumentedStatus]);
    let client = sandbox_client(&sandbox, DriftDetection::OnSurprise);
    let error = client.list_tokens(SEED_CUSTOMER_ID).await.unwrap_err();
    assert_eq!(error.status(), Some(409));
    let seen = client.spec_drift();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].finding.kind, DriftKind::UndocumentedStatus);
    assert_eq!(
        seen[0].finding.to_string(),
        "list_customer_tokens: undocumented status 409"
    );
}

/// A drifting answer still decodes where the types allow it: leniency is
/// unchanged, the monitor only reports.
#[tokio::test]
async fn drift_that_decodes_still_returns_the_value() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.set_drift(&[Drift::ExtraField, Drift::UnknownEnumValue]);
    let client = sandbox_client(&sandbox, DriftDetection::OnSurprise);
    let tokens = client.list_tokens(SEED_CUSTOMER_ID).await.expect("decodes");
    assert!(
        tokens.tokens[0]
            .status
            .as_ref()
            .is_some_and(|s| s.is_unknown())
    );
    assert_eq!(client.spec_drift().len(), 2);
}

#[tokio::test]
async fn the_switch_turns_detection_off() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.set_drift(&[Drift::ExtraField, Drift::UnknownEnumValue]);
    let client = sandbox_client(&sandbox, DriftDetection::Off);
    client.list_tokens(SEED_CUSTOMER_ID).await.expect("decodes");
    assert!(client.spec_drift().is_empty());
}

/// Every answer checked in full, against a sandbox that does not drift:
/// lists, a delete, documented errors.
#[tokio::test]
async fn the_sandbox_without_drift_produces_no_finding() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    let client = sandbox_client(&sandbox, DriftDetection::EveryAnswer);
    client.list_tokens(SEED_CUSTOMER_ID).await.expect("list");
    let body = DeleteToken::new("ref-1").metadata("reason", "test");
    let deleted = client
        .delete_token(SEED_CUSTOMER_ID, SEED_TOKEN_ID, &body)
        .await;
    assert!(deleted.is_ok(), "{deleted:?}");
    client
        .list_tokens(SEED_CUSTOMER_ID)
        .await
        .expect("empty list");
    let missing = client.list_tokens("cust-unknown").await.unwrap_err();
    assert_eq!(missing.status(), Some(404));
    let gone = client.delete_token(SEED_CUSTOMER_ID, SEED_TOKEN_ID, &DeleteToken::new("ref-2"));
    assert!(gone.await.is_err());
    let requests = sandbox.requests();
    assert_eq!(requests.len(), 5, "{requests:?}");
    assert!(client.spec_drift().is_empty(), "{:?}", client.spec_drift());
}

/// The older documented spelling `token-id` is read into `token_id`
/// (`x-aliases` in the spec) and is not drift.
#[tokio::test]
async fn a_delete_answer_spelled_token_hyphen_id_is_read_and_not_reported() {
    let server = MockServer::start().await;
    let body = r#"{"token-id": "token-v1-old-spelling", "customer_id": "c", "status": "DELETED", "merchant_unique_reference": ""}"#;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
        .mount(&server)
        .await;
    for detection in [DriftDetection::OnSurprise, DriftDetection::EveryAnswer] {
        let client = Client::builder()
            .base_url(server.uri())
            .access_token("t")
            .drift_detection(detection)
            .build()
            .expect("config");
        let deleted = client
            .delete_token("c", "t", &DeleteToken::new("ref"))
            .await
            .expect("decodes");
        assert_eq!(deleted.token_id.as_deref(), Some("token-v1-old-spelling"));
        assert!(client.spec_drift().is_empty(), "{:?}", client.spec_drift());
    }
}

#[tokio::test]
async fn a_decode_error_still_comes_back_when_drift_breaks_decoding() {
    let sandbox = Sandbox::start().await.expect("sandbox");
    sandbox.set_drift(&[Drift::MissingField]);
    let client = sandbox_client(&sandbox, DriftDetection::OnSurprise);
    match client.list_tokens(SEED_CUSTOMER_ID).await {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "tokens[0]"),
        other => panic!("{other:?}"),
    }
}

/// The token endpoint is an operation of the spec too: its answers are
/// checked (always in full: `access_token` is optional but not nullable, so
/// a `null` would decode as `None` without a note).
#[tokio::test]
async fn token_answers_are_checked_too() {
    use wiremock::matchers::path;
    let server = MockServer::start().await;
    Mock::given(path("/api/auth/v1/token"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            r#"{"access_token": "issued-9b1f", "expires_in": 3600, "token_type": "Bearer"}"#,
            "application/json",
        ))
        .mount(&server)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            pinelabs_api::spec::response_example("list_customer_tokens", 200).unwrap(),
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = Client::builder()
        .base_url(server.uri())
        .client_credentials("id", "secret-3c1d")
        .build()
        .expect("config");
    client.list_tokens(SEED_CUSTOMER_ID).await.expect("list");
    let seen: Vec<_> = client
        .spec_drift()
        .into_iter()
        .map(|r| r.finding.to_string())
        .collect();
    assert_eq!(seen, ["generate_token: unknown field token_type"]);
}
