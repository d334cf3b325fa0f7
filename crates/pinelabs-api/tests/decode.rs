//! The generated types decode the documented bodies, and are lenient about
//! everything the documentation is inconsistent about.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pinelabs_api::types::{
    CardCategory, CardType, CustomerTokens, DeletedToken, DeletionStatus, ErrorResponse,
    PaymentMethod, Timestamp, TokenStatus,
};
use serde_json::json;

// The spec's own examples are the fixtures.
fn example(operation_id: &str) -> &'static str {
    pinelabs_api::spec::response_example(operation_id, 200).expect("documented example")
}

fn list_200() -> &'static str {
    example("list_customer_tokens")
}

fn utc(s: &str) -> Timestamp {
    Timestamp::Utc(s.parse().expect("test timestamp"))
}

#[test]
fn seed_list_example_decodes_with_every_field() {
    let list: CustomerTokens = serde_json::from_str(list_200()).expect("seed example decodes");
    assert_eq!(list.customer_id, "cust-v1-0811030624-aa-RBDgpR");
    assert_eq!(list.total_tokens, Some(1));
    assert_eq!(list.created_at, Some(utc("2024-10-04T13:11:29.645591Z")));
    assert_eq!(list.updated_at, Some(utc("2024-10-04T13:11:29.645657Z")));
    assert_eq!(list.tokens.len(), 1);

    let token = &list.tokens[0];
    assert_eq!(token.token_id, "token-v1-1234567890-aa-ABCDEF");
    assert_eq!(
        token.merchant_token_reference.as_deref(),
        Some("token-ref-001")
    );
    assert_eq!(
        token.customer_id.as_deref(),
        Some("cust-v1-0811030624-aa-RBDgpR")
    );
    assert_eq!(token.status, Some(TokenStatus::Active));
    assert_eq!(token.payment_method, Some(PaymentMethod::Card));
    assert_eq!(token.expired_at, Some(utc("2025-12-31T23:59:59Z")));
    assert_eq!(token.created_at, Some(utc("2024-10-04T13:11:29.645591Z")));
    assert_eq!(token.updated_at, Some(utc("2024-10-04T13:11:29.645657Z")));
    assert_eq!(
        token.status_reason.as_deref(),
        Some("Token activated successfully")
    );
    assert_eq!(token.is_compliant, Some(true));

    let metadata = token.merchant_metadata.as_ref().expect("metadata");
    assert_eq!(metadata.len(), 9);
    assert_eq!(metadata["clientId"], "DD");
    assert_eq!(metadata["transactionReferenceNo"], "pine-1223");
    assert_eq!(metadata["merchantId"], "1234");
    assert_eq!(metadata["tid"], "9000990");
    assert_eq!(metadata["acquirerName"], "HDFC_FSS");
    assert_eq!(metadata["isOfferDisplayRequired"], "true");
    assert!(metadata["OfferData"].starts_with("UHJvZHVjdF9Db2Rl"));
    assert!(
        metadata["OfferData"].len() > 256,
        "a response value may exceed the request limit"
    );
    assert_eq!(metadata["tenant_id"], "PGATPOS");
    assert_eq!(metadata["is_offer_validation_required"], "true");

    let card = token.card_data.as_ref().expect("card data");
    assert_eq!(card.last4_digit.as_deref(), Some("1112"));
    assert_eq!(card.card_type, Some(CardType::Credit));
    assert_eq!(card.network_name.as_deref(), Some("Visa"));
    assert_eq!(card.issuer_name.as_deref(), Some("HDFC Bank"));
    assert_eq!(card.card_category, Some(CardCategory::Consumer));
    assert_eq!(card.country_code.as_deref(), Some("IN"));
    assert_eq!(card.international, Some(false));
    assert_eq!(card.emi, Some(true));
    assert_eq!(card.cvv_required, Some(true));
}

#[test]
fn seed_delete_example_decodes_with_every_field() {
    let deleted: DeletedToken =
        serde_json::from_str(example("delete_customer_token")).expect("seed example decodes");
    assert_eq!(
        deleted.token_id.as_deref(),
        Some("token-v1-0811030624-aa-RBDgpR")
    );
    assert_eq!(
        deleted.customer_id.as_deref(),
        Some("cust-v1-0811030624-aa-RBDgpR")
    );
    assert_eq!(deleted.status, Some(DeletionStatus::Deleted));
    assert_eq!(deleted.merchant_unique_reference.as_deref(), Some(""));
}

fn token_with(field: &str, value: serde_json::Value) -> serde_json::Value {
    let mut list: serde_json::Value = serde_json::from_str(list_200()).expect("fixture");
    list["tokens"][0][field] = value;
    list
}

fn decode(value: serde_json::Value) -> CustomerTokens {
    serde_json::from_value(value).expect("lenient decode")
}

#[test]
fn unknown_token_status_is_kept() {
    let list = decode(token_with("status", json!("DELETED")));
    let status = list.tokens[0].status.clone().expect("status");
    assert_eq!(status, TokenStatus::Unknown("DELETED".into()));
    assert_eq!(status.to_string(), "DELETED");
    assert_eq!(
        serde_json::to_value(&status).expect("serialises"),
        json!("DELETED")
    );
}

#[test]
fn mixed_case_card_category_is_known() {
    let mut list: serde_json::Value = serde_json::from_str(list_200()).expect("fixture");
    list["tokens"][0]["card_data"]["card_category"] = json!("Consumer");
    let list = decode(list);
    let card = list.tokens[0].card_data.as_ref().expect("card");
    assert_eq!(card.card_category, Some(CardCategory::Consumer));
}

#[test]
fn unknown_payment_method_is_kept() {
    let list = decode(token_with("payment_method", json!("WALLET")));
    assert_eq!(
        list.tokens[0].payment_method,
        Some(PaymentMethod::Unknown("WALLET".into()))
    );
}

#[test]
fn known_enum_values_round_trip() {
    for status in TokenStatus::KNOWN {
        let wire = serde_json::to_string(status).expect("serialises");
        assert_eq!(
            &serde_json::from_str::<TokenStatus>(&wire).expect("decodes"),
            status
        );
    }
    for category in CardCategory::KNOWN {
        assert_eq!(
            &category
                .to_string()
                .parse::<CardCategory>()
                .expect("infallible"),
            category
        );
    }
    // Every open enum knows exactly the spec's values (see tests/spec.rs for
    // the agreement with the spec itself).
    for (schema, values) in pinelabs_api::open_enum::registry::SCHEMAS {
        for value in *values {
            assert_eq!(
                pinelabs_api::open_enum::registry::decodes_as_known(schema, value),
                Some(true),
                "{schema}: {value}"
            );
        }
    }
    assert_eq!(PaymentMethod::KNOWN.len(), registry_len("PaymentMethod"));
    assert_eq!(CardType::KNOWN.len(), registry_len("CardType"));
}

fn registry_len(schema: &str) -> usize {
    pinelabs_api::open_enum::registry::SCHEMAS
        .iter()
        .find(|(name, _)| *name == schema)
        .map_or(0, |(_, values)| values.len())
}

#[test]
fn a_timestamp_that_is_not_iso_8601_is_kept_not_fatal() {
    let list = decode(token_with("expired_at", json!("")));
    assert_eq!(
        list.tokens[0].expired_at,
        Some(Timestamp::Unparsed(String::new()))
    );
    let list = decode(token_with("created_at", json!("2024-10-04 13:11")));
    assert_eq!(
        list.tokens[0].created_at,
        Some(Timestamp::Unparsed("2024-10-04 13:11".into()))
    );
    // Other tokens and fields are unaffected.
    assert_eq!(list.tokens[0].status, Some(TokenStatus::Active));
}

#[test]
fn extra_unknown_fields_are_ignored() {
    let mut list = token_with("loyalty_tier", json!({"nested": [1, 2, 3]}));
    list["next_page"] = json!("abc");
    list["tokens"][0]["card_data"]["bin"] = json!("411111");
    let list = decode(list);
    assert_eq!(list.tokens[0].token_id, "token-v1-1234567890-aa-ABCDEF");
}

#[test]
fn missing_optional_fields_decode() {
    // The older documentation sample: only `customer_id` and `tokens`.
    let list = decode(json!({
        "customer_id": "cust-1",
        "tokens": [{"token_id": "token-1"}]
    }));
    assert_eq!(list.total_tokens, None);
    assert_eq!(list.created_at, None);
    let token = &list.tokens[0];
    assert_eq!(token.status, None);
    assert_eq!(token.card_data, None);
    assert_eq!(token.merchant_metadata, None);
}

#[test]
fn null_optional_fields_decode() {
    let list = decode(json!({
        "customer_id": "cust-1",
        "total_tokens": null,
        "created_at": null,
        "updated_at": null,
        "tokens": [{
            "token_id": "token-1",
            "merchant_token_reference": null,
            "customer_id": null,
            "status": null,
            "payment_method": null,
            "expired_at": null,
            "created_at": null,
            "updated_at": null,
            "status_reason": null,
            "merchant_metadata": null,
            "is_compliant": null,
            "card_data": {
                "last4_digit": null, "card_type": null, "network_name": null,
                "issuer_name": null, "card_category": null, "country_code": null,
                "international": null, "emi": null, "cvv_required": null
            }
        }]
    }));
    let token = &list.tokens[0];
    assert_eq!(token.status_reason, None);
    assert_eq!(token.status, None);
    assert_eq!(
        token.card_data.as_ref().and_then(|c| c.card_type.clone()),
        None
    );
}

#[test]
fn error_body_with_and_without_details_decodes() {
    let full: ErrorResponse = serde_json::from_value(json!({
        "code": "INVALID_REQUEST",
        "message": "bad id",
        "additional_error_details": {
            "source": "tokens", "step": "validate", "reason": "too long",
            "metadata": {"field": "customer_id", "limit": 50}
        }
    }))
    .expect("documented error shape");
    let details = full.additional_error_details.expect("details");
    assert_eq!(details.reason.as_deref(), Some("too long"));
    assert_eq!(
        details.metadata.as_ref().map(|m| m["limit"].clone()),
        Some(json!(50))
    );

    let bare: ErrorResponse =
        serde_json::from_value(json!({"code": "INTERNAL_ERROR", "message": "oops"}))
            .expect("error without details");
    assert_eq!(bare.code, "INTERNAL_ERROR");
    assert!(bare.additional_error_details.is_none());
}

#[test]
fn generated_types_describe_themselves_as_json_schema() {
    let schema = serde_json::to_value(schemars::schema_for!(CustomerTokens)).expect("schema");
    let text = schema.to_string();
    assert!(
        text.contains("token_id") && text.contains("card_data"),
        "{text}"
    );
    // The open enums are plain strings with the documented values as examples.
    let status = serde_json::to_value(schemars::schema_for!(TokenStatus)).expect("schema");
    assert_eq!(status["type"], "string");
    assert_eq!(status["examples"][0], "INITIATED");
}
