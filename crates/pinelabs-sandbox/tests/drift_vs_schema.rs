//! The drift check reads answers as the spec's JSON Schema does when every
//! object forbids extra properties: `jsonschema` (an independent validator)
//! and `pinelabs_api::drift::check` must agree on every answer, drifting or not.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pinelabs_api::{drift, spec};
use pinelabs_sandbox::{Drift, SEED_CUSTOMER_ID, SEED_TOKEN_ID, Sandbox};
use serde_json::Value;
use xtask::schemas::SpecSchemas;

fn strict() -> SpecSchemas {
    // The spec pinelabs-api builds from, found when the test runs.
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo");
    let spec = std::path::Path::new(&dir)
        .join("../pinelabs-api")
        .join(pinelabs_codegen::SPEC_FILE);
    SpecSchemas::strict(&pinelabs_codegen::load_json(&spec).expect("spec"))
}

/// Whether the strict schema accepts `body` as `operation_id`'s answer.
fn schema_accepts(schemas: &SpecSchemas, operation_id: &str, status: u16, body: &[u8]) -> bool {
    let op = spec::operation(operation_id).expect("operation");
    serde_json::from_slice::<Value>(body).is_ok_and(|body| {
        schemas
            .validate_response(op.method, op.path, status, &body)
            .is_ok()
    })
}

fn assert_agree(schemas: &SpecSchemas, operation_id: &str, status: u16, body: &[u8]) -> bool {
    let findings = drift::check(operation_id, status, body);
    let accepted = schema_accepts(schemas, operation_id, status, body);
    assert_eq!(
        findings.is_empty(),
        accepted,
        "{operation_id} {status}: findings {findings:?}, schema accepts: {accepted}\n{}",
        String::from_utf8_lossy(body)
    );
    accepted
}

#[test]
fn the_check_and_the_strict_schema_agree_on_the_specs_examples() {
    let schemas = strict();
    for example in spec::RESPONSE_EXAMPLES {
        let body = example.body.as_bytes();
        assert!(assert_agree(
            &schemas,
            example.operation_id,
            example.status,
            body
        ));
    }
}

/// A raw answer of the sandbox: status and body.
async fn fetch(sandbox: &Sandbox, delete: bool) -> (u16, Vec<u8>) {
    let http = reqwest::Client::new();
    let base = sandbox.base_url();
    let request = if delete {
        let url =
            format!("{base}/api/v1/customer/{SEED_CUSTOMER_ID}/tokens/{SEED_TOKEN_ID}/delete");
        http.post(url)
            .json(&serde_json::json!({"merchant_unique_reference": "ref-schema-1"}))
    } else {
        http.get(format!("{base}/api/v1/customer/{SEED_CUSTOMER_ID}/tokens"))
    };
    let response = request
        .bearer_auth(sandbox.access_token())
        .send()
        .await
        .expect("answer");
    let status = response.status().as_u16();
    (status, response.bytes().await.expect("body").to_vec())
}

#[tokio::test]
async fn the_check_and_the_strict_schema_agree_on_every_drift() {
    let schemas = strict();
    for drift in Drift::ALL {
        for (operation_id, delete) in [
            ("list_customer_tokens", false),
            ("delete_customer_token", true),
        ] {
            let sandbox = Sandbox::start().await.expect("sandbox");
            sandbox.set_drift(&[*drift]);
            let (status, body) = fetch(&sandbox, delete).await;
            assert_agree(&schemas, operation_id, status, &body);
        }
    }
    // And without drift.
    let sandbox = Sandbox::start().await.expect("sandbox");
    let (status, body) = fetch(&sandbox, false).await;
    assert!(assert_agree(
        &schemas,
        "list_customer_tokens",
        status,
        &body
    ));
}

#[test]
fn the_strict_schema_takes_the_documented_alias_and_refuses_other_keys() {
    let schemas = strict();
    let old = br#"{"token-id": "t", "status": "DELETED"}"#;
    assert!(assert_agree(&schemas, "delete_customer_token", 200, old));
    let new = br#"{"token_id": "t", "deleted_by": "x"}"#;
    assert!(!assert_agree(&schemas, "delete_customer_token", 200, new));
}
