//! `cargo xtask semver`: the semver verdict of the working tree against the
//! last release.
//!
//! The baseline is the newest release in `CHANGELOG.md`: its heading gives
//! the version (`## [0.1.0] - 2026-11-22`) and a line
//! ``Baseline commit: `SHA` `` the commit (tags may be missing from a fresh
//! clone, so the file is the record). `--baseline-rev REV` overrides the
//! commit.
//!
//! The verdict is the bump services need:
//!
//! * **major** when `cargo-semver-checks` (pinned to [`SEMVER_CHECKS_VERSION`]
//!   and installed by this command when missing) finds a breaking change in
//!   `pinelabs-api` or `pinelabs`;
//! * **minor** when it finds none but the generated API changed (the code
//!   generated from the baseline's spec and from the current spec differ
//!   once doc comments are set aside): something was added;
//! * **none** otherwise (documentation or internals only).
//!
//! The command fails when the verdict needs more than `Cargo.toml`'s
//! version declares over the baseline's. Like `cargo-semver-checks`, an
//! unchanged version is taken as "the next release, bump still to be
//! chosen" and allows up to minor; for `0.y.z` versions a `z` bump allows
//! minor and a `y` bump major (Cargo's rules for pre-1.0 versions).

use std::{
    fmt,
    path::{Path, PathBuf},
    process::Command,
    time::Instant,
};

use anyhow::{Context, bail};

use crate::cargo_bin;

/// The pinned cargo-semver-checks.
pub const SEMVER_CHECKS_VERSION: &str = "0.51.0";

/// The crates services depend on whose API is checked.
pub const CHECKED: &[&str] = &["pinelabs-api", "pinelabs"];

/// A semver level, in Cargo's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// No API change.
    None,
    /// Additions only.
    Minor,
    /// A breaking change.
    Major,
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::None => "none",
            Level::Minor => "minor",
            Level::Major => "major",
        })
    }
}

/// The release the working tree is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Release {
    /// Its version, e.g. `0.1.0`.
    pub version: String,
    /// Its commit.
    pub commit: String,
}

/// The outcome of a check.
#[derive(Debug)]
pub struct Verdict {
    /// The bump the change needs.
    pub required: Level,
    /// The most `Cargo.toml`'s version allows.
    pub allowed: Level,
    /// The version in `Cargo.toml`.
    pub version: String,
    /// The baseline.
    pub baseline: Release,
    /// What cargo-semver-checks printed.
    pub report: String,
}

impl Verdict {
    /// `Ok` when the declared version covers the change.
    pub fn into_result(self) -> anyhow::Result<()> {
        if self.required > self.allowed {
            bail!(
                "the change needs a {} release, but Cargo.toml declares {} over {} (allows {}): bump the version",
                self.required,
                self.version,
                self.baseline.version,
                self.allowed
            );
        }
        Ok(())
    }
}

/// The newest release recorded in `CHANGELOG.md`.
pub fn last_release(changelog: &str) -> anyhow::Result<Release> {
    let mut version = None;
    for line in changelog.lines() {
        if version.is_none() {
            version = line
                .strip_prefix("## [")
                .and_then(|rest| rest.split(']').next())
                .filter(|v| *v != "Unreleased")
                .map(str::to_owned);
        } else if let Some(rest) = line.trim().strip_prefix("Baseline commit: `") {
            let commit = rest.trim_end_matches('`').to_owned();
            return Ok(Release {
                version: version.unwrap_or_default(),
                commit,
            });
        } else if line.starts_with("## [") {
            break;
        }
    }
    bail!("CHANGELOG.md's newest release has no line ``Baseline commit: `SHA` ``")
}

/// The allowed level of going from `baseline` to `current` (`x.y.z`).
pub fn allowed(baseline: &str, current: &str) -> anyhow::Result<Level> {
    let parse = |v: &str| -> anyhow::Result<[u64; 3]> {
        let core = v.split(['-', '+']).next().unwrap_or(v);
        let parts: Vec<u64> = core
            .split('.')
            .map(str::parse)
            .collect::<Result<_, _>>()
            .with_context(|| format!("`{v}` is not a x.y.z version"))?;
        match parts[..] {
            [x, y, z] => Ok([x, y, z]),
            _ => bail!("`{v}` is not a x.y.z version"),
        }
    };
    let (b, c) = (parse(baseline)?, parse(current)?);
    if c < b {
        bail!("Cargo.toml's version {current} is older than the baseline {baseline}");
    }
    Ok(match (b, c) {
        _ if b == c => Level::Minor,
        ([0, by, _], [0, cy, _]) if by == cy => Level::Minor,
        ([0, ..], _) => Level::Major,
        ([bx, ..], [cx, ..]) if bx != cx => Level::Major,
        ([_, by, _], [_, cy, _]) if by != cy => Level::Minor,
        _ => Level::None,
    })
}

/// The workspace version in `root/Cargo.toml`.
pub fn workspace_version(root: &Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(root.join("Cargo.toml"))?;
    let section = text
        .split("[workspace.package]")
        .nth(1)
        .context("Cargo.toml has no [workspace.package]")?;
    section
        .lines()
        .find_map(|l| l.trim().strip_prefix("version = \""))
        .map(|v| v.trim_end_matches('"').to_owned())
        .context("[workspace.package] has no version")
}

/// `cargo semver-checks`, installing the pinned version when missing.
pub fn ensure_installed() -> anyhow::Result<()> {
    let installed = Command::new(cargo_bin())
        .args(["semver-checks", "--version"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned());
    if installed
        .as_deref()
        .is_some_and(|v| v.contains(SEMVER_CHECKS_VERSION))
    {
        return Ok(());
    }
    println!("==> cargo install --locked cargo-semver-checks@{SEMVER_CHECKS_VERSION}");
    let started = Instant::now();
    let status = Command::new(cargo_bin())
        .args(["install", "--locked", "cargo-semver-checks", "--version"])
        .arg(SEMVER_CHECKS_VERSION)
        .status()
        .context("cannot run cargo install")?;
    println!(
        "==> cargo-semver-checks install took {:.0} s",
        started.elapsed().as_secs_f64()
    );
    if !status.success() {
        bail!("installing cargo-semver-checks {SEMVER_CHECKS_VERSION} failed");
    }
    Ok(())
}

/// The source tree of `commit` of the repository at `repo`, extracted (once)
/// under the target dir `target`.
pub fn baseline_tree(repo: &Path, commit: &str, target: &Path) -> anyhow::Result<PathBuf> {
    let resolved = git(
        repo,
        &["rev-parse", "--verify", &format!("{commit}^{{commit}}")],
    )
    .with_context(|| format!("the baseline commit {commit} is not in this clone"))?;
    let dir = target.join("semver-baseline").join(resolved.trim());
    if dir.join("Cargo.toml").is_file() {
        return Ok(dir);
    }
    std::fs::create_dir_all(&dir)?;
    let archive = Command::new("git")
        .args(["archive", "--format=tar", resolved.trim()])
        .current_dir(repo)
        .output()
        .context("cannot run git archive")?;
    if !archive.status.success() {
        bail!("git archive {commit} failed");
    }
    let mut tar = Command::new("tar")
        .args(["-x", "-C"])
        .arg(&dir)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .context("cannot run tar")?;
    if let Some(mut stdin) = tar.stdin.take() {
        std::io::Write::write_all(&mut stdin, &archive.stdout)?;
    }
    if !tar.wait()?.success() {
        bail!("extracting the baseline {commit} failed");
    }
    Ok(dir)
}

fn git(repo: &Path, args: &[&str]) -> anyhow::Result<String> {
    let out = Command::new("git")
        .args(args)
        .current_dir(repo)
        .output()
        .context("cannot run git")?;
    if !out.status.success() {
        bail!(
            "git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The target dir builds of `root` use.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"))
}

/// The generated code of a spec, without doc comments: what the API is.
fn api_shape(spec: &Path) -> anyhow::Result<String> {
    let generated = pinelabs_codegen::generate(spec)?;
    Ok(generated
        .combined()
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("//") && !l.starts_with("#[doc"))
        .collect::<Vec<_>>()
        .join("\n"))
}

/// The public fields of the generated structs whose type changed between
/// two generated sources, one line each. cargo-semver-checks has no lint for
/// a field's type (0.51), and a spec edit makes exactly that change: a field
/// no longer `required` turns `String` into `Option<String>`, which breaks
/// every service that reads it.
pub fn retyped_fields(before: &str, now: &str) -> Vec<String> {
    let (before, now) = (field_types(before), field_types(now));
    now.iter()
        .filter_map(|(field, ty)| {
            let old = before.get(field)?;
            (old != ty).then(|| {
                format!("generated field `{field}` changed type: `{old}` -> `{ty}` (major)")
            })
        })
        .collect()
}

/// `module::Struct.field` to the field's type, for every public named field
/// of a struct in `source` (empty when it does not parse).
fn field_types(source: &str) -> std::collections::BTreeMap<String, String> {
    fn walk(
        items: &[syn::Item],
        prefix: &str,
        out: &mut std::collections::BTreeMap<String, String>,
    ) {
        for item in items {
            match item {
                syn::Item::Struct(s) => {
                    for f in s
                        .fields
                        .iter()
                        .filter(|f| matches!(f.vis, syn::Visibility::Public(_)))
                    {
                        if let Some(name) = &f.ident {
                            let ty = quote::ToTokens::to_token_stream(&f.ty).to_string();
                            out.insert(format!("{prefix}{}.{name}", s.ident), ty);
                        }
                    }
                }
                syn::Item::Mod(m) => {
                    let inner = format!("{prefix}{}::", m.ident);
                    walk(m.content.as_ref().map_or(&[][..], |(_, i)| i), &inner, out);
                }
                _ => {}
            }
        }
    }
    let mut out = std::collections::BTreeMap::new();
    if let Ok(file) = syn::parse_file(source) {
        walk(&file.items, "", &mut out);
    }
    out
}

/// Judges the tree at `current` against the baseline tree at `baseline`.
pub fn judge(
    current: &Path,
    baseline_dir: &Path,
    baseline: Release,
    target: &Path,
) -> anyhow::Result<Verdict> {
    let (passed, mut report) = semver_checks(current, baseline_dir, target)?;
    let spec = |root: &Path| root.join("openapi/pinelabs-online.yaml");
    let (now, before) = (api_shape(&spec(current))?, api_shape(&spec(baseline_dir))?);
    let retyped = retyped_fields(&before, &now);
    for line in &retyped {
        println!("semver: {line}");
        report.push_str(line);
        report.push('\n');
    }
    let required = if !passed && report.contains("requires new major version") {
        Level::Major
    } else if !passed {
        bail!("cargo semver-checks failed without a verdict (see above)");
    } else if !retyped.is_empty() {
        Level::Major
    } else if now == before {
        Level::None
    } else {
        Level::Minor
    };
    let version = workspace_version(current)?;
    let allowed = allowed(&baseline.version, &version)?;
    println!(
        "semver verdict: {required} (Cargo.toml {version}, baseline {} at {}, allows {allowed})",
        baseline.version, baseline.commit
    );
    Ok(Verdict {
        required,
        allowed,
        version,
        baseline,
        report,
    })
}

/// Runs cargo-semver-checks on [`CHECKED`]: whether it passed, and what it
/// printed.
fn semver_checks(
    current: &Path,
    baseline_dir: &Path,
    target: &Path,
) -> anyhow::Result<(bool, String)> {
    ensure_installed()?;
    // cargo-semver-checks reads the current crates' rustdoc JSON from
    // `<target>/doc/<crate>.json`. When cargo finds a crate's doc unit fresh
    // it does not rewrite that file, which an earlier run's baseline may
    // have overwritten: a stale file made a verdict compare the baseline
    // with an older baseline (found after the 0.2.0 release). Removing the
    // files makes every run document the current crates anew.
    for krate in CHECKED {
        let json = target
            .join("doc")
            .join(format!("{}.json", krate.replace('-', "_")));
        let _ = std::fs::remove_file(json);
    }
    let mut args = vec!["semver-checks", "check-release"];
    for krate in CHECKED {
        args.extend(["--package", krate]);
    }
    let baseline_arg = baseline_dir.to_string_lossy().into_owned();
    args.extend(["--baseline-root", &baseline_arg, "--release-type", "minor"]);
    println!("==> cargo {}", args.join(" "));
    let out = Command::new(cargo_bin())
        .args(&args)
        .current_dir(current)
        .env("CARGO_TARGET_DIR", target)
        .env("CARGO_TERM_COLOR", "never")
        .output()
        .context("cannot run cargo semver-checks")?;
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    print!("{report}");
    Ok((out.status.success(), report))
}

/// The verdict of the checkout at `root` against the last release (or
/// `baseline_rev`), building into `target`.
pub fn run(root: &Path, baseline_rev: Option<String>, target: &Path) -> anyhow::Result<Verdict> {
    let changelog =
        std::fs::read_to_string(root.join("CHANGELOG.md")).context("cannot read CHANGELOG.md")?;
    let mut release = last_release(&changelog)?;
    if let Some(rev) = baseline_rev {
        release.commit = rev;
    }
    let tree = baseline_tree(root, &release.commit, target)?;
    judge(root, &tree, release, target)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_newest_release_is_the_baseline() {
        let changelog = "# Changelog\n\n## [Unreleased]\n\n### Added\n- x\n\n## [0.2.0] - 2027-01-01\n\nBaseline commit: `abc123`\n\n## [0.1.0] - 2026-11-22\n\nBaseline commit: `def456`\n";
        assert_eq!(
            last_release(changelog).ok(),
            Some(Release {
                version: "0.2.0".into(),
                commit: "abc123".into()
            })
        );
        assert!(last_release("## [0.1.0]\n\nno commit\n## [0.0.1]\nBaseline commit: `x`").is_err());
    }

    #[test]
    fn a_generated_field_that_changes_type_is_found() {
        let before = "pub mod types { pub struct T { pub id: String, pub n: i64, x: u8 } }";
        let now = "pub mod types { pub struct T { pub id: Option<String>, pub n: i64, pub added: u8, x: u16 } }";
        assert_eq!(
            retyped_fields(before, now),
            ["generated field `types::T.id` changed type: `String` -> `Option < String >` (major)"]
        );
        assert!(retyped_fields(before, before).is_empty());
        let shape = api_shape(&crate::spec_path()).expect("the spec generates");
        let fields = field_types(&shape);
        assert_eq!(
            fields
                .get("types::CustomerToken.token_id")
                .map(String::as_str),
            Some(":: std :: string :: String"),
            "the generated source parses and its fields are found"
        );
    }

    #[test]
    fn allowed_levels_follow_cargo() {
        let a = |b, c| allowed(b, c).ok();
        assert_eq!(a("0.1.0", "0.1.0"), Some(Level::Minor));
        assert_eq!(a("0.1.0", "0.1.1"), Some(Level::Minor));
        assert_eq!(a("0.1.3", "0.2.0"), Some(Level::Major));
        assert_eq!(a("1.2.3", "1.2.4"), Some(Level::None));
        assert_eq!(a("1.2.3", "1.3.0"), Some(Level::Minor));
        assert_eq!(a("1.2.3", "2.0.0"), Some(Level::Major));
        assert!(allowed("0.2.0", "0.1.0").is_err());
    }

    #[test]
    fn a_verdict_fails_only_above_what_the_version_allows() {
        let verdict = |required, allowed| Verdict {
            required,
            allowed,
            version: "0.1.0".into(),
            baseline: Release {
                version: "0.1.0".into(),
                commit: "c".into(),
            },
            report: String::new(),
        };
        assert!(verdict(Level::Minor, Level::Minor).into_result().is_ok());
        assert!(verdict(Level::Major, Level::Minor).into_result().is_err());
        assert!(verdict(Level::Minor, Level::None).into_result().is_err());
    }
}
