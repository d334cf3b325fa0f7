//! The shapes of the spec's answers, as constants of `pinelabs_api::spec`:
//! every named schema's properties (with `required`, `nullable`,
//! `x-aliases` and `maxProperties`), enum values and element types, and
//! every operation's documented answers. The drift check walks them.
//!
//! Read from the hoisted spec ([`Model::spec`](crate::Model::spec)), where
//! every enum and every object with properties has a name; nothing of them
//! is kept by hand.

use proc_macro2::TokenStream;
use quote::quote;
use serde_json::Value;

use crate::model::resolve;

/// One `Schema { name, body }` per named schema of the hoisted spec, in name
/// order (`spec::schema` searches by name).
pub fn schemas(spec: &Value) -> Vec<TokenStream> {
    let Some(Value::Object(schemas)) = spec.pointer("/components/schemas") else {
        return Vec::new();
    };
    let mut named: Vec<_> = schemas.iter().collect();
    named.sort_by_key(|(name, _)| name.as_str());
    let schema = |(name, schema): (&String, &Value)| {
        let body = body(spec, schema);
        quote!(Schema { name: #name, body: #body })
    };
    named.into_iter().map(schema).collect()
}

/// A `Body` expression.
fn body(spec: &Value, schema: &Value) -> TokenStream {
    if let Some(Value::Array(values)) = schema.get("enum") {
        let values = values.iter().filter_map(Value::as_str);
        return quote!(Body::Enum(&[#(#values),*]));
    }
    let Some(Value::Object(props)) = schema.get("properties") else {
        let ty = type_of(spec, schema);
        return quote!(Body::Alias(#ty));
    };
    let required = strings(schema.get("required"));
    let properties = props.iter().map(|(name, prop)| {
        let ty = type_of(spec, prop);
        let (required, nullable) = (required.contains(name), nullable(spec, prop));
        let aliases = strings(prop.get("x-aliases"));
        let max = prop.get("maxProperties").and_then(Value::as_u64);
        let max = option(max.map(|m| m as usize).map(|m| quote!(#m)));
        quote! {
            Property { name: #name, ty: #ty, required: #required, nullable: #nullable, aliases: &[#(#aliases),*], max_properties: #max }
        }
    });
    let additional = match schema.get("additionalProperties") {
        None | Some(Value::Bool(false)) => None,
        Some(extra) => Some(element(spec, extra)),
    };
    let additional = option(additional);
    quote!(Body::Object { properties: &[#(#properties),*], additional: #additional })
}

/// `Some(tokens)` or `None`.
fn option(tokens: Option<TokenStream>) -> TokenStream {
    match tokens {
        Some(tokens) => quote!(Some(#tokens)),
        None => quote!(None),
    }
}

/// `additionalProperties` or `items`: `true` and `{}` mean any value.
fn element(spec: &Value, schema: &Value) -> TokenStream {
    match schema {
        Value::Bool(true) => quote!(Type::Any),
        schema => type_of(spec, schema),
    }
}

/// The `Type` a (property or element) schema stands for.
fn type_of(spec: &Value, schema: &Value) -> TokenStream {
    // `allOf: [$ref]` with `nullable` beside it: the referenced schema.
    let only = match schema.get("allOf").and_then(Value::as_array) {
        Some(members) if members.len() == 1 => members.first(),
        _ => None,
    };
    if let Some(name) = ref_name(schema).or_else(|| only.and_then(ref_name)) {
        return quote!(Type::Named(#name));
    }
    let inner = |key| {
        schema
            .get(key)
            .map_or(quote!(Type::Any), |s| element(spec, s))
    };
    match schema.get("type").and_then(Value::as_str) {
        Some("string") => quote!(Type::String),
        Some("integer") => quote!(Type::Integer),
        Some("number") => quote!(Type::Number),
        Some("boolean") => quote!(Type::Boolean),
        Some("array") => {
            let items = inner("items");
            quote!(Type::Array(&#items))
        }
        Some("object") => {
            let values = inner("additionalProperties");
            quote!(Type::Map(&#values))
        }
        _ => quote!(Type::Any),
    }
}

fn ref_name(schema: &Value) -> Option<String> {
    let target = schema.get("$ref")?.as_str()?;
    target
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

/// The strings of a JSON list.
pub(crate) fn strings(value: Option<&Value>) -> Vec<String> {
    let list = value.and_then(Value::as_array).into_iter().flatten();
    list.filter_map(Value::as_str).map(str::to_owned).collect()
}

/// One `Response { status, json }` per documented answer of the operation
/// at `path` and `method` (as in [`crate::model::OperationDef`]).
pub fn responses(spec: &Value, path: &str, method: &str) -> Vec<TokenStream> {
    let op = spec
        .get("paths")
        .and_then(|paths| paths.get(path))
        .and_then(|item| item.get(method.to_ascii_lowercase()));
    let Some(Value::Object(responses)) = op.and_then(|op| op.get("responses")) else {
        return Vec::new();
    };
    let response = |(status, response): (&String, &Value)| {
        let status = match status.as_str() {
            "default" => None,
            other => Some(other.parse::<u16>().ok()?),
        };
        // Response schemas are hoisted: a `$ref`, or a scalar or array.
        let json = resolve(spec, response)
            .pointer("/content/application~1json/schema")
            .map(|schema| type_of(spec, schema));
        let (status, json) = (option(status.map(|s| quote!(#s))), option(json));
        Some(quote!(Response { status: #status, json: #json }))
    };
    responses.iter().filter_map(response).collect()
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
                        "bag": {"type": "object", "additionalProperties": true, "maxProperties": 3}
                    }},
                    "Kind": {"type": "string", "enum": ["A", "B"], "nullable": true},
                    "Inner": {"type": "object", "properties": {"n": {"type": "number"}}, "additionalProperties": {"type": "string"}}
                }
            }
        })
    }

    /// The tokens as text, without the spaces `quote` puts in.
    fn text(tokens: &TokenStream) -> String {
        tokens.to_string().replace(' ', "")
    }

    #[test]
    fn enums_and_objects_with_their_other_keys() {
        let schemas: Vec<_> = schemas(&spec()).iter().map(text).collect();
        assert!(
            schemas[0].starts_with(r#"Schema{name:"Inner","#),
            "{}",
            schemas[0]
        );
        assert!(schemas[0].contains(r#"Property{name:"n",ty:Type::Number,required:false,nullable:false,aliases:&[],max_properties:None}"#));
        assert!(
            schemas[0].ends_with("additional:Some(Type::String)}}"),
            "{}",
            schemas[0]
        );
        assert_eq!(
            schemas[1],
            r#"Schema{name:"Kind",body:Body::Enum(&["A","B"])}"#
        );
    }

    #[test]
    fn properties_are_required_nullable_aliased_and_typed() {
        let thing = text(&schemas(&spec())[2]);
        for property in [
            r#"name:"id",ty:Type::String,required:true,nullable:false,aliases:&["thing-id"]"#,
            r#"name:"kind",ty:Type::Named("Kind"),required:false,nullable:true"#,
            r#"name:"inner",ty:Type::Named("Inner"),required:false,nullable:true"#,
            r#"name:"tags",ty:Type::Array(&Type::Integer)"#,
            r#"name:"bag",ty:Type::Map(&Type::Any),required:false,nullable:false,aliases:&[],max_properties:Some(3usize)"#,
        ] {
            assert!(thing.contains(property), "{property} in {thing}");
        }
        assert!(thing.ends_with("additional:None}}"), "{thing}");
    }

    #[test]
    fn answers_by_status_with_their_json_type() {
        let answers: Vec<_> = responses(&spec(), "/x", "GET").iter().map(text).collect();
        assert_eq!(
            answers,
            [
                r#"Response{status:Some(200u16),json:Some(Type::Named("Thing"))}"#,
                "Response{status:Some(404u16),json:Some(Type::String)}",
                "Response{status:None,json:None}",
            ]
        );
    }
}
