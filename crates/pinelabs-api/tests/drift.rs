//! The drift check against the spec's own examples and the decisions it
//! takes from the spec.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pinelabs_api::{
    drift::{self, DriftKind},
    spec,
};

#[test]
fn the_specs_own_examples_produce_no_finding() {
    assert!(!spec::RESPONSE_EXAMPLES.is_empty());
    for example in spec::RESPONSE_EXAMPLES {
        let findings = drift::check(
            example.operation_id,
            example.status,
            example.body.as_bytes(),
        );
        assert!(findings.is_empty(), "{example:?}: {findings:?}");
    }
}

#[test]
fn a_null_the_types_would_hide_is_found() {
    let body = br#"{"access_token": null, "expires_in": 3600}"#;
    let token = spec::operation("generate_token").unwrap();
    assert!(drift::must_check(token, 200));
    let findings = drift::check("generate_token", 200, body);
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert_eq!(findings[0].kind, DriftKind::NullField);
    assert_eq!(findings[0].path, "access_token");
    assert_eq!(findings[0].schema, Some("TokenResponse"));
    assert_eq!(findings[0].property, Some("access_token"));
    // The list's answer has no such property: a clean decode is enough;
    // an undocumented status is always checked.
    let list = spec::operation("list_customer_tokens").unwrap();
    assert!(!drift::must_check(list, 200));
    assert!(drift::must_check(list, 409));
}

/// The generated types note an unknown key and an unknown enum value while
/// they decode, and nothing for an answer that matches the spec.
#[test]
fn decoding_notes_what_the_spec_does_not_have() {
    use pinelabs_api::types::CustomerTokens;
    let clean = spec::response_example("list_customer_tokens", 200).unwrap();
    drift::take();
    let _: CustomerTokens = serde_json::from_str(clean).unwrap();
    assert_eq!(drift::take(), 0);
    let odd = r#"{"customer_id": "c", "tokens": [{"token_id": "t", "status": "PAUSED", "x": 1}]}"#;
    let _: CustomerTokens = serde_json::from_str(odd).unwrap();
    assert_eq!(drift::take(), 2);
}
