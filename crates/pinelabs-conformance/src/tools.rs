//! The independent tools (Node and Python), installed by the project itself:
//! npm packages through `tools/package-lock.json`, Python packages pinned in
//! `tools/requirements.txt` into `.venv`.

use std::{
    path::{Path, PathBuf},
    process::{Command, Output},
};

use anyhow::{Context, bail};

use crate::root;

/// Fails with one line saying what to install when `program` is not on
/// PATH (instead of the raw "No such file or directory").
pub fn require(program: &str, install: &str) -> anyhow::Result<()> {
    match Command::new(program).arg("--version").output() {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            bail!("{program} is not installed: install {install}, then run this again")
        }
        _ => Ok(()),
    }
}

/// `tools/node_modules/.bin/<name>`, installing the npm tools with `npm ci`
/// from the committed lockfile when they are missing.
pub fn npm_bin(name: &str) -> anyhow::Result<PathBuf> {
    let tools = root().join("tools");
    let bin = tools.join("node_modules/.bin").join(name);
    if !bin.exists() {
        require(
            "npm",
            "Node.js 20 with npm (Debian: apt-get install nodejs npm)",
        )?;
        println!("==> npm ci (tools/package-lock.json)");
        let status = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&tools)
            .status()
            .context("cannot run npm: is Node.js 20 installed?")?;
        if !status.success() || !bin.exists() {
            bail!("`npm ci` in tools/ failed, so {name} is not available");
        }
    }
    Ok(bin)
}

/// `.venv/bin/<name>`, creating the venv and installing
/// `tools/requirements.txt` when it is missing.
pub fn venv_bin(name: &str) -> anyhow::Result<PathBuf> {
    let venv = root().join(".venv");
    let bin = venv.join("bin").join(name);
    if !bin.exists() {
        require(
            "python3",
            "Python 3.11 with venv and pip (Debian: apt-get install python3 python3-venv)",
        )?;
        println!("==> python3 -m venv .venv && pip install -r tools/requirements.txt");
        run_ok(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
        run_ok(
            Command::new(venv.join("bin/pip"))
                .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
                .arg(root().join("tools/requirements.txt")),
        )?;
        if !bin.exists() {
            bail!("{name} is not in .venv after pip install");
        }
    }
    Ok(bin)
}

fn run_ok(cmd: &mut Command) -> anyhow::Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("cannot run {cmd:?}"))?;
    if !status.success() {
        bail!("{cmd:?} failed with {status}");
    }
    Ok(())
}

/// Runs a tool with telemetry and update checks off, and captures its output.
pub fn capture(program: &Path, args: &[&str]) -> anyhow::Result<(bool, String)> {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(program)
        .args(args)
        .env("REDOCLY_TELEMETRY", "off")
        .env("REDOCLY_SUPPRESS_UPDATE_NOTICE", "true")
        .env("NO_COLOR", "1")
        .current_dir(root())
        .output()
        .with_context(|| format!("cannot run {}", program.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&stdout),
        String::from_utf8_lossy(&stderr)
    );
    Ok((status.success(), text))
}

/// Redocly's lint of the spec with the committed `redocly.yaml` ruleset:
/// zero errors and zero warnings.
pub fn redocly_lint(spec: &Path) -> anyhow::Result<()> {
    let redocly = npm_bin("redocly")?;
    let spec = spec.to_string_lossy();
    let (ok, out) = capture(
        &redocly,
        &[
            "lint",
            &spec,
            "--config",
            "redocly.yaml",
            "--format",
            "stylish",
        ],
    )?;
    let clean = ok && out.contains("Your API description is valid") && !out.contains("You have");
    if !clean {
        println!("{out}");
        bail!("redocly lint found problems in {spec}");
    }
    println!("lint: redocly (redocly.yaml ruleset): no errors, no warnings");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_missing_tool_is_one_line_saying_what_to_install() {
        let err = super::require("pinelabs-no-such-tool", "it from its vendor")
            .expect_err("not installed")
            .to_string();
        assert_eq!(
            err,
            "pinelabs-no-such-tool is not installed: install it from its vendor, then run this again"
        );
        assert!(super::require("cargo", "Rust").is_ok());
    }
}
