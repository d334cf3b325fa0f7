//! Project automation, reached through `cargo xtask <command>`.
//!
//! * `codegen`: regenerate the client source and update its insta snapshot
//!   (`xtask/snapshots/pinelabs_api.snap`), so that a spec change shows up as
//!   a reviewable diff;
//! * `codegen --check`: fail with a unified diff when the snapshot is stale;
//! * `lint`: check the spec (OpenAPI 3.0, examples valid, operation ids,
//!   shared error schema) and run Redocly with the committed ruleset;
//! * `contract`: the client and sandbox against Stoplight Prism (mock and
//!   validating proxy);
//! * `schemathesis`: schemathesis with every check against a standalone
//!   sandbox;
//! * `ci`: everything CI runs, in order.
//!
//! The functions live in this library so that tests can run them on
//! temporary copies of the spec.

#![deny(missing_docs)]

pub mod ci;
pub mod codegen;
pub mod contract;
pub mod lint;
pub mod schemathesis;
pub mod server;
pub mod tools;

use std::path::{Path, PathBuf};

/// The repository root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Whether we run under CI (`CI=true` or `CI=1`), where nothing is written.
pub fn in_ci() -> bool {
    matches!(std::env::var("CI").as_deref(), Ok("true") | Ok("1"))
}
