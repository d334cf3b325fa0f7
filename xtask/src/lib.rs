//! Project automation, reached through `cargo xtask <command>`.
//!
//! * `codegen`: regenerate the client source and update its insta snapshot
//!   (`xtask/snapshots/pinelabs_api.snap`), so that a spec change shows up as
//!   a reviewable diff;
//! * `codegen --check`: fail with a unified diff when the snapshot is stale;
//! * `lint`: check the spec (OpenAPI 3.0, examples valid, operation ids,
//!   shared error schema) and run Redocly with the committed ruleset;
//! * `semver`: the semver verdict of the working tree against the last
//!   release (cargo-semver-checks, pinned and installed by the project);
//! * `drill`: additive and breaking spec edits on a scratch copy of the
//!   repository, regenerated, built and judged by `semver`;
//! * `package`: `cargo package --workspace`, and an outside crate built and
//!   tested against the `.crate` files alone;
//! * `tls`: the non-default TLS features of `pinelabs` build, pass their
//!   tests and keep `aws-lc-sys` out;
//! * `ci`: everything CI runs, in order.
//!
//! xtask depends only on what generation needs (`pinelabs-codegen`), so
//! `cargo xtask codegen` still builds when a spec change leaves the wrapper
//! or the sandbox not compiling. The contract and schemathesis runs live in
//! `crates/pinelabs-conformance`; `ci` runs them with `cargo run`.
//!
//! The functions live in this library so that tests can run them on
//! temporary copies of the spec.

#![deny(missing_docs)]

pub mod ci;
pub mod codegen;
pub mod drill;
pub mod lint;
pub mod package;
pub mod semver;

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, bail};

/// The root of the checkout being worked on, found when the command runs
/// (never a path compiled in, which a shared target dir could carry over
/// from another checkout): the nearest directory above `CARGO_MANIFEST_DIR`
/// (set by `cargo run` and `cargo test`) or the current directory that holds
/// `openapi/pinelabs-online.yaml`.
pub fn root() -> PathBuf {
    let start = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::current_dir().ok())
        .unwrap_or_else(|| PathBuf::from("."));
    start
        .ancestors()
        .find(|dir| dir.join("openapi/pinelabs-online.yaml").is_file())
        .map(Path::to_path_buf)
        .unwrap_or(start)
}

/// The spec, `openapi/pinelabs-online.yaml` under [`root`].
pub fn spec_path() -> PathBuf {
    root().join("openapi/pinelabs-online.yaml")
}

/// Whether we run under CI (`CI=true` or `CI=1`), where nothing is written.
pub fn in_ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"))
}

/// The cargo running us (`CARGO`), or `cargo`.
pub fn cargo_bin() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

/// Runs `cargo args` in `dir` with `envs`, echoing the command; fails on a
/// non-zero exit.
pub fn cargo_in(dir: &Path, args: &[&str], envs: &[(&str, &str)]) -> anyhow::Result<()> {
    println!("==> cargo {}", args.join(" "));
    let status = Command::new(cargo_bin())
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir)
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("`cargo {}` failed", args.join(" "));
    }
    Ok(())
}
