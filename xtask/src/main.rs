//! `cargo xtask`: see the library docs for the commands.

use std::{path::PathBuf, process::ExitCode};

use xtask::{codegen, lint};

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  codegen [--check] [--spec PATH] [--snapshot PATH]
                regenerate the client and update its snapshot; with --check,
                fail with a unified diff when the snapshot is stale
  lint [--spec PATH]
                check the OpenAPI spec
  contract      the client and sandbox against Prism (mock and validating proxy)
  schemathesis  schemathesis (--checks all, fixed seed) against the standalone sandbox
  load          10,000 calls at concurrency 100 through the wrapper against the sandbox
  ci            everything CI runs, in order
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn flag_value(args: &[String], name: &str) -> Option<PathBuf> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from)
}

fn run(args: &[String]) -> anyhow::Result<()> {
    let spec = flag_value(args, "--spec").unwrap_or_else(pinelabs_codegen::spec_path);
    match args.first().map(String::as_str) {
        Some("codegen") if args.iter().any(|a| a == "--check") => {
            let snapshot = flag_value(args, "--snapshot").unwrap_or_else(codegen::snapshot_path);
            codegen::check(&spec, &snapshot)
        }
        Some("codegen") => codegen::update(),
        Some("lint") => lint::run(&spec),
        Some("contract") => xtask::contract::run(),
        Some("schemathesis") => xtask::schemathesis::run(),
        Some("load") => xtask::ci::load(),
        Some("ci") => xtask::ci::run(),
        _ => {
            eprint!("{USAGE}");
            anyhow::bail!("unknown or missing command")
        }
    }
}
