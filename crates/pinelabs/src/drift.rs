//! Spec drift: where a live answer departs from the spec, and the spec edit
//! each departure implies.
//!
//! [`check`] compares one answer (operation, status, body) with the shapes
//! the generator read out of the spec ([`pinelabs_api::spec::SCHEMAS`] and
//! each operation's documented answers), as if every object forbade keys
//! the spec does not list. Nothing here names a schema or a field: a schema
//! added to the spec is checked by the same walk.
//!
//! A [`Finding`] names the operation, the [kind](DriftKind) and the schema
//! location as a JSON path without array indices
//! (`tokens[].card_data.tokenised_by`). The one value it may hold is an
//! unknown enum value, truncated; never an id, a metadata key or value, a
//! card field's value or a body excerpt.
//!
//! ```
//! use pinelabs::drift::{self, DriftKind};
//!
//! let body = br#"{"customer_id": "c", "tokens": [{"token_id": "t", "status": "PAUSED", "card_data": {"tokenised_by": "x"}}]}"#;
//! let findings = drift::check("list_customer_tokens", 200, body);
//! assert_eq!(findings[0].to_string(), "list_customer_tokens: unknown field tokens[].card_data.tokenised_by");
//! assert_eq!(findings[1].kind, DriftKind::UnknownEnumValue);
//! assert_eq!(findings[1].value.as_deref(), Some("PAUSED"));
//! assert!(findings[1].spec_edit().contains("- PAUSED"));
//! ```

use std::{collections::BTreeSet, fmt};

use pinelabs_api::spec::{self, Body, Property, Type};
use serde_json::Value;

/// What departs from the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum DriftKind {
    /// A key the spec does not document.
    UnknownField,
    /// An enum value the spec does not list.
    UnknownEnumValue,
    /// A `required` field that is absent.
    MissingField,
    /// `null` where the spec says the field cannot be null.
    NullField,
    /// A status the operation does not document.
    UndocumentedStatus,
    /// A body that is not JSON where the spec documents JSON.
    NotJson,
    /// A value of another type than the spec's, or a body that does not
    /// decode for another reason.
    Undecodable,
}

impl DriftKind {
    /// Its name in logs, metrics and `--json`: `unknown_field`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            DriftKind::UnknownField => "unknown_field",
            DriftKind::UnknownEnumValue => "unknown_enum_value",
            DriftKind::MissingField => "missing_field",
            DriftKind::NullField => "null_field",
            DriftKind::UndocumentedStatus => "undocumented_status",
            DriftKind::NotJson => "not_json",
            DriftKind::Undecodable => "undecodable",
        }
    }

    /// The words in a finding's line: `unknown field`, ...
    fn words(self) -> &'static str {
        match self {
            DriftKind::UnknownField => "unknown field",
            DriftKind::UnknownEnumValue => "unknown enum value at",
            DriftKind::MissingField => "missing required field",
            DriftKind::NullField => "null in non-nullable field",
            DriftKind::UndocumentedStatus => "undocumented status",
            DriftKind::NotJson => "body is not JSON, status",
            DriftKind::Undecodable => "value of another type at",
        }
    }
}

/// Unknown enum values are kept to this many characters.
pub const MAX_VALUE_CHARS: usize = 32;
/// Unknown keys are kept to this many characters in a path.
const MAX_KEY_CHARS: usize = 64;

/// One departure of a live answer from the spec.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub struct Finding {
    /// The operation, e.g. `list_customer_tokens`.
    pub operation_id: &'static str,
    /// What departs.
    pub kind: DriftKind,
    /// Where: a JSON path without array indices (`tokens[].status`, `.`
    /// for the body itself), or the status for an undocumented status.
    pub path: String,
    /// The schema the spec edit goes under (`CardData`), if any.
    pub schema: Option<&'static str>,
    /// The property of that schema, for a missing, null or mistyped field.
    pub property: Option<&'static str>,
    /// The answer's status.
    pub status: u16,
    /// The JSON type seen (`string`, `integer`, `number`, `boolean`,
    /// `array`, `object`, `null`) for an unknown or mistyped field.
    pub observed: Option<&'static str>,
    /// An unknown enum value, at most [`MAX_VALUE_CHARS`] characters.
    pub value: Option<String>,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} {}",
            self.operation_id,
            self.kind.words(),
            self.path
        )?;
        match &self.value {
            Some(value) => write!(f, " ({value:?})"),
            None => Ok(()),
        }
    }
}

/// Every departure of one answer from the spec, each once, in a stable order.
///
/// `operation_id` must be an operation of the spec (others give nothing);
/// `body` is the raw answer.
pub fn check(operation_id: &str, status: u16, body: &[u8]) -> Vec<Finding> {
    let Some(op) = spec::operation(operation_id) else {
        return Vec::new();
    };
    let mut walk = Walk {
        operation_id: op.operation_id,
        status,
        found: BTreeSet::new(),
    };
    match op.response(status) {
        None => walk.add(DriftKind::UndocumentedStatus, &status.to_string(), None),
        Some(answer) => {
            if let Some(ty) = answer.json {
                match serde_json::from_slice::<Value>(body) {
                    Ok(value) => walk.value(&value, ty, "", 0, None),
                    Err(_) => walk.add(DriftKind::NotJson, &status.to_string(), None),
                }
            }
        }
    }
    walk.found.into_iter().collect()
}

/// Whether an answer needs the full [`check`]: decoding it into the
/// generated types noted a surprise (`notes`, see `pinelabs_api::drift`)
/// or `failed`, its status is not documented, or its documented type can
/// hide drift from the decode (a `null` in an optional property that the
/// spec says cannot be null decodes as `None` without a note). Otherwise
/// the decode itself has shown that nothing drifted.
pub fn needs_check(operation_id: &str, status: u16, notes: u32, failed: bool) -> bool {
    match spec::operation(operation_id) {
        Some(op) => needs_check_of(op, status, notes, failed),
        None => notes > 0 || failed,
    }
}

/// [`needs_check`] for an operation already looked up.
pub fn needs_check_of(op: &spec::Operation, status: u16, notes: u32, failed: bool) -> bool {
    if notes > 0 || failed {
        return true;
    }
    match op.response(status) {
        None => true,
        Some(answer) => hiding().contains(&(op.operation_id, answer.status)),
    }
}

/// The documented answers whose type can hide a drifting null, found once.
fn hiding() -> &'static [(&'static str, Option<u16>)] {
    static HIDING: std::sync::OnceLock<Vec<(&'static str, Option<u16>)>> =
        std::sync::OnceLock::new();
    HIDING.get_or_init(|| {
        spec::OPERATIONS
            .iter()
            .flat_map(|op| op.responses.iter().map(move |r| (op.operation_id, r)))
            .filter(|(_, r)| r.json.is_some_and(|ty| hides(ty, 0)))
            .map(|(op, r)| (op, r.status))
            .collect()
    })
}

fn hides(ty: Type, depth: usize) -> bool {
    if depth > MAX_DEPTH {
        return false;
    }
    match ty {
        Type::Named(name) => match spec::schema(name).map(|s| s.body) {
            Some(Body::Object {
                properties,
                additional,
            }) => {
                properties
                    .iter()
                    .any(|p| (!p.required && !p.nullable) || hides(p.ty, depth + 1))
                    || additional.is_some_and(|t| hides(t, depth + 1))
            }
            Some(Body::Alias(t)) => hides(t, depth + 1),
            _ => false,
        },
        Type::Array(t) | Type::Map(t) => hides(*t, depth + 1),
        _ => false,
    }
}

/// Deeper answers are not walked (the spec has no recursion; this bounds a
/// hostile body).
const MAX_DEPTH: usize = 32;

/// A property of a schema: `(schema, property)`.
type At = (&'static str, &'static str);

struct Walk {
    operation_id: &'static str,
    status: u16,
    found: BTreeSet<Finding>,
}

impl Walk {
    fn finding(&self, kind: DriftKind, path: &str, at: Option<At>) -> Finding {
        Finding {
            operation_id: self.operation_id,
            kind,
            path: if path.is_empty() {
                ".".to_owned()
            } else {
                path.to_owned()
            },
            schema: at.map(|(schema, _)| schema),
            property: at.map(|(_, property)| property),
            status: self.status,
            observed: None,
            value: None,
        }
    }

    fn add(&mut self, kind: DriftKind, path: &str, at: Option<At>) {
        let finding = self.finding(kind, path, at);
        self.found.insert(finding);
    }

    /// `value` at `path`, which the spec says is a `ty` (the type of
    /// property `at`, when it is one).
    fn value(&mut self, value: &Value, ty: Type, path: &str, depth: usize, at: Option<At>) {
        if depth > MAX_DEPTH {
            return;
        }
        match (ty, value) {
            (Type::Named(name), _) => self.named(value, name, path, depth),
            (Type::Array(items), Value::Array(elements)) => {
                let path = format!("{path}[]");
                for element in elements {
                    self.element(element, *items, &path, depth);
                }
            }
            (Type::Map(values), Value::Object(map)) => {
                // Keys are the merchant's own: the path never names them.
                let path = join(path, "*");
                for element in map.values() {
                    self.element(element, *values, &path, depth);
                }
            }
            (Type::Any, _)
            | (Type::String, Value::String(_))
            | (Type::Boolean, Value::Bool(_))
            | (Type::Number, Value::Number(_)) => {}
            (Type::Integer, Value::Number(n)) if n.is_i64() || n.is_u64() => {}
            _ => self.mistyped(value, path, at),
        }
    }

    /// An array element or map value: `null` is drift unless it may be any value.
    fn element(&mut self, value: &Value, ty: Type, path: &str, depth: usize) {
        if value.is_null() && ty != Type::Any {
            self.add(DriftKind::NullField, path, None);
        } else {
            self.value(value, ty, path, depth + 1, None);
        }
    }

    fn mistyped(&mut self, value: &Value, path: &str, at: Option<At>) {
        let mut finding = self.finding(DriftKind::Undecodable, path, at);
        finding.observed = Some(json_type(value));
        self.found.insert(finding);
    }

    fn named(&mut self, value: &Value, name: &'static str, path: &str, depth: usize) {
        match spec::schema(name).map(|s| s.body) {
            Some(Body::Object {
                properties,
                additional,
            }) => match value {
                Value::Object(map) => self.object(map, name, properties, additional, path, depth),
                other => self.mistyped(other, path, None),
            },
            Some(Body::Enum(values)) => match value {
                Value::String(s) if values.iter().any(|v| v.eq_ignore_ascii_case(s)) => {}
                Value::String(s) => {
                    let mut finding = self.finding(DriftKind::UnknownEnumValue, path, None);
                    finding.schema = Some(name);
                    finding.value = Some(s.chars().take(MAX_VALUE_CHARS).collect());
                    self.found.insert(finding);
                }
                other => self.mistyped(other, path, None),
            },
            Some(Body::Alias(ty)) => self.value(value, ty, path, depth + 1, None),
            _ => {}
        }
    }

    fn object(
        &mut self,
        map: &serde_json::Map<String, Value>,
        name: &'static str,
        properties: &'static [Property],
        additional: Option<Type>,
        path: &str,
        depth: usize,
    ) {
        for (key, child) in map {
            match properties.iter().find(|p| p.is_named(key)) {
                Some(p) => self.property(child, name, p, &join(path, p.name), depth),
                None => match additional {
                    Some(ty) => self.element(child, ty, &join(path, "*"), depth),
                    None => {
                        let key_path = join(path, key);
                        let mut finding = self.finding(DriftKind::UnknownField, &key_path, None);
                        finding.schema = Some(name);
                        finding.observed = Some(json_type(child));
                        self.found.insert(finding);
                    }
                },
            }
        }
        for p in properties.iter().filter(|p| p.required) {
            if !map.keys().any(|k| p.is_named(k)) {
                self.add(
                    DriftKind::MissingField,
                    &join(path, p.name),
                    Some((name, p.name)),
                );
            }
        }
    }

    fn property(
        &mut self,
        value: &Value,
        schema: &'static str,
        p: &'static Property,
        path: &str,
        depth: usize,
    ) {
        if value.is_null() {
            if !p.nullable && p.ty != Type::Any {
                self.add(DriftKind::NullField, path, Some((schema, p.name)));
            }
            return;
        }
        self.value(value, p.ty, path, depth + 1, Some((schema, p.name)));
    }
}

/// `path.key`, with an unusual key quoted and a long one cut.
fn join(path: &str, key: &str) -> String {
    let key: String = key.chars().take(MAX_KEY_CHARS).collect();
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '*'));
    match (path.is_empty(), plain) {
        (true, true) => key,
        (false, true) => format!("{path}.{key}"),
        (_, false) => format!(
            "{path}[{}]",
            serde_json::to_string(&key).unwrap_or_default()
        ),
    }
}

/// The JSON type of `value`, as JSON Schema names it.
fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Shown where the spec edit adds something the documentation does not say.
const SEEN_LIVE: &str = "Seen in live answers; not in Pine Labs' documentation.";

impl Finding {
    /// Where in `openapi/pinelabs-online.yaml` [`spec_edit`](Self::spec_edit)
    /// goes, as the keys leading to it: `components/schemas/CardData/properties`.
    pub fn spec_location(&self) -> String {
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
        }
    }

    /// The spec edit this finding implies: YAML to paste under
    /// [`spec_location`](Self::spec_location) (a key that is already there,
    /// such as `enum` or `required`, is replaced, as its comment says), then
    /// `cargo xtask codegen`.
    pub fn spec_edit(&self) -> String {
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
