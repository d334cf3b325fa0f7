//! Decoding success bodies, with the JSON path of a failure.

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Decodes a JSON body into `T`, or says where it went wrong.
///
/// The client finds the path of a success body that does not decode this
/// way; use it for stored or captured bodies. A failure is
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
    decode(bytes).map_err(|(path, why)| Error::decode(path, why, bytes, "", None))
}

/// Where `bytes` fails to decode as a `T`, and why (`None` when it
/// decodes: serde_json refused what `serde_path_to_error` accepts).
pub(crate) fn path_of<T: DeserializeOwned>(bytes: &[u8]) -> Option<(String, String)> {
    decode::<T>(bytes).err()
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> std::result::Result<T, (String, String)> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let decoded = serde_path_to_error::deserialize::<_, T>(&mut de)
        .map_err(|e| (render_path(e.path()), e.into_inner()))
        .and_then(|value| de.end().map(|()| value).map_err(|e| (".".to_owned(), e)));
    decoded.map_err(|(path, e)| (path, e.to_string()))
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
