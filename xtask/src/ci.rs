//! `cargo xtask ci`: everything CI runs, in order, failing fast.

use crate::{cmd::conformance, codegen, drill, lint, package, root, semver, source, spec_path};

fn cargo(args: &[&str], envs: &[(&str, &str)]) -> anyhow::Result<()> {
    crate::cargo_in(&root(), args, envs)
}

/// Each step's name, whether it passed and its seconds, in order.
static TIMES: std::sync::Mutex<Vec<(String, bool, f64)>> = std::sync::Mutex::new(Vec::new());

/// One named step of the run, timed.
fn step(name: &str, f: impl FnOnce() -> anyhow::Result<()>) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    println!("==> {name}");
    let result = f();
    let seconds = started.elapsed().as_secs_f64();
    let verdict = if result.is_ok() { "ok" } else { "FAILED" };
    println!("==> {name}: {verdict} in {seconds:.0} s");
    let mut times = TIMES.lock().unwrap_or_else(|e| e.into_inner());
    times.push((name.to_owned(), result.is_ok(), seconds));
    result
}

/// The table of step times and their total (the figure BENCHMARKS.md
/// quotes), in Markdown.
pub fn step_table(steps: &[(String, bool, f64)]) -> String {
    let mut table = String::from("| step | result | seconds |\n|---|---|---:|\n");
    for (name, ok, seconds) in steps {
        let result = if *ok { "ok" } else { "FAILED" };
        table.push_str(&format!("| {name} | {result} | {seconds:.0} |\n"));
    }
    let total: f64 = steps.iter().map(|(_, _, s)| s).sum();
    table.push_str(&format!("| **total** | | **{total:.0}** |\n"));
    table
}

/// Runs, in order: format check, clippy (`-D warnings`), the spec and
/// source lints (with Redocly), the snapshot check, the whole test suite
/// (doctests included) and the TLS variants, the Prism contract tests,
/// schemathesis against the sandbox, rustdoc with warnings denied, a stable
/// check of the fuzz target, the semver verdict, the packaging check and the
/// regeneration drill. Each step prints its time.
pub fn run() -> anyhow::Result<()> {
    let result = all_steps();
    let times = TIMES.lock().unwrap_or_else(|e| e.into_inner());
    println!("==> ci: step times\n{}", step_table(&times));
    result
}

fn all_steps() -> anyhow::Result<()> {
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
    let target = semver::target_dir(&root());
    step("xtask semver", || {
        semver::run(&root(), None, &target)?.into_result()
    })?;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_step_table_lists_each_step_and_the_total() {
        let steps = [
            ("fmt".to_owned(), true, 1.2),
            ("tests".to_owned(), false, 100.4),
        ];
        let table = step_table(&steps);
        assert_eq!(
            table,
            "| step | result | seconds |\n|---|---|---:|\n| fmt | ok | 1 |\n| tests | FAILED | 100 |\n| **total** | | **102** |\n"
        );
    }
}
