//! Arbitrary mutations of the documented bodies never panic the decoder:
//! the result is a value or `Error::Decode` with a field path.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{delete_200, list_200};
use pinelabs::{
    Error, decode_json,
    types::{CustomerTokens, DeletedToken, ErrorResponse},
};
use proptest::prelude::*;
use serde_json::{Value, json};

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

/// The JSON value a decode path (`tokens[0].card_data["a.b"]`, `.` for the
/// root) names in `doc`, if it exists.
fn at_path<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    if path == "." {
        return Some(doc);
    }
    let mut here = doc;
    let mut rest = path;
    while !rest.is_empty() {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if let Some(after) = rest.strip_prefix("[\"") {
            let end = after.find("\"]")?;
            here =
                here.get(serde_json::from_str::<String>(&format!("\"{}\"", &after[..end])).ok()?)?;
            rest = &after[end + 2..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']')?;
            here = here.get(after[..end].parse::<usize>().ok()?)?;
            rest = &after[end + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            here = here.get(&rest[..end])?;
            rest = &rest[end..];
        }
    }
    Some(here)
}

/// Decodes `doc` as `T`: a value, or `Error::Decode` whose path names a
/// place that exists in `doc` (the offending value, or the object missing a
/// required field).
fn check<T: serde::de::DeserializeOwned + std::fmt::Debug>(
    doc: &Value,
) -> Result<Option<T>, TestCaseError> {
    let bytes = serde_json::to_vec(doc).expect("serialises");
    match decode_json::<T>(&bytes) {
        Ok(value) => Ok(Some(value)),
        Err(Error::Decode {
            path,
            message,
            request_id,
            ..
        }) => {
            prop_assert!(
                at_path(doc, &path).is_some(),
                "the path `{path}` names nothing in {doc}"
            );
            prop_assert!(!message.is_empty());
            prop_assert!(request_id.is_none());
            Ok(None)
        }
        Err(other) => Err(TestCaseError::fail(format!("unexpected error {other:?}"))),
    }
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
        if let Some(list) = check::<CustomerTokens>(&doc)? {
            prop_assert_eq!(Some(list.customer_id.as_str()), doc["customer_id"].as_str());
            let ids: Vec<_> = doc["tokens"].as_array().expect("tokens decoded, so a list")
                .iter().map(|t| t["token_id"].as_str()).collect();
            let decoded: Vec<_> = list.tokens.iter().map(|t| Some(t.token_id.as_str())).collect();
            prop_assert_eq!(decoded, ids);
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
        let optional: Vec<_> = all.into_iter().filter(|p| !required(p)).collect();
        let target = &optional[pick % optional.len()];
        // Inside a map (metadata), null is not a string: skip those.
        prop_assume!(!target.contains("/merchant_metadata/"));
        *doc.pointer_mut(target).expect("exists") = Value::Null;
        prop_assert!(check::<CustomerTokens>(&doc)?.is_some(), "null at {target} was refused");
    }

    #[test]
    fn mutated_delete_and_error_bodies_decode_or_name_the_field(mutations in prop::collection::vec(mutation(), 1..4)) {
        let mut doc: Value = serde_json::from_str(delete_200()).expect("fixture");
        for m in &mutations {
            apply(&mut doc, m);
        }
        check::<DeletedToken>(&doc)?;
        check::<ErrorResponse>(&doc)?;
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
    match decode_json::<CustomerTokens>(b"{\"customer_id\": \"c\", \"tokens\": []} trailing") {
        Err(Error::Decode { path, .. }) => assert_eq!(path, "."),
        other => panic!("{other:?}"),
    }
}
