//! Running things: the checkout's paths, cargo, and the conformance tools
//! (`crates/pinelabs-conformance`, which installs the npm and pip tools).
//!
//! The bottom layer of xtask: nothing here imports another module.

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

/// Runs `cargo args` in `dir`, echoing the command and its output, and
/// returns the number of tests passed (from the `test result:` lines).
pub fn cargo_tests_in(dir: &Path, args: &[&str]) -> anyhow::Result<u64> {
    use std::io::{BufRead, BufReader};
    println!("==> cargo {}", args.join(" "));
    let mut child = Command::new(cargo_bin())
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .context("cannot run cargo")?;
    let mut passed = 0;
    if let Some(stdout) = child.stdout.take() {
        for line in BufReader::new(stdout).lines() {
            let line = line?;
            println!("{line}");
            passed += passed_in(&line);
        }
    }
    if !child.wait()?.success() {
        bail!("`cargo {}` failed", args.join(" "));
    }
    Ok(passed)
}

/// The passed count of a `test result: ok. N passed; ...` line, else 0.
pub fn passed_in(line: &str) -> u64 {
    line.strip_prefix("test result: ")
        .and_then(|rest| rest.split("; ").next())
        .and_then(|first| first.rsplit(' ').nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
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

/// Runs `cargo <args> --message-format=json-render-diagnostics` in `dir`
/// (with `envs`) and returns cargo's JSON messages. The build prints its
/// `Compiling` lines and diagnostics as any other.
pub fn cargo_messages(
    dir: &Path,
    args: &[&str],
    envs: &[(&str, &std::ffi::OsStr)],
) -> anyhow::Result<Vec<serde_json::Value>> {
    println!("==> cargo {}", args.join(" "));
    let out = Command::new(cargo_bin())
        .args(args)
        .arg("--message-format=json-render-diagnostics")
        .envs(envs.iter().copied())
        .current_dir(dir)
        .stderr(std::process::Stdio::inherit())
        .output()
        .context("cannot run cargo")?;
    if !out.status.success() {
        bail!("`cargo {}` failed in {}", args.join(" "), dir.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect())
}

/// The executable cargo reported building for the target `name`, among
/// [`cargo_messages`]: its test harness when `test` (a test target, or a
/// binary's unit tests under `--all-targets`, which share the target's
/// name), the binary itself otherwise.
pub fn executable(
    messages: &[serde_json::Value],
    name: &str,
    test: bool,
) -> anyhow::Result<PathBuf> {
    messages
        .iter()
        .filter(|m| m["reason"] == "compiler-artifact" && m["target"]["name"] == name)
        .filter(|m| m["profile"]["test"].as_bool() == Some(test))
        .find_map(|m| m["executable"].as_str().map(PathBuf::from))
        .with_context(|| format!("cargo built no executable `{name}` (test: {test})"))
}

/// Builds `cargo build --workspace <extra>` in `dir` (with `envs`) and
/// returns the path of the binary `bin`.
///
/// Why not `cargo run -p <package>`: `-p` resolves features for that
/// package alone, so tokio, hyper, reqwest and every path crate above them
/// were compiled a second time with a smaller feature set (and, under
/// `--quiet`, out of sight). The whole workspace's feature set is the one
/// `cargo build` and `cargo test` use, so these builds reuse theirs:
/// `extra = ["--all-targets"]` matches `cargo test --workspace` (its
/// dev-dependencies widen the features), `[]` matches `cargo build`.
pub fn workspace_bin(
    dir: &Path,
    extra: &[&str],
    envs: &[(&str, &std::ffi::OsStr)],
    bin: &str,
) -> anyhow::Result<PathBuf> {
    let mut args = vec!["build", "--workspace"];
    args.extend_from_slice(extra);
    executable(&cargo_messages(dir, &args, envs)?, bin, false)
}

/// `pinelabs-conformance --root <root> <args>`: the independent tools
/// (Redocly, Prism, schemathesis), built with the test suite's feature set
/// (see [`workspace_bin`]).
pub fn conformance(args: &[&str]) -> anyhow::Result<()> {
    let root = root();
    let exe = workspace_bin(&root, &["--all-targets"], &[], "pinelabs-conformance")?;
    println!(
        "==> pinelabs-conformance --root {} {}",
        root.display(),
        args.join(" ")
    );
    let status = Command::new(&exe)
        .arg("--root")
        .arg(&root)
        .args(args)
        .current_dir(&root)
        .status()
        .context("cannot run pinelabs-conformance")?;
    if !status.success() {
        bail!("`pinelabs-conformance {}` failed", args.join(" "));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn passed_counts_are_read_from_test_result_lines() {
        let line = "test result: ok. 17 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out";
        assert_eq!(super::passed_in(line), 17);
        assert_eq!(
            super::passed_in("test result: FAILED. 3 passed; 1 failed;"),
            3
        );
        assert_eq!(super::passed_in("running 17 tests"), 0);
    }

    /// Under `--all-targets` a binary and its unit-test harness share the
    /// target's name: the binary is the one without `profile.test`.
    #[test]
    fn a_binary_and_its_test_harness_are_told_apart() {
        let artifact = |test: bool, exe: &str| {
            serde_json::json!({
                "reason": "compiler-artifact",
                "target": { "name": "pinelabs-conformance" },
                "profile": { "test": test },
                "executable": exe,
            })
        };
        let messages = [
            serde_json::json!({ "reason": "build-script-executed" }),
            artifact(true, "/t/deps/pinelabs_conformance-1a2b"),
            artifact(false, "/t/pinelabs-conformance"),
        ];
        let bin = super::executable(&messages, "pinelabs-conformance", false).unwrap();
        assert_eq!(bin, std::path::Path::new("/t/pinelabs-conformance"));
        let harness = super::executable(&messages, "pinelabs-conformance", true).unwrap();
        assert_eq!(
            harness,
            std::path::Path::new("/t/deps/pinelabs_conformance-1a2b")
        );
        assert!(super::executable(&messages, "pinelabs", false).is_err());
    }
}
