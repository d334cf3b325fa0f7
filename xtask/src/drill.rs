//! `cargo xtask drill`: proves that a spec change reaches services as a
//! correctly versioned release, with no hand edit.
//!
//! On a scratch copy of the repository (the files git tracks or would
//! track, so uncommitted work is included), built in `target/drill`:
//!
//! 1. **Additive edit** of the scratch spec: a new value of an existing enum
//!    (`TokenStatus: PROVISIONING`), a new optional response field with an
//!    inline enum (`CustomerToken.card_brand: [A, B]`), and a new operation
//!    (`GET /api/v1/customer/{customer_id}/tokens/{token_id}`,
//!    `get_customer_token`, as in Pine Labs' Go SDK). Then the project's own
//!    `cargo xtask codegen`, `cargo build --workspace --all-targets`
//!    (sandbox, CLI and tests included), a probe test dropped into the
//!    scratch copy (`xtask/drill/probe.rs`: the new variant is known, the
//!    inline enum is open, the new operation is callable through
//!    `client.api()` with the bearer token, `Request-ID` and a retry after a
//!    503), and `cargo xtask semver`, which must call it **minor** and pass.
//! 2. **Shared target dir**: this checkout, built into the same target dir
//!    right after the scratch copy, must get its own generated code back (no
//!    `get_customer_token`), and the scratch copy its own.
//! 3. **Breaking edit**: a response field removed
//!    (`AdditionalErrorDetails.reason`). `cargo xtask codegen` must still
//!    work although a hand-written test that reads the field no longer
//!    compiles, and `semver` must call it **major** and fail.
//!
//! No file outside the scratch copy is written, except build output in
//! `target/drill`.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, ensure};
use serde_json::{Value, json};

use crate::{
    cargo_bin, cargo_in, root,
    semver::{self, Level},
};

/// The probe test copied into the scratch copy after the additive edit.
pub const PROBE: &str = include_str!("../drill/probe.rs");

/// The additive edit: a new enum value, a new optional field with an inline
/// enum, a new operation.
pub fn additive(spec: &mut Value) -> anyhow::Result<()> {
    let schemas = spec
        .pointer_mut("/components/schemas")
        .context("no components/schemas")?;
    schemas["TokenStatus"]["enum"]
        .as_array_mut()
        .context("TokenStatus has no enum")?
        .push(json!("PROVISIONING"));
    schemas["CustomerToken"]["properties"]["card_brand"] = json!({
        "description": "Brand of the card (drill).",
        "type": "string",
        "enum": ["A", "B"],
        "nullable": true
    });
    let list = spec
        .pointer("/paths/~1api~1v1~1customer~1{customer_id}~1tokens/get")
        .cloned()
        .context("no list operation")?;
    let mut get = list;
    get["operationId"] = json!("get_customer_token");
    get["summary"] = json!("Get one of a customer's tokens");
    get["description"] = json!("Returns one token of the customer.");
    get["parameters"] = json!([
        {"$ref": "#/components/parameters/CustomerId"},
        {"$ref": "#/components/parameters/TokenId"},
        {"$ref": "#/components/parameters/RequestId"},
        {"$ref": "#/components/parameters/RequestTimestamp"}
    ]);
    get["responses"]["200"] = json!({
        "description": "The token.",
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/CustomerToken"}}}
    });
    spec["paths"]["/api/v1/customer/{customer_id}/tokens/{token_id}"] = json!({ "get": get });
    Ok(())
}

/// The breaking edit: a response field removed.
pub fn breaking(spec: &mut Value) -> anyhow::Result<()> {
    spec.pointer_mut("/components/schemas/AdditionalErrorDetails/properties")
        .and_then(Value::as_object_mut)
        .context("no AdditionalErrorDetails")?
        .remove("reason")
        .context("AdditionalErrorDetails has no `reason`")?;
    Ok(())
}

/// Copies the files git tracks or would track (symlinks kept) to `to`.
pub fn copy_checkout(from: &Path, to: &Path) -> anyhow::Result<()> {
    let listed = Command::new("git")
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .current_dir(from)
        .output()
        .context("cannot run git ls-files")?;
    ensure!(listed.status.success(), "git ls-files failed");
    for name in listed.stdout.split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name = String::from_utf8_lossy(name);
        let (src, dst) = (from.join(&*name), to.join(&*name));
        let Ok(meta) = std::fs::symlink_metadata(&src) else {
            continue; // deleted in the work tree
        };
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent)?;
        }
        if meta.file_type().is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src)?, &dst)?;
        } else {
            std::fs::copy(&src, &dst).with_context(|| format!("copying {name}"))?;
        }
    }
    Ok(())
}

/// Rewrites the spec of the checkout at `dir` with `edit` (as JSON, which
/// is YAML).
fn edit_spec(dir: &Path, edit: fn(&mut Value) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let path = dir.join("openapi/pinelabs-online.yaml");
    let mut spec = pinelabs_codegen::load_json(&path)?;
    edit(&mut spec)?;
    std::fs::write(&path, serde_json::to_string_pretty(&spec)?)?;
    Ok(())
}

/// `cargo xtask codegen` in `dir`, writing (CI would only check).
fn regenerate(dir: &Path, target: &Path) -> anyhow::Result<()> {
    println!("==> (scratch) cargo xtask codegen");
    let status = Command::new(cargo_bin())
        .args(["xtask", "codegen"])
        .current_dir(dir)
        .env_remove("CI")
        .env("CARGO_TARGET_DIR", target)
        .status()
        .context("cannot run cargo xtask codegen")?;
    ensure!(
        status.success(),
        "cargo xtask codegen failed in the scratch copy"
    );
    Ok(())
}

/// The generated client source of the checkout at `dir`, as built into
/// `target`: found through cargo's build-script report.
pub fn built_client_source(dir: &Path, target: &Path) -> anyhow::Result<String> {
    let out = Command::new(cargo_bin())
        .args(["build", "-p", "pinelabs-api", "--message-format=json"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .context("cannot run cargo build")?;
    ensure!(
        out.status.success(),
        "building pinelabs-api in {} failed",
        dir.display()
    );
    let out_dir = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .filter(|m| m["reason"] == "build-script-executed")
        .filter(|m| {
            m["package_id"]
                .as_str()
                .is_some_and(|id| id.contains("pinelabs-api"))
        })
        .find_map(|m| m["out_dir"].as_str().map(PathBuf::from))
        .context("cargo reported no build script run for pinelabs-api")?;
    Ok(std::fs::read_to_string(out_dir.join("client.rs"))?)
}

/// A scratch copy of the checkout, its target dir and the release it is
/// judged against.
struct Drill {
    repo: PathBuf,
    scratch: PathBuf,
    dir: PathBuf,
    target: PathBuf,
    release: semver::Release,
    baseline: PathBuf,
}

impl Drill {
    fn set_up() -> anyhow::Result<Self> {
        let repo = root();
        // A target dir of the drill's own: a scratch build must never become
        // what this checkout's next build or test reuses (cargo's freshness
        // check compares mtimes and cannot tell two checkouts apart).
        let target = std::path::absolute(semver::target_dir(&repo).join("drill"))?;
        let changelog = std::fs::read_to_string(repo.join("CHANGELOG.md"))?;
        let release = semver::last_release(&changelog)?;
        let baseline = semver::baseline_tree(&repo, &release.commit)?;
        let scratch = tempdir()?;
        let dir = scratch.join("checkout");
        copy_checkout(&repo, &dir)?;
        Ok(Self {
            repo,
            scratch,
            dir,
            target,
            release,
            baseline,
        })
    }

    fn cargo(&self, args: &[&str]) -> anyhow::Result<()> {
        let target = self.target.to_str().context("target dir is not UTF-8")?;
        cargo_in(&self.dir, args, &[("CARGO_TARGET_DIR", target)])
    }

    fn judge(&self) -> anyhow::Result<semver::Verdict> {
        semver::judge(
            &self.dir,
            &self.baseline,
            self.release.clone(),
            &self.target,
        )
    }

    /// Drill 1: an additive edit regenerates, builds and is minor.
    fn additive(&self) -> anyhow::Result<()> {
        println!("==> drill 1: additive spec edit, zero hand edits");
        edit_spec(&self.dir, additive)?;
        regenerate(&self.dir, &self.target)?;
        self.cargo(&["build", "--workspace", "--all-targets"])?;
        std::fs::write(self.dir.join("crates/pinelabs/tests/drill_probe.rs"), PROBE)?;
        self.cargo(&["test", "-p", "pinelabs", "--test", "drill_probe"])?;
        let verdict = self.judge()?;
        ensure!(
            verdict.required == Level::Minor,
            "the additive edit should be minor, semver says {}",
            verdict.required
        );
        verdict.into_result()
    }

    /// Drill 2: this checkout, sharing the target dir, builds its own spec.
    fn shared_target(&self) -> anyhow::Result<()> {
        println!("==> drill 2: this checkout, same target dir, builds from its own spec");
        let scratch_source = built_client_source(&self.dir, &self.target)?;
        let own_source = built_client_source(&self.repo, &self.target)?;
        ensure!(
            scratch_source.contains("get_customer_token"),
            "the scratch copy lost its operation"
        );
        ensure!(
            !own_source.contains("get_customer_token"),
            "this checkout built the scratch copy's generated code"
        );
        Ok(())
    }

    /// Drill 3: a breaking edit still regenerates, and is major.
    fn breaking(&self) -> anyhow::Result<()> {
        println!("==> drill 3: breaking spec edit");
        edit_spec(&self.dir, breaking)?;
        regenerate(&self.dir, &self.target)?;
        // Regeneration worked although hand-written code no longer compiles
        // (pinelabs-api's tests read the removed field): xtask needs only the
        // generator.
        let tests_build = Command::new(cargo_bin())
            .args(["check", "-p", "pinelabs-api", "--tests", "--quiet"])
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .status()?;
        ensure!(
            !tests_build.success(),
            "the breaking edit should leave a hand-written test not compiling"
        );
        let verdict = self.judge()?;
        ensure!(
            verdict.required == Level::Major,
            "removing a response field should be major, semver says {}",
            verdict.required
        );
        ensure!(
            verdict.into_result().is_err(),
            "a major change must fail against an unchanged version"
        );
        Ok(())
    }
}

/// Runs the whole drill.
pub fn run() -> anyhow::Result<()> {
    let drill = Drill::set_up()?;
    drill.additive()?;
    drill.shared_target()?;
    drill.breaking()?;
    let _ = std::fs::remove_dir_all(&drill.scratch);
    println!(
        "drill: additive = minor with zero hand edits, breaking = major, shared target dir ok"
    );
    Ok(())
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("pinelabs-drill-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
