//! Project automation, reached through `cargo xtask <command>`.
//!
//! * `codegen`: regenerate the client source and update its insta snapshot
//!   (`xtask/snapshots/pinelabs_api.snap`), so that a spec change shows up as
//!   a reviewable diff;
//! * `codegen --check`: fail with a unified diff when the snapshot is stale;
//! * `lint`: check the spec (OpenAPI 3.0, examples valid, operation ids,
//!   shared error schema) and run Redocly with the committed ruleset;
//! * `loc`: the code lines of the library code services compile, per
//!   crate, within their budgets (also part of `lint`);
//! * `semver`: the semver verdict of the working tree against the last
//!   release (cargo-semver-checks, pinned and installed by the project);
//! * `adopt`: the findings of `pinelabs spec-check` made into a spec edit,
//!   a regenerated snapshot, a version bump by the semver verdict and a
//!   CHANGELOG entry, as one uncommitted change (see [`adopt`]);
//! * `drill`: drift adopted by `adopt` from the sandbox (three cases), then
//!   additive and breaking spec edits, on a scratch git checkout of the
//!   repository: regenerated, built and judged by `semver`;
//! * `package`: `cargo package --workspace`, and an outside crate built and
//!   tested against the `.crate` files alone;
//! * `tls`: the non-default TLS features of `pinelabs` build, pass their
//!   tests and keep `aws-lc-sys` out;
//! * `ci`: everything CI runs, in order.
//!
//! xtask depends only on what generation needs (`pinelabs-codegen`), so
//! `cargo xtask codegen` still builds when a spec change leaves the wrapper
//! or the sandbox not compiling. The contract and schemathesis runs live in
//! `crates/pinelabs-conformance`; `ci` builds that binary with the
//! workspace's feature set (`cmd::workspace_bin`) and runs it.
//!
//! The functions live in this library so that tests can run them on
//! temporary copies of the spec.
//!
//! # Layers
//!
//! Each module imports only from the modules on the lines below its own
//! (checked by `cargo xtask lint`, see [`source`]):
//!
//! ```text
//! ci                     everything CI runs, in order
//! drill package          the regeneration drill; the packaged crates
//! adopt                  drift findings into a versioned spec change
//! semver                 the semver verdict
//! codegen lint source    snapshot; spec lint; source lint
//! cmd schemas yaml_edit  paths, cargo, the conformance tools; the spec's JSON Schemas; YAML edits
//! ```

#![deny(missing_docs)]

pub mod adopt;
pub mod ci;
pub mod cmd;
pub mod codegen;
pub mod drill;
pub mod lint;
pub mod package;
pub mod schemas;
pub mod semver;
pub mod source;
pub mod yaml_edit;

pub use cmd::{cargo_bin, cargo_in, cargo_tests_in, in_ci, passed_in, root, spec_path};
