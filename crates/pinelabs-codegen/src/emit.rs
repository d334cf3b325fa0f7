//! The two files the generator writes besides progenitor's client: the open
//! enums and the spec's facts (operations, examples, limits, servers).
//!
//! Both are Rust source whose shape is fixed here and whose content comes
//! from the [`Model`]. The macro and the types they use are hand-written in
//! `pinelabs-api` (`open_enum!` in `open_enum.rs`, the structs in `spec.rs`).

use std::collections::BTreeSet;

use proc_macro2::{Literal, TokenStream};
use quote::{ToTokens, format_ident, quote};
use serde_json::Value;

use crate::{
    Error,
    model::{EnumDef, Model, OperationDef, pascal_case},
    shape::{self, strings},
};

/// The Rust identifier of an enum value: `SUPER_PREMIUM` → `SuperPremium`.
///
/// Values differing only in ASCII case are one variant (the open enums match
/// case-insensitively), so the spec may not list both.
fn variant_ident(enum_name: &str, value: &str) -> Result<String, Error> {
    let mut ident = pascal_case(value);
    if ident.is_empty() {
        return Err(Error::Unsupported(format!(
            "enum `{enum_name}`: the value {value:?} has no letter or digit to name a variant after"
        )));
    }
    if ident.starts_with(|c: char| c.is_ascii_digit()) {
        ident.insert(0, 'V');
    }
    // `Unknown(String)` is the catch-all; `Self` is reserved.
    if ident == "Unknown" || ident == "Self" {
        ident.push_str("Value");
    }
    Ok(ident)
}

/// Per-value docs from a description's bullet list (`* `VALUE`: text`).
fn value_doc(description: Option<&str>, value: &str) -> String {
    let marker = format!("`{value}`:");
    description
        .into_iter()
        .flat_map(str::lines)
        .map(str::trim)
        .filter_map(|line| line.strip_prefix("* ").or_else(|| line.strip_prefix("- ")))
        .find_map(|line| line.strip_prefix(&marker))
        .map(|text| {
            let text = text.trim();
            let mut chars = text.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
                None => format!("The documented value `{value}`."),
            }
        })
        .unwrap_or_else(|| format!("The documented value `{value}`."))
}

/// `text` as `///` lines indented by `indent`.
fn doc_lines(text: &str, indent: &str) -> String {
    text.trim_end()
        .lines()
        .map(|line| {
            format!(
                "{indent}///{}{line}\n",
                if line.is_empty() { "" } else { " " }
            )
        })
        .collect()
}

/// The open enums: one `open_enum!` invocation per enum of the spec (as
/// text, which prettyplease would not lay out inside a macro), and the
/// `registry` module of known values, used by the spec-agreement test.
pub fn open_enums(model: &Model) -> Result<(String, TokenStream), Error> {
    let mut invocations = String::new();
    let mut registry = Vec::new();
    let mut lookups = Vec::new();
    for def in &model.enums {
        invocations.push_str(&invocation(def)?);
        let name = format_ident!("{}", def.name);
        let schema = &def.name;
        let values = &def.values;
        registry.push(quote!((#schema, &[#(#values),*])));
        lookups.push(quote!(#schema => Some(!#name::parse(value).is_unknown()),));
    }
    Ok((
        invocations,
        quote! {
            /// What the spec says of the open enums, to check the types against it.
            pub mod registry {
                #[allow(unused_imports)]
                use super::*;

                /// Every open enum of the spec: its schema name and its documented
                /// values, in the spec's order.
                pub const SCHEMAS: &[(&str, &[&str])] = &[#(#registry),*];

                /// Whether `value` decodes as a known variant of the open enum
                /// generated for `schema`; `None` when there is no such enum.
                pub fn decodes_as_known(schema: &str, value: &str) -> Option<bool> {
                    match schema {
                        #(#lookups)*
                        _ => None,
                    }
                }
            }
        },
    ))
}

/// The `open_enum!` invocation of one enum, with its docs.
fn invocation(def: &EnumDef) -> Result<String, Error> {
    let docs = doc_lines(
        def.description
            .as_deref()
            .unwrap_or("An open set of values."),
        "    ",
    );
    let (mut idents, mut spellings) = (BTreeSet::new(), BTreeSet::new());
    let mut variants = String::new();
    for value in &def.values {
        let ident = variant_ident(&def.name, value)?;
        if !idents.insert(ident.clone()) || !spellings.insert(value.to_ascii_uppercase()) {
            return Err(Error::Unsupported(format!(
                "enum `{}`: {value:?} repeats a value or names the same variant as another (values match ignoring ASCII case)",
                def.name
            )));
        }
        let doc = doc_lines(&value_doc(def.description.as_deref(), value), "        ");
        variants.push_str(&format!("{doc}        {ident} => {value:?},\n"));
    }
    Ok(format!(
        "open_enum! {{\n{docs}    {} {{\n{variants}    }}\n}}\n\n",
        def.name
    ))
}

/// The spec's facts as constants of the types in `pinelabs_api::spec`.
pub fn spec_data(model: &Model) -> TokenStream {
    let operations = model.operations.iter().map(|op| operation(model, op));
    let responses = examples(model);
    fn text<'a>(v: &'a Value, key: &str) -> &'a str {
        v.pointer(key).and_then(Value::as_str).unwrap_or_default()
    }
    let servers = model.spec["servers"].as_array().into_iter().flatten();
    let servers = servers.map(|s| {
        let (url, description) = (text(s, "/url"), text(s, "/description"));
        quote!(Server { url: #url, description: #description })
    });
    let version = text(&model.spec, "/info/version");
    let schemas = shape::schemas(&model.spec);
    quote! {
        /// `info.version` of the spec.
        pub const API_VERSION: &str = #version;
        /// Every operation, sorted by operationId.
        pub const OPERATIONS: &[Operation] = &[#(#operations),*];
        /// Every documented response example (JSON).
        pub const RESPONSE_EXAMPLES: &[ResponseExample] = &[#(#responses),*];
        /// The servers, in the spec's order.
        pub const SERVERS: &[Server] = &[#(#servers),*];
        /// Every named schema's shape, sorted by name.
        pub const SCHEMAS: &[Schema] = &[#(#schemas),*];
    }
}

/// Adds `#[serde(alias = "...")]` to every generated field whose property
/// lists `x-aliases` in the spec. progenitor has no per-field setting, so the
/// generator adds the attribute to the struct progenitor generated; a field
/// it cannot find fails the generation.
pub fn add_aliases(file: &mut syn::File, model: &Model) -> Result<(), Error> {
    let schemas = model
        .spec
        .pointer("/components/schemas")
        .and_then(Value::as_object);
    for (name, schema) in schemas.into_iter().flatten() {
        let properties = schema.get("properties").and_then(Value::as_object);
        for (property, prop) in properties.into_iter().flatten() {
            let aliases = strings(prop.get("x-aliases"));
            if aliases.is_empty() {
                continue;
            }
            let field = find_field(&mut file.items, name, property).ok_or_else(|| {
                Error::Unsupported(format!(
                    "x-aliases on {name}.{property}: progenitor generated no such field"
                ))
            })?;
            for alias in &aliases {
                field
                    .attrs
                    .push(syn::parse_quote!(#[serde(alias = #alias)]));
            }
        }
    }
    Ok(())
}

/// Moves every `#[serde(..)]` attribute of a struct after its `#[derive]`:
/// typify places patch attributes (`TypePatch::with_attr`) first, and a
/// derive helper before its derive is refused by rustc
/// (`legacy_derive_helpers`).
pub fn order_serde_attrs(items: &mut [syn::Item]) {
    for item in items {
        match item {
            syn::Item::Struct(s) => {
                let is_serde = |a: &syn::Attribute| a.path().is_ident("serde");
                let derive = s.attrs.iter().position(|a| a.path().is_ident("derive"));
                if let Some(derive) = derive
                    && s.attrs[..derive].iter().any(is_serde)
                {
                    let (serde, rest): (Vec<_>, Vec<_>) =
                        s.attrs[..=derive].iter().cloned().partition(is_serde);
                    let after: Vec<_> = s.attrs.drain(derive + 1..).collect();
                    s.attrs = rest.into_iter().chain(serde).chain(after).collect();
                }
            }
            syn::Item::Mod(m) => {
                if let Some((_, items)) = &mut m.content {
                    order_serde_attrs(items);
                }
            }
            _ => {}
        }
    }
}

/// The field of struct `name` (in any module) that holds JSON key `key`.
fn find_field<'a>(items: &'a mut [syn::Item], name: &str, key: &str) -> Option<&'a mut syn::Field> {
    for item in items {
        match item {
            syn::Item::Struct(s) if s.ident == name && !is_builder(s) => {
                return s.fields.iter_mut().find(|f| holds_key(f, key));
            }
            syn::Item::Mod(m) if m.ident != "builder" => {
                if let Some((_, items)) = &mut m.content
                    && let Some(field) = find_field(items, name, key)
                {
                    return Some(field);
                }
            }
            _ => {}
        }
    }
    None
}

/// The builders (`types::builder::X`) have the same names; they derive no serde.
fn is_builder(s: &syn::ItemStruct) -> bool {
    !s.attrs
        .iter()
        .any(|a| a.to_token_stream().to_string().contains("Deserialize"))
}

/// Whether `field` is (de)serialised under `key`: its name, or its `rename`.
fn holds_key(field: &syn::Field, key: &str) -> bool {
    let renamed = field.attrs.iter().find_map(|a| {
        let text = a.to_token_stream().to_string();
        let (_, rest) = text.split_once("rename = \"")?;
        rest.split('"').next().map(str::to_owned)
    });
    match renamed {
        Some(renamed) => renamed == key,
        None => field.ident.as_ref().is_some_and(|i| i == key),
    }
}

/// One `Operation` constant.
fn operation(model: &Model, op: &OperationDef) -> TokenStream {
    let (id, method, path) = (&op.operation_id, &op.method, &op.path);
    let (headers, authenticated) = (&op.header_params, op.authenticated);
    let responses = shape::responses(&model.spec, &op.path, &op.method);
    quote! {
        Operation {
            operation_id: #id,
            method: #method,
            path: #path,
            header_params: &[#(#headers),*],
            authenticated: #authenticated,
            responses: &[#(#responses),*],
        }
    }
}

/// The response examples as constants.
fn examples(model: &Model) -> Vec<TokenStream> {
    let responses = model.operations.iter().flat_map(|op| {
        let id = &op.operation_id;
        op.response_examples.iter().map(move |(status, body)| {
            let body = Literal::string(body);
            quote!(ResponseExample { operation_id: #id, status: #status, body: #body })
        })
    });
    responses.collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names() {
        assert_eq!(
            variant_ident("E", "SUPER_PREMIUM").ok(),
            Some("SuperPremium".into())
        );
        assert_eq!(variant_ident("E", "Consumer").ok(), Some("Consumer".into()));
        assert_eq!(variant_ident("E", "3DS").ok(), Some("V3ds".into()));
        assert_eq!(
            variant_ident("E", "UNKNOWN").ok(),
            Some("UnknownValue".into())
        );
        assert!(variant_ident("E", "--").is_err());
    }

    #[test]
    fn value_docs_come_from_the_bullets() {
        let description = "Status.\n\n* `ACTIVE`: the token can be used.\n* `FAILED`: it failed.";
        assert_eq!(
            value_doc(Some(description), "ACTIVE"),
            "The token can be used."
        );
        assert_eq!(
            value_doc(Some(description), "OTHER"),
            "The documented value `OTHER`."
        );
    }
}
