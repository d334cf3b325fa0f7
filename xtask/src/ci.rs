//! `cargo xtask ci`: everything CI runs, in order, failing fast.

use std::process::Command;

use anyhow::{Context, bail};

use crate::{codegen, lint, root};

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    println!("==> cargo {}", args.join(" "));
    let status = Command::new(cargo)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(root())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("`cargo {}` failed", args.join(" "));
    }
    Ok(())
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
    lint::run(&pinelabs_codegen::spec_path())?;
    println!("==> xtask codegen --check");
    codegen::check(&pinelabs_codegen::spec_path(), &codegen::snapshot_path())?;
    cargo(&["test", "--workspace"], &[])?;
    println!("==> xtask contract");
    crate::contract::run()?;
    println!("==> xtask schemathesis");
    crate::schemathesis::run()?;
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
