//! Calls, headers, every documented status and error body shape.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use pinelabs::{
    DeleteToken, Error,
    prelude::*,
    types::{PaymentMethod, TokenStatus},
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{any, body_json, header as has_header, method, path},
};

#[tokio::test]
async fn list_sends_the_documented_headers_and_returns_typed_tokens() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .and(has_header(
            "authorization",
            format!("Bearer {BEARER}").as_str(),
        ))
        .and(has_header("accept", "application/json"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(list_200(), "application/json"))
        .expect(1)
        .mount(&server)
        .await;

    let tokens = client(&server).list_tokens(CUSTOMER).await.expect("list");
    assert_eq!(tokens.active().count(), 1);
    let token = tokens.find(TOKEN).expect("seed token");
    assert_eq!(token.metadata()["tid"], "9000990");
    assert_eq!(
        token.card().and_then(|c| c.last4_digit.as_deref()),
        Some("1112")
    );

    let sent = &requests(&server).await[0];
    let request_id = header(sent, "request-id");
    assert!(uuid::Uuid::parse_str(request_id).is_ok(), "{request_id}");
    let timestamp = header(sent, "request-timestamp");
    assert_eq!(
        timestamp.len(),
        "2024-07-09T07:57:08.022Z".len(),
        "{timestamp}"
    );
    assert!(chrono::DateTime::parse_from_rfc3339(timestamp).is_ok());
    assert!(timestamp.ends_with('Z'));
    assert!(header(sent, "user-agent").starts_with("pinelabs-rust/"));
    // progenitor's `api-version` is not a Pine Labs header: not sent.
    assert!(!sent.headers.contains_key("api-version"));
}

#[tokio::test]
async fn every_call_gets_a_new_request_id() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(list_200(), "application/json"))
        .mount(&server)
        .await;
    let client = client(&server);
    client.list_tokens(CUSTOMER).await.expect("first");
    client.list_tokens(CUSTOMER).await.expect("second");
    let sent = requests(&server).await;
    assert_ne!(
        header(&sent[0], "request-id"),
        header(&sent[1], "request-id")
    );
}

#[tokio::test]
async fn delete_sends_the_reference_and_metadata() {
    let server = MockServer::start().await;
    let mut echoed: serde_json::Value = serde_json::from_str(delete_200()).expect("example");
    echoed["merchant_unique_reference"] = json!("del-ref-001");
    Mock::given(method("POST"))
        .and(path(DELETE_PATH))
        .and(has_header("content-type", "application/json"))
        .and(body_json(json!({
            "merchant_unique_reference": "del-ref-001",
            "merchant_metadata": {"tid": "9000990", "clientId": "DD"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(echoed))
        .expect(1)
        .mount(&server)
        .await;
    let delete = DeleteToken::new("del-ref-001")
        .metadata("tid", "9000990")
        .metadata("clientId", "DD");
    let deleted = client(&server)
        .delete_token(CUSTOMER, TOKEN, &delete)
        .await
        .expect("delete");
    assert!(deleted.is_deleted());
    // The answer echoes the reference (the documented example's is empty).
    assert_eq!(
        deleted.merchant_unique_reference.as_deref(),
        Some("del-ref-001")
    );
}

#[tokio::test]
async fn every_documented_error_status_becomes_error_api() {
    // The spec's documented error table (statuses and example codes).
    let code_of = |body: &str| -> Option<String> {
        let example: serde_json::Value = serde_json::from_str(body).ok()?;
        example.get("code")?.as_str().map(str::to_owned)
    };
    let table: Vec<(u16, String)> = pinelabs_api::spec::documented_errors("list_customer_tokens")
        .map(|(status, body)| (status, code_of(body).unwrap_or_default()))
        .collect();
    assert!(!table.is_empty());
    for (status, code) in &table {
        let (status, code) = (*status, code.as_str());
        let server = MockServer::start().await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(status).set_body_json(error_body(code)))
            .mount(&server)
            .await;
        let err = client(&server)
            .list_tokens(CUSTOMER)
            .await
            .expect_err("error status");
        let sent = requests(&server).await;
        let Error::Api {
            status: got,
            code: Some(got_code),
            message,
            details,
            request_id,
            ..
        } = &err
        else {
            panic!("{status}: expected Error::Api, got {err:?}");
        };
        assert_eq!((*got, got_code.as_str()), (status, code));
        assert_eq!(message, &format!("{code} happened"));
        assert_eq!(
            details.as_ref().and_then(|d| d.step.as_deref()),
            Some("lookup")
        );
        let request_id = request_id
            .as_deref()
            .expect("the error quotes the request id");
        assert_eq!(request_id, header(&sent[0], "request-id"));
        assert_eq!(err.status(), Some(status));
        assert_eq!(err.code(), Some(code));
        assert_eq!(err.is_retryable(), status >= 429, "{status}");
        let text = err.to_string();
        assert!(text.contains(request_id), "{text}");
        let advice = err.advice();
        if status < 429 {
            assert!(
                advice.contains("correct the request") || advice.contains("credentials"),
                "{advice}"
            );
        } else {
            assert!(advice.contains("retry"), "{advice}");
        }
    }
}

/// The error a delete ends with when the server answers `status` with the
/// body `with_body` puts on the response.
async fn error_from(
    status: u16,
    with_body: impl FnOnce(ResponseTemplate) -> ResponseTemplate,
) -> Error {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(with_body(ResponseTemplate::new(status)))
        .mount(&server)
        .await;
    let err = client(&server)
        .delete_token(CUSTOMER, TOKEN, &DeleteToken::new("r"))
        .await
        .expect_err("error");
    assert_eq!(err.status(), Some(status), "{err:?}");
    err
}

#[tokio::test]
async fn error_body_without_details() {
    let err = error_from(400, |r| {
        r.set_body_json(json!({"code": "INVALID_REQUEST", "message": "bad"}))
    })
    .await;
    assert!(
        matches!(&err, Error::Api { status: 400, code: Some(c), details: None, excerpt: None, .. } if c == "INVALID_REQUEST")
    );
}

#[tokio::test]
async fn html_error_body_is_kept_as_an_excerpt() {
    let html = "<html><body><h1>502 Bad Gateway</h1></body></html>";
    for status in [500, 502] {
        let err = error_from(status, |r| r.set_body_raw(html, "text/html")).await;
        let Error::Api {
            status: got,
            code: None,
            excerpt: Some(excerpt),
            ..
        } = &err
        else {
            panic!("expected Error::Api with an excerpt, got {err:?}");
        };
        assert_eq!(*got, status);
        assert!(excerpt.contains("502 Bad Gateway"));
    }
}

#[tokio::test]
async fn empty_and_differently_shaped_error_bodies() {
    let err = error_from(404, |r| r).await;
    assert!(
        matches!(&err, Error::Api { status: 404, code: None, excerpt: Some(e), .. } if e.is_empty()),
        "{err:?}"
    );
    let err = error_from(400, |r| r.set_body_json(json!({"error": "nope"}))).await;
    assert!(
        matches!(&err, Error::Api { status: 400, code: None, excerpt: Some(e), .. } if e.contains("nope")),
        "{err:?}"
    );
}

#[tokio::test]
async fn unknown_enum_values_reach_the_caller() {
    let server = MockServer::start().await;
    let mut body: serde_json::Value = serde_json::from_str(list_200()).expect("fixture");
    body["tokens"][0]["status"] = json!("DELETED");
    body["tokens"][0]["payment_method"] = json!("WALLET");
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let tokens = client(&server)
        .list_tokens(CUSTOMER)
        .await
        .expect("lenient");
    assert_eq!(
        tokens.tokens[0].status,
        Some(TokenStatus::Unknown("DELETED".into()))
    );
    assert_eq!(
        tokens.tokens[0].payment_method,
        Some(PaymentMethod::Unknown("WALLET".into()))
    );
    assert_eq!(tokens.active().count(), 0);
}

#[tokio::test]
async fn a_body_that_does_not_decode_names_the_field_path() {
    let server = MockServer::start().await;
    let mut body: serde_json::Value = serde_json::from_str(list_200()).expect("fixture");
    body["tokens"][0]["is_compliant"] = json!("yes");
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    let err = client(&server)
        .list_tokens(CUSTOMER)
        .await
        .expect_err("is_compliant is not a boolean");
    let Error::Decode { path, excerpt, .. } = &err else {
        panic!("expected Decode, got {err:?}")
    };
    assert_eq!(path, "tokens[0].is_compliant");
    assert!(excerpt.starts_with('{'));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn undocumented_success_body_shape_is_a_decode_error() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(200).set_body_raw("<html>maintenance</html>", "text/html"),
        )
        .mount(&server)
        .await;
    let err = client(&server)
        .list_tokens(CUSTOMER)
        .await
        .expect_err("html");
    assert!(matches!(err, Error::Decode { .. }), "{err:?}");
}

#[tokio::test]
async fn a_shared_reqwest_client_is_used_with_our_headers_on_top() {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_raw(list_200(), "application/json"))
        .mount(&server)
        .await;
    let mut defaults = reqwest::header::HeaderMap::new();
    defaults.insert(
        "x-service",
        reqwest::header::HeaderValue::from_static("checkout"),
    );
    let shared = reqwest::Client::builder()
        .default_headers(defaults)
        .build()
        .expect("reqwest");
    let client = pinelabs::Client::builder()
        .base_url(server.uri())
        .access_token(BEARER)
        .user_agent("checkout-service/2.1")
        .http_client(shared)
        .build()
        .expect("config");
    client.list_tokens(CUSTOMER).await.expect("list");
    let sent = &requests(&server).await[0];
    assert_eq!(
        header(sent, "x-service"),
        "checkout",
        "the shared client's settings apply"
    );
    assert_eq!(header(sent, "user-agent"), "checkout-service/2.1");
    assert_eq!(header(sent, "authorization"), format!("Bearer {BEARER}"));
}

/// `client.api()`: the generated client goes through the same middleware
/// (bearer, Request-ID and Request-Timestamp filled in, a caller's own
/// Request-ID kept) and its errors convert with `?`.
#[tokio::test]
async fn the_generated_client_goes_through_the_middleware_and_its_errors_convert() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(LIST_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_raw(list_200(), "application/json"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/customer/nobody/tokens"))
        .respond_with(ResponseTemplate::new(404).set_body_json(error_body("NOT_FOUND")))
        .mount(&server)
        .await;
    let client = client(&server);
    let list = client
        .api()
        .list_customer_tokens()
        .customer_id(CUSTOMER)
        .send()
        .await
        .expect("listed")
        .into_inner();
    assert_eq!(list.customer_id, CUSTOMER);
    client
        .api()
        .list_customer_tokens()
        .customer_id(CUSTOMER)
        .request_id("caller-chosen-1")
        .send()
        .await
        .expect("listed");
    let sent = requests(&server).await;
    assert_eq!(
        header(&sent[0], "authorization"),
        format!("Bearer {BEARER}")
    );
    assert_eq!(
        header(&sent[0], "request-id").len(),
        36,
        "a UUID is filled in"
    );
    assert!(header(&sent[0], "request-timestamp").ends_with('Z'));
    assert_eq!(header(&sent[1], "request-id"), "caller-chosen-1");

    async fn missing(client: &pinelabs::Client) -> pinelabs::Result<()> {
        client
            .api()
            .list_customer_tokens()
            .customer_id("nobody")
            .send()
            .await?;
        Ok(())
    }
    let err = missing(&client).await.expect_err("404");
    assert_eq!(err.status(), Some(404));
    assert_eq!(err.code(), Some("NOT_FOUND"));
}
