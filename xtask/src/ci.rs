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

/// Runs, in order: format check, clippy (`-D warnings`), spec lint (with
/// Redocly), the snapshot check, the whole test suite (doctests included),
/// the Prism contract tests, schemathesis against the sandbox, rustdoc with
/// warnings denied, a stable check of the fuzz target, the semver verdict, the packaging check and the
/// regeneration drill. Each step prints its time.
pub fn run() -> anyhow::Result<()> {
    step("fmt", || cargo(&["fmt", "--all", "--", "--check"], &[]))?;
    step("clippy", || {
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
        )
    })?;
    step("xtask lint", || lint::run(&spec_path()))?;
    step("xtask codegen --check", || {
        codegen::check(&spec_path(), &codegen::snapshot_path())
    })?;
    let mut tests = 0;
    step("tests", || {
        tests += crate::cargo_tests_in(&root(), &["test", "--workspace"])?;
        Ok(())
    })?;
    step("TLS variants", || {
        tests += tls_variants()?;
        Ok(())
    })?;
    step("xtask contract", || conformance(&["contract"]))?;
    step("xtask schemathesis", || conformance(&["schemathesis"]))?;
    step("rustdoc", || {
        cargo(
            &["doc", "--workspace", "--no-deps"],
            &[("RUSTDOCFLAGS", "-D warnings")],
        )
    })?;
    step("fuzz target (stable check)", || {
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
    })?;
    step("xtask semver", || {
        crate::semver::run(&root(), None)?.into_result()
    })?;
    step("xtask package", crate::package::run)?;
    step("xtask drill", crate::drill::run)?;
    println!(
        "==> ci: all green; {tests} tests passed (the workspace suite and the TLS variants' unit tests)"
    );
    Ok(())
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
