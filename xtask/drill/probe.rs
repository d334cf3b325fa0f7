//! Dropped into `crates/pinelabs/tests/` of a scratch copy by
//! `cargo xtask drill`, after the additive spec edit and a regeneration,
//! with no other change to hand-written code. It compiles only there: the
//! types and the operation it uses exist only in the edited spec.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pinelabs::types::{CustomerToken, CustomerTokenCardBrand, TokenStatus};
use serde_json::json;
use wiremock::{
    Mock, MockServer, ResponseTemplate,
    matchers::{method, path},
};

#[test]
fn a_new_value_of_an_existing_enum_is_a_known_variant() {
    let token: CustomerToken =
        serde_json::from_str(r#"{"token_id": "t", "status": "PROVISIONING"}"#).unwrap();
    assert_eq!(token.status, Some(TokenStatus::Provisioning));
}

#[test]
fn a_new_inline_enum_is_open() {
    let odd: CustomerToken =
        serde_json::from_str(r#"{"token_id": "t", "card_brand": "Z"}"#).unwrap();
    assert_eq!(odd.card_brand, Some(CustomerTokenCardBrand::Unknown("Z".into())));
    let known: CustomerToken =
        serde_json::from_str(r#"{"token_id": "t", "card_brand": "a"}"#).unwrap();
    assert_eq!(known.card_brand, Some(CustomerTokenCardBrand::A));
}

#[tokio::test]
async fn the_new_operation_goes_through_the_middleware() {
    let server = MockServer::start().await;
    let route = "/api/v1/customer/cust-1/tokens/tok-1";
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(
            ResponseTemplate::new(503)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"code": "SERVICE_UNAVAILABLE", "message": "busy"})),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(route))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token_id": "tok-1", "status": "PROVISIONING"})),
        )
        .mount(&server)
        .await;
    let client = pinelabs::Client::builder()
        .base_url(server.uri())
        .access_token("drill-token")
        .build()
        .unwrap();
    let token = client
        .call(
            client
                .api()
                .get_customer_token()
                .customer_id("cust-1")
                .token_id("tok-1")
                .send(),
        )
        .await
        .unwrap();
    assert_eq!(token.status, Some(TokenStatus::Provisioning));
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2, "one retry after the 503");
    let header = |i: usize, name: &str| {
        requests[i].headers.get(name).unwrap().to_str().unwrap().to_owned()
    };
    assert_eq!(header(0, "authorization"), "Bearer drill-token");
    assert_eq!(header(1, "authorization"), "Bearer drill-token");
    assert!(!header(0, "request-id").is_empty());
    assert_eq!(header(0, "request-id"), header(1, "request-id"));
}
