//! `cargo xtask codegen [--check]`: the generated source and its snapshot.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Where the insta snapshot of the generated source is kept.
pub fn snapshot_path() -> PathBuf {
    crate::root().join("xtask/snapshots/pinelabs_api.snap")
}

/// The content of an insta `.snap` file: everything after its metadata header.
pub fn snapshot_body(snap: &str) -> Option<&str> {
    let rest = snap.strip_prefix("---\n")?;
    let end = rest.find("\n---\n")?;
    Some(&rest[end + "\n---\n".len()..])
}

/// Compares the source generated from `spec` with the snapshot at `snapshot`.
///
/// Returns `Ok(None)` when they match and `Ok(Some(diff))`, a unified diff
/// from the snapshot to the fresh source, when the snapshot is stale.
pub fn stale_diff(spec: &Path, snapshot: &Path) -> anyhow::Result<Option<String>> {
    let fresh = pinelabs_codegen::generate(spec)?.combined();
    let snap = std::fs::read_to_string(snapshot).unwrap_or_default();
    let old = snapshot_body(&snap).unwrap_or("");
    let (old, fresh) = (old.trim_end(), fresh.trim_end());
    if old == fresh {
        return Ok(None);
    }
    let diff = similar::TextDiff::from_lines(old, fresh)
        .unified_diff()
        .context_radius(3)
        .header(&snapshot.display().to_string(), "generated from the spec")
        .to_string();
    Ok(Some(diff))
}

/// `codegen --check`: an error carrying the unified diff when stale.
pub fn check(spec: &Path, snapshot: &Path) -> anyhow::Result<()> {
    match stale_diff(spec, snapshot)? {
        None => {
            println!("codegen: snapshot {} is up to date", snapshot.display());
            Ok(())
        }
        Some(diff) => {
            println!("{diff}");
            bail!(
                "the generated client differs from the snapshot {}: run `cargo xtask codegen` and review the diff",
                snapshot.display()
            )
        }
    }
}

/// `codegen`: rewrites the snapshot when it is stale (see [`write()`]).
/// Under CI nothing is written: it checks.
pub fn update() -> anyhow::Result<()> {
    let spec = crate::spec_path();
    let snapshot = snapshot_path();
    if crate::in_ci() {
        println!("codegen: CI is set, so nothing is written; checking instead");
        return check(&spec, &snapshot);
    }
    if stale_diff(&spec, &snapshot)?.is_none() {
        println!("codegen: snapshot {} is up to date", snapshot.display());
        return Ok(());
    }
    write(&crate::root(), None)?;
    println!(
        "codegen: updated {}; review it with `git diff` and commit it with the spec change",
        snapshot.display()
    );
    Ok(())
}

/// Rewrites the snapshot of the checkout at `root` through insta itself
/// (its `codegen_snapshot` test with `INSTA_UPDATE=always`, building into
/// `target` when given), so the file is exactly what insta reads back; then
/// checks it is fresh. Writes even under CI (`cargo xtask adopt` calls it).
pub fn write(root: &Path, target: Option<&Path>) -> anyhow::Result<()> {
    let mut cargo = std::process::Command::new(crate::cargo_bin());
    cargo
        .args(["test", "-p", "xtask", "--test", "codegen_snapshot"])
        .env("INSTA_UPDATE", "always")
        .env_remove("CI")
        .current_dir(root);
    if let Some(target) = target {
        cargo.env("CARGO_TARGET_DIR", target);
    }
    let status = cargo.status().context("cannot run cargo")?;
    if !status.success() {
        bail!("updating the snapshot failed");
    }
    let snapshot = root.join("xtask/snapshots/pinelabs_api.snap");
    if let Some(diff) = stale_diff(&root.join("openapi/pinelabs-online.yaml"), &snapshot)? {
        bail!("the snapshot is still stale after the update:\n{diff}");
    }
    Ok(())
}
