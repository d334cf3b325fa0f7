//! Generates the client from the spec into `OUT_DIR/pinelabs_api.rs`.
//!
//! The generator is `pinelabs_codegen::generate`, the same function that
//! `cargo xtask codegen` snapshots, so the snapshot is exactly what compiles.

use std::path::Path;

fn main() {
    let spec = pinelabs_codegen::spec_path();
    println!("cargo::rerun-if-changed={}", spec.display());
    // The generator's own source is tracked by cargo as a build-dependency,
    // so a change to the settings reruns this script too.
    let source = match pinelabs_codegen::generate(&spec) {
        Ok(source) => source,
        Err(e) => {
            println!("cargo::error={e}");
            return;
        }
    };
    let Some(out_dir) = std::env::var_os("OUT_DIR") else {
        println!("cargo::error=OUT_DIR is not set: build this crate with cargo");
        return;
    };
    let out = Path::new(&out_dir).join("pinelabs_api.rs");
    if let Err(e) = std::fs::write(&out, source) {
        println!("cargo::error=cannot write {}: {e}", out.display());
    }
}
