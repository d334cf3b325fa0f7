//! Generates the client from the spec into `OUT_DIR`.
//!
//! The spec is found from this package's own directory when the script
//! runs (`CARGO_MANIFEST_DIR` of the running build script): in the
//! repository `pinelabs-online.yaml` is a link to
//! `openapi/pinelabs-online.yaml`, in the published package it is a copy.
//! No path is compiled into the generator, so two checkouts sharing one
//! target dir each generate from their own spec.
//!
//! The generator is `pinelabs_codegen::generate`, the same function that
//! `cargo xtask codegen` snapshots, so the snapshot is exactly what compiles.

use std::path::PathBuf;

fn main() {
    // Relative paths here are relative to this package's root, so cargo
    // watches the spec of the checkout being built.
    println!("cargo::rerun-if-changed={}", pinelabs_codegen::SPEC_FILE);
    // Checkouts at different paths that share a target dir build this
    // package into the same OUT_DIR (cargo hashes path packages by their
    // path within the workspace), and cargo's mtime-based freshness check
    // cannot tell two checkouts apart: one checkout's generated code was
    // reused by the other. The repository's `.cargo/config.toml` sets
    // PINELABS_CHECKOUT to the checkout's absolute root (`[env]`, relative),
    // so building from another checkout reruns this script.
    println!("cargo::rerun-if-env-changed=PINELABS_CHECKOUT");
    let (Some(manifest_dir), Some(out_dir)) = (
        std::env::var_os("CARGO_MANIFEST_DIR"),
        std::env::var_os("OUT_DIR"),
    ) else {
        println!(
            "cargo::error=CARGO_MANIFEST_DIR or OUT_DIR is not set: build this crate with cargo"
        );
        return;
    };
    let spec = PathBuf::from(manifest_dir).join(pinelabs_codegen::SPEC_FILE);
    // The generator's own source is tracked by cargo as a build-dependency,
    // so a change to the settings reruns this script too.
    let generated = match pinelabs_codegen::generate(&spec) {
        Ok(generated) => generated,
        Err(e) => {
            println!("cargo::error={e}");
            return;
        }
    };
    for (name, body) in generated.files() {
        let out = PathBuf::from(&out_dir).join(name);
        if let Err(e) = std::fs::write(&out, body) {
            println!("cargo::error=cannot write {}: {e}", out.display());
        }
    }
}
