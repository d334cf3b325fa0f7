//! `cargo xtask lint`: checks of the spec that a generator would not make.
//!
//! 1. It parses as an OpenAPI **3.0** document (progenitor rejects 3.1).
//! 2. Every `example` (and every `examples.*.value`) validates against its
//!    schema, with the `jsonschema` crate.
//! 3. Every operation has a unique `operationId`.
//! 4. Every 4xx/5xx response uses the shared `ErrorResponse` schema (the
//!    generator panics on differing error schemas).
//! 5. Redocly (`@redocly/cli`, pinned in `tools/package-lock.json`) with the
//!    committed `redocly.yaml` ruleset reports no error and no warning (run
//!    through `pinelabs-conformance`, which installs the npm tools).

use std::path::Path;

use crate::schemas::{SpecSchemas, load_openapi};
use anyhow::bail;
use serde_json::Value;

/// The shared error schema every error status must use.
pub const ERROR_SCHEMA_REF: &str = "#/components/schemas/ErrorResponse";

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// What the lint found.
#[derive(Debug, Default)]
pub struct Report {
    /// One line per problem; empty when the spec is clean.
    pub problems: Vec<String>,
    /// How many examples were validated.
    pub examples_checked: usize,
    /// How many operations were checked.
    pub operations_checked: usize,
}

/// Lints the spec at `spec` and prints the report; fails on any problem.
pub fn run(spec: &Path) -> anyhow::Result<()> {
    let report = check(spec)?;
    for problem in &report.problems {
        println!("lint: {problem}");
    }
    if !report.problems.is_empty() {
        bail!("{} problem(s) in {}", report.problems.len(), spec.display());
    }
    println!(
        "lint: {} is clean ({} operations, {} examples validated)",
        spec.display(),
        report.operations_checked,
        report.examples_checked
    );
    crate::cmd::conformance(&["redocly", &spec.to_string_lossy()])
}

/// Lints the spec at `spec`. Errors only when the file cannot be parsed at all.
pub fn check(spec: &Path) -> anyhow::Result<Report> {
    let json = pinelabs_codegen::load_json(spec)?;
    let mut report = Report::default();
    match json.get("openapi").and_then(Value::as_str) {
        Some(v) if v.starts_with("3.0.") => {}
        other => report
            .problems
            .push(format!("`openapi` must be 3.0.x, found {other:?}")),
    }
    if let Err(e) = load_openapi(spec) {
        report.problems.push(e.to_string());
    }
    let schemas = SpecSchemas::new(&json);
    check_examples(&schemas, &json, "#", &mut report);
    check_operations(&schemas, &json, &mut report);
    Ok(report)
}

/// Finds every object that carries a `schema` and an example (media types,
/// parameters) anywhere in the document.
fn check_examples(schemas: &SpecSchemas, node: &Value, at: &str, report: &mut Report) {
    match node {
        Value::Object(map) => {
            if let Some(schema) = map.get("schema") {
                let mut examples: Vec<(String, &Value)> = Vec::new();
                if let Some(example) = map.get("example") {
                    examples.push((format!("{at}/example"), example));
                }
                if let Some(Value::Object(named)) = map.get("examples") {
                    for (name, example) in named {
                        if let Some(value) = schemas.resolve(example).get("value") {
                            examples.push((format!("{at}/examples/{name}"), value));
                        }
                    }
                }
                for (where_, example) in examples {
                    report.examples_checked += 1;
                    if let Err(errors) = schemas.validate(schema, example) {
                        for error in errors {
                            report.problems.push(format!(
                                "example {where_} does not match its schema {error}"
                            ));
                        }
                    }
                }
            }
            for (key, child) in map {
                check_examples(schemas, child, &format!("{at}/{key}"), report);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                check_examples(schemas, child, &format!("{at}/{i}"), report);
            }
        }
        _ => {}
    }
}

fn check_operations(schemas: &SpecSchemas, json: &Value, report: &mut Report) {
    let mut seen_ids = std::collections::BTreeSet::new();
    let Some(Value::Object(paths)) = json.get("paths") else {
        report.problems.push("the spec has no `paths`".into());
        return;
    };
    for (path, item) in paths {
        for method in METHODS {
            let Some(operation) = item.get(*method) else {
                continue;
            };
            report.operations_checked += 1;
            let name = format!("{} {path}", method.to_uppercase());
            match operation.get("operationId").and_then(Value::as_str) {
                Some(id) if !id.is_empty() => {
                    if !seen_ids.insert(id.to_owned()) {
                        report
                            .problems
                            .push(format!("{name}: operationId `{id}` is used twice"));
                    }
                }
                _ => report.problems.push(format!("{name}: has no operationId")),
            }
            let Some(Value::Object(responses)) = operation.get("responses") else {
                report.problems.push(format!("{name}: has no responses"));
                continue;
            };
            for (status, response) in responses {
                let is_error =
                    status == "default" || status.starts_with('4') || status.starts_with('5');
                if !is_error {
                    continue;
                }
                let schema_ref = schemas
                    .resolve(response)
                    .pointer("/content/application~1json/schema/$ref")
                    .and_then(Value::as_str);
                if schema_ref != Some(ERROR_SCHEMA_REF) {
                    report.problems.push(format!(
                        "{name}: status {status} must use the shared error schema {ERROR_SCHEMA_REF}, found {schema_ref:?}"
                    ));
                }
            }
        }
    }
}
