//! Arbitrary mutations of the documented bodies, and arbitrary bytes, hold
//! the decoding property of `tests/decoding` (the one the fuzz target
//! checks): a faithful, stable value, or `Error::Decode` naming a place that
//! exists in the document.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod decoding;

use common::{delete_200, list_200};
use decoding::{decodes_faithfully, decoding_holds};
use pinelabs::{Error, decode_json, types::CustomerTokens};
use proptest::prelude::*;
use serde_json::{Value, json};

/// Whether the spec says a 200 answer of `operation_id` is always checked.
fn must_check(operation_id: &str) -> bool {
    let op = pinelabs::spec::operation(operation_id).expect("operation");
    pinelabs_api::drift::must_check(op, 200)
}

/// Every JSON pointer inside `value`, the root included.
fn pointers(value: &Value, at: String, out: &mut Vec<String>) {
    out.push(at.clone());
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                pointers(
                    v,
                    format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                    out,
                );
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                pointers(v, format!("{at}/{i}"), out);
            }
        }
        _ => {}
    }
}

/// Arbitrary JSON values, nested a little.
fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        ".*".prop_map(Value::from),
        Just(json!("2024-10-04T13:11:29.645591Z")),
        Just(json!("ACTIVE")),
        Just(json!("")),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(".{0,8}", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, Value),
    Remove(usize),
    Insert(usize, String, Value),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any_json()).prop_map(|(i, v)| Mutation::Replace(i, v)),
        any::<usize>().prop_map(Mutation::Remove),
        (any::<usize>(), ".{0,12}", any_json()).prop_map(|(i, k, v)| Mutation::Insert(i, k, v)),
    ]
}

fn apply(doc: &mut Value, mutation: &Mutation) {
    let mut all = Vec::new();
    pointers(doc, String::new(), &mut all);
    let pick = |i: usize| all[i % all.len()].clone();
    match mutation {
        Mutation::Replace(i, v) => {
            if let Some(slot) = doc.pointer_mut(&pick(*i)) {
                *slot = v.clone();
            }
        }
        Mutation::Remove(i) => {
            let target = pick(*i);
            if let Some((parent, key)) = target.rsplit_once('/') {
                match doc.pointer_mut(parent) {
                    Some(Value::Object(map)) => {
                        map.remove(&key.replace("~1", "/").replace("~0", "~"));
                    }
                    Some(Value::Array(items)) => {
                        if let Ok(index) = key.parse::<usize>()
                            && index < items.len()
                        {
                            items.remove(index);
                        }
                    }
                    _ => {}
                }
            }
        }
        Mutation::Insert(i, key, v) => {
            if let Some(Value::Object(map)) = doc.pointer_mut(&pick(*i)) {
                map.insert(key.clone(), v.clone());
            }
        }
    }
}

/// The shared property (`tests/decoding`), as a proptest failure.
fn holds(doc: &Value) -> Result<(), TestCaseError> {
    let bytes = serde_json::to_vec(doc).expect("serialises");
    decoding_holds(&bytes).map_err(TestCaseError::fail)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A decoded list carries exactly the document's customer and tokens;
    /// a failure names a place in the document.
    #[test]
    fn mutated_list_bodies_decode_faithfully_or_name_the_field(mutations in prop::collection::vec(mutation(), 1..5)) {
        let mut doc: Value = serde_json::from_str(list_200()).expect("fixture");
        for m in &mutations {
            apply(&mut doc, m);
        }
        holds(&doc)?;
    }

    /// Arbitrary bytes, and the documented bodies with arbitrary bytes
    /// spliced in, hold the same property (what the fuzz target checks).
    #[test]
    fn arbitrary_bytes_hold_the_decoding_property(
        noise in prop::collection::vec(any::<u8>(), 0..64),
        at in any::<usize>(),
    ) {
        decoding_holds(&noise).map_err(TestCaseError::fail)?;
        for body in [list_200(), delete_200()] {
            let mut bytes = body.as_bytes().to_vec();
            let at = at % bytes.len();
            bytes.splice(at..at, noise.iter().copied());
            decoding_holds(&bytes).map_err(TestCaseError::fail)?;
        }
    }

    /// Setting any optional field of the documented list to null never
    /// fails the decode (only `customer_id`, `tokens` and `token_id` are
    /// required).
    #[test]
    fn a_null_optional_field_is_accepted(pick in any::<usize>()) {
        let mut doc: Value = serde_json::from_str(list_200()).expect("fixture");
        let mut all = Vec::new();
        pointers(&doc, String::new(), &mut all);
        let required = |p: &str| p.is_empty() || p == "/customer_id" || p == "/tokens"
            || p.starts_with("/tokens/") && (p.matches('/').count() == 2 || p.ends_with("/token_id"));
        // Inside a map (metadata), null is not a string: not those.
        let optional: Vec<_> = all
            .into_iter()
            .filter(|p| !required(p) && !p.contains("/merchant_metadata/"))
            .collect();
        let target = &optional[pick % optional.len()];
        *doc.pointer_mut(target).expect("exists") = Value::Null;
        let bytes = serde_json::to_vec(&doc).expect("serialises");
        let decoded = decodes_faithfully::<CustomerTokens>(&bytes).map_err(TestCaseError::fail)?;
        prop_assert!(decoded.is_some(), "null at {target} was refused");
    }

    #[test]
    fn mutated_delete_and_error_bodies_decode_or_name_the_field(mutations in prop::collection::vec(mutation(), 1..4)) {
        let mut doc: Value = serde_json::from_str(delete_200()).expect("fixture");
        for m in &mutations {
            apply(&mut doc, m);
        }
        holds(&doc)?;
    }

    /// Every strict prefix of a body is an `Error::Decode` (never `Ok`), and
    /// a corrupted byte gives a value or an `Error::Decode`, never a panic.
    #[test]
    fn truncated_bytes_are_decode_errors(cut in any::<usize>(), flip in any::<usize>(), byte in any::<u8>()) {
        let whole = list_200().as_bytes();
        let prefix = &whole[..cut % whole.len()];
        prop_assert!(
            matches!(decode_json::<CustomerTokens>(prefix), Err(Error::Decode { .. })),
            "a prefix of {} bytes decoded", prefix.len()
        );
        let mut bytes = whole.to_vec();
        bytes[flip % whole.len()] = byte;
        match decode_json::<CustomerTokens>(&bytes) {
            Ok(_) | Err(Error::Decode { .. }) => {}
            Err(other) => prop_assert!(false, "unexpected error {other:?}"),
        }
    }
}

#[test]
fn the_path_points_at_the_broken_field() {
    let mut doc: Value = serde_json::from_str(list_200()).expect("fixture");
    doc["tokens"][0]["card_data"]["emi"] = json!("yes");
    match decode_json::<CustomerTokens>(&serde_json::to_vec(&doc).expect("json")) {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "tokens[0].card_data.emi"),
        other => panic!("{other:?}"),
    }
    // Found by the cargo-fuzz target: an error inside an empty key.
    match decode_json::<CustomerTokens>(b"{\n\"\":ken_id\": ") {
        Err(Error::Decode { path, .. }) => assert_eq!(path, r#"[""]"#),
        other => panic!("{other:?}"),
    }
    match decode_json::<CustomerTokens>(
        br#"{"customer_id": "c", "tokens": [{"token_id": "t", "merchant_metadata": {"a.b": 1}}]}"#,
    ) {
        Err(Error::Decode { path, .. }) => {
            assert_eq!(path, r#"tokens[0].merchant_metadata["a.b"]"#)
        }
        other => panic!("{other:?}"),
    }
    // Found by the shared property: a key that is not UTF-8 gave `card_data.?`;
    // the path now names the object holding it.
    let mut body = br#"{"customer_id": "c", "tokens": [{"token_id": "t", "card_data": {"#.to_vec();
    body.extend_from_slice(b"\"\x80emi\": true}}]}");
    match decode_json::<CustomerTokens>(&body) {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "tokens[0].card_data"),
        other => panic!("{other:?}"),
    }
    match decode_json::<CustomerTokens>(b"{\"customer_id\": \"c\", \"tokens\": []} trailing") {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "."),
        other => panic!("{other:?}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The drift monitor's cheap path misses nothing: whenever the full
    /// check finds drift in a mutated answer, decoding it noted a surprise
    /// or failed, so the client would have run the full check.
    #[test]
    fn drift_is_never_missed_by_the_cheap_path(mutations in prop::collection::vec(mutation(), 1..5)) {
        for (operation_id, fixture) in [("list_customer_tokens", list_200()), ("delete_customer_token", delete_200())] {
            let mut doc: Value = serde_json::from_str(fixture).expect("fixture");
            for m in &mutations {
                apply(&mut doc, m);
            }
            let bytes = serde_json::to_vec(&doc).expect("serialises");
            pinelabs_api::drift::take();
            let failed = if operation_id == "list_customer_tokens" {
                serde_json::from_slice::<CustomerTokens>(&bytes).is_err()
            } else {
                serde_json::from_slice::<pinelabs::types::DeletedToken>(&bytes).is_err()
            };
            let notes = pinelabs_api::drift::take();
            let findings = pinelabs::drift::check(operation_id, 200, &bytes);
            if !findings.is_empty() {
                prop_assert!(
                    notes > 0 || failed || must_check(operation_id),
                    "missed {findings:?} in {doc}"
                );
            }
        }
    }

    /// The full check never panics, whatever the bytes.
    #[test]
    fn the_drift_check_takes_any_bytes(noise in prop::collection::vec(any::<u8>(), 0..256), status in 100u16..600) {
        for operation_id in ["list_customer_tokens", "delete_customer_token", "generate_token", "nope"] {
            let _ = pinelabs::drift::check(operation_id, status, &noise);
        }
    }
}
