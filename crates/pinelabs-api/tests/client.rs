//! The generated client on the wire, against a wiremock server on loopback.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use pinelabs_api::{
    Client, ClientInfo, Error,
    hooks::{BoxFuture, Hooks, Middleware},
    spec,
    types::{DeleteTokenRequest, DeletionStatus, RequestId, RequestTimestamp},
};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{body_json, header, method, path},
};

fn example(operation_id: &str) -> &'static str {
    spec::response_example(operation_id, 200).expect("documented example")
}

/// Adds a static bearer token, as the wrapper's auth middleware does.
#[derive(Debug)]
struct Bearer;

impl Middleware for Bearer {
    fn execute<'a>(
        &'a self,
        api: &'a Client,
        mut request: reqwest::Request,
        _operation_id: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        request.headers_mut().insert(
            reqwest::header::AUTHORIZATION,
            reqwest::header::HeaderValue::from_static("Bearer test-token"),
        );
        Box::pin(api.client().execute(request))
    }
}

fn client(server: &MockServer) -> Client {
    Client::new(&server.uri(), Hooks::new(Arc::new(Bearer)))
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
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(example("list_customer_tokens"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let request_id: RequestId = "req-1".parse().expect("valid");
    let timestamp: RequestTimestamp = "2024-07-09T07:57:08.022Z".parse().expect("valid");
    let list = client(&server)
        .list_customer_tokens()
        .customer_id("cust/1 ?#%")
        .request_id(request_id)
        .request_timestamp(timestamp)
        .send()
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
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(example("delete_customer_token"), "application/json"),
        )
        .expect(1)
        .mount(&server)
        .await;

    let body = DeleteTokenRequest::builder()
        .merchant_unique_reference("del-ref-001")
        .merchant_metadata(
            [
                ("clientId".to_owned(), "DD".parse().expect("valid")),
                ("tid".to_owned(), "9000990".parse().expect("valid")),
            ]
            .into_iter()
            .collect::<std::collections::BTreeMap<_, _>>(),
        );
    let deleted = client(&server)
        .delete_customer_token()
        .customer_id("cust-1")
        .token_id("tok/../x")
        .body(body)
        .send()
        .await
        .expect("200")
        .into_inner();
    assert_eq!(deleted.status, Some(DeletionStatus::Deleted));
}

#[tokio::test]
async fn documented_error_statuses_map_to_the_typed_error_body() {
    let documented: Vec<u16> = spec::documented_errors("list_customer_tokens")
        .map(|(status, _)| status)
        .collect();
    assert!(!documented.is_empty());
    for status in documented {
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
            .list_customer_tokens()
            .customer_id("cust-1")
            .send()
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

#[tokio::test]
async fn an_invalid_input_is_refused_before_sending() {
    let server = MockServer::start().await;
    let err = client(&server)
        .list_customer_tokens()
        .customer_id("")
        .send()
        .await
        .expect_err("empty id");
    assert!(
        matches!(err, Error::InvalidRequest(ref why) if why.contains("customer_id")),
        "{err:?}"
    );
    assert!(
        server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}
