//! The decoding property, shared by the proptest suite
//! (`tests/robustness.rs`, stable, in CI) and the cargo-fuzz target
//! (`fuzz/fuzz_targets/decode_response.rs`, nightly, by hand), so both check
//! the same thing.
//!
//! For any bytes and each response type, `decode_json` gives
//! * a value only if the bytes are one JSON document (invalid UTF-8 inside
//!   a skipped unknown field is tolerated), and that value is
//!   faithful (a list carries the document's customer and token ids) and
//!   stable (encoding it and decoding again gives the same JSON);
//! * otherwise `Error::Decode` whose message is not empty and whose path
//!   names a place that exists in the document when the bytes are JSON;
//! * never another error, never a panic.
#![allow(dead_code)]

use pinelabs::{
    Error, decode_json,
    types::{CustomerTokens, DeletedToken, ErrorResponse},
};
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

/// The JSON value a decode path (`tokens[0].card_data["a.b"]`, `.` for the
/// root) names in `doc`, if it exists.
pub fn at_path<'a>(doc: &'a Value, path: &str) -> Option<&'a Value> {
    if path == "." {
        return Some(doc);
    }
    let mut here = doc;
    let mut rest = path;
    while !rest.is_empty() {
        rest = rest.strip_prefix('.').unwrap_or(rest);
        if let Some(after) = rest.strip_prefix("[\"") {
            let end = after.find("\"]")?;
            let key: String = serde_json::from_str(&format!("\"{}\"", &after[..end])).ok()?;
            here = here.get(key)?;
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

/// `bytes` as one JSON document, if they are one. Invalid UTF-8 is read
/// leniently (replaced), as the decoder skips unknown fields unchecked.
pub fn document(bytes: &[u8]) -> Option<Value> {
    serde_json::from_str(&String::from_utf8_lossy(bytes)).ok()
}

/// Checks the property for `T` on `bytes`; returns the value when it decoded.
pub fn decodes_faithfully<T>(bytes: &[u8]) -> Result<Option<T>, String>
where
    T: DeserializeOwned + Serialize,
{
    let doc = document(bytes);
    match decode_json::<T>(bytes) {
        Ok(value) => {
            if doc.is_none() {
                return Err("bytes that are not one JSON document decoded".into());
            }
            let once = serde_json::to_value(&value).map_err(|e| e.to_string())?;
            let again: T = serde_json::from_value(once.clone())
                .map_err(|e| format!("the decoded value does not decode again: {e}"))?;
            let twice = serde_json::to_value(&again).map_err(|e| e.to_string())?;
            if once != twice {
                return Err(format!("not stable: {once} became {twice}"));
            }
            Ok(Some(value))
        }
        Err(Error::Decode { path, message, .. }) => {
            if message.is_empty() || path.is_empty() {
                return Err(format!("an empty path {path:?} or message {message:?}"));
            }
            match &doc {
                Some(doc) if at_path(doc, &path).is_none() => {
                    Err(format!("the path `{path}` names nothing in {doc}"))
                }
                _ => Ok(None),
            }
        }
        Err(other) => Err(format!("unexpected error {other:?}")),
    }
}

/// A decoded list carries exactly the document's customer and token ids.
pub fn list_is_faithful(bytes: &[u8]) -> Result<(), String> {
    let Some(list) = decodes_faithfully::<CustomerTokens>(bytes)? else {
        return Ok(());
    };
    let doc = document(bytes).ok_or("a list decoded from bytes that are not JSON")?;
    if Some(list.customer_id.as_str()) != doc["customer_id"].as_str() {
        return Err(format!(
            "customer {:?} is not the document's",
            list.customer_id
        ));
    }
    let ids: Vec<_> = doc["tokens"]
        .as_array()
        .map(|tokens| tokens.iter().map(|t| t["token_id"].as_str()).collect())
        .unwrap_or_default();
    let decoded: Vec<_> = list
        .tokens
        .iter()
        .map(|t| Some(t.token_id.as_str()))
        .collect();
    if decoded != ids {
        return Err(format!(
            "token ids {decoded:?} are not the document's {ids:?}"
        ));
    }
    Ok(())
}

/// The whole property for every response type.
pub fn decoding_holds(bytes: &[u8]) -> Result<(), String> {
    list_is_faithful(bytes)?;
    decodes_faithfully::<DeletedToken>(bytes)?;
    decodes_faithfully::<ErrorResponse>(bytes)?;
    Ok(())
}
