//! The xtask checks themselves: the stale-snapshot check and the spec lint
//! fail on broken input. Every test works on a temporary copy of the spec.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::PathBuf;
use std::process::Command;

use xtask::{codegen, lint};

fn real_spec() -> String {
    std::fs::read_to_string(xtask::spec_path()).expect("spec readable")
}

/// Writes `spec` into a fresh temporary directory and returns both.
fn temp_spec(spec: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("pinelabs-online.yaml");
    std::fs::write(&path, spec).expect("write temp spec");
    (dir, path)
}

/// Replaces exactly one line of the spec.
fn edit_one_line(spec: &str, from: &str, to: &str) -> String {
    assert_eq!(spec.matches(from).count(), 1, "`{from}` must occur once");
    spec.replacen(from, to, 1)
}

#[test]
fn unchanged_spec_passes_the_check() {
    let (_dir, spec) = temp_spec(&real_spec());
    assert_eq!(
        codegen::stale_diff(&spec, &codegen::snapshot_path()).expect("generates"),
        None
    );
}

#[test]
fn one_line_spec_change_makes_codegen_check_fail_with_a_diff() {
    let edited = edit_one_line(
        &real_spec(),
        "          description: Why the token has its current status.",
        "          description: Why the token is in its present state.",
    );
    let (_dir, spec) = temp_spec(&edited);
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["codegen", "--check", "--spec"])
        .arg(&spec)
        .output()
        .expect("xtask runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !output.status.success(),
        "check must fail on a stale snapshot"
    );
    assert!(
        stdout.contains("@@ "),
        "a unified diff is printed:\n{stdout}"
    );
    assert!(
        stdout.contains("-        ///Why the token has its current status."),
        "{stdout}"
    );
    assert!(
        stdout.contains("+        ///Why the token is in its present state."),
        "{stdout}"
    );
    // The real snapshot was not touched.
    assert_eq!(
        codegen::stale_diff(&xtask::spec_path(), &codegen::snapshot_path()).expect("generates"),
        None
    );
}

#[test]
fn snapshot_body_skips_the_insta_header() {
    let snap = "---\nsource: x.rs\n---\nline 1\nline 2\n";
    assert_eq!(codegen::snapshot_body(snap), Some("line 1\nline 2\n"));
    assert_eq!(codegen::snapshot_body("no header"), None);
}

fn lint_problems(spec: &str) -> Vec<String> {
    let (_dir, path) = temp_spec(spec);
    lint::check(&path).expect("parses").problems
}

#[test]
fn real_spec_lints_clean_and_checks_every_example() {
    let report = lint::check(&xtask::spec_path()).expect("parses");
    assert!(report.problems.is_empty(), "{:#?}", report.problems);
    assert_eq!(report.operations_checked, 3);
    // The API: 2 success + 1 request + 7 error responses + 4 parameters;
    // the token endpoint: 4 answer shapes + 1 request + 2 error responses.
    assert!(report.examples_checked >= 21, "{}", report.examples_checked);
}

#[test]
fn lint_rejects_an_example_that_does_not_match_its_schema() {
    let spec = edit_one_line(
        &real_spec(),
        r#""total_tokens": 1,"#,
        r#""total_tokens": "one","#,
    );
    let problems = lint_problems(&spec);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("total_tokens") && p.contains("example")),
        "{problems:#?}"
    );
}

#[test]
fn lint_rejects_a_bad_timestamp_in_an_example() {
    let spec = edit_one_line(
        &real_spec(),
        r#""expired_at": "2025-12-31T23:59:59.000000Z","#,
        r#""expired_at": "tomorrow","#,
    );
    assert!(
        lint_problems(&spec)
            .iter()
            .any(|p| p.contains("expired_at"))
    );
}

#[test]
fn lint_rejects_a_missing_operation_id() {
    let spec = edit_one_line(
        &real_spec(),
        "      operationId: delete_customer_token\n",
        "",
    );
    let problems = lint_problems(&spec);
    assert!(
        problems.iter().any(|p| p.contains("has no operationId")),
        "{problems:#?}"
    );
}

#[test]
fn lint_rejects_an_error_status_without_the_shared_schema() {
    let spec = edit_one_line(
        &real_spec(),
        "    NotFound:\n      description: The customer or the token does not exist.\n      content:\n        application/json:\n          schema:\n            $ref: '#/components/schemas/ErrorResponse'",
        "    NotFound:\n      description: The customer or the token does not exist.\n      content:\n        application/json:\n          schema:\n            $ref: '#/components/schemas/AdditionalErrorDetails'",
    );
    let problems = lint_problems(&spec);
    assert_eq!(
        problems
            .iter()
            .filter(|p| p.contains("status 404 must use the shared error schema"))
            .count(),
        2,
        "{problems:#?}"
    );
}

#[test]
fn lint_rejects_openapi_3_1() {
    let spec = edit_one_line(&real_spec(), "openapi: 3.0.3", "openapi: 3.1.0");
    assert!(lint_problems(&spec).iter().any(|p| p.contains("3.0.x")));
}
