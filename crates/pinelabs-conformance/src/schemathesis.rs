//! `pinelabs-conformance schemathesis` (`cargo xtask schemathesis`): schemathesis (pinned in
//! `tools/requirements.txt`, installed into `.venv`) against a standalone
//! sandbox (`pinelabs sandbox --port N`), with every check and a fixed seed.

use std::process::Command;

use anyhow::{Context, bail};

use crate::{
    root,
    server::{Server, free_port},
    tools,
};

/// The fixed seed, so a failure reproduces.
pub const SEED: &str = "20261121";

/// Builds the CLI, starts the standalone sandbox and runs schemathesis.
///
/// The CLI is built as `cargo xtask` builds this binary (the whole
/// workspace, all targets: the test suite's feature set, so nothing is
/// compiled again) and found next to it.
pub fn run() -> anyhow::Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--workspace", "--all-targets"])
        .current_dir(root())
        .status()
        .context("cannot run cargo")?;
    if !status.success() {
        bail!("building the pinelabs CLI failed");
    }
    let cli = std::env::current_exe()
        .context("cannot find this binary's path")?
        .with_file_name("pinelabs");
    let st = tools::venv_bin("st")?;

    let port = free_port()?;
    let mut sandbox = Command::new(&cli);
    sandbox.args(["sandbox", "--port", &port.to_string()]);
    let sandbox = Server::spawn(sandbox, port, "sandbox")?;

    let spec = crate::spec_path();
    let report = std::env::temp_dir().join(format!("pinelabs-schemathesis-{port}"));
    let status = Command::new(st)
        .arg("--config-file")
        .arg(root().join("tools/schemathesis.toml"))
        .arg("run")
        .arg(&spec)
        .args(["--url", &sandbox.url()])
        .args(["--checks", "all"])
        .args(["--seed", SEED])
        .args(["--max-examples", "100"])
        .args(["--header", "Authorization: Bearer sandbox-access-token"])
        .arg("--report-dir")
        .arg(&report)
        .env("SCHEMATHESIS_TELEMETRY", "false")
        .env("NO_COLOR", "1")
        .current_dir(root())
        .status()
        .context("cannot run schemathesis")?;
    if !status.success() {
        bail!("schemathesis found problems (seed {SEED})");
    }
    println!("schemathesis: every check passed against the standalone sandbox (seed {SEED})");
    Ok(())
}
