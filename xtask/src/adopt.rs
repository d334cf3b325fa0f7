//! `cargo xtask adopt`: from spec drift to a reviewable release in one
//! command.
//!
//! It runs `pinelabs spec-check --json` with the options given (or reads
//! the JSON of an earlier run with `--findings FILE`), and turns the
//! findings into a complete, uncommitted change of the working tree, in
//! [`Step`]s:
//!
//! 1. **spec**: each finding's edit (the `adopt` object spec-check prints,
//!    dated by the day it was first seen) applied to
//!    `openapi/pinelabs-online.yaml` as a minimal diff ([`crate::yaml_edit`]):
//!    a new nullable property, an enum value appended, a field taken out of
//!    `required`, an undocumented status with the shared error schema;
//! 2. **lint**: the edited spec passes the project's spec lint;
//! 3. **codegen**: the snapshot regenerated through insta, as `cargo xtask
//!    codegen` does;
//! 4. **semver**: the verdict of `cargo xtask semver` against the last
//!    release;
//! 5. **version**: `[workspace.package]` and the internal `=x.y.z`
//!    requirements bumped to match ([`next_version`]), and `Cargo.lock`;
//! 6. **changelog**: an entry under `## [Unreleased]` naming each finding,
//!    its operation and the verdict.
//!
//! Then a summary for the pull request on stdout. Findings that take a
//! human's judgement (a null or a changed type, a body that is not JSON) are
//! listed, never edited.
//!
//! Guards: a run that finds no drift, or only drift whose edits the spec
//! already holds, changes nothing and says so (so a second run is a no-op);
//! a spec or snapshot with uncommitted changes is refused before anything
//! is written; and when a step fails, every file adopt
//! touched ([`TOUCHED`]) is restored byte for byte and the error names the
//! step.
//!
//! Exit codes: 0 no drift; 4 drift adopted; 1, 2, 3 spec-check's (the API
//! or the token endpoint refused, usage, transport); 5 refused, or a step
//! failed and the tree is as it was.

use std::{
    fmt,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use anyhow::{Context, bail, ensure};
use serde_json::Value;

use crate::{
    cargo_bin, codegen, lint,
    semver::{self, Level},
    yaml_edit,
};

/// The spec, relative to the checkout.
pub const SPEC: &str = "openapi/pinelabs-online.yaml";
/// The snapshot of the generated code, relative to the checkout.
pub const SNAPSHOT: &str = "xtask/snapshots/pinelabs_api.snap";
/// Every file adopt may write, restored as it was when a step fails.
pub const TOUCHED: &[&str] = &[SPEC, SNAPSHOT, "Cargo.toml", "Cargo.lock", "CHANGELOG.md"];

/// Exit code: drift found and adopted (spec-check's "drift found").
pub const EXIT_ADOPTED: u8 = 4;
/// Exit code: refused, or a step failed (the tree is as it was).
pub const EXIT_FAILED: u8 = 5;

/// A step of an adoption, named in its error when it fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The findings read (spec-check run), before anything is written.
    Findings,
    /// The spec edited.
    Spec,
    /// The edited spec linted.
    Lint,
    /// The snapshot regenerated.
    Codegen,
    /// The semver verdict.
    Semver,
    /// The version bumped.
    Version,
    /// The CHANGELOG entry.
    Changelog,
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Step::Findings => "findings",
            Step::Spec => "spec",
            Step::Lint => "lint",
            Step::Codegen => "codegen",
            Step::Semver => "semver",
            Step::Version => "version",
            Step::Changelog => "changelog",
        })
    }
}

/// Where the findings come from.
#[derive(Debug, Clone)]
pub enum Source {
    /// `pinelabs spec-check --json` run with these arguments.
    SpecCheck(Vec<String>),
    /// The JSON an earlier `pinelabs spec-check --json` printed.
    File(PathBuf),
}

/// A failure, with the exit code to end with.
#[derive(Debug)]
pub struct Failed {
    /// The exit code: spec-check's, or [`EXIT_FAILED`].
    pub code: u8,
    /// What failed and what to do.
    pub message: String,
}

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl Failed {
    fn new(message: impl Into<String>) -> Self {
        Self {
            code: EXIT_FAILED,
            message: message.into(),
        }
    }
}

/// One finding of spec-check's JSON.
#[derive(Debug, Clone)]
pub struct Finding {
    /// What departs from the spec (`list_customer_tokens: unknown field …`).
    pub message: String,
    /// How many answers showed it.
    pub count: u64,
    /// The spec edit as data (`null` when it takes a human).
    pub edit: Value,
}

impl Finding {
    /// The findings of a spec-check JSON report.
    pub fn all_of(report: &Value) -> anyhow::Result<Vec<Finding>> {
        let findings = report["findings"]
            .as_array()
            .context("the spec-check report has no `findings` list")?;
        Ok(findings
            .iter()
            .map(|f| Finding {
                message: f["message"].as_str().unwrap_or("?").to_owned(),
                count: f["count"].as_u64().unwrap_or(1),
                edit: f["adopt"].clone(),
            })
            .collect())
    }

    /// What the edit does, for the CHANGELOG and the summary.
    pub fn change(&self) -> String {
        let e = &self.edit;
        let s = |k: &str| e[k].as_str().unwrap_or("?").to_owned();
        match e["edit"].as_str() {
            Some("add_property") => {
                format!("new nullable property `{}.{}`", s("schema"), s("name"))
            }
            Some("append_enum_value") => {
                format!("`{}` gains the value `{}`", s("schema"), s("value"))
            }
            Some("drop_required") => format!(
                "`{}.{}` is no longer required (optional in the generated type)",
                s("schema"),
                s("property")
            ),
            Some("add_response") => format!(
                "status {} of `{} {}` documented with the shared error schema",
                e["status"],
                s("method").to_uppercase(),
                s("path")
            ),
            _ => "not adopted: needs a human's judgement".to_owned(),
        }
    }

    /// Whether adopt can make the edit.
    pub fn adoptable(&self) -> bool {
        self.edit.is_object()
    }
}

/// `yaml` with the finding's edit applied (unchanged when already there).
pub fn apply_edit(yaml: &str, edit: &Value) -> anyhow::Result<String> {
    let s = |k: &str| {
        edit[k]
            .as_str()
            .with_context(|| format!("the edit has no `{k}`: {edit}"))
    };
    match s("edit")? {
        "add_property" => yaml_edit::add_property(yaml, s("schema")?, s("name")?, s("fragment")?),
        "append_enum_value" => {
            yaml_edit::append_enum_value(yaml, s("schema")?, s("value")?, s("note")?)
        }
        "drop_required" => yaml_edit::drop_required(yaml, s("schema")?, s("property")?, s("note")?),
        "add_response" => {
            let status = edit["status"].as_u64().and_then(|n| u16::try_from(n).ok());
            let status = status.context("the edit has no `status`")?;
            yaml_edit::add_response(yaml, s("path")?, s("method")?, status, s("fragment")?)
        }
        other => bail!("unknown spec edit `{other}`"),
    }
}

/// The version after a change needing `required` over the `baseline`
/// release, from the `current` one: unchanged when it already allows the
/// change, else the baseline bumped (`0.y.z`: minor bumps z, major y;
/// `x.y.z`: minor bumps y, major x).
pub fn next_version(baseline: &str, current: &str, required: Level) -> anyhow::Result<String> {
    if required == Level::None
        || (current != baseline && semver::allowed(baseline, current)? >= required)
    {
        return Ok(current.to_owned());
    }
    let parts: Vec<u64> = baseline
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .with_context(|| format!("`{baseline}` is not x.y.z"))?;
    let [x, y, z] = parts[..] else {
        bail!("`{baseline}` is not x.y.z")
    };
    Ok(match (x, required) {
        (0, Level::Minor) => format!("0.{y}.{}", z + 1),
        (0, _) => format!("0.{}.0", y + 1),
        (_, Level::Minor) => format!("{x}.{}.0", y + 1),
        _ => format!("{}.0.0", x + 1),
    })
}

/// `Cargo.toml` with the workspace version and the internal `=old`
/// requirements set to `new`.
pub fn set_version(manifest: &str, old: &str, new: &str) -> anyhow::Result<String> {
    let (head, section) = manifest
        .split_once("[workspace.package]")
        .context("Cargo.toml has no [workspace.package]")?;
    let (from, to) = (
        format!("version = \"{old}\""),
        format!("version = \"{new}\""),
    );
    ensure!(section.contains(&from), "[workspace.package] has no {from}");
    let section = section.replacen(&from, &to, 1);
    let pinned = format!("version = \"={old}\"");
    ensure!(
        section.contains(&pinned),
        "Cargo.toml has no internal {pinned}"
    );
    let section = section.replace(&pinned, &format!("version = \"={new}\""));
    Ok(format!("{head}[workspace.package]{section}"))
}

/// `changelog` with `entry` first under `## [Unreleased]` (added when
/// missing, above the newest release).
pub fn add_entry(changelog: &str, entry: &str) -> String {
    const HEAD: &str = "## [Unreleased]\n";
    if let Some(at) = changelog.find(HEAD) {
        let at = at + HEAD.len();
        return format!("{}\n{entry}{}", &changelog[..at], &changelog[at..]);
    }
    let at = changelog.find("\n## [").map_or(changelog.len(), |i| i + 1);
    format!("{}{HEAD}\n{entry}\n{}", &changelog[..at], &changelog[at..])
}

/// The files of [`TOUCHED`] as they were, to put back.
struct Backup(Vec<(PathBuf, Option<Vec<u8>>)>);

impl Backup {
    fn take(root: &Path) -> Self {
        Backup(
            TOUCHED
                .iter()
                .map(|f| (root.join(f), std::fs::read(root.join(f)).ok()))
                .collect(),
        )
    }

    fn restore(&self) -> anyhow::Result<()> {
        for (path, bytes) in &self.0 {
            match bytes {
                Some(bytes) => std::fs::write(path, bytes)?,
                None => {
                    let _ = std::fs::remove_file(path);
                }
            }
        }
        Ok(())
    }
}

/// An adoption of the checkout at `root`, building into `target`.
pub struct Adopt {
    /// The checkout.
    pub root: PathBuf,
    /// The target dir of the cargo commands it runs.
    pub target: PathBuf,
    /// Called after each step; an error fails the step (tests inject
    /// failures with it).
    pub after: Box<dyn Fn(Step) -> anyhow::Result<()>>,
}

/// What an adoption did.
#[derive(Debug)]
pub struct Summary {
    /// Every finding, adopted or not.
    pub findings: Vec<Finding>,
    /// The semver verdict.
    pub verdict: Level,
    /// The baseline release (`0.3.0 at d691b0cce42c`).
    pub baseline: String,
    /// The version before and after.
    pub versions: (String, String),
    /// `git diff --stat` of the touched files.
    pub diff_stat: String,
    /// How long each step took.
    pub times: Vec<(Step, Duration)>,
}

/// How a run ended.
#[derive(Debug)]
pub enum Outcome {
    /// No drift: nothing changed.
    NoDrift,
    /// Drift whose edits the spec already holds (findings from a file, or
    /// a run before the first was committed): nothing changed.
    AlreadyAdopted,
    /// Drift adopted into the working tree.
    Adopted(Summary),
}

impl fmt::Debug for Adopt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Adopt")
            .field("root", &self.root)
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

impl Adopt {
    /// An adoption of `root`, building into its usual target dir.
    pub fn new(root: &Path) -> Self {
        Self {
            root: root.to_path_buf(),
            target: semver::target_dir(root),
            after: Box::new(|_| Ok(())),
        }
    }

    /// Runs it: the findings, the guards, the steps.
    pub fn run(&self, source: &Source) -> Result<Outcome, Failed> {
        let started = Instant::now();
        let findings = match source {
            Source::SpecCheck(args) => self.spec_check(args)?,
            Source::File(path) => read_findings(path).map_err(|e| Failed::new(format!("{e:#}")))?,
        };
        if findings.is_empty() {
            return Ok(Outcome::NoDrift);
        }
        if !findings.iter().any(Finding::adoptable) {
            let list: Vec<_> = findings
                .iter()
                .map(|f| format!("  {}", f.message))
                .collect();
            return Err(Failed::new(format!(
                "no finding can be adopted by hand-free edits; each needs a human's judgement \
                 (README: \"When the live API changes\"):\n{}",
                list.join("\n")
            )));
        }
        let yaml = self
            .edited_spec(&findings)
            .map_err(|e| Failed::new(format!("{e:#}")))?;
        let Some(yaml) = yaml else {
            return Ok(Outcome::AlreadyAdopted);
        };
        self.refuse_dirty()?;
        let backup = Backup::take(&self.root);
        let found = (Step::Findings, started.elapsed());
        self.steps(findings, yaml, found)
            .map(Outcome::Adopted)
            .map_err(|(step, e)| {
                let restored = match backup.restore() {
                    Ok(()) => "every file adopt touched is restored".to_owned(),
                    Err(r) => format!("restoring the files failed too ({r}): check `git status`"),
                };
                Failed::new(format!("step `{step}` failed: {e:#}\n{restored}"))
            })
    }

    /// Refuses uncommitted changes of the spec or the snapshot.
    fn refuse_dirty(&self) -> Result<(), Failed> {
        let out = Command::new("git")
            .args(["status", "--porcelain", "--", SPEC, SNAPSHOT])
            .current_dir(&self.root)
            .output()
            .map_err(|e| Failed::new(format!("cannot run git: {e}")))?;
        if !out.status.success() {
            return Err(Failed::new(
                "adopt needs a git checkout, to know that nothing uncommitted is lost",
            ));
        }
        let dirty = String::from_utf8_lossy(&out.stdout);
        if !dirty.trim().is_empty() {
            return Err(Failed::new(format!(
                "refusing to adopt: uncommitted changes in\n{dirty}commit or stash them first, so that nothing you wrote is lost"
            )));
        }
        Ok(())
    }

    /// `pinelabs spec-check --json args`: its findings, or its exit code.
    fn spec_check(&self, args: &[String]) -> Result<Vec<Finding>, Failed> {
        let target = [("CARGO_TARGET_DIR", self.target.as_os_str())];
        let cli = crate::cmd::workspace_bin(&self.root, &[], &target, "pinelabs")
            .map_err(|e| Failed::new(format!("building the CLI failed: {e:#}")))?;
        println!("==> pinelabs spec-check --json {}", args.join(" "));
        let out = Command::new(cli)
            .args(["spec-check", "--json"])
            .args(args)
            .current_dir(&self.root)
            .stderr(std::process::Stdio::inherit())
            .output()
            .map_err(|e| Failed::new(format!("cannot run the pinelabs CLI: {e}")))?;
        match out.status.code() {
            Some(0) => Ok(Vec::new()),
            Some(4) => serde_json::from_slice(&out.stdout)
                .map_err(anyhow::Error::from)
                .and_then(|report| Finding::all_of(&report))
                .map_err(|e| Failed::new(format!("spec-check's JSON: {e:#}"))),
            Some(code @ 1..=3) => Err(Failed {
                code: code as u8,
                message: format!(
                    "pinelabs spec-check failed (exit {code}, see above): nothing was changed"
                ),
            }),
            other => Err(Failed::new(format!(
                "pinelabs spec-check did not run (exit {other:?}, see above): nothing was changed"
            ))),
        }
    }

    /// The steps, each timed and followed by the `after` hook.
    fn steps(
        &self,
        findings: Vec<Finding>,
        yaml: String,
        found: (Step, Duration),
    ) -> Result<Summary, (Step, anyhow::Error)> {
        let mut steps = Timed {
            times: vec![found],
            after: &*self.after,
        };
        let root = &self.root;
        steps.run(Step::Spec, || Ok(std::fs::write(root.join(SPEC), &yaml)?))?;
        steps.run(Step::Lint, || lint_clean(&root.join(SPEC)))?;
        steps.run(Step::Codegen, || codegen::write(root, Some(&self.target)))?;
        let verdict = steps.run(Step::Semver, || semver::run(root, None, &self.target))?;
        let old = verdict.version.clone();
        let new = steps.run(Step::Version, || {
            let new = next_version(&verdict.baseline.version, &old, verdict.required)?;
            self.bump(&old, &new)?;
            Ok(new)
        })?;
        let baseline = &verdict.baseline;
        let mut summary = Summary {
            findings,
            verdict: verdict.required,
            baseline: format!("{} at {}", baseline.version, baseline.commit),
            versions: (old, new),
            diff_stat: String::new(),
            times: Vec::new(),
        };
        steps.run(Step::Changelog, || self.write_changelog(&summary))?;
        summary.diff_stat = self.diff_stat();
        summary.times = steps.times;
        Ok(summary)
    }

    /// The spec with every adoptable finding's edit, or `None` when it
    /// already holds them all.
    fn edited_spec(&self, findings: &[Finding]) -> anyhow::Result<Option<String>> {
        let before = std::fs::read_to_string(self.root.join(SPEC))?;
        let mut yaml = before.clone();
        for finding in findings.iter().filter(|f| f.adoptable()) {
            yaml = apply_edit(&yaml, &finding.edit)
                .with_context(|| format!("cannot adopt `{}`", finding.message))?;
        }
        Ok((yaml != before).then_some(yaml))
    }

    fn bump(&self, old: &str, new: &str) -> anyhow::Result<()> {
        if old == new {
            return Ok(());
        }
        let path = self.root.join("Cargo.toml");
        std::fs::write(
            &path,
            set_version(&std::fs::read_to_string(&path)?, old, new)?,
        )?;
        // Only the members' versions change in Cargo.lock: from the local
        // index cache when it has what the lock needs, else from the registry.
        let update = |offline: bool| {
            let mut cargo = Command::new(cargo_bin());
            cargo
                .args(["update", "--workspace"])
                .current_dir(&self.root);
            if offline {
                cargo.arg("--offline");
            }
            cargo.status().map(|s| s.success()).unwrap_or(false)
        };
        ensure!(
            update(true) || update(false),
            "cargo update --workspace failed"
        );
        Ok(())
    }

    fn write_changelog(&self, summary: &Summary) -> anyhow::Result<()> {
        let path = self.root.join("CHANGELOG.md");
        let changelog = std::fs::read_to_string(&path).context("cannot read CHANGELOG.md")?;
        Ok(std::fs::write(
            &path,
            add_entry(&changelog, &summary.changelog_entry()),
        )?)
    }

    fn diff_stat(&self) -> String {
        Command::new("git")
            .args(["diff", "--stat", "--"])
            .args(TOUCHED)
            .current_dir(&self.root)
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default()
    }
}

/// Steps run in order, each timed, then passed to the `after` hook.
struct Timed<'a> {
    times: Vec<(Step, Duration)>,
    after: &'a dyn Fn(Step) -> anyhow::Result<()>,
}

impl Timed<'_> {
    fn run<T>(
        &mut self,
        step: Step,
        run: impl FnOnce() -> anyhow::Result<T>,
    ) -> Result<T, (Step, anyhow::Error)> {
        println!("==> adopt: {step}");
        let started = Instant::now();
        let out = run()
            .and_then(|out| (self.after)(step).map(|()| out))
            .map_err(|e| (step, e))?;
        self.times.push((step, started.elapsed()));
        Ok(out)
    }
}

/// The spec lint, without Redocly (its npm tools run in `cargo xtask lint`).
fn lint_clean(spec: &Path) -> anyhow::Result<()> {
    let report = lint::check(spec)?;
    ensure!(
        report.problems.is_empty(),
        "the edited spec no longer lints:\n{}",
        report.problems.join("\n")
    );
    Ok(())
}

fn read_findings(path: &Path) -> anyhow::Result<Vec<Finding>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Finding::all_of(&serde_json::from_str(&text).context("the findings file is not JSON")?)
}

impl Summary {
    fn version_line(&self) -> String {
        match &self.versions {
            (old, new) if old == new => format!("version {old} already allows it"),
            (old, new) => format!("version {old} -> {new}"),
        }
    }

    fn finding_lines(&self, adopted: bool) -> String {
        self.findings
            .iter()
            .filter(|f| f.adoptable() == adopted)
            .map(|f| {
                let s = if f.count == 1 { "" } else { "s" };
                format!("- {} ({} answer{s}): {}\n", f.message, f.count, f.change())
            })
            .collect()
    }

    /// The CHANGELOG entry.
    pub fn changelog_entry(&self) -> String {
        format!(
            "### Spec drift adopted (`cargo xtask adopt`)\n\nSemver verdict **{}** against {}: {}.\n\n{}",
            self.verdict,
            self.baseline,
            self.version_line(),
            self.finding_lines(true)
        )
    }

    /// The summary for the pull request.
    pub fn text(&self) -> String {
        let left = self.finding_lines(false);
        let left = if left.is_empty() {
            String::new()
        } else {
            format!(
                "\nNot adopted (a human's judgement, README \"When the live API changes\"):\n{left}"
            )
        };
        let times: Vec<_> = self
            .times
            .iter()
            .map(|(s, d)| format!("{s} {:.0} s", d.as_secs_f64()))
            .collect();
        format!(
            "## Adopt spec drift: {}, {}\n\nFindings (`pinelabs spec-check`):\n{}{left}\n\
             Diff:\n```text\n{}```\n\nSemver verdict **{}** (`cargo xtask semver` against {}).\n\
             CHANGELOG.md: entry under `[Unreleased]`.\n\nStep times: {}.\n\n\
             Next: review `git diff`, commit, release.\n",
            self.verdict,
            self.version_line(),
            self.finding_lines(true),
            self.diff_stat,
            self.verdict,
            self.baseline,
            times.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_bump_by_the_verdict_over_the_release() {
        let v = |b, c, l| next_version(b, c, l).ok();
        assert_eq!(v("0.3.0", "0.3.0", Level::Minor).as_deref(), Some("0.3.1"));
        assert_eq!(v("0.3.0", "0.3.0", Level::Major).as_deref(), Some("0.4.0"));
        assert_eq!(v("0.3.0", "0.3.0", Level::None).as_deref(), Some("0.3.0"));
        assert_eq!(
            v("0.3.0", "0.3.1", Level::Minor).as_deref(),
            Some("0.3.1"),
            "already bumped"
        );
        assert_eq!(v("0.3.0", "0.3.1", Level::Major).as_deref(), Some("0.4.0"));
        assert_eq!(v("0.3.0", "0.4.0", Level::Major).as_deref(), Some("0.4.0"));
        assert_eq!(v("1.2.3", "1.2.3", Level::Minor).as_deref(), Some("1.3.0"));
        assert_eq!(v("1.2.3", "1.2.3", Level::Major).as_deref(), Some("2.0.0"));
    }

    #[test]
    fn the_version_is_set_in_the_workspace_and_the_internal_requirements() {
        let manifest = "[workspace]\nmembers = []\n\n[workspace.package]\nversion = \"0.3.0\"\n\n[workspace.dependencies]\na = { path = \"a\", version = \"=0.3.0\" }\nb = { path = \"b\", version = \"=0.3.0\" }\nserde = { version = \"0.3.0\" }\n";
        let out = set_version(manifest, "0.3.0", "0.3.1").expect("set");
        assert_eq!(out.matches("\"=0.3.1\"").count(), 2);
        assert!(out.contains("[workspace.package]\nversion = \"0.3.1\"\n"));
        assert!(
            out.contains("serde = { version = \"0.3.0\" }"),
            "third-party stays"
        );
        assert!(set_version(manifest, "9.9.9", "9.9.10").is_err());
    }

    #[test]
    fn the_entry_goes_first_under_unreleased() {
        let log = "# Changelog\n\nintro\n\n## [Unreleased]\n\n### Added\n- x\n\n## [0.3.0] - d\n";
        let out = add_entry(log, "### Spec drift\n\n- y\n");
        assert!(
            out.contains("## [Unreleased]\n\n### Spec drift\n\n- y\n\n### Added\n- x\n"),
            "{out}"
        );
        let out = add_entry("# Changelog\n\n## [0.3.0] - d\n", "### E\n");
        assert_eq!(
            out,
            "# Changelog\n\n## [Unreleased]\n\n### E\n\n## [0.3.0] - d\n"
        );
    }
}
