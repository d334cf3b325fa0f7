//! The generated client on the wire, against a wiremock server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use pinelabs_api::{
    Client, Error,
    hooks::{BoxFuture, Hooks, Middleware},
    types::{DeleteTokenRequest, DeletionStatus, RequestId, RequestTimestamp, ResourceId},
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_json, header, method, path},
};

const LIST_200: &str = include_str!("fixtures/list_tokens_200.json");
const DELETE_200: &str = include_str!("fixtures/delete_token_200.json");

/// Adds a static bearer token, as the wrapper's auth middleware does.
#[derive(Debug)]
struct Bearer;

impl Middleware for Bearer {
    fn prepare<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _operation_id: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            request.headers_mut().insert(
                reqwest::header::AUTHORIZATION,
                reqwest::header::HeaderValue::from_static("Bearer test-token"),
            );
            Ok(())
        })
    }

    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        _operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(client.execute(request))
    }
}

fn client(server: &MockServer) -> Client {
    Client::new(&server.uri(), Hooks::new(Arc::new(Bearer)))
}

fn id(s: &str) -> ResourceId {
    s.parse().expect("valid id")
}

#[tokio::test]
async fn list_sends_get_with_encoded_id_and_auth_and_decodes_200() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v1/customer/cust%2F1%20%3F%23%25/tokens"))
        .and(header("authorization", "Bearer test-token"))
        .and(header("accept", "application/json"))
        .and(header("request-id", "req-1"))
        .and(header("request-timestamp", "2024-07-09T07:57:08.022Z"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(LIST_200, "application/json"))
        .expect(1)
        .mount(&server)
        .await;

    let request_id: RequestId = "req-1".parse().expect("valid");
    let timestamp: RequestTimestamp = "2024-07-09T07:57:08.022Z".parse().expect("valid");
    let list = client(&server)
        .list_customer_tokens(&id("cust/1 ?#%"), Some(&request_id), Some(&timestamp))
        .await
        .expect("200")
        .into_inner();
    assert_eq!(list.total_tokens, Some(1));
    assert_eq!(list.tokens[0].token_id, "token-v1-1234567890-aa-ABCDEF");
}

#[tokio::test]
async fn delete_sends_post_with_json_body_and_decodes_200() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/customer/cust-1/tokens/tok%2F..%2Fx/delete"))
        .and(header("authorization", "Bearer test-token"))
        .and(header("content-type", "application/json"))
        .and(body_json(json!({
            "merchant_unique_reference": "del-ref-001",
            "merchant_metadata": {"clientId": "DD", "tid": "9000990"}
        })))
        .respond_with(ResponseTemplate::new(200).set_body_raw(DELETE_200, "application/json"))
        .expect(1)
        .mount(&server)
        .await;

    let body = DeleteTokenRequest {
        merchant_unique_reference: "del-ref-001".parse().expect("valid"),
        merchant_metadata: [
            ("clientId".to_owned(), "DD".parse().expect("valid")),
            ("tid".to_owned(), "9000990".parse().expect("valid")),
        ]
        .into_iter()
        .collect(),
    };
    let deleted = client(&server)
        .delete_customer_token(&id("cust-1"), &id("tok/../x"), None, None, &body)
        .await
        .expect("200")
        .into_inner();
    assert_eq!(deleted.status, Some(DeletionStatus::Deleted));
}

#[tokio::test]
async fn documented_error_statuses_map_to_the_typed_error_body() {
    for status in [400u16, 401, 403, 404, 429, 500, 503] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({
                "code": format!("CODE_{status}"),
                "message": "something failed",
                "additional_error_details": {"source": "tokens", "step": "lookup", "reason": "r", "metadata": {}}
            })))
            .mount(&server)
            .await;
        let err = client(&server)
            .list_customer_tokens(&id("cust-1"), None, None)
            .await
            .expect_err("error status");
        match err {
            Error::ErrorResponse(body) => {
                assert_eq!(body.status().as_u16(), status);
                assert_eq!(body.code, format!("CODE_{status}"));
                assert_eq!(
                    body.additional_error_details
                        .as_ref()
                        .and_then(|d| d.step.as_deref()),
                    Some("lookup")
                );
            }
            other => panic!("status {status}: expected a typed error body, got {other:?}"),
        }
    }
}

#[test]
fn request_types_enforce_the_documented_limits() {
    assert!("".parse::<ResourceId>().is_err());
    assert!("x".repeat(51).parse::<ResourceId>().is_err());
    assert!("x".repeat(50).parse::<ResourceId>().is_ok());
    assert!(
        "".parse::<pinelabs_api::types::MerchantUniqueReference>()
            .is_err()
    );
    assert!(
        "x".repeat(257)
            .parse::<pinelabs_api::types::MetadataValue>()
            .is_err()
    );
}
