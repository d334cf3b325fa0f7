//! The single code generator of the project.
//!
//! [`generate`] turns the OpenAPI document (`openapi/pinelabs-online.yaml`)
//! into formatted Rust source: progenitor's client, the open enums, and the
//! spec's facts (operations, examples, limits, servers). It is called from
//! two places:
//!
//! * `crates/pinelabs-api/build.rs`, which writes the files into `OUT_DIR`
//!   where the crate `include!`s them;
//! * `cargo xtask codegen`, which snapshots the same source with insta so that
//!   a spec change shows up as a reviewable diff.
//!
//! Because both call the same function with the same [`settings`], the
//! snapshot is byte-for-byte the code that compiles.
//!
//! The generator knows no schema by name. [`model::Model`] reads every enum,
//! object and operation out of the spec, so an added schema is covered by
//! the same rules as the existing ones:
//!
//! * every enum, named or inline, becomes an **open enum** (unknown values
//!   decode as `Unknown(String)`), generated from the spec's values;
//! * every object becomes a `#[non_exhaustive]` struct with a builder
//!   (`types::builder`), so that a new optional field is not a breaking change;
//! * every `date-time` string becomes the lenient `Timestamp`.
//!
//! The generator does not know where the spec lives: the caller passes its
//! path (build scripts find it from their own `CARGO_MANIFEST_DIR` when they
//! run, never from a path compiled into a library).
//!
//! # Why these dependencies
//! * `progenitor`: Oxide's OpenAPI client generator, the design card's choice.
//! * `openapiv3`: the OpenAPI 3.0 data model progenitor consumes.
//! * `serde-saphyr`: a maintained, pure-Rust (no `unsafe`, no libyaml) YAML
//!   deserialiser. `serde_yaml` is deprecated and unmaintained, and its
//!   `serde_yml` fork has had soundness problems; we only ever need to read
//!   YAML, which is exactly what serde-saphyr does.
//! * `syn` + `prettyplease`: format the token stream without shelling out to
//!   `rustfmt`, so that the output does not depend on the machine's rustfmt.
//! * `quote` / `proc-macro2`: the token streams of the two extra files.
//!
//! ```
//! let spec = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../openapi/pinelabs-online.yaml");
//! let generated = pinelabs_codegen::generate(&spec).unwrap();
//! assert!(generated.client.contains("pub struct Client"));
//! assert!(generated.open_enums.contains("TokenStatus"));
//! ```

#![deny(missing_docs)]

use std::path::{Path, PathBuf};

mod emit;
pub mod model;
pub mod shape;

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl, TypePatch};
use quote::quote;

pub use model::Model;

/// The spec's file name, beside `pinelabs-api`'s manifest (a link to
/// `openapi/pinelabs-online.yaml` in the repository, a copy in the package).
pub const SPEC_FILE: &str = "pinelabs-online.yaml";

/// What can go wrong while generating.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The spec file could not be read.
    #[error("cannot read the spec {path}: {source}. Check that the file exists")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The spec is not valid YAML or not an OpenAPI 3.0 document.
    #[error("the spec {path} is not a valid OpenAPI 3.0 document: {message}. Fix the YAML")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The parser's message.
        message: String,
    },
    /// The spec uses something the generator cannot make safe for services.
    #[error("the spec cannot be generated as it is: {0}. Change the spec")]
    Unsupported(String),
    /// progenitor rejected the spec.
    #[error("progenitor cannot generate a client from the spec: {0}")]
    Generate(String),
    /// The generated tokens are not valid Rust (a generator bug).
    #[error("the generated code does not parse as Rust: {0}")]
    Format(String),
}

/// Reads the YAML spec into a JSON value (for linting and validation).
pub fn load_json(path: &Path) -> Result<serde_json::Value, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_owned(),
        source,
    })?;
    serde_saphyr::from_str(&text).map_err(|e| Error::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// Where the open enums live in `pinelabs-api`: `crate::open_enum::{Name}`.
pub const OPEN_ENUM_MODULE: &str = "crate::open_enum";

/// The serde path the generated structs derive through: serde, with a
/// `de::IgnoredAny` that counts what it ignores (in `pinelabs-api/src/drift.rs`).
pub const SERDE_PATH: &str = "crate::drift::serde";

/// The hand-written type every `type: string, format: date-time` schema
/// becomes (in `pinelabs-api/src/timestamp.rs`): it parses ISO-8601 leniently
/// and keeps anything else as text instead of failing the whole response.
pub const TIMESTAMP_TYPE: &str = "crate::timestamp::Timestamp";

/// The one set of progenitor settings used by build.rs and xtask alike,
/// derived from the spec's [`Model`].
pub fn settings(model: &Model) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        // Builders for the operations and, through typify, for every struct
        // (`types::builder`): the supported way to build `#[non_exhaustive]`
        // values outside the crate.
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // Per-client state that the hand-written hooks (auth, retries,
        // tracing) use; see `pinelabs-api/src/hooks.rs`.
        .with_inner_type(quote!(crate::hooks::Hooks))
        .with_derive("schemars::JsonSchema")
        .with_derive("PartialEq")
        // Deterministic order: metadata serialises and prints the same way
        // every time.
        .with_map_type("::std::collections::BTreeMap")
        .with_hooks(progenitor::HooksMode::Expected);
    for def in &model.enums {
        settings.with_replacement(
            &def.name,
            format!("{OPEN_ENUM_MODULE}::{}", def.name),
            [
                TypeImpl::Display,
                TypeImpl::FromStr,
                TypeImpl::FromStringIrrefutable,
            ]
            .into_iter(),
        );
    }
    // `#[non_exhaustive]`: a new optional field is then a minor change for
    // services. `serde(crate)`: the derives use `pinelabs-api`'s serde path,
    // serde itself except that a struct skipping an unknown field tells the
    // drift monitor (see `pinelabs_api::drift`).
    let mut object_patch = TypePatch::default();
    object_patch.with_attr("#[non_exhaustive]");
    object_patch.with_attr(format!("#[serde(crate = \"{SERDE_PATH}\")]"));
    for object in &model.objects {
        settings.with_patch(object, &object_patch);
    }
    settings.with_conversion(
        schemars::schema::SchemaObject {
            instance_type: Some(schemars::schema::InstanceType::String.into()),
            format: Some("date-time".to_owned()),
            ..Default::default()
        },
        TIMESTAMP_TYPE,
        [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
    );
    settings
}

/// The generated source files of `pinelabs-api`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    /// progenitor's client and types (`client.rs`).
    pub client: String,
    /// The open enums (`open_enums.rs`).
    pub open_enums: String,
    /// The spec's facts (`spec_data.rs`).
    pub spec_data: String,
}

impl Generated {
    /// Each file's name and content.
    pub fn files(&self) -> [(&'static str, &str); 3] {
        [
            ("client.rs", &self.client),
            ("open_enums.rs", &self.open_enums),
            ("spec_data.rs", &self.spec_data),
        ]
    }

    /// All files in one text, each under a `// ==== file: NAME ====` line:
    /// what the snapshot holds.
    pub fn combined(&self) -> String {
        self.files()
            .iter()
            .map(|(name, body)| format!("// ==== file: {name} ====\n{body}"))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Generates the formatted sources from the spec at `spec`.
///
/// Every file starts with a preamble that says it is generated and how to
/// regenerate it.
pub fn generate(spec: &Path) -> Result<Generated, Error> {
    let json = load_json(spec)?;
    generate_from(&json)
}

/// Generates the formatted sources from the JSON form of a spec.
pub fn generate_from(spec: &serde_json::Value) -> Result<Generated, Error> {
    let model = Model::read(spec)?;
    let openapi: openapiv3::OpenAPI =
        serde_json::from_value(model.spec.clone()).map_err(|e| Error::Parse {
            path: PathBuf::from("(hoisted spec)"),
            message: e.to_string(),
        })?;
    let mut generator = Generator::new(&settings(&model));
    let tokens = generator
        .generate_tokens(&openapi)
        .map_err(|e| Error::Generate(e.to_string()))?;
    let mut file: syn::File = syn::parse2(tokens).map_err(|e| Error::Format(e.to_string()))?;
    emit::order_serde_attrs(&mut file.items);
    emit::add_aliases(&mut file, &model)?;
    let client = format!("{PREAMBLE}{}", prettyplease::unparse(&file));
    if let Some(name) = closed_enum(&client) {
        return Err(Error::Unsupported(format!(
            "progenitor generated the closed enum `{name}`; every enum must be open"
        )));
    }
    let (invocations, registry) = emit::open_enums(&model)?;
    let open_enums = format(registry)?.replacen(PREAMBLE, &format!("{PREAMBLE}{invocations}"), 1);
    Ok(Generated {
        client,
        open_enums,
        spec_data: format(emit::spec_data(&model))?,
    })
}

/// The first `pub enum` in generated types: one the open-enum replacement
/// missed (a closed enum would fail to decode an unknown value).
fn closed_enum(source: &str) -> Option<&str> {
    source.lines().find_map(|line| {
        line.trim_start()
            .strip_prefix("pub enum ")
            .and_then(|rest| rest.split([' ', '<', '{']).next())
    })
}

fn format(tokens: proc_macro2::TokenStream) -> Result<String, Error> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| Error::Format(e.to_string()))?;
    Ok(format!("{PREAMBLE}{}", prettyplease::unparse(&file)))
}

/// The comment every generated file starts with.
pub const PREAMBLE: &str = "\
// @generated by pinelabs-codegen from openapi/pinelabs-online.yaml.
// Do not edit by hand: change the spec or the generator settings, then run
// `cargo xtask codegen` and review the snapshot diff.

";
