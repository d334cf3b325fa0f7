//! The spec edit each drift finding implies: YAML to paste into
//! `openapi/pinelabs-online.yaml`, and where. Only `pinelabs spec-check`
//! prints it, so it lives with the command.

use pinelabs::{
    drift::{DriftKind, Finding},
    spec::{self, Body},
};

/// A finding's spec edit.
#[derive(Debug, Clone, Copy)]
pub struct SpecEdit<'a>(pub &'a Finding);

impl std::ops::Deref for SpecEdit<'_> {
    type Target = Finding;

    fn deref(&self) -> &Finding {
        self.0
    }
}

/// Shown where the spec edit adds something the documentation does not say.
const SEEN_LIVE: &str = "Seen in live answers; not in Pine Labs' documentation.";

impl SpecEdit<'_> {
    /// Where in `openapi/pinelabs-online.yaml` [`text`](Self::text)
    /// goes, as the keys leading to it: `components/schemas/CardData/properties`.
    pub fn location(&self) -> String {
        let schema = self.schema.unwrap_or("?");
        let property = self.property.unwrap_or("?");
        match self.kind {
            DriftKind::UnknownField => format!("components/schemas/{schema}/properties"),
            DriftKind::UnknownEnumValue | DriftKind::MissingField => {
                format!("components/schemas/{schema}")
            }
            DriftKind::NullField | DriftKind::Undecodable if self.schema.is_some() => {
                format!("components/schemas/{schema}/properties/{property}")
            }
            DriftKind::NullField | DriftKind::Undecodable => "(see the comment)".to_owned(),
            DriftKind::UndocumentedStatus | DriftKind::NotJson => {
                let (path, method) = spec::operation(self.operation_id)
                    .map(|op| (op.path, op.method.to_ascii_lowercase()))
                    .unwrap_or_default();
                let responses = format!("paths/'{path}'/{method}/responses");
                match self.kind {
                    DriftKind::NotJson => format!("{responses}/'{}'", self.status),
                    _ => responses,
                }
            }
            _ => "(no location: see the finding)".to_owned(),
        }
    }

    /// The spec edit this finding implies: YAML to paste under
    /// [`location`](Self::location) (a key that is already there,
    /// such as `enum` or `required`, is replaced, as its comment says), then
    /// `cargo xtask codegen`.
    pub fn text(&self) -> String {
        match self.kind {
            DriftKind::UnknownField => self.new_property(),
            DriftKind::UnknownEnumValue => self.new_enum_value(),
            DriftKind::MissingField => self.not_required(),
            DriftKind::NullField if self.schema.is_some() => "nullable: true\n".to_owned(),
            DriftKind::Undecodable if self.schema.is_some() => {
                format!("type: {}\n", self.observed.unwrap_or("string"))
            }
            DriftKind::NullField | DriftKind::Undecodable => format!(
                "# `{}` holds {} where the spec's element type does not allow it:\n\
                 # make the element schema of `{}` nullable or change its type.\n",
                self.path,
                self.observed.unwrap_or("null"),
                self.path
            ),
            DriftKind::UndocumentedStatus => self.new_response(),
            DriftKind::NotJson => format!(
                "# The live {} answer is not JSON. If that is how Pine Labs answers,\n\
                 # document the media type it sends, e.g.:\n\
                 content:\n  text/plain:\n    schema:\n      type: string\n",
                self.status
            ),
            _ => format!("# No spec edit is known for `{}`.\n", self.kind.as_str()),
        }
    }

    fn new_property(&self) -> String {
        let key = self.path.rsplit('.').next().unwrap_or(&self.path);
        let ty = match self.observed {
            Some("object") => "  type: object\n  additionalProperties: true\n",
            Some("array") => "  type: array\n  items: {}\n",
            Some("null") | None => "",
            Some("integer") => "  type: integer\n  format: int64\n",
            Some("boolean") => "  type: boolean\n",
            Some("number") => "  type: number\n",
            Some(_) => "  type: string\n",
        };
        format!("{key}:\n  description: {SEEN_LIVE}\n{ty}  nullable: true\n")
    }

    fn new_enum_value(&self) -> String {
        let known = match self.schema.and_then(spec::schema).map(|s| s.body) {
            Some(Body::Enum(values)) => values,
            _ => &[],
        };
        let value = self.value.as_deref().unwrap_or_default();
        let lines: String = known
            .iter()
            .chain([&value])
            .map(|v| format!("  - {}\n", yaml_scalar(v)))
            .collect();
        format!("# Replaces the `enum` list.\nenum:\n{lines}")
    }

    fn not_required(&self) -> String {
        let required: Vec<&str> = match self.schema.and_then(spec::schema).map(|s| s.body) {
            Some(Body::Object { properties, .. }) => properties
                .iter()
                .filter(|p| p.required && Some(p.name) != self.property)
                .map(|p| p.name)
                .collect(),
            _ => Vec::new(),
        };
        format!(
            "# `{}` is not always sent: drop it from `required`.\nrequired: [{}]\n",
            self.property.unwrap_or_default(),
            required.join(", ")
        )
    }

    fn new_response(&self) -> String {
        let content = if self.status >= 400 {
            "  content:\n    application/json:\n      schema:\n        $ref: '#/components/schemas/ErrorResponse'\n"
        } else {
            ""
        };
        format!("'{}':\n  description: {SEEN_LIVE}\n{content}", self.status)
    }
}

/// `value` as a YAML scalar: plain when safe, else double-quoted (JSON).
fn yaml_scalar(value: &str) -> String {
    let plain = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && value.starts_with(|c: char| c.is_ascii_alphabetic())
        && !matches!(
            value.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        value.to_owned()
    } else {
        serde_json::to_string(value).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit_of(operation_id: &str, body: &[u8]) -> (String, String) {
        let findings = pinelabs::drift::check(operation_id, 200, body);
        assert_eq!(findings.len(), 1, "{findings:?}");
        let edit = SpecEdit(&findings[0]);
        (edit.location(), edit.text())
    }

    #[test]
    fn a_null_field_becomes_nullable_under_its_property() {
        let (location, text) = edit_of("generate_token", br#"{"access_token": null}"#);
        assert_eq!(
            location,
            "components/schemas/TokenResponse/properties/access_token"
        );
        assert_eq!(text, "nullable: true\n");
    }

    #[test]
    fn an_unknown_enum_value_is_appended_to_the_specs_list() {
        let body = br#"{"customer_id": "c", "tokens": [{"token_id": "t", "status": "PAUSED"}]}"#;
        let (location, text) = edit_of("list_customer_tokens", body);
        assert_eq!(location, "components/schemas/TokenStatus");
        let listed = text.lines().filter(|l| l.starts_with("  - ")).count();
        assert_eq!(
            listed,
            pinelabs::types::TokenStatus::KNOWN.len() + 1,
            "{text}"
        );
        assert!(text.ends_with("  - PAUSED\n"), "{text}");
    }

    #[test]
    fn an_unknown_field_is_a_new_nullable_property() {
        let body = br#"{"customer_id": "c", "tokens": [], "page": 2}"#;
        let (location, text) = edit_of("list_customer_tokens", body);
        assert_eq!(location, "components/schemas/CustomerTokens/properties");
        assert!(text.starts_with("page:\n"), "{text}");
        assert!(text.contains("  type: integer\n") && text.contains("  nullable: true\n"));
    }
}
