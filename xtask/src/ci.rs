//! `cargo xtask ci`: everything CI runs, in order, failing fast.

use crate::{codegen, lint, root, spec_path};

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> anyhow::Result<()> {
    crate::cargo_in(&root(), args, envs)
}

/// `cargo run -p pinelabs-conformance -- --root <root> <args>`: the
/// independent tools (Redocly, Prism, schemathesis).
pub fn conformance(args: &[&str]) -> anyhow::Result<()> {
    let root = root();
    let root = root.to_string_lossy();
    let mut all = vec![
        "run",
        "--quiet",
        "-p",
        "pinelabs-conformance",
        "--",
        "--root",
        &root,
    ];
    all.extend_from_slice(args);
    cargo(&all, &[])
}

/// Runs, in order: format check, clippy (`-D warnings`), spec lint (with
/// Redocly), the snapshot check, the whole test suite (doctests included),
/// the Prism contract tests, schemathesis against the sandbox, and rustdoc with warnings denied.
pub fn run() -> anyhow::Result<()> {
    cargo(&["fmt", "--all", "--", "--check"], &[])?;
    cargo(
        &[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ],
        &[],
    )?;
    println!("==> xtask lint");
    lint::run(&spec_path())?;
    println!("==> xtask codegen --check");
    codegen::check(&spec_path(), &codegen::snapshot_path())?;
    cargo(&["test", "--workspace"], &[])?;
    println!("==> xtask contract");
    conformance(&["contract"])?;
    println!("==> xtask schemathesis");
    conformance(&["schemathesis"])?;
    cargo(
        &["doc", "--workspace", "--no-deps"],
        &[("RUSTDOCFLAGS", "-D warnings")],
    )?;
    println!("==> ci: all green");
    Ok(())
}

/// `cargo xtask load`: the ignored load test, in release mode, with its report.
pub fn load() -> anyhow::Result<()> {
    cargo(
        &[
            "test",
            "--release",
            "-p",
            "pinelabs",
            "--test",
            "load",
            "--",
            "--ignored",
            "--nocapture",
        ],
        &[],
    )
}
