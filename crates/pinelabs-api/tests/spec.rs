//! The generated crate agrees with the spec it was generated from: every
//! enum is open and knows exactly the spec's values, every constrained
//! string enforces the spec's lengths, every operation is listed. A
//! failure names the schema or operation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;

use pinelabs_api::{open_enum::registry, spec, types};
use serde_json::Value;

/// The spec this package builds from (read when the test runs).
fn spec_json() -> Value {
    let dir = std::env::var("CARGO_MANIFEST_DIR").expect("run by cargo");
    pinelabs_codegen::load_json(&PathBuf::from(dir).join(pinelabs_codegen::SPEC_FILE))
        .expect("spec")
}

/// Every JSON object of the document that has an `enum`, wherever it is.
fn count_enums(value: &Value) -> usize {
    match value {
        Value::Object(map) => {
            usize::from(map.contains_key("enum")) + map.values().map(count_enums).sum::<usize>()
        }
        Value::Array(items) => items.iter().map(count_enums).sum(),
        _ => 0,
    }
}

#[test]
fn every_enum_of_the_spec_is_open_with_the_specs_values() {
    let raw = spec_json();
    let model = pinelabs_codegen::Model::read(&raw).expect("model");
    assert_eq!(
        count_enums(&raw),
        registry::SCHEMAS.len(),
        "every enum of the spec, named or inline, must be an open enum: {:?}",
        registry::SCHEMAS.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    for def in &model.enums {
        let (_, known) = registry::SCHEMAS
            .iter()
            .find(|(name, _)| *name == def.name)
            .unwrap_or_else(|| panic!("schema {}: no open enum was generated", def.name));
        assert_eq!(
            *known,
            def.values.as_slice(),
            "schema {}: known values",
            def.name
        );
        for value in &def.values {
            assert_eq!(
                registry::decodes_as_known(&def.name, value),
                Some(true),
                "schema {}: {value} must decode as a known variant",
                def.name
            );
        }
        assert_eq!(
            registry::decodes_as_known(&def.name, "NOT-IN-THE-SPEC"),
            Some(false),
            "schema {}: an unknown value must decode as Unknown",
            def.name
        );
    }
}

fn lengths(raw: &Value, schema: &str) -> (usize, usize) {
    let s = &raw["components"]["schemas"][schema];
    let get = |k: &str| s[k].as_u64().map(|n| n as usize);
    (
        get("minLength").unwrap_or(0),
        get("maxLength").expect("maxLength"),
    )
}

#[test]
fn constrained_strings_enforce_the_specs_lengths() {
    let raw = spec_json();
    type Accepts = fn(&str) -> bool;
    let checks: [(&str, Accepts); 5] = [
        ("ResourceId", |s| types::ResourceId::try_from(s).is_ok()),
        ("RequestId", |s| types::RequestId::try_from(s).is_ok()),
        ("RequestTimestamp", |s| {
            types::RequestTimestamp::try_from(s).is_ok()
        }),
        ("MerchantUniqueReference", |s| {
            types::MerchantUniqueReference::try_from(s).is_ok()
        }),
        ("MetadataValue", |s| {
            types::MetadataValue::try_from(s).is_ok()
        }),
    ];
    for (schema, accepts) in checks {
        let (min, max) = lengths(&raw, schema);
        assert!(accepts(&"é".repeat(max)), "{schema}: {max} characters");
        assert!(
            !accepts(&"x".repeat(max + 1)),
            "{schema}: {} characters",
            max + 1
        );
        assert!(
            accepts(&"x".repeat(min.max(1))),
            "{schema}: {min} characters"
        );
        if min > 0 {
            assert!(
                !accepts(&"x".repeat(min - 1)),
                "{schema}: {} characters",
                min - 1
            );
        }
    }
}

#[test]
fn every_operation_of_the_spec_is_listed_with_its_method_and_route() {
    let raw = spec_json();
    let mut found = Vec::new();
    for (path, item) in raw["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("path item") {
            if let Some(id) = op["operationId"].as_str() {
                found.push((id.to_owned(), method.to_ascii_uppercase(), path.clone()));
            }
        }
    }
    found.sort();
    let listed: Vec<_> = spec::OPERATIONS
        .iter()
        .map(|op| {
            (
                op.operation_id.to_owned(),
                op.method.to_owned(),
                op.path.to_owned(),
            )
        })
        .collect();
    assert_eq!(listed, found);
    assert_eq!(spec::API_VERSION, raw["info"]["version"].as_str().unwrap());
}

#[test]
fn the_metadata_pair_limit_is_the_specs_max_properties() {
    let raw = spec_json();
    let max = raw["components"]["schemas"]["DeleteTokenRequest"]["properties"]["merchant_metadata"]
        ["maxProperties"]
        .as_u64()
        .map(|n| n as usize);
    assert_eq!(
        spec::max_properties("DeleteTokenRequest", "merchant_metadata"),
        max
    );
    assert!(max.is_some());
}

/// The servers are UAT first, then production: the order the wrapper's
/// `Environment` takes them in.
#[test]
fn the_servers_are_uat_then_production() {
    let servers = pinelabs_api::spec::SERVERS;
    assert!(servers[0].description.contains("UAT"), "{:?}", servers[0]);
    assert!(
        servers[1].description.contains("Production"),
        "{:?}",
        servers[1]
    );
}

/// The headers a client fills in are the ones the spec declares on every
/// operation.
#[test]
fn every_operation_declares_the_headers_a_client_fills_in() {
    use pinelabs_api::headers::{REQUEST_ID, REQUEST_TIMESTAMP};
    for op in pinelabs_api::spec::OPERATIONS {
        for header in [&REQUEST_ID, &REQUEST_TIMESTAMP] {
            let declared = op.header_params.iter().map(|h| h.to_ascii_lowercase());
            assert!(
                declared.into_iter().any(|h| h == header.as_str()),
                "{} does not declare {header}",
                op.operation_id
            );
        }
    }
}
