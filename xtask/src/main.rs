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
                check the OpenAPI spec, and the Rust sources: modules in
                layers, no function over 50 lines, code lines within budget
  loc [--files] code lines of the library code services compile, per crate
                (and file), within their budgets
  semver [--baseline-rev REV]
                the semver verdict against the last release in CHANGELOG.md
                (cargo-semver-checks); fails when Cargo.toml's version is
                too small a bump
  adopt [--findings FILE | SPEC-CHECK OPTIONS...]
                run `pinelabs spec-check --json` with the options (e.g.
                --env uat CUSTOMER_ID, or --sandbox --drift extra-field ID),
                or read its JSON from FILE, and adopt the drift: spec edit,
                snapshot, version bump by the semver verdict, CHANGELOG entry.
                Exit 0 no drift, 4 adopted, 1-3 spec-check's, 5 refused/failed
  drill         on a scratch git checkout: drift adopted from the sandbox
                (three cases, a second run, an injected failure), then
                additive and breaking spec edits: regenerated, built,
                tested and judged by `semver`
  package       cargo package --workspace, then an outside crate built and
                tested against the .crate files alone
  contract      the client and sandbox against Prism (mock and validating proxy)
  schemathesis  schemathesis (--checks all, fixed seed) against the standalone sandbox
  tls           builds and tests pinelabs with rustls-ring and with native-tls,
                and checks that neither pulls in aws-lc
  load          10,000 calls at concurrency 100 through the wrapper against the
                sandbox, clean and with injected faults
  ci            everything CI runs, in order
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("adopt") {
        return adopt(&args[1..]);
    }
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `cargo xtask adopt`: its own exit codes (see `xtask::adopt`).
fn adopt(args: &[String]) -> ExitCode {
    use xtask::adopt::{Adopt, EXIT_ADOPTED, Outcome, Source};
    let source = match flag_value(args, "--findings") {
        Some(file) => Source::File(file.into()),
        None => Source::SpecCheck(args.to_vec()),
    };
    match Adopt::new(&xtask::root()).run(&source) {
        Ok(Outcome::NoDrift) => {
            println!(
                "adopt: no drift: the spec already says what the live API answers; nothing changed"
            );
            ExitCode::SUCCESS
        }
        Ok(Outcome::AlreadyAdopted) => {
            println!("adopt: the spec already holds every finding's edit; nothing changed");
            ExitCode::SUCCESS
        }
        Ok(Outcome::Adopted(summary)) => {
            print!("{}", summary.text());
            ExitCode::from(EXIT_ADOPTED)
        }
        Err(failed) => {
            eprintln!("error: adopt: {failed}");
            ExitCode::from(failed.code)
        }
    }
}

fn flag_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn run(args: &[String]) -> anyhow::Result<()> {
    let spec = flag_value(args, "--spec")
        .map(PathBuf::from)
        .unwrap_or_else(xtask::spec_path);
    match args.first().map(String::as_str) {
        Some("codegen") if args.iter().any(|a| a == "--check") => {
            let snapshot = flag_value(args, "--snapshot")
                .map(PathBuf::from)
                .unwrap_or_else(codegen::snapshot_path);
            codegen::check(&spec, &snapshot)
        }
        Some("codegen") => codegen::update(),
        Some("lint") => {
            lint::run(&spec)?;
            xtask::source::run(&xtask::root())?;
            xtask::source::loc(&xtask::root(), false)
        }
        Some("loc") => xtask::source::loc(&xtask::root(), args.iter().any(|a| a == "--files")),
        Some("semver") => {
            let root = xtask::root();
            let target = xtask::semver::target_dir(&root);
            let verdict = xtask::semver::run(&root, flag_value(args, "--baseline-rev"), &target)?;
            verdict.into_result()
        }
        Some("drill") => xtask::drill::run(),
        Some("package") => xtask::package::run(),
        Some("contract") => xtask::cmd::conformance(&["contract"]),
        Some("schemathesis") => xtask::cmd::conformance(&["schemathesis"]),
        Some("tls") => xtask::ci::tls_variants().map(drop),
        Some("load") => xtask::ci::load(),
        Some("ci") => xtask::ci::run(),
        _ => {
            eprint!("{USAGE}");
            anyhow::bail!("unknown or missing command")
        }
    }
}
