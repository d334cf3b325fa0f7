//! Spec drift: where a live answer departs from the spec.
//!
//! **Noticed while decoding, at no cost when nothing drifted.** A full
//! check of every answer would cost a second pass over the body, so the
//! decode itself says when an answer needs one:
//!
//! * every open enum [notes](note) a value the spec does not list;
//! * every generated struct notes a key it skips: the structs derive serde
//!   through [`serde`] (`#[serde(crate = "crate::drift::serde")]`, set by
//!   the generator), which is serde itself except for `de::IgnoredAny`, the
//!   type a derived struct decodes an unknown key into.
//!
//! The notes are a per-thread count ([`take`]); the `pinelabs` client takes
//! it right after the generated code decodes an answer.
//!
//! **Checked in full when there is a reason to.** [`check`] compares one
//! answer (operation, status, body) with the shapes the generator read out
//! of the spec ([`SCHEMAS`](crate::spec::SCHEMAS) and each operation's
//! documented answers), as if every object forbade keys the spec does not
//! list; [`must_check`] says which answers need it whatever their decode
//! noted. Nothing here names a schema or a field: a schema added to the
//! spec is checked by the same walk.
//!
//! A [`Finding`] names the operation, the [kind](DriftKind) and the schema
//! location as a JSON path without array indices
//! (`tokens[].card_data.tokenised_by`). The one value it may hold is an
//! unknown enum value, truncated; never an id, a metadata key or value, a
//! card field's value or a body excerpt.
//!
//! ```
//! use pinelabs_api::{drift::{self, DriftKind}, types::CustomerToken};
//!
//! drift::take();
//! let _: CustomerToken = serde_json::from_str(r#"{"token_id": "t", "new_key": 1}"#).unwrap();
//! assert_eq!(drift::take(), 1);
//!
//! let body = br#"{"customer_id": "c", "tokens": [{"token_id": "t", "status": "PAUSED", "card_data": {"tokenised_by": "x"}}]}"#;
//! let findings = drift::check("list_customer_tokens", 200, body);
//! assert_eq!(findings[0].to_string(), "list_customer_tokens: unknown field tokens[].card_data.tokenised_by");
//! assert_eq!(findings[1].kind, DriftKind::UnknownEnumValue);
//! assert_eq!(findings[1].value.as_deref(), Some("PAUSED"));
//! ```

use std::{cell::Cell, collections::BTreeSet, fmt};

use serde_json::Value;

use crate::spec::{Body, OPERATIONS, Operation, Property, Type, operation, schema};

thread_local! {
    static NOTES: Cell<u32> = const { Cell::new(0) };
}

/// Notes one surprise (an unknown key or enum value) on this thread.
pub fn note() {
    NOTES.with(|n| n.set(n.get().saturating_add(1)));
}

/// The notes made on this thread since the last `take`, and resets them.
pub fn take() -> u32 {
    NOTES.with(|n| n.replace(0))
}

/// The serde path of the generated structs: serde, with a `de::IgnoredAny`
/// that [notes](note) each key it skips.
pub mod serde {
    pub use ::serde::*;

    /// serde's `de`, with the noting `IgnoredAny`.
    pub mod de {
        pub use super::super::IgnoredAny;
        pub use ::serde::de::*;
    }
}

/// serde's `IgnoredAny`, noting each value it skips: what a generated
/// struct decodes a key the spec does not have into.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IgnoredAny;

impl<'de> ::serde::Deserialize<'de> for IgnoredAny {
    fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        note();
        ::serde::de::IgnoredAny::deserialize(deserializer).map(|_| IgnoredAny)
    }
}

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
    let Some(op) = operation(operation_id) else {
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

/// Whether an answer must be checked in full whatever its decode noted:
/// its status is not documented, or its documented type can hide drift from
/// the decode (a `null` in an optional property that the spec says cannot
/// be null decodes as `None` without a note). Any other answer needs a full
/// check only when decoding it [noted](note) a surprise or failed: the
/// decode itself has shown that nothing drifted.
pub fn must_check(op: &Operation, status: u16) -> bool {
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
        OPERATIONS
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
        Type::Named(name) => match schema(name).map(|s| s.body) {
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
        match schema(name).map(|s| s.body) {
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
