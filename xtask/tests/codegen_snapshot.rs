//! The insta snapshot of the generated client source.
//!
//! Fails (and, under `CI=true`, writes nothing) when the spec or the generator
//! settings changed without `cargo xtask codegen` being run.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn generated_client_matches_snapshot() {
    let source = pinelabs_codegen::generate(&xtask::spec_path())
        .unwrap_or_else(|e| panic!("generation failed: {e}"))
        .combined();
    let mut settings = insta::Settings::clone_current();
    // Found when the test runs, never a path compiled in: two checkouts
    // sharing a target dir share this test binary (cargo reuses path-crate
    // artifacts across them), and each must write its own snapshot.
    settings.set_snapshot_path(xtask::root().join("xtask/snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(true);
    settings.bind(|| insta::assert_snapshot!("pinelabs_api", source));
}
