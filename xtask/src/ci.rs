//! `cargo xtask ci`: everything CI runs, in order, failing fast.

use crate::{cmd::conformance, codegen, drill, lint, package, root, semver, source, spec_path};

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> anyhow::Result<()> {
    crate::cargo_in(&root(), args, envs)
}

/// One named step of the run, timed.
fn step(name: &str, f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    println!("==> {name}");
    let result = f();
    println!(
        "==> {name}: {} in {:.0} s",
        if result.is_ok() { "ok" } else { "FAILED" },
        started.elapsed().as_secs_f64()
    );
    result
}

/// Runs, in order: format check, clippy (`-D warnings`), the spec and
/// source lints (with Redocly), the snapshot check, the whole test suite
/// (doctests included) and the TLS variants, the Prism contract tests,
/// schemathesis against the sandbox, rustdoc with warnings denied, a stable
/// check of the fuzz target, the semver verdict, the packaging check and the
/// regeneration drill. Each step prints its time.
pub fn run() -> anyhow::Result<()> {
    static_checks()?;
    let tests = tests()?;
    step("xtask contract", || conformance(&["contract"]))?;
    step("xtask schemathesis", || conformance(&["schemathesis"]))?;
    step("rustdoc", || {
        cargo(
            &["doc", "--workspace", "--no-deps"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
    })?;
    step("fuzz target (stable check)", fuzz_check)?;
    step("xtask semver", || semver::run(&root(), None)?.into_result())?;
    step("xtask package", package::run)?;
    step("xtask drill", drill::run)?;
    println!(
        "==> ci: all green; {tests} tests passed (the workspace suite and the TLS variants' unit tests)"
    );
    Ok(())
}

/// Format, clippy, the lints and the snapshot: what needs no test run.
fn static_checks() -> anyhow::Result<()> {
    step("fmt", || cargo(&["fmt", "--all", "--", "--check"], &[]))?;
    step("clippy", || {
        let deny = ["--", "-D", "warnings"];
        cargo(
            &[&["clippy", "--workspace", "--all-targets"][..], &deny].concat(),
            &[],
        )
    })?;
    step("xtask lint", || {
        lint::run(&spec_path())?;
        source::run(&root())?;
        source::loc(&root(), false)
    })?;
    step("xtask codegen --check", || {
        codegen::check(&spec_path(), &codegen::snapshot_path())
    })
}

/// The workspace suite and the TLS variants; the number of tests passed.
fn tests() -> anyhow::Result<u64> {
    let mut tests = 0;
    step("tests", || {
        tests += crate::cargo_tests_in(&root(), &["test", "--workspace"])?;
        Ok(())
    })?;
    step("TLS variants", || {
        tests += tls_variants()?;
        Ok(())
    })?;
    Ok(tests)
}

/// The fuzz target builds on stable (its own workspace, our target dir).
fn fuzz_check() -> anyhow::Result<()> {
    let manifest = root().join("fuzz").join("Cargo.toml");
    let target = root().join("target");
    cargo(
        &[
            "check",
            "--manifest-path",
            &manifest.to_string_lossy(),
            "--target-dir",
            &target.to_string_lossy(),
        ],
        &[],
    )
}

/// The non-default TLS choices of `pinelabs`: each builds and passes its
/// unit tests (an `https` client builds with that stack), and neither has
/// `aws-lc-sys` in its dependency tree.
pub fn tls_variants() -> anyhow::Result<u64> {
    let mut passed = 0;
    for feature in ["rustls-ring", "native-tls"] {
        let choice = [
            "-p",
            "pinelabs",
            "--no-default-features",
            "--features",
            feature,
        ];
        let mut test = vec!["test", "--lib"];
        test.extend_from_slice(&choice);
        passed += crate::cargo_tests_in(&root(), &test)?;
        let mut tree = vec!["tree", "-e", "normal,build", "--prefix", "none"];
        tree.extend_from_slice(&choice);
        let output = std::process::Command::new(crate::cargo_bin())
            .args(&tree)
            .current_dir(root())
            .output()?;
        anyhow::ensure!(output.status.success(), "cargo tree failed");
        let tree = String::from_utf8_lossy(&output.stdout);
        let aws: Vec<&str> = tree.lines().filter(|l| l.starts_with("aws-lc")).collect();
        anyhow::ensure!(aws.is_empty(), "`{feature}` still builds {aws:?}");
        println!("==> {feature}: builds, tests pass, no aws-lc in its tree");
    }
    Ok(passed)
}

/// `cargo xtask load`: the load tests (clean and chaos), in release mode, with their reports.
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
            "--include-ignored",
            "--nocapture",
        ],
        &[],
    )
}
