//! Validation of JSON values against the spec's schemas: the spec lint's
//! examples, and the tests that check answers against the spec (tooling:
//! no service compiles it).
//!
//! OpenAPI 3.0 schemas are almost JSON Schema: the differences that matter
//! here are `nullable: true` (JSON Schema spells it as a `null` type) and
//! `$ref`s into `#/components/schemas`. [`SpecSchemas`] rewrites the former
//! and keeps the components beside every schema so that the latter resolve,
//! then validates with the `jsonschema` crate, formats (`date-time`)
//! included.
//!
//! ```
//! let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/pinelabs-online.yaml");
//! let spec = pinelabs_codegen::load_json(&path).unwrap();
//! let schemas = xtask::schemas::SpecSchemas::new(&spec);
//! let body = serde_json::json!({"code": "INVALID_REQUEST", "message": "bad"});
//! schemas.validate_component("ErrorResponse", &body).unwrap();
//! assert!(schemas.validate_component("ErrorResponse", &serde_json::json!({})).is_err());
//! ```

use serde_json::{Map, Value, json};

/// The spec's schemas, ready to validate values.
#[derive(Debug, Clone)]
pub struct SpecSchemas {
    spec: Value,
    components: Value,
}

impl SpecSchemas {
    /// Prepares the schemas of `spec` (the spec as JSON, see `pinelabs_codegen::load_json`).
    pub fn new(spec: &Value) -> Self {
        let components = to_json_schema(spec.get("components").cloned().unwrap_or(Value::Null));
        Self {
            spec: spec.clone(),
            components,
        }
    }

    /// The schemas of `spec` read strictly, as `pinelabs spec-check` and
    /// the client's drift check read answers: an object with `properties`
    /// and no `additionalProperties` forbids other keys, and a property's
    /// `x-aliases` are accepted spellings of it.
    pub fn strict(spec: &Value) -> Self {
        let mut schemas = Self::new(spec);
        forbid_extra(&mut schemas.components);
        schemas
    }

    /// The spec this was made from.
    pub fn spec(&self) -> &Value {
        &self.spec
    }

    /// Validates `value` against an OpenAPI schema object taken from the spec.
    /// Returns every violation, one line each.
    pub fn validate(&self, schema: &Value, value: &Value) -> Result<(), Vec<String>> {
        let schema = json!({
            "allOf": [to_json_schema(schema.clone())],
            "components": self.components,
        });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| vec![format!("invalid schema: {e}")])?;
        let errors: Vec<String> = validator
            .iter_errors(value)
            .map(|e| format!("at `{}`: {}", e.instance_path(), e))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Validates `value` against `#/components/schemas/{name}`.
    pub fn validate_component(&self, name: &str, value: &Value) -> Result<(), Vec<String>> {
        self.validate(
            &json!({ "$ref": format!("#/components/schemas/{name}") }),
            value,
        )
    }

    /// Validates a response of the operation at `method` `path_template` with
    /// `status` and JSON `body` against the spec. A status the spec does not
    /// list for that operation is a violation.
    pub fn validate_response(
        &self,
        method: &str,
        path_template: &str,
        status: u16,
        body: &Value,
    ) -> Result<(), Vec<String>> {
        let operation = self
            .spec
            .pointer(&format!(
                "/paths/{}/{}",
                escape_pointer(path_template),
                method.to_ascii_lowercase()
            ))
            .ok_or_else(|| {
                vec![format!(
                    "the spec has no operation {method} {path_template}"
                )]
            })?;
        let response = operation
            .pointer(&format!("/responses/{status}"))
            .ok_or_else(|| {
                vec![format!(
                    "{method} {path_template} does not document status {status}"
                )]
            })?;
        let response = self.resolve(response);
        match response.pointer("/content/application~1json/schema") {
            Some(schema) => self.validate(schema, body),
            None => Ok(()),
        }
    }

    /// Follows a local `$ref` (one level at a time, until there is none).
    pub fn resolve<'a>(&'a self, mut value: &'a Value) -> &'a Value {
        while let Some(Value::String(target)) = value.get("$ref") {
            match target.strip_prefix('#').and_then(|p| self.spec.pointer(p)) {
                Some(next) => value = next,
                None => break,
            }
        }
        value
    }
}

/// `additionalProperties: false` on every object with properties that sets
/// none, and each `x-aliases` spelling as a property of its own.
fn forbid_extra(value: &mut Value) {
    match value {
        Value::Array(items) => items.iter_mut().for_each(forbid_extra),
        Value::Object(map) => {
            map.values_mut().for_each(forbid_extra);
            if let Some(Value::Object(props)) = map.get_mut("properties") {
                let aliases: Vec<(String, Value)> = props
                    .values()
                    .flat_map(|p| {
                        let names = p.get("x-aliases").and_then(Value::as_array).cloned();
                        names
                            .into_iter()
                            .flatten()
                            .filter_map(|n| n.as_str().map(|n| (n.to_owned(), p.clone())))
                    })
                    .collect();
                props.extend(aliases);
                map.entry("additionalProperties")
                    .or_insert(Value::Bool(false));
            }
        }
        _ => {}
    }
}

fn escape_pointer(segment: &str) -> String {
    segment.replace('~', "~0").replace('/', "~1")
}

/// Rewrites OpenAPI 3.0 `nullable: true` into JSON Schema, recursively.
fn to_json_schema(value: Value) -> Value {
    match value {
        Value::Array(items) => Value::Array(items.into_iter().map(to_json_schema).collect()),
        Value::Object(map) => {
            let mut map: Map<String, Value> = map
                .into_iter()
                .filter(|(k, _)| k != "example" && k != "examples")
                .map(|(k, v)| (k, to_json_schema(v)))
                .collect();
            if map.remove("nullable") == Some(Value::Bool(true)) {
                Value::Object(make_nullable(map))
            } else {
                Value::Object(map)
            }
        }
        other => other,
    }
}

fn make_nullable(mut map: Map<String, Value>) -> Map<String, Value> {
    if let Some(Value::Array(values)) = map.get_mut("enum") {
        values.push(Value::Null);
    }
    match map.get("type").cloned() {
        Some(Value::String(t)) => {
            map.insert("type".into(), json!([t, "null"]));
            map
        }
        _ => {
            let mut wrapper = Map::new();
            wrapper.insert(
                "anyOf".into(),
                json!([{ "type": "null" }, Value::Object(map)]),
            );
            wrapper
        }
    }
}

/// Reads the YAML spec into progenitor's OpenAPI model.
pub fn load_openapi(path: &std::path::Path) -> Result<openapiv3::OpenAPI, pinelabs_codegen::Error> {
    let value = pinelabs_codegen::load_json(path)?;
    serde_json::from_value(value).map_err(|e| pinelabs_codegen::Error::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}
