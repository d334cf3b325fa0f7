//! Input validation: every rule is checked before a byte is sent.

use std::collections::BTreeMap;

use pinelabs_api::types::{DeleteTokenRequest, MerchantUniqueReference, MetadataValue, ResourceId};

use crate::error::{Error, Result};

/// Longest customer or token id Pine Labs accepts, in characters.
pub const MAX_ID_CHARS: usize = 50;
/// Longest `merchant_unique_reference`, in characters.
pub const MAX_REFERENCE_CHARS: usize = 50;
/// Most `merchant_metadata` pairs in one request.
pub const MAX_METADATA_PAIRS: usize = 10;
/// Longest metadata key or value, in characters.
pub const MAX_METADATA_CHARS: usize = 256;

/// Checks a customer or token id.
///
/// An id is 1 to 50 characters with no control characters. It may contain
/// anything else (`/ ? # %`, unicode): the client percent-encodes it into one
/// path segment. Three values cannot be encoded into a single segment and are
/// refused: `.` and `..` (URL dot-segments, which every URL parser removes)
/// and anything containing `\` (which URL parsers read as `/`).
pub fn id(field: &'static str, value: &str) -> Result<ResourceId> {
    // One pass: count the characters and look for the forbidden ones
    // (ids are almost always ASCII, which needs no decoding).
    let chars = if value.is_ascii() {
        if let Some(&b) = value
            .as_bytes()
            .iter()
            .find(|b| b.is_ascii_control() || **b == b'\\')
        {
            return Err(forbidden(field, char::from(b)));
        }
        value.len()
    } else {
        let mut chars = 0;
        for c in value.chars() {
            chars += 1;
            if c.is_control() || c == '\\' {
                return Err(forbidden(field, c));
            }
        }
        chars
    };
    if chars == 0 {
        return Err(Error::invalid(field, "must not be empty"));
    }
    if chars > MAX_ID_CHARS {
        return Err(Error::invalid(
            field,
            format!("must be at most {MAX_ID_CHARS} characters, got {chars}"),
        ));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid(field, "must not be `.` or `..`"));
    }
    value
        .parse()
        .map_err(|e| Error::invalid(field, format!("{e}")))
}

fn forbidden(field: &'static str, c: char) -> Error {
    if c == '\\' {
        Error::invalid(field, "must not contain `\\`")
    } else {
        Error::invalid(
            field,
            format!("must not contain control characters, found {c:?}"),
        )
    }
}

/// Checks a delete's reference and metadata and builds the request body.
pub fn delete_body(
    reference: &str,
    metadata: &BTreeMap<String, String>,
) -> Result<DeleteTokenRequest> {
    let chars = reference.chars().count();
    if chars == 0 || chars > MAX_REFERENCE_CHARS {
        return Err(Error::invalid(
            "merchant_unique_reference",
            format!("must be 1 to {MAX_REFERENCE_CHARS} characters, got {chars}"),
        ));
    }
    let reference: MerchantUniqueReference = reference
        .parse()
        .map_err(|e| Error::invalid("merchant_unique_reference", format!("{e}")))?;
    if metadata.len() > MAX_METADATA_PAIRS {
        return Err(Error::invalid(
            "merchant_metadata",
            format!(
                "must have at most {MAX_METADATA_PAIRS} pairs, got {}",
                metadata.len()
            ),
        ));
    }
    let mut checked = BTreeMap::new();
    for (key, value) in metadata {
        let key_chars = key.chars().count();
        if key_chars > MAX_METADATA_CHARS {
            return Err(Error::invalid(
                "merchant_metadata",
                format!(
                    "key `{}…` is {key_chars} characters; at most {MAX_METADATA_CHARS}",
                    prefix(key)
                ),
            ));
        }
        let value_chars = value.chars().count();
        if value_chars > MAX_METADATA_CHARS {
            return Err(Error::invalid(
                "merchant_metadata",
                format!(
                    "the value of `{}` is {value_chars} characters; at most {MAX_METADATA_CHARS}",
                    prefix(key)
                ),
            ));
        }
        let value: MetadataValue = value
            .parse()
            .map_err(|e| Error::invalid("merchant_metadata", format!("{e}")))?;
        checked.insert(key.clone(), value);
    }
    Ok(DeleteTokenRequest {
        merchant_unique_reference: reference,
        merchant_metadata: checked,
    })
}

fn prefix(s: &str) -> String {
    s.chars().take(20).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(r: Result<impl std::fmt::Debug>) -> (&'static str, String) {
        match r {
            Err(Error::InvalidInput { field, rule }) => (field, rule),
            other => panic!("expected InvalidInput, got {other:?}"),
        }
    }

    #[test]
    fn ids() {
        assert!(id("customer_id", "cust-v1-0811030624-aa-RBDgpR").is_ok());
        assert!(id("customer_id", &"é".repeat(50)).is_ok());
        assert!(id("customer_id", "a/b?c#d%e..f").is_ok());
        assert_eq!(rule(id("customer_id", "")).1, "must not be empty");
        assert!(
            rule(id("token_id", &"x".repeat(51)))
                .1
                .contains("at most 50")
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
        assert!(rule(delete_body("", &none)).1.contains("1 to 50"));
        assert!(
            rule(delete_body(&"r".repeat(51), &none))
                .1
                .contains("got 51")
        );

        let pairs = |n: usize| (0..n).map(|i| (format!("k{i}"), "v".to_owned())).collect();
        assert!(delete_body("r", &pairs(10)).is_ok());
        let (field, why) = rule(delete_body("r", &pairs(11)));
        assert_eq!(field, "merchant_metadata");
        assert!(why.contains("at most 10 pairs"));

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
