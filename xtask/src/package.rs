//! `cargo xtask package`: the crates as a service consumes them.
//!
//! 1. `cargo package --workspace --no-verify`: every crate is packaged. The
//!    verification build cargo would make (each crate built from its
//!    `.crate` alone, with that crate's own feature set, so every
//!    third-party crate compiled again per package) is left out: step 2
//!    builds every published crate from its `.crate` alone, and tests them,
//!    which verifies more. The spec travels inside
//!    `pinelabs-api`'s package: `crates/pinelabs-api/pinelabs-online.yaml`
//!    is a link to `openapi/pinelabs-online.yaml`, which cargo packages as a
//!    file. Packaging for a registry reads that registry's index, and the
//!    internal one cannot be reached from here, so the registry is pointed
//!    at an empty local git index for the run (`--config`).
//! 2. The `.crate` files of the published crates are unpacked into a
//!    directory source that stands in for the internal registry
//!    (`pinelabs-internal`, source replacement), and an outside crate that
//!    depends on `pinelabs` and `pinelabs-sandbox` through that registry is
//!    built and tested: it lists and deletes a token on the sandbox. It
//!    builds in this checkout's target dir, with the workspace's
//!    `Cargo.lock` and dev profile, so the third-party crates it shares with
//!    the workspace (same versions, features and profile) are not compiled
//!    again; our crates come from a directory source, a different package
//!    id, so they are always built from the `.crate` files.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context, ensure};

use crate::{cargo_in, root, semver::target_dir, semver::workspace_version};

/// The crates published to the internal registry, in dependency order.
pub const PUBLISHED: &[&str] = &[
    "pinelabs-codegen",
    "pinelabs-api",
    "pinelabs-http",
    "pinelabs",
    "pinelabs-sandbox",
];

/// The internal registry's name, as in `.cargo/config.toml`.
pub const REGISTRY: &str = "pinelabs-internal";

const CONSUMER_MANIFEST: &str = r#"[package]
name = "outside-service"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
pinelabs = { version = "=VERSION", registry = "pinelabs-internal" }
tokio = { version = "1", features = ["rt", "macros"] }

[dev-dependencies]
pinelabs-sandbox = { version = "=VERSION", registry = "pinelabs-internal" }

[workspace]

# The workspace's dev profile (see its Cargo.toml), so that the third-party
# crates built for the workspace are reused here.
[profile.dev]
debug = "line-tables-only"

[profile.dev.package."*"]
debug = false
"#;

const CONSUMER_TEST: &str = r#"//! A service's test against the packaged crates alone.
use pinelabs::{prelude::*, Client, DeleteToken};
use pinelabs_sandbox::{Sandbox, SEED_CUSTOMER_ID, SEED_TOKEN_ID};

#[tokio::test]
async fn lists_and_deletes_through_the_packaged_crates() {
    let sandbox = Sandbox::start().await.expect("sandbox starts");
    let client = Client::builder()
        .base_url(sandbox.base_url())
        .access_token(sandbox.access_token())
        .build()
        .expect("valid config");
    let tokens = client.list_tokens(SEED_CUSTOMER_ID).await.expect("listed");
    assert!(tokens.find(SEED_TOKEN_ID).is_some());
    let deleted = client
        .delete_token(SEED_CUSTOMER_ID, SEED_TOKEN_ID, &DeleteToken::new("outside-1"))
        .await
        .expect("deleted");
    assert!(deleted.is_deleted());
    let after = client.list_tokens(SEED_CUSTOMER_ID).await.expect("listed");
    assert!(after.find(SEED_TOKEN_ID).is_none());
}
"#;

/// Unpacks `crate_file` into `vendor` as a directory-source entry.
fn vendor_crate(crate_file: &Path, vendor: &Path) -> anyhow::Result<()> {
    let status = Command::new("tar")
        .args(["-xzf"])
        .arg(crate_file)
        .arg("-C")
        .arg(vendor)
        .status()
        .context("cannot run tar")?;
    ensure!(status.success(), "cannot unpack {}", crate_file.display());
    let sum = Command::new("sha256sum")
        .arg(crate_file)
        .output()
        .context("cannot run sha256sum")?;
    let sum = String::from_utf8_lossy(&sum.stdout);
    let sum = sum.split_whitespace().next().context("no checksum")?;
    let stem = crate_file
        .file_stem()
        .and_then(|s| s.to_str())
        .context("bad .crate name")?;
    std::fs::write(
        vendor.join(stem).join(".cargo-checksum.json"),
        format!(r#"{{"files":{{}},"package":"{sum}"}}"#),
    )?;
    Ok(())
}

/// An empty git registry index at `dir`, as a `file://` URL.
fn empty_index(dir: &Path) -> anyhow::Result<String> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(
        dir.join("config.json"),
        r#"{"dl": "file:///nonexistent/{crate}/{version}.crate"}"#,
    )?;
    for args in [
        &["init", "--quiet"][..],
        &["add", "config.json"],
        &[
            "-c",
            "user.name=xtask",
            "-c",
            "user.email=xtask@localhost",
            "commit",
            "--quiet",
            "-m",
            "index",
        ],
    ] {
        let status = Command::new("git").args(args).current_dir(dir).status()?;
        ensure!(
            status.success(),
            "git {} failed in {}",
            args.join(" "),
            dir.display()
        );
    }
    Ok(format!("file://{}", dir.display()))
}

/// Removes the sources cargo extracted from earlier runs' local registries
/// (`$CARGO_HOME/registry/src/-<hash>/pinelabs*`). `cargo package
/// --workspace` verifies each crate against its siblings through
/// `target/package/tmp-registry`, and cargo reuses an extracted crate of the
/// same name, version and registry path without checking it: the second run
/// from the same checkout verified the CLI against the first run's
/// `pinelabs` (found by CI). Only file registries (names starting with `-`)
/// and only this project's crates are touched.
fn clear_stale_extractions() -> anyhow::Result<()> {
    let home = std::env::var_os("CARGO_HOME")
        .map(std::path::PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")));
    let Some(src) = home.map(|h| h.join("registry/src")) else {
        return Ok(());
    };
    let Ok(registries) = std::fs::read_dir(&src) else {
        return Ok(());
    };
    for registry in registries.flatten() {
        if !registry.file_name().to_string_lossy().starts_with('-') {
            continue;
        }
        for krate in std::fs::read_dir(registry.path())?.flatten() {
            if krate.file_name().to_string_lossy().starts_with("pinelabs") {
                std::fs::remove_dir_all(krate.path())?;
            }
        }
    }
    Ok(())
}

/// Runs the packaging check.
pub fn run() -> anyhow::Result<()> {
    clear_stale_extractions()?;
    let repo = root();
    let target = std::path::absolute(target_dir(&repo))?;
    let target_str = target.to_str().context("target dir is not UTF-8")?;
    let env = [("CARGO_TARGET_DIR", target_str)];
    // A path never used before: cargo keeps a registry's extracted sources
    // under a hash of its index URL and reuses them without checking, so a
    // reused path (a recycled pid) verified against an older package.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let work =
        std::env::temp_dir().join(format!("pinelabs-package-{}-{nanos}", std::process::id()));
    let _ = std::fs::remove_dir_all(&work);
    let index = empty_index(&work.join("index"))?;
    let config = format!("registries.{REGISTRY}.index=\"{index}\"");
    let package = [
        "package",
        "--workspace",
        "--no-verify",
        "--allow-dirty",
        "--config",
        &config,
    ];
    cargo_in(&repo, &package, &env)?;
    let consumer = outside_service(&repo, &target, &work, &index)?;
    cargo_in(&consumer, &["test"], &env)?;
    let _ = std::fs::remove_dir_all(&work);
    println!("package: an outside crate built and passed its test against the packaged crates");
    Ok(())
}

/// An outside service's crate under `work`, whose only source of our
/// crates is the packaged `.crate` files (vendored beside it).
fn outside_service(
    repo: &Path,
    target: &Path,
    work: &Path,
    index: &str,
) -> anyhow::Result<PathBuf> {
    let version = workspace_version(repo)?;
    let vendor = work.join("registry");
    let consumer = work.join("outside-service");
    for dir in [
        &vendor,
        &consumer.join("tests"),
        &consumer.join("src"),
        &consumer.join(".cargo"),
    ] {
        std::fs::create_dir_all(dir)?;
    }
    for name in PUBLISHED {
        let file = target
            .join("package")
            .join(format!("{name}-{version}.crate"));
        vendor_crate(&file, &vendor)?;
    }
    let manifest = CONSUMER_MANIFEST.replace("VERSION", &version);
    std::fs::write(consumer.join("Cargo.toml"), manifest)?;
    // The workspace's versions of every third-party crate: what makes its
    // compiled crates reusable here.
    std::fs::copy(repo.join("Cargo.lock"), consumer.join("Cargo.lock"))?;
    std::fs::write(consumer.join("src/lib.rs"), "//! An outside service.\n")?;
    std::fs::write(consumer.join("tests/packaged.rs"), CONSUMER_TEST)?;
    std::fs::write(
        consumer.join(".cargo/config.toml"),
        format!(
            "[registries.{REGISTRY}]\nindex = \"{index}\"\n\n\
             [source.{REGISTRY}-index]\nregistry = \"{index}\"\nreplace-with = \"packaged\"\n\n\
             [source.packaged]\ndirectory = \"{}\"\n",
            vendor.display()
        ),
    )?;
    Ok(consumer)
}
