//! Decoding success bodies, with the JSON path of a failure.

use serde::de::DeserializeOwned;

use crate::{
    drift::{self, Finding},
    error::{Error, Result},
};

/// Decodes a JSON body into `T`, or says where it went wrong.
///
/// The client decodes every success body this way; it is public so that
/// stored or captured bodies can be decoded with the same rules. A failure is
/// [`Error::Decode`] with the JSON path of the offending field (found with
/// `serde_path_to_error`), e.g. `tokens[0].is_compliant`.
///
/// ```
/// use pinelabs::{Error, types::CustomerTokens};
///
/// let body = br#"{"customer_id": "c", "tokens": [{"token_id": "t", "is_compliant": "yes"}]}"#;
/// match pinelabs::decode_json::<CustomerTokens>(body) {
///     Err(Error::Decode { path, .. }) => assert_eq!(path, "tokens[0].is_compliant"),
///     other => panic!("{other:?}"),
/// }
/// ```
pub fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    decode_with_path(bytes, "", None)
}

/// Decodes one answer of `operation_id` as the client does, with drift
/// detection: the value (or [`Error::Decode`]), and where the answer departs
/// from the spec (see [`drift`](crate::drift)).
///
/// The full [`drift::check`] runs only when the decode gives a reason to
/// ([`drift::needs_check`]), so an answer that matches the spec costs what
/// the decode costs (BENCHMARKS.md). Use it for answers captured or stored
/// outside the client.
///
/// ```
/// use pinelabs::types::CustomerTokens;
///
/// let body = br#"{"customer_id": "c", "tokens": [{"token_id": "t", "tokenised_by": "x"}]}"#;
/// let (list, findings) = pinelabs::decode_answer::<CustomerTokens>("list_customer_tokens", 200, body);
/// assert_eq!(list.unwrap().tokens[0].token_id, "t");
/// assert_eq!(findings[0].path, "tokens[].tokenised_by");
/// ```
pub fn decode_answer<T: DeserializeOwned>(
    operation_id: &str,
    status: u16,
    body: &[u8],
) -> (Result<T>, Vec<Finding>) {
    let outer = pinelabs_api::drift::take();
    let decoded = serde_json::from_slice::<T>(body);
    let notes = pinelabs_api::drift::take();
    pinelabs_api::drift::restore(outer);
    let findings = if drift::needs_check(operation_id, status, notes, decoded.is_err()) {
        drift::check(operation_id, status, body)
    } else {
        Vec::new()
    };
    // The path of a failure is found again, on the failure only.
    let value = decoded.or_else(|_| decode_with_path(body, "", None));
    (value, findings)
}

/// [`decode_json`] for a call's answer: the excerpt of a failure never
/// holds `secret`, and the error carries the call's `request_id`.
pub(crate) fn decode_with_path<T: DeserializeOwned>(
    bytes: &[u8],
    secret: &str,
    request_id: Option<String>,
) -> Result<T> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let decoded = serde_path_to_error::deserialize::<_, T>(&mut de)
        .map_err(|e| (render_path(e.path()), e.into_inner()))
        .and_then(|value| de.end().map(|()| value).map_err(|e| (".".to_owned(), e)));
    decoded.map_err(|(path, e)| Error::decode(path, e.to_string(), bytes, secret, request_id))
}

/// A JSON path such as `tokens[0].is_compliant`; `.` for the root. Keys that
/// would be ambiguous in dotted form (empty, or with `.`, `[`, `]` or `"`)
/// are written `["key"]`, the key as a JSON string.
fn render_path(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if key.is_empty() || key.contains(['.', '[', ']', '"']) {
                    // JSON string syntax: the key exactly as it is in the body.
                    let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("{key:?}"));
                    out.push_str(&format!("[{quoted}]"));
                } else {
                    if !out.is_empty() {
                        out.push('.');
                    }
                    out.push_str(key);
                }
            }
            // A key that could not be read (e.g. invalid UTF-8): the path
            // names the object that holds it.
            Segment::Unknown => break,
        }
    }
    if out.is_empty() { ".".to_owned() } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pinelabs_api::types::CustomerTokens;

    #[test]
    fn render_path_is_unambiguous() {
        let decode = |body: &str| match decode_json::<CustomerTokens>(body.as_bytes()) {
            Err(Error::Decode { path, .. }) => path,
            other => panic!("{other:?}"),
        };
        assert_eq!(decode("[]"), ".");
        assert_eq!(decode(r#"{"customer_id": 1, "tokens": []}"#), "customer_id");
        assert_eq!(
            decode(
                r#"{"customer_id": "c", "tokens": [{"token_id": "t", "merchant_metadata": {"": 1}}]}"#
            ),
            r#"tokens[0].merchant_metadata[""]"#
        );
    }
}
