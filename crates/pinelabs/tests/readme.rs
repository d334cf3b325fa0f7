//! The README's Rust examples are files in `examples/` (compiled with the
//! crate's examples, so `cargo test` and clippy build them), shown in full:
//! every ```rust block of the README is preceded by the file's path and
//! equals the file, with no rustdoc-only `# ` lines. The examples that need
//! no network run here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

#[path = "../examples/readme_builders.rs"]
mod readme_builders;
#[path = "../examples/readme_options.rs"]
mod readme_options;
#[path = "../examples/readme_sandbox.rs"]
mod readme_sandbox;

#[test]
fn every_readme_rust_block_is_an_example_file_shown_whole() {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(crate_dir.join("../../README.md")).expect("README");
    let mut blocks = 0;
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("\n```rust") {
        let caption = rest[..start]
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("");
        let body_start = start + rest[start + 1..].find('\n').expect("fence line") + 2;
        let end = body_start + rest[body_start..].find("```\n").expect("closing fence");
        let body = &rest[body_start..end];
        let file = caption
            .split('`')
            .find(|part| part.starts_with("crates/pinelabs/examples/"))
            .unwrap_or_else(|| panic!("no example path before the block: {caption}"));
        let source = std::fs::read_to_string(crate_dir.join("../..").join(file)).expect(file);
        assert_eq!(body, source, "the README's block differs from {file}");
        assert!(
            !body
                .lines()
                .any(|l| l.trim_start().starts_with("# ") || l.trim() == "#"),
            "{file}: rustdoc-only lines"
        );
        blocks += 1;
        rest = &rest[end..];
    }
    assert_eq!(blocks, 5, "the README shows the five examples");
}

#[test]
fn the_sandbox_and_builder_examples_run() {
    readme_builders::main().expect("the builder example succeeds");
    readme_sandbox::main().expect("the sandbox example succeeds");
    readme_options::main().expect("the per-call example succeeds");
}
