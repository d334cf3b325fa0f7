//! The source lint: layers and short functions, on the real tree and on
//! small crates written here with a deliberate violation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;

use xtask::source;

const ROOT: &str = r#"//! A crate.
//!
//! # Layers
//!
//! ```text
//! client          on top
//! error           in the middle
//! wire            at the bottom
//! ```

mod client;
mod error;
mod wire;

pub use error::Error;
pub use wire::HEADER;

/// Defined in the root itself.
pub struct Settings;
"#;

/// A crate in a temporary directory: `lib.rs` is [`ROOT`], and each
/// `(name, text)` is `src/{name}.rs`.
fn krate(modules: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("lib.rs"), ROOT).expect("write");
    for (name, text) in modules {
        std::fs::write(dir.path().join(format!("{name}.rs")), text).expect("write");
    }
    dir
}

fn problems(modules: &[(&str, &str)]) -> Vec<String> {
    let dir = krate(modules);
    source::layer_problems(dir.path()).expect("parses")
}

const CLEAN: [(&str, &str); 3] = [
    (
        "client",
        "use crate::{error::Error, wire};\nfn f() -> crate::Error { todo!() }\n",
    ),
    ("error", "use crate::wire::HEADER;\npub struct Error;\n"),
    (
        "wire",
        "pub const HEADER: &str = \"h\";\n#[cfg(test)]\nmod tests { use super::*; }\n",
    ),
];

#[test]
fn downward_imports_pass() {
    assert_eq!(problems(&CLEAN), Vec::<String>::new());
}

#[test]
fn an_upward_use_fails_naming_the_modules_and_the_path() {
    let mut modules = CLEAN;
    modules[1].1 = "use crate::client::Thing;\npub struct Error;\n";
    let found = problems(&modules);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0]
            .contains("`error` (layer 1) imports `crate::client::Thing` from `client` (layer 2)"),
        "{}",
        found[0]
    );
}

#[test]
fn a_path_in_code_and_a_root_reexport_are_resolved_too() {
    let mut modules = CLEAN;
    // `crate::Error` is `error::Error`, a layer above wire.
    modules[2].1 = "pub fn f() -> Option<crate::Error> { None }\npub const HEADER: &str = \"h\";\n";
    let found = problems(&modules);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("imports `crate::Error` from `error`"),
        "{}",
        found[0]
    );
}

#[test]
fn the_root_is_the_top_layer_and_super_at_the_top_is_the_root() {
    let mut modules = CLEAN;
    modules[2].1 = "use super::Settings;\npub const HEADER: &str = \"h\";\n";
    let found = problems(&modules);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].contains("defined in the crate root"),
        "{}",
        found[0]
    );
}

#[test]
fn a_module_missing_from_the_table_fails() {
    let dir = krate(&CLEAN);
    let root = std::fs::read_to_string(dir.path().join("lib.rs")).expect("read");
    std::fs::write(dir.path().join("lib.rs"), format!("{root}\nmod extra;\n")).expect("write");
    std::fs::write(dir.path().join("extra.rs"), "").expect("write");
    let found = source::layer_problems(dir.path()).expect("parses");
    assert!(
        found
            .iter()
            .any(|p| p.contains("`extra` is not in the `# Layers` table")),
        "{found:#?}"
    );
}

#[test]
fn a_long_function_fails_and_one_at_the_limit_passes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let body = |lines: usize| "    let _ = 1;\n".repeat(lines - 2);
    let text = format!(
        "fn at_limit() {{\n{}}}\nstruct S;\nimpl S {{\n    fn too_long(&self) {{\n{}    }}\n}}\n",
        body(source::MAX_FN_LINES),
        body(source::MAX_FN_LINES + 1)
    );
    std::fs::write(dir.path().join("lib.rs"), text).expect("write");
    let found = source::long_functions(dir.path()).expect("parses");
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].contains("`too_long` is 51 lines"), "{}", found[0]);
}

#[test]
fn a_public_item_behind_a_feature_fails_and_a_private_one_passes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let text = "#[cfg(feature = \"ring\")]\npub fn gated() {}\n\
                #[cfg(feature = \"ring\")]\nfn private() {}\n\
                #[cfg(test)]\npub fn test_only() {}\n\
                pub struct S;\nimpl S {\n    #[cfg(all(unix, feature = \"x\"))]\n    pub fn method(&self) {}\n}\n\
                pub enum E {\n    A,\n    #[cfg(feature = \"x\")]\n    B,\n}\n\
                #[cfg(feature = \"x\")]\nimpl From<u8> for S {\n    fn from(_: u8) -> Self { S }\n}\n\
                enum Private {\n    #[cfg(feature = \"x\")]\n    Hidden,\n}\n\
                pub struct F {\n    #[cfg(feature = \"x\")]\n    pub open: u8,\n    #[cfg(feature = \"x\")]\n    closed: u8,\n}\n";
    std::fs::write(dir.path().join("lib.rs"), text).expect("write");
    let found = source::feature_gated_public_items(dir.path()).expect("parses");
    assert_eq!(found.len(), 5, "{found:#?}");
    assert!(
        found[0].contains("lib.rs:1: public `gated`"),
        "{}",
        found[0]
    );
    assert!(found[1].contains("`method`"), "{}", found[1]);
    assert!(found[2].contains("`B`"), "{}", found[2]);
    assert!(found[3].contains("`impl`"), "{}", found[3]);
    assert!(found[4].contains("`open`"), "{}", found[4]);
}

/// The real tree: every layered crate is clean, and no function is long.
#[test]
fn the_real_tree_is_in_layers_with_short_functions() {
    let root = xtask::root();
    for dir in source::LAYERED {
        let found = source::layer_problems(&root.join(dir)).expect("parses");
        assert!(found.is_empty(), "{dir}: {found:#?}");
    }
    for dir in source::SHORT_FUNCTIONS {
        let found = source::long_functions(&root.join(dir)).expect("parses");
        assert!(found.is_empty(), "{dir}: {found:#?}");
    }
    for dir in source::SEMVER_DOCUMENTED {
        let found = source::feature_gated_public_items(&root.join(dir)).expect("parses");
        assert!(found.is_empty(), "{dir}: {found:#?}");
    }
    // The lint reads the sources of exactly the crates semver checks.
    let mut checked: Vec<String> = xtask::semver::CHECKED
        .iter()
        .map(|krate| format!("crates/{krate}/src"))
        .collect();
    let mut documented = source::SEMVER_DOCUMENTED.to_vec();
    checked.sort();
    documented.sort();
    assert_eq!(checked, documented);
    assert!(Path::new(&root.join("crates/pinelabs/src/lib.rs")).is_file());
}

#[test]
fn code_lines_leave_out_blanks_comments_and_test_modules() {
    let text = r#"//! Crate docs.

/// An item's docs.
pub fn one() -> u8 {
    // a comment
    1
}
/* a block
   comment */
#[cfg(test)]
mod tests {
    #[test]
    fn counted_nowhere() {}
}

#[cfg(feature = "x")]
mod counted {}
"#;
    // `pub fn one`, `1`, `}`, the `cfg(feature)` line and its module.
    assert_eq!(source::code_lines(text).unwrap(), 5);
    assert_eq!(source::code_lines("fn f() {}\nfn g() {}\n").unwrap(), 2);
}

#[test]
fn the_real_tree_is_within_its_code_line_budgets() {
    source::loc(&xtask::root(), false).unwrap();
}
