//! What the generator needs to know about the spec, read from the spec itself.
//!
//! [`Model::read`] makes two passes over the JSON form of the document:
//!
//! 1. **Hoisting.** Every inline enum and every inline object with
//!    `properties` (under a property, an array's `items`, a map's
//!    `additionalProperties`, an `allOf`/`anyOf`/`oneOf` member, an
//!    operation's parameter, request body or response) is moved into
//!    `components/schemas` under a derived name (`CustomerToken` +
//!    `card_brand` → `CustomerTokenCardBrand`) and replaced by a `$ref`.
//!    After this, every enum and every object has a schema name, which is
//!    what progenitor's per-type settings (replacements, patches) key on.
//! 2. **Collection.** The enums (made open), the objects (made
//!    `#[non_exhaustive]` with builders), the operations (route, method,
//!    header parameters) and the examples.
//!
//! Nothing here is a list kept by hand: a schema added to the spec is found
//! by the same walk.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::Error;

/// The HTTP methods an OpenAPI path item can hold, in the spec's order.
pub const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One enum of the spec, to be generated as an open enum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumDef {
    /// The schema (and type) name, e.g. `TokenStatus`.
    pub name: String,
    /// The schema's description.
    pub description: Option<String>,
    /// The documented values, in the spec's order.
    pub values: Vec<String>,
}

/// One operation of the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationDef {
    /// The `operationId`.
    pub operation_id: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path template, e.g. `/api/v1/customer/{customer_id}/tokens`.
    pub path: String,
    /// The names of its header parameters, e.g. `Request-ID`.
    pub header_params: Vec<String>,
    /// Response examples: status and compact JSON body.
    pub response_examples: Vec<(u16, String)>,
    /// Whether it sends a bearer token (`false` where `security: []`).
    pub authenticated: bool,
}

/// Everything the generator derives from the spec.
#[derive(Debug, Clone)]
pub struct Model {
    /// The spec after hoisting: what progenitor is given.
    pub spec: Value,
    /// Every enum, by name.
    pub enums: Vec<EnumDef>,
    /// Every object schema with properties, by name.
    pub objects: Vec<String>,
    /// Every operation, sorted by operationId.
    pub operations: Vec<OperationDef>,
}

impl Model {
    /// Reads the model out of the JSON form of the spec.
    pub fn read(spec: &Value) -> Result<Self, Error> {
        let mut spec = spec.clone();
        hoist_all(&mut spec)?;
        let schemas = spec
            .pointer("/components/schemas")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let mut enums = Vec::new();
        let mut objects = Vec::new();
        for (name, schema) in &schemas {
            if let Some(values) = schema.get("enum") {
                enums.push(enum_def(name, schema, values)?);
            } else if schema.get("properties").is_some() {
                objects.push(name.clone());
            }
        }
        let operations = operations(&spec)?;
        Ok(Self {
            spec,
            enums,
            objects,
            operations,
        })
    }
}

fn text(value: &Value, key: &str) -> String {
    value
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn enum_def(name: &str, schema: &Value, values: &Value) -> Result<EnumDef, Error> {
    let unsupported = |why: &str| Error::Unsupported(format!("enum schema `{name}`: {why}"));
    if schema.get("type").and_then(Value::as_str) != Some("string") {
        return Err(unsupported("only `type: string` enums are supported"));
    }
    let values = values
        .as_array()
        .ok_or_else(|| unsupported("`enum` is not a list"))?
        .iter()
        // `nullable: true` may list `null` among the values; null is the
        // absence of a value, not a variant.
        .filter(|v| !v.is_null())
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .ok_or_else(|| unsupported("every value must be a string"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if values.is_empty() {
        return Err(unsupported("it lists no value"));
    }
    Ok(EnumDef {
        name: name.to_owned(),
        description: schema
            .get("description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        values,
    })
}

/// Follows a local `$ref` chain.
pub(crate) fn resolve<'a>(spec: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(target) => match target.strip_prefix('#').and_then(|p| spec.pointer(p)) {
                Some(next) => value = next,
                None => break,
            },
            None => break,
        }
    }
    value
}

fn operations(spec: &Value) -> Result<Vec<OperationDef>, Error> {
    let mut out = Vec::new();
    let Some(Value::Object(paths)) = spec.get("paths") else {
        return Ok(out);
    };
    for (path, item) in paths {
        for method in METHODS {
            if let Some(op) = item.get(*method) {
                out.push(operation_def(spec, path, method, item, op)?);
            }
        }
    }
    out.sort_by(|a, b| a.operation_id.cmp(&b.operation_id));
    Ok(out)
}

/// One operation: `op` is `item[method]` of `paths[path]`.
fn operation_def(
    spec: &Value,
    path: &str,
    method: &str,
    item: &Value,
    op: &Value,
) -> Result<OperationDef, Error> {
    let operation_id = op
        .get("operationId")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            Error::Unsupported(format!(
                "{} {path} has no operationId",
                method.to_uppercase()
            ))
        })?
        .to_owned();
    Ok(OperationDef {
        operation_id,
        method: method.to_uppercase(),
        path: path.to_owned(),
        header_params: header_params(spec, item, op),
        response_examples: response_examples(spec, op),
        authenticated: authenticated(spec, op),
    })
}

/// The names of the header parameters of the path item and the operation.
fn header_params(spec: &Value, item: &Value, op: &Value) -> Vec<String> {
    [item, op]
        .into_iter()
        .filter_map(|v| v.get("parameters").and_then(Value::as_array))
        .flatten()
        .map(|p| resolve(spec, p))
        .filter(|p| p.get("in").and_then(Value::as_str) == Some("header"))
        .map(|p| text(p, "name"))
        .collect()
}

/// Every JSON response example of `op`, by status.
fn response_examples(spec: &Value, op: &Value) -> Vec<(u16, String)> {
    let Some(Value::Object(responses)) = op.get("responses") else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (status, response) in responses {
        let Ok(status) = status.parse::<u16>() else {
            continue;
        };
        if let Some(media) = resolve(spec, response).pointer("/content/application~1json") {
            out.extend(examples_of(media).into_iter().map(|body| (status, body)));
        }
    }
    out
}

/// A media type's `example`, or each `examples.*.value`, as compact JSON.
fn examples_of(media: &Value) -> Vec<String> {
    if let Some(example) = media.get("example") {
        return vec![example.to_string()];
    }
    media
        .get("examples")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|examples| examples.values())
        .filter_map(|example| example.get("value"))
        .map(Value::to_string)
        .collect()
}

/// Whether `op` sends a bearer token: its own `security`, else the
/// document's, lists a requirement (`security: []` means none).
fn authenticated(spec: &Value, op: &Value) -> bool {
    op.get("security")
        .or_else(|| spec.get("security"))
        .and_then(Value::as_array)
        .is_some_and(|requirements| !requirements.is_empty())
}

/// `card_brand` → `CardBrand`, `Request-ID` → `RequestId`: heck's
/// upper camel case, the one typify names types and variants with.
pub fn pascal_case(raw: &str) -> String {
    heck::ToUpperCamelCase::to_upper_camel_case(raw)
}

/// Whether a schema must have a name of its own: an enum, or an object
/// with properties.
fn needs_name(schema: &Value) -> bool {
    schema.get("$ref").is_none()
        && (schema.get("enum").is_some() || schema.get("properties").is_some())
}

/// Hoists every inline enum and object into `components/schemas`.
fn hoist_all(spec: &mut Value) -> Result<(), Error> {
    let mut hoisted: BTreeMap<String, Value> = BTreeMap::new();
    // Named schemas: hoist what is nested inside them.
    if let Some(Value::Object(schemas)) = spec.pointer_mut("/components/schemas") {
        for (name, schema) in schemas.iter_mut() {
            hoist_children(schema, name, &mut hoisted)?;
        }
    }
    // Operations: parameters, request bodies and responses.
    if let Some(Value::Object(paths)) = spec.get_mut("paths") {
        for item in paths.values_mut() {
            for method in METHODS {
                let Some(op) = item.get_mut(*method) else {
                    continue;
                };
                let base = pascal_case(op.get("operationId").and_then(Value::as_str).unwrap_or(""));
                hoist_operation(op, &base, &mut hoisted)?;
            }
        }
    }
    let Some(schemas) = spec
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return match hoisted.is_empty() {
            true => Ok(()),
            false => Err(Error::Unsupported(
                "the spec has inline schemas but no components/schemas".into(),
            )),
        };
    };
    for (name, schema) in hoisted {
        if schemas.contains_key(&name) {
            return Err(Error::Unsupported(format!(
                "an inline schema would be named `{name}`, which the spec already uses; name it in components/schemas"
            )));
        }
        schemas.insert(name, schema);
    }
    Ok(())
}

fn hoist_operation(
    op: &mut Value,
    base: &str,
    hoisted: &mut BTreeMap<String, Value>,
) -> Result<(), Error> {
    if let Some(Value::Array(params)) = op.get_mut("parameters") {
        for param in params {
            let name = format!("{base}{}", pascal_case(&text(param, "name")));
            if let Some(schema) = param.get_mut("schema") {
                hoist_here(schema, &name, hoisted)?;
            }
        }
    }
    if let Some(Value::Object(content)) = op.pointer_mut("/requestBody/content") {
        for media in content.values_mut() {
            if let Some(schema) = media.get_mut("schema") {
                hoist_here(schema, &format!("{base}Body"), hoisted)?;
            }
        }
    }
    if let Some(Value::Object(responses)) = op.get_mut("responses") {
        for (status, response) in responses.iter_mut() {
            if let Some(Value::Object(content)) = response.get_mut("content") {
                for media in content.values_mut() {
                    if let Some(schema) = media.get_mut("schema") {
                        let name = format!("{base}Response{}", pascal_case(status));
                        hoist_here(schema, &name, hoisted)?;
                    }
                }
            }
        }
    }
    Ok(())
}

/// If `schema` needs a name, moves it to `hoisted[name]` and leaves a `$ref`.
fn hoist_here(
    schema: &mut Value,
    name: &str,
    hoisted: &mut BTreeMap<String, Value>,
) -> Result<(), Error> {
    if needs_name(schema) {
        let mut taken = std::mem::replace(
            schema,
            json!({ "$ref": format!("#/components/schemas/{name}") }),
        );
        hoist_children(&mut taken, name, hoisted)?;
        if hoisted.insert(name.to_owned(), taken).is_some() {
            return Err(Error::Unsupported(format!(
                "two inline schemas would both be named `{name}`; name one in components/schemas"
            )));
        }
        Ok(())
    } else {
        hoist_children(schema, name, hoisted)
    }
}

/// Hoists the inline schemas nested in `schema` (which keeps its place).
fn hoist_children(
    schema: &mut Value,
    name: &str,
    hoisted: &mut BTreeMap<String, Value>,
) -> Result<(), Error> {
    let Value::Object(map) = schema else {
        return Ok(());
    };
    if let Some(Value::Object(props)) = map.get_mut("properties") {
        for (prop, child) in props.iter_mut() {
            hoist_here(child, &format!("{name}{}", pascal_case(prop)), hoisted)?;
        }
    }
    if let Some(items) = map.get_mut("items") {
        hoist_here(items, &format!("{name}Item"), hoisted)?;
    }
    if let Some(extra @ Value::Object(_)) = map.get_mut("additionalProperties") {
        hoist_here(extra, &format!("{name}Value"), hoisted)?;
    }
    for key in ["allOf", "anyOf", "oneOf"] {
        if let Some(Value::Array(members)) = map.get_mut(key) {
            let single = members.len() == 1;
            for (i, member) in members.iter_mut().enumerate() {
                // A lone inline member describes the same value as its parent.
                if single {
                    hoist_children(member, name, hoisted)?;
                } else {
                    hoist_here(member, &format!("{name}Variant{i}"), hoisted)?;
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(pascal_case("card_brand"), "CardBrand");
        assert_eq!(pascal_case("Request-ID"), "RequestId");
        assert_eq!(pascal_case("SUPER_PREMIUM"), "SuperPremium");
        assert_eq!(pascal_case("merchantId"), "MerchantId");
        assert_eq!(pascal_case("200"), "200");
    }

    #[test]
    fn inline_enums_and_objects_are_hoisted_and_collected() {
        let spec = json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "9.9.9"},
            "paths": {"/x/{id}": {"get": {
                "operationId": "get_x",
                "parameters": [{"name": "Request-ID", "in": "header", "schema": {"type": "string"}}],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Thing"},
                    "example": {"kind": "A"}
                }}}}
            }}},
            "components": {"schemas": {"Thing": {
                "type": "object",
                "properties": {
                    "kind": {"type": "string", "enum": ["A", "B"], "nullable": true},
                    "inner": {"type": "object", "properties": {"mode": {"type": "string", "enum": ["X"]}}},
                    "bag": {"type": "object", "maxProperties": 3, "additionalProperties": {"type": "string"}}
                }
            }}}
        });
        let model = Model::read(&spec).expect("model");
        let names: Vec<_> = model.enums.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, ["ThingInnerMode", "ThingKind"]);
        assert_eq!(model.enums[1].values, ["A", "B"]);
        assert_eq!(model.objects, ["Thing", "ThingInner"]);
        assert_eq!(
            model
                .spec
                .pointer("/components/schemas/Thing/properties/kind/$ref"),
            Some(&json!("#/components/schemas/ThingKind"))
        );
        assert_eq!(model.operations[0].method, "GET");
        assert_eq!(model.operations[0].header_params, ["Request-ID"]);
        assert_eq!(
            model.operations[0].response_examples,
            [(200, r#"{"kind":"A"}"#.to_owned())]
        );
    }

    #[test]
    fn a_name_clash_is_an_error_naming_the_schema() {
        let spec = json!({"components": {"schemas": {
            "Thing": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["A"]}}},
            "ThingKind": {"type": "string"}
        }}});
        let err = Model::read(&spec).expect_err("clash");
        assert!(err.to_string().contains("ThingKind"), "{err}");
    }
}
