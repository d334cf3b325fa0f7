//! The shapes of the spec's answers, for drift detection: every named
//! schema's properties (with `required`, `nullable` and `x-aliases`), enum
//! values and element types, and every operation's documented answers.
//!
//! Read from the hoisted spec ([`Model::spec`](crate::Model::spec)), where
//! every enum and every object with properties has a name. The wrapper checks a live answer
//! against these facts; nothing of them is kept by hand.

use serde_json::Value;

use crate::model::resolve;

/// A JSON type, as a property or an array element has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeDef {
    /// A schema of `components/schemas`, by name.
    Named(String),
    /// `type: string`.
    String,
    /// `type: integer`.
    Integer,
    /// `type: number`.
    Number,
    /// `type: boolean`.
    Boolean,
    /// `type: array` of the element type.
    Array(Box<TypeDef>),
    /// `type: object` without properties: keys of any name, values of this type.
    Map(Box<TypeDef>),
    /// No type: any JSON value.
    Any,
}

/// One property of an object schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyDef {
    /// Its name in JSON.
    pub name: String,
    /// Its type.
    pub ty: TypeDef,
    /// Listed in the object's `required`.
    pub required: bool,
    /// `nullable: true` on the property or on the schema it refers to.
    pub nullable: bool,
    /// Other documented spellings of its name (`x-aliases`), read as it.
    pub aliases: Vec<String>,
    /// `maxProperties` of an object-valued property (typify ignores it).
    pub max_properties: Option<u64>,
}

/// What a named schema is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ShapeBody {
    /// An object: its properties, and the type of other keys (`None`: the
    /// spec documents no other key).
    Object {
        /// The documented properties, in the spec's order.
        properties: Vec<PropertyDef>,
        /// `additionalProperties`: `None` when absent or `false`.
        additional: Option<TypeDef>,
    },
    /// A string enum: its documented values.
    Enum(Vec<String>),
    /// Anything else: the type it stands for.
    Alias(TypeDef),
}

/// One named schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShapeDef {
    /// Its name in `components/schemas`.
    pub name: String,
    /// What it is.
    pub body: ShapeBody,
}

/// One documented answer of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseDef {
    /// The status; `None` for `default`.
    pub status: Option<u16>,
    /// The type of its `application/json` body; `None` when it has none.
    pub json: Option<TypeDef>,
}

/// Every named schema of the hoisted spec, in name order.
pub fn shapes(spec: &Value) -> Vec<ShapeDef> {
    let Some(Value::Object(schemas)) = spec.pointer("/components/schemas") else {
        return Vec::new();
    };
    let mut out: Vec<ShapeDef> = schemas
        .iter()
        .map(|(name, schema)| ShapeDef {
            name: name.clone(),
            body: body(spec, schema),
        })
        .collect();
    // Sorted whatever the map's order: `spec::schema` searches by name.
    out.sort_by(|a, b| a.name.cmp(&b.name));
    out
}

fn body(spec: &Value, schema: &Value) -> ShapeBody {
    if let Some(Value::Array(values)) = schema.get("enum") {
        let values = values.iter().filter_map(Value::as_str).map(str::to_owned);
        return ShapeBody::Enum(values.collect());
    }
    let Some(Value::Object(props)) = schema.get("properties") else {
        return ShapeBody::Alias(type_of(spec, schema));
    };
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let properties = props
        .iter()
        .map(|(name, prop)| PropertyDef {
            name: name.clone(),
            ty: type_of(spec, prop),
            required: required.contains(&name.as_str()),
            nullable: nullable(spec, prop),
            aliases: strings(prop.get("x-aliases")),
            max_properties: prop.get("maxProperties").and_then(Value::as_u64),
        })
        .collect();
    let additional = match schema.get("additionalProperties") {
        None | Some(Value::Bool(false)) => None,
        Some(extra) => Some(element(spec, extra)),
    };
    ShapeBody::Object {
        properties,
        additional,
    }
}

/// `additionalProperties` or `items`: `true` and `{}` mean any value.
fn element(spec: &Value, schema: &Value) -> TypeDef {
    match schema {
        Value::Bool(true) => TypeDef::Any,
        schema => type_of(spec, schema),
    }
}

/// The type a (property or element) schema stands for.
fn type_of(spec: &Value, schema: &Value) -> TypeDef {
    if let Some(name) = ref_name(schema) {
        return TypeDef::Named(name);
    }
    // `allOf: [$ref]` with `nullable` beside it: the referenced schema.
    if let Some(Value::Array(members)) = schema.get("allOf")
        && let [only] = members.as_slice()
        && let Some(name) = ref_name(only)
    {
        return TypeDef::Named(name);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => TypeDef::String,
        Some("integer") => TypeDef::Integer,
        Some("number") => TypeDef::Number,
        Some("boolean") => TypeDef::Boolean,
        Some("array") => TypeDef::Array(Box::new(
            schema
                .get("items")
                .map_or(TypeDef::Any, |items| element(spec, items)),
        )),
        Some("object") => TypeDef::Map(Box::new(
            schema
                .get("additionalProperties")
                .map_or(TypeDef::Any, |extra| element(spec, extra)),
        )),
        _ => TypeDef::Any,
    }
}

fn ref_name(schema: &Value) -> Option<String> {
    schema
        .get("$ref")?
        .as_str()?
        .strip_prefix("#/components/schemas/")
        .map(str::to_owned)
}

/// `nullable: true` on the schema, or on the schema its `$ref` names.
fn nullable(spec: &Value, schema: &Value) -> bool {
    let own = |s: &Value| s.get("nullable").and_then(Value::as_bool) == Some(true);
    own(schema)
        || ref_name(schema)
            .and_then(|name| spec.pointer(&format!("/components/schemas/{name}")))
            .is_some_and(own)
}

fn strings(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// The documented answers of the operation at `path` and `method` (as in
/// [`crate::model::OperationDef`]) of the hoisted spec.
pub fn responses(spec: &Value, path: &str, method: &str) -> Vec<ResponseDef> {
    let op = spec
        .get("paths")
        .and_then(|paths| paths.get(path))
        .and_then(|item| item.get(method.to_ascii_lowercase()));
    let Some(Value::Object(responses)) = op.and_then(|op| op.get("responses")) else {
        return Vec::new();
    };
    responses
        .iter()
        .filter_map(|(status, response)| {
            let status = match status.as_str() {
                "default" => None,
                other => Some(other.parse::<u16>().ok()?),
            };
            // Response schemas are hoisted: a `$ref`, or a scalar or array.
            let json = resolve(spec, response)
                .pointer("/content/application~1json/schema")
                .map(|schema| type_of(spec, schema));
            Some(ResponseDef { status, json })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn spec() -> Value {
        json!({
            "paths": {"/x": {"get": {"responses": {
                "200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}},
                "404": {"$ref": "#/components/responses/Missing"},
                "default": {"description": "no body"}
            }}}},
            "components": {
                "responses": {"Missing": {"content": {"application/json": {"schema": {"type": "string"}}}}},
                "schemas": {
                    "Thing": {"type": "object", "required": ["id"], "properties": {
                        "id": {"type": "string", "x-aliases": ["thing-id"]},
                        "kind": {"$ref": "#/components/schemas/Kind"},
                        "inner": {"type": "object", "allOf": [{"$ref": "#/components/schemas/Inner"}], "nullable": true},
                        "tags": {"type": "array", "items": {"type": "integer"}},
                        "bag": {"type": "object", "additionalProperties": true}
                    }},
                    "Kind": {"type": "string", "enum": ["A", "B"], "nullable": true},
                    "Inner": {"type": "object", "properties": {"n": {"type": "number"}}, "additionalProperties": {"type": "string"}}
                }
            }
        })
    }

    #[test]
    fn enums_and_objects_with_their_other_keys() {
        let shapes = shapes(&spec());
        let names: Vec<_> = shapes.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["Inner", "Kind", "Thing"]);
        let n = PropertyDef {
            name: "n".into(),
            ty: TypeDef::Number,
            required: false,
            nullable: false,
            aliases: vec![],
            max_properties: None,
        };
        let additional = Some(TypeDef::String);
        let inner = ShapeBody::Object {
            properties: vec![n],
            additional,
        };
        assert_eq!(shapes[0].body, inner);
        assert_eq!(
            shapes[1].body,
            ShapeBody::Enum(vec!["A".into(), "B".into()])
        );
    }

    #[test]
    fn properties_are_required_nullable_aliased_and_typed() {
        let shapes = shapes(&spec());
        let ShapeBody::Object {
            properties,
            additional,
        } = &shapes[2].body
        else {
            panic!("{:?}", shapes[2]);
        };
        assert_eq!(*additional, None);
        let by_name = |n: &str| properties.iter().find(|p| p.name == n).expect("property");
        assert!(by_name("id").required && !by_name("id").nullable);
        assert_eq!(by_name("id").aliases, ["thing-id"]);
        assert!(by_name("kind").nullable, "nullable through its $ref");
        assert_eq!(by_name("inner").ty, TypeDef::Named("Inner".into()));
        assert!(by_name("inner").nullable);
        assert_eq!(
            by_name("tags").ty,
            TypeDef::Array(Box::new(TypeDef::Integer))
        );
        assert_eq!(by_name("bag").ty, TypeDef::Map(Box::new(TypeDef::Any)));
    }

    #[test]
    fn answers_by_status_with_their_json_type() {
        let answer = |status, json| ResponseDef { status, json };
        assert_eq!(
            responses(&spec(), "/x", "GET"),
            [
                answer(Some(200), Some(TypeDef::Named("Thing".into()))),
                answer(Some(404), Some(TypeDef::String)),
                answer(None, None),
            ]
        );
    }
}
