//! The inputs of the spec's operations, checked before a byte is sent.
//!
//! The limits are the spec's: each input is parsed into the type generated
//! from its schema (`ResourceId`, `MerchantUniqueReference`,
//! `MetadataValue`), which enforces `minLength`/`maxLength`, and the one
//! limit typify does not enforce, `maxProperties` of the metadata, is read
//! from the spec's generated facts. This module only adds the rules the
//! spec cannot express (no control characters, ids that fit one path
//! segment) and messages that say which input broke which rule.

use std::collections::BTreeMap;

use crate::{
    spec,
    types::{DeleteTokenRequest, MerchantUniqueReference, MetadataValue, ResourceId},
};

/// An input that breaks a rule: which one, and the rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidInput {
    /// The input, e.g. `customer_id`.
    pub field: &'static str,
    /// The rule it breaks.
    pub rule: String,
}

type Result<T> = std::result::Result<T, InvalidInput>;

/// `field` breaks `rule`.
fn invalid(field: &'static str, rule: impl Into<String>) -> InvalidInput {
    let rule = rule.into();
    InvalidInput { field, rule }
}

/// Checks a customer or token id.
///
/// An id is a `ResourceId` of the spec (1 to 50 characters) with no control
/// characters. It may contain anything else (`/ ? # %`, unicode): the client
/// percent-encodes it into one path segment. Three values cannot be encoded
/// into a single segment and are refused: `.` and `..` (URL dot-segments,
/// which every URL parser removes) and anything containing `\` (which URL
/// parsers read as `/`).
pub fn id(field: &'static str, value: &str) -> Result<ResourceId> {
    // Ids are printable ASCII: one pass over the bytes, and the char scan
    // only for other text.
    let printable = |b: &u8| (b' '..=b'~').contains(b) && *b != b'\\';
    if !value.as_bytes().iter().all(printable) {
        let forbidden_char = |c: &char| c.is_control() || *c == '\\';
        if let Some(c) = value.chars().find(forbidden_char) {
            return Err(forbidden(field, c));
        }
    }
    if value == "." || value == ".." {
        return Err(invalid(field, "must not be `.` or `..`"));
    }
    ResourceId::try_from(value).map_err(|e| length(field, value, e))
}

/// `is 51 characters (longer than 50 characters)`: the generated type's
/// rule, with the input's length.
fn length(field: &'static str, value: &str, rule: impl std::fmt::Display) -> InvalidInput {
    let chars = value.chars().count();
    if chars == 0 {
        invalid(field, format!("must not be empty ({rule})"))
    } else {
        invalid(field, format!("is {chars} characters, {rule}"))
    }
}

fn forbidden(field: &'static str, c: char) -> InvalidInput {
    if c == '\\' {
        invalid(field, "must not contain `\\`")
    } else {
        invalid(
            field,
            format!("must not contain control characters, found {c:?}"),
        )
    }
}

/// The most metadata pairs a delete may carry: the spec's `maxProperties`
/// of `DeleteTokenRequest.merchant_metadata` (`None` if it sets none).
pub fn max_metadata_pairs() -> Option<usize> {
    spec::max_properties("DeleteTokenRequest", "merchant_metadata")
}

/// Checks a delete's reference and metadata and builds the request body.
///
/// Metadata keys obey the same limit as values (the spec documents "every
/// key and value at most 256 characters"; OpenAPI 3.0 cannot constrain
/// keys), so both are checked as a `MetadataValue`.
pub fn delete_body(
    reference: &str,
    metadata: &BTreeMap<String, String>,
) -> Result<DeleteTokenRequest> {
    let field = "merchant_unique_reference";
    let reference =
        MerchantUniqueReference::try_from(reference).map_err(|e| length(field, reference, e))?;
    if let Some(max) = max_metadata_pairs().filter(|max| metadata.len() > *max) {
        return Err(invalid(
            "merchant_metadata",
            format!("must have at most {max} pairs, got {}", metadata.len()),
        ));
    }
    let mut checked = BTreeMap::new();
    for (key, value) in metadata {
        MetadataValue::try_from(key.as_str()).map_err(|e| {
            invalid(
                "merchant_metadata",
                format!(
                    "key `{}…` is {} characters, {e}",
                    prefix(key),
                    key.chars().count()
                ),
            )
        })?;
        let value = MetadataValue::try_from(value.as_str()).map_err(|e| {
            invalid(
                "merchant_metadata",
                format!(
                    "the value of `{}` is {} characters, {e}",
                    prefix(key),
                    value.chars().count()
                ),
            )
        })?;
        checked.insert(key.clone(), value);
    }
    let body = DeleteTokenRequest::builder()
        .merchant_unique_reference(reference)
        .merchant_metadata(checked);
    DeleteTokenRequest::try_from(body).map_err(|e| invalid("delete request", e.to_string()))
}

fn prefix(s: &str) -> String {
    s.chars().take(20).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(r: Result<impl std::fmt::Debug>) -> (&'static str, String) {
        match r {
            Err(InvalidInput { field, rule }) => (field, rule),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn ids() {
        assert!(id("customer_id", "cust-v1-0811030624-aa-RBDgpR").is_ok());
        assert!(id("customer_id", &"é".repeat(50)).is_ok());
        assert!(id("customer_id", "a/b?c#d%e..f").is_ok());
        assert!(
            rule(id("customer_id", ""))
                .1
                .starts_with("must not be empty")
        );
        assert_eq!(
            rule(id("token_id", &"x".repeat(51))).1,
            "is 51 characters, longer than 50 characters"
        );
        assert!(rule(id("token_id", "a\nb")).1.contains("control"));
        assert!(rule(id("token_id", "a\u{7f}b")).1.contains("control"));
        assert_eq!(rule(id("token_id", "..")).0, "token_id");
        assert!(rule(id("token_id", ".")).1.contains("`.`"));
        assert!(rule(id("token_id", "a\\b")).1.contains('\\'));
    }

    #[test]
    fn delete_bodies() {
        let none = BTreeMap::new();
        assert!(delete_body("r", &none).is_ok());
        assert!(delete_body(&"r".repeat(50), &none).is_ok());
        assert!(
            rule(delete_body("", &none))
                .1
                .starts_with("must not be empty")
        );
        assert!(
            rule(delete_body(&"r".repeat(51), &none))
                .1
                .contains("is 51 characters")
        );

        let max = max_metadata_pairs().expect("the spec limits the pairs");
        let pairs = |n: usize| (0..n).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        assert!(delete_body("r", &pairs(max)).is_ok());
        let (field, why) = rule(delete_body("r", &pairs(max + 1)));
        assert_eq!(field, "merchant_metadata");
        assert!(why.contains(&format!("at most {max} pairs")), "{why}");

        let long_value = BTreeMap::from([("k".to_owned(), "v".repeat(257))]);
        assert!(
            rule(delete_body("r", &long_value))
                .1
                .contains("value of `k`")
        );
        let max_value = BTreeMap::from([("k".to_owned(), "v".repeat(256))]);
        assert!(delete_body("r", &max_value).is_ok());
        let long_key = BTreeMap::from([("k".repeat(257), "v".to_owned())]);
        assert!(rule(delete_body("r", &long_key)).1.contains("key"));
    }
}
