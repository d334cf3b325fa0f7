//! `cargo xtask drill`: proves that a spec change reaches services as a
//! correctly versioned release, with no hand edit.
//!
//! On a scratch copy of the repository (the files git tracks or would
//! track, so uncommitted work is included), built in this checkout's target
//! dir (so the third-party crates are compiled once for both; drill 3 below
//! is the proof that sharing it is safe for the path crates too):
//!
//! 1. **Spec drift, the maintainer's loop**: `pinelabs spec-check` against
//!    the scratch copy's embedded sandbox drifting with an extra field must
//!    find it and print a YAML fragment; the fragment, pasted as printed
//!    under the location it names in the scratch spec ([`paste_under`]),
//!    must regenerate with `cargo xtask codegen`, and the same check must
//!    then find nothing.
//! 2. **Additive edit** of the scratch spec: a new value of an existing enum
//!    (`TokenStatus: PROVISIONING`), a new optional response field with an
//!    inline enum (`CustomerToken.card_brand: [A, B]`), and a new operation
//!    (`GET /api/v1/customer/{customer_id}/tokens/{token_id}`,
//!    `get_customer_token`, as in Pine Labs' Go SDK). Then the project's own
//!    `cargo xtask codegen`, `cargo build --workspace --all-targets`
//!    (sandbox, CLI and tests included), a probe test dropped into the
//!    scratch copy (`xtask/drill/probe.rs`: the new variant is known, the
//!    inline enum is open, the new operation is callable through
//!    `client.api()` with the bearer token, `Request-ID` and a retry after a
//!    503), and the semver verdict against an unedited copy of this
//!    checkout (same version), which must call it **minor** and pass.
//! 3. **Shared target dir**: this checkout, built into the same target dir
//!    right after the scratch copy, must get its own generated code back (no
//!    `get_customer_token`), and the scratch copy its own.
//! 4. **Breaking edit**: a response field removed
//!    (`AdditionalErrorDetails.reason`). `cargo xtask codegen` must still
//!    work although a hand-written test that reads the field no longer
//!    compiles, and `semver` must call it **major** and fail.
//!
//! No file outside the scratch copy is written, except build output in the
//! target dir. This checkout's next build rebuilds its own path crates
//! (drill 3 checks that it gets its own generated code back).

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

/// `yaml` with `fragment` pasted under the mapping at `location`
/// (`components/schemas/CardData/properties`): right after that key's line,
/// indented as its first child. What a maintainer does with the fragment
/// `pinelabs spec-check` prints.
pub fn paste_under(yaml: &str, location: &str, fragment: &str) -> anyhow::Result<String> {
    let lines: Vec<&str> = yaml.lines().collect();
    let (mut at, mut indent) = (0, None::<usize>);
    for key in location.split('/') {
        let wanted = format!("{key}:");
        let found = lines.iter().enumerate().skip(at).find(|(_, line)| {
            let depth = line.len() - line.trim_start().len();
            line.trim_start() == wanted && indent.is_none_or(|parent| depth > parent)
        });
        let (i, line) = found.with_context(|| format!("no `{key}:` under {location}"))?;
        (at, indent) = (i + 1, Some(line.len() - line.trim_start().len()));
    }
    let parent = indent.context("empty location")?;
    let child = lines
        .get(at)
        .map(|l| l.len() - l.trim_start().len())
        .filter(|&d| d > parent)
        .unwrap_or(parent + 2);
    let pasted = fragment
        .lines()
        .map(|l| format!("{}{l}", " ".repeat(child)));
    let out: Vec<String> = lines[..at]
        .iter()
        .map(|l| (*l).to_owned())
        .chain(pasted)
        .chain(lines[at..].iter().map(|l| (*l).to_owned()))
        .collect();
    Ok(out.join("\n") + "\n")
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

/// A scratch copy of the checkout, its target dir, and the unedited copy
/// (and its version) the edits are judged against.
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
        // This checkout's target dir: the third-party crates are compiled
        // once for both. The path crates of the two checkouts share
        // artifact names, and cargo rebuilds each checkout's own when it
        // switches (drill 3 proves it on the generated code).
        let target = std::path::absolute(semver::target_dir(&repo))?;
        // The edits are judged against this checkout as it is, not the last
        // release: unreleased work (a breaking change already bumped in
        // Cargo.toml) must not colour the verdict of the drill's own edit.
        // Same version, so an additive edit is allowed and a major one not.
        let release = semver::Release {
            version: semver::workspace_version(&repo)?,
            commit: "this checkout (uncommitted work included)".into(),
        };
        let scratch = tempdir()?;
        let baseline = scratch.join("baseline");
        copy_checkout(&repo, &baseline)?;
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

    /// Drill 2: an additive edit regenerates, builds and is minor.
    fn additive(&self) -> anyhow::Result<()> {
        println!("==> drill 2: additive spec edit, zero hand edits");
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

    /// Drill 3: this checkout, sharing the target dir, builds its own spec.
    fn shared_target(&self) -> anyhow::Result<()> {
        println!("==> drill 3: this checkout, same target dir, builds from its own spec");
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

    /// `pinelabs spec-check --json` against the scratch copy's embedded
    /// sandbox drifting with an extra field: its exit code and report.
    fn spec_check(&self) -> anyhow::Result<(i32, Value)> {
        let out = Command::new(cargo_bin())
            .args([
                "run",
                "-q",
                "-p",
                "pinelabs-cli",
                "--",
                "spec-check",
                "--json",
            ])
            .args([
                "--sandbox",
                "--drift",
                "extra-field",
                "cust-v1-0811030624-aa-RBDgpR",
            ])
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .output()
            .context("cannot run pinelabs spec-check")?;
        let report = serde_json::from_slice(&out.stdout).with_context(|| {
            format!(
                "spec-check printed no JSON: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })?;
        Ok((out.status.code().unwrap_or(-1), report))
    }

    /// Drill 1: a drift finding's fragment, pasted into the YAML as printed,
    /// regenerates and ends the finding (first: the other drills rewrite
    /// the scratch spec as JSON).
    fn drift(&self) -> anyhow::Result<()> {
        println!("==> drill 1: spec-check finds drift; its fragment, pasted, regenerates");
        let (code, report) = self.spec_check()?;
        let finding = &report["findings"][0];
        ensure!(
            code == 4 && finding["path"] == "tokens[].card_data.tokenised_by",
            "spec-check should report the extra field (exit 4), got {code}: {report}"
        );
        let location = finding["spec_location"]
            .as_str()
            .context("no spec_location")?;
        let fragment = finding["spec_edit"].as_str().context("no spec_edit")?;
        let path = self.dir.join("openapi/pinelabs-online.yaml");
        let yaml = paste_under(&std::fs::read_to_string(&path)?, location, fragment)?;
        std::fs::write(&path, yaml)?;
        regenerate(&self.dir, &self.target)?;
        let (code, report) = self.spec_check()?;
        ensure!(
            code == 0 && report["findings"] == json!([]),
            "after the pasted edit spec-check should find nothing, got {code}: {report}"
        );
        Ok(())
    }

    /// Drill 4: a breaking edit still regenerates, and is major.
    fn breaking(&self) -> anyhow::Result<()> {
        println!("==> drill 4: breaking spec edit");
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
    drill.drift()?;
    drill.additive()?;
    drill.shared_target()?;
    drill.breaking()?;
    let _ = std::fs::remove_dir_all(&drill.scratch);
    println!(
        "drill: additive = minor with zero hand edits, a drift finding's fragment regenerates and ends the finding, breaking = major, shared target dir ok"
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
