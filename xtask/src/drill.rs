//! `cargo xtask drill`: proves that a spec change reaches services as a
//! correctly versioned release, with no hand edit.
//!
//! On a scratch copy of the repository (the files git tracks or would
//! track, so uncommitted work is included), built in this checkout's target
//! dir (so the third-party crates are compiled once for both; drill 3 below
//! is the proof that sharing it is safe for the path crates too):
//!
//! 1. **Spec drift, adopted** (`cargo xtask adopt` against the scratch
//!    copy's embedded sandbox drifting on purpose), once per case of
//!    [`ADOPTIONS`], each on top of the one before and committed, as
//!    releases follow each other: an extra field with an unknown enum
//!    value, an undocumented status (both additive), and a missing required
//!    field (breaking). Each must exit 4 and leave a spec changed in those
//!    lines only, a fresh snapshot (`cargo xtask codegen --check`), a
//!    workspace that builds, a spec-check that now finds nothing, the
//!    version the verdict needs over the release (minor: z; major: y; kept
//!    when the version already allows it) and a CHANGELOG entry naming the
//!    findings. A second run of the first case changes nothing, and a
//!    failure injected after the codegen step leaves the tree as it was.
//! 2. **Additive edit** of the scratch spec: a new value of an existing enum
//!    (`TokenStatus: PROVISIONING`), a new optional response field with an
//!    inline enum (`CustomerToken.card_brand: [A, B]`), and a new operation
//!    (`GET /api/v1/customer/{customer_id}/tokens/{token_id}`,
//!    `get_customer_token`, as in Pine Labs' Go SDK). Then the project's own
//!    `cargo xtask codegen`, a probe test dropped into the scratch copy
//!    and `cargo test --workspace --no-run` (sandbox, CLI and tests
//!    included; the probe's binary then run alone). The probe
//!    (`xtask/drill/probe.rs`) checks that the new variant is known, the
//!    inline enum is open, and the new operation is callable through
//!    `client.api()` with the bearer token, `Request-ID` and a retry after
//!    a 503. Last, the semver verdict against an unedited copy of this
//!    checkout (same version) must call it **minor** and pass.
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
    adopt::{self, Adopt, Source, Step},
    cargo_bin, cargo_in, root,
    semver::{self, Level},
    yaml_edit::changed_lines,
};

/// A drill 1 case: the sandbox's drift kinds, the verdict, and how many
/// spec lines the adoption removes and adds (every other line stays
/// byte-identical), with text the added lines must hold.
#[derive(Debug)]
pub struct Adoption {
    /// `--drift` kinds of the sandbox.
    pub drifts: &'static [&'static str],
    /// The verdict `cargo xtask adopt` must reach.
    pub level: Level,
    /// Spec lines removed and added.
    pub lines: (usize, usize),
    /// Text the added lines hold.
    pub marks: &'static [&'static str],
}

/// Drill 1's cases, one per finding kind adopt edits (the extra field and
/// the enum value come together: both are in the same answer).
pub const ADOPTIONS: &[Adoption] = &[
    Adoption {
        drifts: &["extra-field", "unknown-enum-value"],
        level: Level::Minor,
        lines: (1, 6),
        marks: &["tokenised_by:", "PAUSED"],
    },
    Adoption {
        drifts: &["undocumented-status"],
        level: Level::Minor,
        lines: (0, 6),
        marks: &["'409':", "ErrorResponse"],
    },
    Adoption {
        drifts: &["missing-field"],
        level: Level::Major,
        lines: (2, 1),
        marks: &["Missing from live answers"],
    },
];

/// The customer the drill's spec-check lists (the sandbox's seed).
const CUSTOMER: &str = "cust-v1-0811030624-aa-RBDgpR";

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
/// `target` for its test suite (`cargo test --workspace --no-run`, which
/// both checkouts have just built): found through cargo's build-script
/// report.
pub fn built_client_source(dir: &Path, target: &Path) -> anyhow::Result<String> {
    let messages = crate::cmd::cargo_messages(
        dir,
        &["test", "--workspace", "--no-run"],
        &[("CARGO_TARGET_DIR", target.as_os_str())],
    )?;
    let out_dir = messages
        .iter()
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

/// A scratch git checkout of this one, its target dir, and the commit
/// (and version) its edits are judged against.
struct Drill {
    repo: PathBuf,
    scratch: PathBuf,
    dir: PathBuf,
    target: PathBuf,
    release: semver::Release,
    /// The commit every drill starts from (the release recorded).
    start: String,
    baseline: PathBuf,
}

/// `git args` in `dir` (commits by "drill").
fn git(dir: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .args(["-c", "user.name=drill", "-c", "user.email=drill@invalid"])
        .args(args)
        .current_dir(dir)
        .output()
        .context("cannot run git")?;
    ensure!(
        out.status.success(),
        "git {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

impl Drill {
    fn set_up() -> anyhow::Result<Self> {
        let repo = root();
        // This checkout's target dir: the third-party crates are compiled
        // once for both. The path crates of the two checkouts share
        // artifact names, and cargo rebuilds each checkout's own when it
        // switches (drill 3 proves it on the generated code).
        let target = std::path::absolute(semver::target_dir(&repo))?;
        let scratch = tempdir()?;
        let dir = scratch.join("checkout");
        let release = scratch_checkout(&repo, &dir)?;
        let start = git(&dir, &["rev-parse", "HEAD"])?;
        let baseline = semver::baseline_tree(&dir, &release.commit, &target)?;
        Ok(Self {
            repo,
            scratch,
            dir,
            target,
            release,
            start,
            baseline,
        })
    }

    /// The scratch checkout back at its release commit (and the CHANGELOG
    /// record), dropping drill 1's adoptions.
    fn reset(&self) -> anyhow::Result<()> {
        git(&self.dir, &["reset", "-q", "--hard", &self.start])?;
        git(&self.dir, &["clean", "-q", "-fd"])?;
        Ok(())
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
        std::fs::write(self.dir.join("crates/pinelabs/tests/drill_probe.rs"), PROBE)?;
        // The whole test build, then the probe's binary alone: `cargo test
        // --test drill_probe` would resolve the build dependencies'
        // features apart and compile the code generator and every path
        // crate again.
        let messages = crate::cmd::cargo_messages(
            &self.dir,
            &["test", "--workspace", "--no-run"],
            &[("CARGO_TARGET_DIR", self.target.as_os_str())],
        )?;
        let probe = crate::cmd::executable(&messages, "drill_probe", true)?;
        println!("==> {}", probe.display());
        let status = Command::new(&probe)
            .current_dir(self.dir.join("crates/pinelabs"))
            .status()
            .context("cannot run the drill probe")?;
        ensure!(status.success(), "the drill probe failed: {status}");
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
    /// sandbox drifting in these ways: its exit code and report. The CLI is
    /// the one `cargo build --workspace` just built (see
    /// [`crate::cmd::workspace_bin`]).
    fn spec_check(&self, drifts: &[&str]) -> anyhow::Result<(i32, Value)> {
        let target = [("CARGO_TARGET_DIR", self.target.as_os_str())];
        let cli = crate::cmd::workspace_bin(&self.dir, &[], &target, "pinelabs")?;
        let out = Command::new(cli)
            .args(["spec-check", "--json"])
            .args(sandbox_args(drifts))
            .current_dir(&self.dir)
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

    /// `cargo xtask adopt` against the scratch copy's sandbox drifting
    /// in these ways: its exit code and stdout.
    fn adopt(&self, drifts: &[&str]) -> anyhow::Result<(i32, String)> {
        println!(
            "==> (scratch) cargo xtask adopt {}",
            sandbox_args(drifts).join(" ")
        );
        let out = Command::new(cargo_bin())
            .args(["xtask", "adopt"])
            .args(sandbox_args(drifts))
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .stderr(std::process::Stdio::inherit())
            .output()
            .context("cannot run cargo xtask adopt")?;
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        print!("{stdout}");
        Ok((out.status.code().unwrap_or(-1), stdout))
    }

    /// Drill 1: the cases of [`ADOPTIONS`] adopted one on top of the other,
    /// each committed as a reviewer would merge it (adopt refuses a dirty
    /// tree). Each case's drift is independent of the others', so every
    /// adoption meets the same findings as from a clean checkout, and the
    /// workspace the previous case built serves its spec-check: the path
    /// crates are compiled once per case, not twice.
    fn drift(&self) -> anyhow::Result<()> {
        for (i, case) in ADOPTIONS.iter().enumerate() {
            println!(
                "==> drill 1.{}: cargo xtask adopt, drift {}",
                i + 1,
                case.drifts.join(" + ")
            );
            self.adoption(case)?;
            if i == 0 {
                self.adopt_again(case)?;
            }
            git(
                &self.dir,
                &["commit", "-q", "--no-verify", "-am", "drill: adopted"],
            )?;
        }
        self.injected_failure()
    }

    /// One adoption and everything it must leave behind.
    fn adoption(&self, case: &Adoption) -> anyhow::Result<()> {
        let spec = self.dir.join(adopt::SPEC);
        let before = std::fs::read_to_string(&spec)?;
        let version_before = semver::workspace_version(&self.dir)?;
        let (code, summary) = self.adopt(case.drifts)?;
        ensure!(code == 4, "adopt should exit 4 (drift adopted), got {code}");
        let (removed, added) = changed_lines(&before, &std::fs::read_to_string(&spec)?);
        let added_text = added.join("\n");
        ensure!(
            (removed.len(), added.len()) == case.lines
                && case.marks.iter().all(|m| added_text.contains(m)),
            "the spec should change in {:?} lines holding {:?}; removed {removed:#?}, added {added:#?}",
            case.lines,
            case.marks
        );
        self.cargo(&["xtask", "codegen", "--check"])?;
        let (code, report) = self.spec_check(case.drifts)?;
        ensure!(
            code == 0 && report["findings"] == json!([]),
            "after adopt, spec-check should find nothing, got {code}: {report}"
        );
        let version = semver::workspace_version(&self.dir)?;
        let expected = adopt::next_version(&self.release.version, &version_before, case.level)?;
        let changelog = std::fs::read_to_string(self.dir.join("CHANGELOG.md"))?;
        let verdict = format!("Semver verdict **{}**", case.level);
        ensure!(
            version == expected && summary.contains(&verdict) && changelog.contains(&verdict),
            "expected {verdict} and version {expected}; Cargo.toml says {version}"
        );
        let mut findings = summary.lines().filter(|l| l.starts_with("- ")).peekable();
        ensure!(
            findings.peek().is_some() && findings.all(|l| changelog.contains(l)),
            "the CHANGELOG entry should name every finding of the summary:\n{summary}"
        );
        Ok(())
    }

    /// A second run against the same drift changes nothing and says so.
    fn adopt_again(&self, case: &Adoption) -> anyhow::Result<()> {
        let diff = git(&self.dir, &["diff"])?;
        let (code, stdout) = self.adopt(case.drifts)?;
        ensure!(
            code == 0 && stdout.contains("nothing changed"),
            "a second adopt should be a no-op (exit 0), got {code}"
        );
        ensure!(
            git(&self.dir, &["diff"])? == diff,
            "the second adopt changed the tree"
        );
        Ok(())
    }

    /// A failure injected after the codegen step leaves every file as it was.
    fn injected_failure(&self) -> anyhow::Result<()> {
        println!(
            "==> drill 1.{}: a failure after codegen restores the tree",
            ADOPTIONS.len() + 1
        );
        let findings = self.scratch.join("findings.json");
        let fragment = "drill_injected:\n  type: string\n  nullable: true\n";
        let report = json!({"findings": [{"message": "drill: an injected finding", "count": 1,
            "adopt": {"edit": "add_property", "schema": "CardData", "name": "drill_injected", "fragment": fragment}}]});
        std::fs::write(&findings, report.to_string())?;
        let mut run = Adopt::new(&self.dir);
        run.target = self.target.clone();
        run.after = Box::new(|step| match step {
            Step::Codegen => anyhow::bail!("injected after codegen"),
            _ => Ok(()),
        });
        let failed = run.run(&Source::File(findings));
        let message = failed.err().map(|f| f.message).unwrap_or_default();
        ensure!(
            message.contains("step `codegen` failed: injected after codegen"),
            "adopt should fail at the injected step, said {message:?}"
        );
        let status = git(&self.dir, &["status", "--porcelain"])?;
        ensure!(
            status.is_empty(),
            "the failed adopt left changes:\n{status}"
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
            // The workspace and all targets: the units clippy checked in
            // this target dir, so only the path crates are checked again.
            .args(["check", "--workspace", "--all-targets"])
            .current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .output()?;
        let errors = String::from_utf8_lossy(&tests_build.stderr);
        eprint!("{errors}");
        // Not any failure of the workspace: the one the removed field causes.
        ensure!(
            !tests_build.status.success()
                && errors.contains("no field `reason`")
                && errors.contains("could not compile `pinelabs-api` (test"),
            "the breaking edit should leave a hand-written pinelabs-api test \
             not compiling (no field `reason`)"
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
    drill.reset()?;
    drill.additive()?;
    drill.shared_target()?;
    drill.breaking()?;
    let _ = std::fs::remove_dir_all(&drill.scratch);
    println!(
        "drill: drift adopted by `cargo xtask adopt` (additive = minor, missing field = major, idempotent, restores on failure), additive = minor with zero hand edits, breaking = major, shared target dir ok"
    );
    Ok(())
}

/// A git checkout of `repo` at `dir` (adopt refuses uncommitted spec
/// changes) sharing its objects, holding its work tree as the first commit,
/// and a second commit whose CHANGELOG records the first as the release.
///
/// The edits are judged against this checkout as it is, not the last
/// release: unreleased work (a breaking change already bumped in Cargo.toml)
/// must not colour the verdict of the drill's own edit. Same version, so an
/// additive edit is allowed and a major one not.
fn scratch_checkout(repo: &Path, dir: &Path) -> anyhow::Result<semver::Release> {
    let from = repo.to_str().context("checkout path is not UTF-8")?;
    let to = dir.to_str().context("scratch path is not UTF-8")?;
    git(
        repo,
        &["clone", "-q", "--shared", "--no-checkout", from, to],
    )?;
    copy_checkout(repo, dir)?;
    git(dir, &["add", "-A"])?;
    git(
        dir,
        &[
            "commit",
            "-q",
            "--no-verify",
            "--allow-empty",
            "-m",
            "drill: this checkout",
        ],
    )?;
    let release = semver::Release {
        version: semver::workspace_version(repo)?,
        commit: git(dir, &["rev-parse", "HEAD"])?,
    };
    let changelog = dir.join("CHANGELOG.md");
    let record = format!(
        "## [{}] - drill\n\nBaseline commit: `{}`\n",
        release.version, release.commit
    );
    let text = std::fs::read_to_string(&changelog)?;
    std::fs::write(&changelog, adopt::add_entry(&text, &record))?;
    git(
        dir,
        &["commit", "-q", "--no-verify", "-am", "drill: the release"],
    )?;
    Ok(release)
}

/// `--sandbox --drift KIND… CUSTOMER`.
fn sandbox_args(drifts: &[&str]) -> Vec<String> {
    let mut args = vec!["--sandbox".to_owned()];
    for drift in drifts {
        args.extend(["--drift".to_owned(), (*drift).to_owned()]);
    }
    args.push(CUSTOMER.to_owned());
    args
}

fn tempdir() -> anyhow::Result<PathBuf> {
    let dir = std::env::temp_dir().join(format!("pinelabs-drill-{}", std::process::id()));
    if dir.exists() {
        std::fs::remove_dir_all(&dir)?;
    }
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
