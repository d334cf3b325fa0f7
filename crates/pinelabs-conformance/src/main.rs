//! `pinelabs-conformance --root DIR redocly|contract|schemathesis`: the spec,
//! the client and the sandbox checked by tools that know nothing of this
//! code (run by `cargo xtask lint` and `cargo xtask ci`, which pass the
//! checkout's root).
//!
//! * `redocly SPEC`: Redocly's lint with the committed ruleset;
//! * `contract`: the wrapper against Stoplight Prism (mock with the spec's
//!   examples, seeded dynamic mock, validating proxy in front of the sandbox);
//! * `schemathesis`: schemathesis with every check against the standalone
//!   sandbox.
//!
//! The tools are installed by the project itself (`tools/`): npm packages
//! from the lockfile, Python packages pinned, into `.venv`.
//!
//! It lives apart from `xtask` so that `cargo xtask codegen` builds only
//! what generation needs and still works when a spec change leaves the
//! wrapper or the sandbox not compiling.

#![deny(missing_docs)]

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
    sync::OnceLock,
};

mod contract;
mod schemathesis;
mod server;
mod tools;

static ROOT: OnceLock<PathBuf> = OnceLock::new();

/// The checkout's root, given with `--root`.
pub fn root() -> &'static Path {
    ROOT.get().map_or(Path::new("."), PathBuf::as_path)
}

/// The spec of the checkout.
pub fn spec_path() -> PathBuf {
    root().join("openapi/pinelabs-online.yaml")
}

const USAGE: &str = "usage: pinelabs-conformance --root DIR redocly SPEC|contract|schemathesis";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some("--root"), Some(root), Some(command)) = (
        args.first().map(String::as_str),
        args.get(1),
        args.get(2).map(String::as_str),
    ) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let _ = ROOT.set(PathBuf::from(root));
    let result = match (command, args.get(3)) {
        ("redocly", Some(spec)) => tools::redocly_lint(Path::new(spec)),
        ("contract", None) => contract::run(),
        ("schemathesis", None) => schemathesis::run(),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
