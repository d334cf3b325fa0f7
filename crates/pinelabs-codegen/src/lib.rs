//! The single code generator of the project.
//!
//! [`generate`] turns the OpenAPI document at `openapi/pinelabs-online.yaml`
//! into formatted Rust source. It is called from two places:
//!
//! * `crates/pinelabs-api/build.rs`, which writes the source into `OUT_DIR`
//!   where the crate `include!`s it;
//! * `cargo xtask codegen`, which snapshots the same source with insta so that
//!   a spec change shows up as a reviewable diff.
//!
//! Because both call the same function with the same [`settings`], the
//! snapshot is byte-for-byte the code that compiles.
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
//!
//! ```
//! let source = pinelabs_codegen::generate(&pinelabs_codegen::spec_path()).unwrap();
//! assert!(source.contains("pub struct Client"));
//! ```

#![deny(missing_docs)]

use std::path::{Path, PathBuf};

#[cfg(feature = "validate")]
pub mod validate;

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use quote::quote;

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
    /// progenitor rejected the spec.
    #[error("progenitor cannot generate a client from the spec: {0}")]
    Generate(String),
    /// The generated tokens are not valid Rust (a generator bug).
    #[error("the generated code does not parse as Rust: {0}")]
    Format(String),
}

/// The path of the spec in this repository, `openapi/pinelabs-online.yaml`.
pub fn spec_path() -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = crate_dir.ancestors().nth(2).unwrap_or(crate_dir);
    root.join("openapi/pinelabs-online.yaml")
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

/// Reads the YAML spec into progenitor's OpenAPI model.
pub fn load_openapi(path: &Path) -> Result<openapiv3::OpenAPI, Error> {
    let value = load_json(path)?;
    serde_json::from_value(value).map_err(|e| Error::Parse {
        path: path.to_owned(),
        message: e.to_string(),
    })
}

/// The hand-written open enums that replace typify's closed enums.
///
/// Each entry is `(schema name, replacement path)`. The replacements live in
/// `pinelabs-api/src/open_enum.rs`; each keeps an unknown value as
/// `Unknown(String)` instead of failing to decode.
pub const OPEN_ENUMS: &[(&str, &str)] = &[
    ("TokenStatus", "crate::open_enum::TokenStatus"),
    ("PaymentMethod", "crate::open_enum::PaymentMethod"),
    ("CardType", "crate::open_enum::CardType"),
    ("CardCategory", "crate::open_enum::CardCategory"),
    ("DeletionStatus", "crate::open_enum::DeletionStatus"),
];

/// The hand-written type every `type: string, format: date-time` schema
/// becomes (in `pinelabs-api/src/timestamp.rs`): it parses ISO-8601 leniently
/// and keeps anything else as text instead of failing the whole response.
pub const TIMESTAMP_TYPE: &str = "crate::timestamp::Timestamp";

/// The one set of progenitor settings used by build.rs and xtask alike.
pub fn settings() -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
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
    for (schema, replacement) in OPEN_ENUMS {
        settings.with_replacement(
            schema,
            replacement,
            [
                TypeImpl::Display,
                TypeImpl::FromStr,
                TypeImpl::FromStringIrrefutable,
            ]
            .into_iter(),
        );
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

/// Generates the formatted client source from the spec at `spec`.
///
/// The output starts with a preamble that says it is generated and how to
/// regenerate it.
pub fn generate(spec: &Path) -> Result<String, Error> {
    let openapi = load_openapi(spec)?;
    generate_from(&openapi)
}

/// Generates the formatted client source from an already parsed spec.
pub fn generate_from(openapi: &openapiv3::OpenAPI) -> Result<String, Error> {
    let mut generator = Generator::new(&settings());
    let tokens = generator
        .generate_tokens(openapi)
        .map_err(|e| Error::Generate(e.to_string()))?;
    let file: syn::File = syn::parse2(tokens).map_err(|e| Error::Format(e.to_string()))?;
    let body = prettyplease::unparse(&file);
    Ok(format!("{PREAMBLE}{body}"))
}

/// The comment every generated file starts with.
pub const PREAMBLE: &str = "\
// @generated by pinelabs-codegen from openapi/pinelabs-online.yaml.
// Do not edit by hand: change the spec or the generator settings, then run
// `cargo xtask codegen` and review the snapshot diff.

";
