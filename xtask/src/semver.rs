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

use crate::{cargo_bin, cargo_in};

/// The pinned cargo-semver-checks.
pub const SEMVER_CHECKS_VERSION: &str = "0.51.0";

/// The crates whose API is checked: the ones services call into, `pinelabs`
/// and the two crates whose items it exposes (`pinelabs-codegen` runs only
/// in `pinelabs-api`'s build script).
pub const CHECKED: &[&str] = &["pinelabs-api", "pinelabs-http", "pinelabs"];

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
///
/// The rustdoc JSON of both sides is built here, not by cargo-semver-checks:
/// it would build each crate through a placeholder project of its own, whose
/// `cargo update` resolves the newest dependency versions, with every
/// feature and `RUSTC_BOOTSTRAP=1` for every unit. That compiled the whole
/// dependency tree again, hidden from the log (123 s of the 173 s step in
/// CI). Here each side is documented like CI's rustdoc step documents the
/// workspace (`cargo doc --workspace --no-deps`, the same lockfile and
/// features), in the same target dir, so the dependencies are units that
/// step already checked; only rustdoc itself runs with `RUSTC_BOOTSTRAP=1`
/// (see [`json_rustdoc`]).
///
/// What cargo-semver-checks would compare stays the same:
/// * every public item: cargo-semver-checks would enable every feature, the
///   workspace's default features show the same API because no public item
///   of these crates is behind a feature (a source lint,
///   `source::feature_gated_public_items`, keeps that true);
/// * the same dependencies on both sides: the baseline is built with the
///   current `Cargo.lock` (cargo-semver-checks gives both sides the newest
///   versions instead, for the same reason);
/// * the baseline's JSON is built once per baseline commit, toolchain and
///   set of third-party dependencies, and kept in the target dir
///   ([`baseline_json`]).
fn semver_checks(
    current: &Path,
    baseline_dir: &Path,
    target: &Path,
) -> anyhow::Result<(bool, String)> {
    ensure_installed()?;
    let lock = std::fs::read_to_string(current.join("Cargo.lock"))
        .context("cannot read the current Cargo.lock")?;
    let now = rustdoc_json(current, target, &target.join("semver-current"))?;
    let before = baseline_json(baseline_dir, &lock, target)?;
    let (mut passed, mut report) = (true, String::new());
    for krate in CHECKED {
        let (now, before) = (now.join(json_name(krate)), before.join(json_name(krate)));
        let (now, before) = (now.to_string_lossy(), before.to_string_lossy());
        let args = [
            "semver-checks",
            "check-release",
            "--current-rustdoc",
            &now,
            "--baseline-rustdoc",
            &before,
            "--release-type",
            "minor",
        ];
        println!("==> {krate}: cargo {}", args.join(" "));
        let out = Command::new(cargo_bin())
            .args(args)
            .current_dir(current)
            .env("CARGO_TERM_COLOR", "never")
            .output()
            .context("cannot run cargo semver-checks")?;
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        print!("{printed}");
        report.push_str(&printed);
        passed &= out.status.success();
    }
    Ok((passed, report))
}

/// The directory holding the baseline's rustdoc JSON of [`CHECKED`], built
/// with the current lockfile `lock` once per baseline commit, toolchain and
/// set of third-party dependencies: it sits next to the baseline's tree, its
/// name holding a hash of `rustc -vV` (rustdoc's JSON format follows the
/// toolchain) and the lockfile's third-party entries (the drill's adoptions
/// bump only the path crates' versions, so they share one build).
fn baseline_json(baseline_dir: &Path, lock: &str, target: &Path) -> anyhow::Result<PathBuf> {
    let rustc = Command::new("rustc")
        .arg("-vV")
        .output()
        .context("cannot run rustc -vV")?;
    let key = baseline_key(&String::from_utf8_lossy(&rustc.stdout), lock);
    let mut name = baseline_dir.file_name().unwrap_or_default().to_owned();
    name.push(format!("-rustdoc-{key:016x}"));
    let dir = baseline_dir.with_file_name(name);
    if CHECKED
        .iter()
        .all(|krate| dir.join(json_name(krate)).is_file())
    {
        println!("==> baseline rustdoc JSON reused: {}", dir.display());
        return Ok(dir);
    }
    std::fs::write(baseline_dir.join("Cargo.lock"), lock)
        .context("cannot give the baseline the current Cargo.lock")?;
    rustdoc_json(baseline_dir, target, &dir)
}

/// A hash of the toolchain (`rustc -vV`) and of the `[[package]]` entries
/// of a lockfile that come from a registry or git (a `source` line).
fn baseline_key(rustc: &str, lock: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    rustc.hash(&mut hasher);
    lock.split("[[package]]")
        .filter(|entry| entry.contains("\nsource = "))
        .for_each(|entry| entry.hash(&mut hasher));
    hasher.finish()
}

/// The file name rustdoc gives a crate's JSON.
fn json_name(krate: &str) -> String {
    format!("{}.json", krate.replace('-', "_"))
}

/// Documents the workspace at `root` as rustdoc JSON, in the target dir
/// `target`, and moves the JSON of [`CHECKED`] into `out`.
///
/// Every crate of a name writes `<target>/doc/<crate>.json`, the current
/// and the baseline alike, and cargo does not rerun a doc unit it finds
/// fresh. So the files are moved out at once, and rustdoc gets a
/// `--default-theme` (an HTML setting, no effect on JSON) that differs on
/// every run: the units' flags change, so this run always writes the files
/// (a stale file once made a verdict compare the baseline with an older
/// baseline, found after the 0.2.0 release).
fn rustdoc_json(root: &Path, target: &Path, out: &Path) -> anyhow::Result<PathBuf> {
    let written = |krate: &str| target.join("doc").join(json_name(krate));
    for krate in CHECKED {
        let _ = std::fs::remove_file(written(krate));
    }
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    let flags = format!("-Z unstable-options --output-format json --default-theme run-{nonce}");
    println!("==> RUSTDOCFLAGS='{flags}' (in {})", root.display());
    let (target_dir, rustdoc) = (target.to_string_lossy(), json_rustdoc(target)?);
    let envs = [
        ("CARGO_TARGET_DIR", target_dir.as_ref()),
        ("RUSTDOC", &rustdoc.to_string_lossy()),
        ("RUSTDOCFLAGS", &flags),
    ];
    cargo_in(root, &["doc", "--workspace", "--no-deps"], &envs)
        .with_context(|| format!("building the rustdoc JSON in {} failed", root.display()))?;
    std::fs::create_dir_all(out)?;
    for krate in CHECKED {
        std::fs::rename(written(krate), out.join(json_name(krate)))
            .with_context(|| format!("no rustdoc JSON of {krate} from {}", root.display()))?;
    }
    Ok(out.to_owned())
}

/// A `rustdoc` that accepts `-Z unstable-options` (JSON output is unstable)
/// on the stable toolchain: a two-line script, written into the target dir,
/// that runs the toolchain's rustdoc (or `$RUSTDOC`) with
/// `RUSTC_BOOTSTRAP=1`. Set as cargo's `RUSTDOC`, it reaches rustdoc alone:
/// setting `RUSTC_BOOTSTRAP` for the whole build would change what the build
/// scripts of proc-macro2, anyhow and thiserror detect, and so recompile
/// nearly every dependency.
fn json_rustdoc(target: &Path) -> anyhow::Result<PathBuf> {
    let script = target.join("semver-rustdoc").join("rustdoc");
    let real = match std::env::var_os("RUSTDOC").map(PathBuf::from) {
        // The script itself, inherited from an outer run, would call itself.
        Some(rustdoc) if rustdoc != script => rustdoc,
        _ => {
            let out = Command::new("rustc")
                .args(["--print", "sysroot"])
                .output()
                .context("cannot run rustc --print sysroot")?;
            let sysroot = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            Path::new(&sysroot).join("bin").join("rustdoc")
        }
    };
    std::fs::create_dir_all(script.parent().unwrap_or(target))?;
    let text = format!(
        "#!/bin/sh\nRUSTC_BOOTSTRAP=1 exec '{}' \"$@\"\n",
        real.display()
    );
    if std::fs::read_to_string(&script).ok().as_deref() != Some(text.as_str()) {
        std::fs::write(&script, text)?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755))?;
        }
    }
    Ok(script)
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
    fn the_baseline_json_is_kept_per_toolchain_and_set_of_third_party_crates() {
        let lock = |ours: &str, serde: &str| {
            format!(
                "version = 4\n\n[[package]]\nname = \"pinelabs\"\nversion = \"{ours}\"\n\n\
                 [[package]]\nname = \"serde\"\nversion = \"{serde}\"\n\
                 source = \"registry+https://github.com/rust-lang/crates.io-index\"\n"
            )
        };
        let key = |rustc: &str, ours: &str, serde: &str| baseline_key(rustc, &lock(ours, serde));
        // An adoption bumps the path crates only: the same baseline build.
        assert_eq!(key("1.95", "0.3.0", "1.0.1"), key("1.95", "0.3.1", "1.0.1"));
        // Another dependency version or toolchain is another baseline build.
        assert_ne!(key("1.95", "0.3.0", "1.0.1"), key("1.95", "0.3.0", "1.0.2"));
        assert_ne!(key("1.95", "0.3.0", "1.0.1"), key("1.96", "0.3.0", "1.0.1"));
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
