//! The spec edit each drift finding implies: YAML to paste into
//! `openapi/pinelabs-online.yaml`, and where, and the same edit as data for
//! `cargo xtask adopt` ([`SpecEdit::adoption`]). Only `pinelabs spec-check`
//! prints it, so it lives with the command.

use pinelabs::{
    DriftReport,
    drift::{DriftKind, Finding},
    spec::{self, Body},
};
use serde_json::{Value, json};

/// A finding's spec edit, dated by the day the finding was first seen.
#[derive(Debug, Clone)]
pub struct SpecEdit<'a> {
    finding: &'a Finding,
    seen: String,
}

impl std::ops::Deref for SpecEdit<'_> {
    type Target = Finding;

    fn deref(&self) -> &Finding {
        self.finding
    }
}

impl<'a> SpecEdit<'a> {
    /// The edit of `finding`, first seen on `seen` (`YYYY-MM-DD`, UTC).
    pub fn new(finding: &'a Finding, seen: impl Into<String>) -> Self {
        Self {
            finding,
            seen: seen.into(),
        }
    }

    /// The edit of a monitor's report, dated by its first sighting.
    pub fn of(report: &'a DriftReport) -> Self {
        let day = chrono::DateTime::<chrono::Utc>::from(report.first_seen).format("%Y-%m-%d");
        Self::new(&report.finding, day.to_string())
    }
}

impl SpecEdit<'_> {
    /// The `description` of what the edit adds: seen live, and when.
    fn seen_live(&self) -> String {
        format!(
            "Seen in live answers on {}; not in Pine Labs' documentation.",
            self.seen
        )
    }

    /// The edit as data, for `cargo xtask adopt` to apply as a minimal diff
    /// of the YAML (`null` when it takes a human's judgement): `edit` names
    /// it (`add_property`, `append_enum_value`, `drop_required`,
    /// `add_response`), the other keys say where and what.
    pub fn adoption(&self) -> Value {
        let schema = self.schema;
        match (self.kind, schema) {
            (DriftKind::UnknownField, Some(schema)) => json!({
                "edit": "add_property", "schema": schema,
                "name": self.key(), "fragment": self.new_property(),
            }),
            (DriftKind::UnknownEnumValue, Some(schema)) => {
                let value = self.value.as_deref().unwrap_or_default();
                json!({
                    "edit": "append_enum_value", "schema": schema,
                    "value": yaml_scalar(value),
                    "note": format!(
                        "`{value}`: seen in live answers on {}; not in Pine Labs' documentation.",
                        self.seen
                    ),
                })
            }
            (DriftKind::MissingField, Some(schema)) => json!({
                "edit": "drop_required", "schema": schema, "property": self.property,
                "note": format!("Missing from live answers seen on {}, so not always sent.", self.seen),
            }),
            (DriftKind::UndocumentedStatus, _) => match spec::operation(self.operation_id) {
                Some(op) => json!({
                    "edit": "add_response", "path": op.path,
                    "method": op.method.to_ascii_lowercase(),
                    "status": self.status, "fragment": self.new_response(),
                }),
                None => Value::Null,
            },
            _ => Value::Null,
        }
    }

    /// The new property's key: the last segment of the finding's path.
    fn key(&self) -> &str {
        self.path.rsplit('.').next().unwrap_or(&self.path)
    }

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
        let key = self.key();
        let ty = match self.observed {
            Some("object") => "  type: object\n  additionalProperties: true\n",
            Some("array") => "  type: array\n  items: {}\n",
            Some("null") | None => "",
            Some("integer") => "  type: integer\n  format: int64\n",
            Some("boolean") => "  type: boolean\n",
            Some("number") => "  type: number\n",
            Some(_) => "  type: string\n",
        };
        format!(
            "{key}:\n  description: {}\n{ty}  nullable: true\n",
            self.seen_live()
        )
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
        let property = self.property.unwrap_or_default();
        if required.is_empty() {
            return format!(
                "# `{property}` is not always sent: remove `required` (OpenAPI 3.0 has no empty list).\n"
            );
        }
        format!(
            "# `{property}` is not always sent: drop it from `required`.\nrequired: [{}]\n",
            required.join(", ")
        )
    }

    fn new_response(&self) -> String {
        let content = if self.status >= 400 {
            "  content:\n    application/json:\n      schema:\n        $ref: '#/components/schemas/ErrorResponse'\n"
        } else {
            ""
        };
        format!(
            "'{}':\n  description: {}\n{content}",
            self.status,
            self.seen_live()
        )
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
        let edit = SpecEdit::new(&findings[0], "2026-12-04");
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

    #[test]
    fn each_adoptable_finding_is_an_edit_as_data_dated_by_its_sighting() {
        let body = br#"{"customer_id": "c", "tokens": [{"status": "PAUSED"}]}"#;
        let findings = pinelabs::drift::check("list_customer_tokens", 200, body);
        let edits: Vec<_> = findings
            .iter()
            .map(|f| SpecEdit::new(f, "2026-12-04").adoption())
            .collect();
        let missing = edits.iter().find(|e| e["edit"] == "drop_required");
        let missing = missing.expect("a missing token_id drops it from required");
        assert_eq!(
            (&missing["schema"], &missing["property"]),
            (&json!("CustomerToken"), &json!("token_id"))
        );
        assert!(
            missing["note"]
                .as_str()
                .is_some_and(|n| n.contains("2026-12-04"))
        );
        let value = edits.iter().find(|e| e["edit"] == "append_enum_value");
        let value = value.expect("PAUSED is appended");
        assert_eq!(
            (&value["schema"], &value["value"]),
            (&json!("TokenStatus"), &json!("PAUSED"))
        );

        let status = pinelabs::drift::check(
            "list_customer_tokens",
            409,
            br#"{"code": "X", "message": "m"}"#,
        );
        let edit = SpecEdit::new(&status[0], "2026-12-04").adoption();
        assert_eq!(
            edit["path"],
            pinelabs::spec::operation("list_customer_tokens")
                .map(|o| o.path)
                .unwrap_or_default()
        );
        assert_eq!(
            (&edit["method"], &edit["status"]),
            (&json!("get"), &json!(409))
        );
        assert!(
            edit["fragment"]
                .as_str()
                .is_some_and(|f| f.starts_with("'409':\n") && f.contains("on 2026-12-04"))
        );

        let null = pinelabs::drift::check("generate_token", 200, br#"{"access_token": null}"#);
        assert_eq!(
            SpecEdit::new(&null[0], "2026-12-04").adoption(),
            Value::Null,
            "a human decides"
        );
    }
}
