//! The source lint (part of `cargo xtask lint`): the hand-written Rust is in
//! layers, and its functions are short.
//!
//! * **Layers.** A crate root (`lib.rs`) lists its modules in a `# Layers`
//!   section: a `text` block, top layer first, one line per layer, the
//!   layer's modules before the first double space. A module may use only
//!   modules on lower lines. Every `crate::` path (in `use` items and in
//!   code) and every `super::` path at a module's top level is resolved,
//!   through the root's own `use` re-exports, to the module it names; an
//!   item defined in the root itself is the top layer. A violation names the
//!   file, both modules and the path. (Paths inside macro invocations are
//!   not parsed.)
//! * **Short functions.** No function or method, tests included, spans more
//!   than [`MAX_FN_LINES`] lines from `fn` to its closing brace.
//! * **No public item behind a feature** in [`SEMVER_DOCUMENTED`]:
//!   `cargo xtask semver` documents the workspace's default features (see
//!   `semver.rs`), which shows every public item only while none is
//!   feature-gated.
//! * **Code lines** (`cargo xtask loc`, [`loc`]): lines that are not blank,
//!   not comments and not inside a `#[cfg(test)]` module, per source
//!   directory of the library code services compile, within the budgets
//!   of [`LOC_BUDGETS`].

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use anyhow::{Context, bail};
use quote::ToTokens;
use syn::{
    Item, UseTree,
    spanned::Spanned,
    visit::{self, Visit},
};

/// The crates whose modules must be in layers (source directories).
pub const LAYERED: &[&str] = &[
    "crates/pinelabs/src",
    "crates/pinelabs-http/src",
    "crates/pinelabs-sandbox/src",
    "xtask/src",
];

/// The source directories whose functions must be short.
pub const SHORT_FUNCTIONS: &[&str] = &[
    "crates/pinelabs/src",
    "crates/pinelabs-http/src",
    "crates/pinelabs-api/src",
    "crates/pinelabs-codegen/src",
    "xtask/src",
];

/// The source directories of the crates whose public API `cargo xtask
/// semver` checks with the default features (`semver::CHECKED`, a layer
/// above this one: `tests/source_lint.rs` keeps the two lists equal).
pub const SEMVER_DOCUMENTED: &[&str] = &[
    "crates/pinelabs/src",
    "crates/pinelabs-http/src",
    "crates/pinelabs-api/src",
];

/// The hand-written library code services compile (`src/` and `build.rs`).
pub const LIBRARY_CODE: &[&str] = &[
    "crates/pinelabs/src",
    "crates/pinelabs-http/src",
    "crates/pinelabs-api/src",
    "crates/pinelabs-api/build.rs",
    "crates/pinelabs-codegen/src",
];

/// The most code lines of the wrapper (`crates/pinelabs/src`) and of all of
/// [`LIBRARY_CODE`]: the wrapper stays thin (issue 21 brought them from
/// 3,475 and 5,211).
pub const LOC_BUDGETS: [(&str, usize); 2] =
    [("crates/pinelabs/src", 1_500), ("library code", 4_600)];

/// The most lines a function may span.
pub const MAX_FN_LINES: usize = 50;

/// Runs both checks on the checkout at `root`; fails listing every problem.
pub fn run(root: &Path) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for dir in LAYERED {
        problems.extend(layer_problems(&root.join(dir))?);
    }
    for dir in SHORT_FUNCTIONS {
        problems.extend(long_functions(&root.join(dir))?);
    }
    for dir in SEMVER_DOCUMENTED {
        problems.extend(feature_gated_public_items(&root.join(dir))?);
    }
    for problem in &problems {
        println!("lint: {problem}");
    }
    if !problems.is_empty() {
        bail!("{} problem(s) in the Rust sources", problems.len());
    }
    println!(
        "lint: modules in layers ({}), no function over {MAX_FN_LINES} lines ({}), \
         no public item behind a feature ({})",
        LAYERED.join(", "),
        SHORT_FUNCTIONS.join(", "),
        SEMVER_DOCUMENTED.join(", ")
    );
    Ok(())
}

/// A crate's root and its top-level modules, parsed.
struct Crate {
    root: syn::File,
    root_name: String,
    /// Module name -> (its file, parsed).
    modules: BTreeMap<String, (PathBuf, syn::File)>,
}

fn parse(path: &Path) -> anyhow::Result<syn::File> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    syn::parse_file(&text).with_context(|| format!("{} is not valid Rust", path.display()))
}

impl Crate {
    fn read(src: &Path) -> anyhow::Result<Self> {
        let root_path = ["lib.rs", "main.rs"]
            .iter()
            .map(|name| src.join(name))
            .find(|p| p.is_file())
            .with_context(|| format!("{} has no lib.rs or main.rs", src.display()))?;
        let root = parse(&root_path)?;
        let mut modules = BTreeMap::new();
        for item in &root.items {
            let Item::Mod(m) = item else { continue };
            if m.content.is_some() {
                continue; // inline, e.g. `mod tests { .. }` or `prelude`
            }
            let name = m.ident.to_string();
            let file = [
                src.join(format!("{name}.rs")),
                src.join(&name).join("mod.rs"),
            ]
            .into_iter()
            .find(|p| p.is_file())
            .with_context(|| format!("no file for module `{name}` in {}", src.display()))?;
            let parsed = parse(&file)?;
            modules.insert(name, (file, parsed));
        }
        let root_name = root_path.display().to_string();
        Ok(Self {
            root,
            root_name,
            modules,
        })
    }

    /// The module a root-level name belongs to: itself if it is a module,
    /// the module it is re-exported from, or `None` for the root's own items.
    fn owner(&self, name: &str) -> Option<String> {
        if self.modules.contains_key(name) {
            return Some(name.to_owned());
        }
        self.root.items.iter().find_map(|item| match item {
            Item::Use(u) => reexport_source(&u.tree, name, None),
            _ => None,
        })
    }
}

/// In a root `use` tree, the first segment of the path that brings `name`
/// into the root (`pub use client::{Client, ..}` gives `client` for
/// `Client`).
fn reexport_source(tree: &UseTree, name: &str, first: Option<&str>) -> Option<String> {
    match tree {
        UseTree::Path(p) => {
            let head = p.ident.to_string();
            let first = first.unwrap_or(&head);
            reexport_source(&p.tree, name, Some(first))
        }
        UseTree::Name(n) if n.ident == name => first.map(str::to_owned),
        UseTree::Rename(r) if r.rename == name => first.map(str::to_owned),
        UseTree::Group(g) => g.items.iter().find_map(|t| reexport_source(t, name, first)),
        _ => None,
    }
    .filter(|source| source != "crate" && source != "self")
}

/// The `# Layers` table of a crate root: module -> rank (0 is the bottom).
pub fn layer_table(root: &syn::File) -> Option<BTreeMap<String, usize>> {
    let docs: Vec<String> = root
        .attrs
        .iter()
        .filter_map(|a| match &a.meta {
            syn::Meta::NameValue(nv) if nv.path.is_ident("doc") => match &nv.value {
                syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }) => Some(s.value()),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let start = docs.iter().position(|l| l.trim() == "# Layers")?;
    let mut lines = docs[start..]
        .iter()
        .map(|l| l.strip_prefix(' ').unwrap_or(l));
    lines.find(|l| l.starts_with("```"))?;
    let layers: Vec<Vec<String>> = lines
        .take_while(|l| !l.starts_with("```"))
        .map(|l| {
            let names = l.split("  ").next().unwrap_or_default();
            names.split_whitespace().map(str::to_owned).collect()
        })
        .collect();
    let count = layers.len();
    Some(
        layers
            .into_iter()
            .enumerate()
            .flat_map(|(i, names)| names.into_iter().map(move |n| (n, count - 1 - i)))
            .collect(),
    )
}

/// Every upward import (or unlisted module) of the crate in `src`.
pub fn layer_problems(src: &Path) -> anyhow::Result<Vec<String>> {
    let krate = Crate::read(src)?;
    let Some(rank) = layer_table(&krate.root) else {
        return Ok(vec![format!(
            "{}: no `# Layers` table in the crate docs",
            krate.root_name
        )]);
    };
    let mut problems = Vec::new();
    for (module, (file, parsed)) in &krate.modules {
        let Some(&own) = rank.get(module) else {
            problems.push(format!(
                "{}: module `{module}` is not in the `# Layers` table",
                krate.root_name
            ));
            continue;
        };
        let mut refs = References::default();
        refs.visit_file(parsed);
        for (name, path) in refs.found {
            problems.extend(check_ref(&krate, &rank, file, module, own, &name, &path));
        }
    }
    Ok(problems)
}

/// The problem with `module` (at rank `own`) naming `crate::name` via `path`.
fn check_ref(
    krate: &Crate,
    rank: &BTreeMap<String, usize>,
    file: &Path,
    module: &str,
    own: usize,
    name: &str,
    path: &str,
) -> Option<String> {
    let file = file.display();
    let Some(target) = krate.owner(name) else {
        let defined_in_root = krate
            .root
            .items
            .iter()
            .any(|i| item_name(i).is_some_and(|n| n == name));
        return defined_in_root.then(|| {
            format!("{file}: `{module}` uses `{path}`, defined in the crate root (the top layer)")
        });
    };
    if target == module {
        return None;
    }
    match rank.get(&target) {
        Some(&theirs) if theirs < own => None,
        Some(&theirs) => Some(format!(
            "{file}: `{module}` (layer {own}) imports `{path}` from `{target}` (layer {theirs}), which is not below it"
        )),
        None => Some(format!(
            "{file}: `{module}` imports `{path}` from `{target}`, which is not in the `# Layers` table"
        )),
    }
}

fn item_name(item: &Item) -> Option<&syn::Ident> {
    let ident = match item {
        Item::Const(i) => &i.ident,
        Item::Enum(i) => &i.ident,
        Item::Fn(i) => &i.sig.ident,
        Item::Static(i) => &i.ident,
        Item::Struct(i) => &i.ident,
        Item::Trait(i) => &i.ident,
        Item::Type(i) => &i.ident,
        Item::Mod(i) if i.content.is_some() => &i.ident,
        _ => return None,
    };
    Some(ident)
}

/// The `crate::X` (and top-level `super::X`) names a module uses, each with
/// the path it was found in.
#[derive(Default)]
struct References {
    found: Vec<(String, String)>,
    /// How deep in inline modules the visitor is (`super` in `mod tests`
    /// is the module itself).
    depth: usize,
}

impl References {
    fn is_root(&self, ident: &syn::Ident) -> bool {
        ident == "crate" || (ident == "super" && self.depth == 0)
    }

    fn use_tree(&mut self, tree: &UseTree, prefix: &str, at_root: bool) {
        match tree {
            UseTree::Path(p) if prefix.is_empty() && self.is_root(&p.ident) => {
                self.use_tree(&p.tree, &format!("{}::", p.ident), true);
            }
            UseTree::Path(p) if at_root => {
                let path = p.to_token_stream().to_string().replace(' ', "");
                self.found
                    .push((p.ident.to_string(), format!("{prefix}{path}")));
            }
            UseTree::Name(n) if at_root => {
                self.found
                    .push((n.ident.to_string(), format!("{prefix}{}", n.ident)));
            }
            UseTree::Rename(r) if at_root => {
                self.found
                    .push((r.ident.to_string(), format!("{prefix}{}", r.ident)));
            }
            UseTree::Group(g) => {
                for item in &g.items {
                    self.use_tree(item, prefix, at_root);
                }
            }
            _ => {}
        }
    }
}

impl<'ast> Visit<'ast> for References {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        self.use_tree(&item.tree, "", false);
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        self.depth += 1;
        visit::visit_item_mod(self, item);
        self.depth -= 1;
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        let mut segments = path.segments.iter();
        if let (Some(first), Some(second)) = (segments.next(), segments.next())
            && self.is_root(&first.ident)
        {
            let text: Vec<String> = path.segments.iter().map(|s| s.ident.to_string()).collect();
            self.found.push((second.ident.to_string(), text.join("::")));
        }
        visit::visit_path(self, path);
    }
}

/// Every function in `src` (recursively) spanning more than
/// [`MAX_FN_LINES`] lines.
pub fn long_functions(src: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for file in rust_files(src)? {
        let mut lengths = FunctionLengths::default();
        lengths.visit_file(&parse(&file)?);
        for (name, line, lines) in lengths.found {
            if lines > MAX_FN_LINES {
                problems.push(format!(
                    "{}:{line}: `{name}` is {lines} lines (at most {MAX_FN_LINES}); split it into named steps",
                    file.display()
                ));
            }
        }
    }
    Ok(problems)
}

/// Every public item or method, field or variant of a public type, and
/// every trait impl, in `src` (recursively) under a `#[cfg(..)]` that names
/// a `feature`.
pub fn feature_gated_public_items(src: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for file in rust_files(src)? {
        let mut gated = FeatureGated::default();
        gated.visit_file(&parse(&file)?);
        for (name, line) in gated.found {
            problems.push(format!(
                "{}:{line}: public `{name}` is behind a cargo feature, which \
                 `cargo xtask semver` does not document; make it unconditional",
                file.display()
            ));
        }
    }
    Ok(problems)
}

/// Public items under a feature `cfg`: name and line.
#[derive(Default)]
struct FeatureGated {
    found: Vec<(String, usize)>,
}

impl FeatureGated {
    fn check(
        &mut self,
        attrs: &[syn::Attribute],
        public: bool,
        name: String,
        at: proc_macro2::Span,
    ) {
        let gated = attrs.iter().any(|attr| {
            attr.path().is_ident("cfg") && attr.to_token_stream().to_string().contains("feature")
        });
        if public && gated {
            self.found.push((name, at.start().line));
        }
    }
}

impl<'ast> Visit<'ast> for FeatureGated {
    fn visit_item(&mut self, item: &'ast Item) {
        let public = |vis: &syn::Visibility| matches!(vis, syn::Visibility::Public(_));
        let (attrs, vis, name) = match item {
            Item::Const(i) => (&i.attrs, public(&i.vis), i.ident.to_string()),
            Item::Enum(i) => {
                for v in i.variants.iter().filter(|_| public(&i.vis)) {
                    self.check(&v.attrs, true, v.ident.to_string(), v.span());
                }
                (&i.attrs, public(&i.vis), i.ident.to_string())
            }
            Item::Fn(i) => (&i.attrs, public(&i.vis), i.sig.ident.to_string()),
            // A trait impl is public wherever its trait and type are; an
            // inherent impl is checked through its methods.
            Item::Impl(i) => (&i.attrs, i.trait_.is_some(), "impl".into()),
            Item::Mod(i) => (&i.attrs, public(&i.vis), i.ident.to_string()),
            Item::Static(i) => (&i.attrs, public(&i.vis), i.ident.to_string()),
            Item::Struct(i) => {
                for f in i.fields.iter().filter(|f| public(&i.vis) && public(&f.vis)) {
                    let name = f.ident.as_ref().map_or("field".into(), ToString::to_string);
                    self.check(&f.attrs, true, name, f.span());
                }
                (&i.attrs, public(&i.vis), i.ident.to_string())
            }
            Item::Trait(i) => (&i.attrs, public(&i.vis), i.ident.to_string()),
            Item::Type(i) => (&i.attrs, public(&i.vis), i.ident.to_string()),
            Item::Use(i) => (
                &i.attrs,
                public(&i.vis),
                i.tree.to_token_stream().to_string(),
            ),
            _ => return visit::visit_item(self, item),
        };
        self.check(attrs, vis, name, item.span());
        visit::visit_item(self, item);
    }

    fn visit_impl_item_fn(&mut self, f: &'ast syn::ImplItemFn) {
        let public = matches!(f.vis, syn::Visibility::Public(_));
        self.check(&f.attrs, public, f.sig.ident.to_string(), f.span());
        visit::visit_impl_item_fn(self, f);
    }
}

/// `cargo xtask loc`: prints the code lines of each of [`LIBRARY_CODE`]
/// and their total; fails when one is over its budget ([`LOC_BUDGETS`]).
/// With `per_file`, each file's count too.
pub fn loc(root: &Path, per_file: bool) -> anyhow::Result<()> {
    let mut total = 0;
    let mut over = Vec::new();
    for dir in LIBRARY_CODE {
        let path = root.join(dir);
        let files = match (path.is_dir(), path.exists()) {
            (true, _) => rust_files(&path)?,
            (false, true) => vec![path],
            (false, false) => Vec::new(), // an older tree, before the crate
        };
        let mut lines = 0;
        for file in files {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let n = code_lines(&text).with_context(|| format!("{}", file.display()))?;
            if per_file {
                println!("loc:   {n:>6} {}", file.display());
            }
            lines += n;
        }
        println!("loc: {dir:<30} {lines:>6}");
        total += lines;
        over.extend(
            LOC_BUDGETS
                .iter()
                .filter(|(name, max)| name == dir && lines > *max),
        );
    }
    println!("loc: {:<30} {total:>6}", "library code");
    over.extend(
        LOC_BUDGETS
            .iter()
            .filter(|(name, max)| *name == "library code" && total > *max),
    );
    if let Some((name, max)) = over.first() {
        bail!("{name} is over its budget of {max} code lines: the wrapper stays thin");
    }
    Ok(())
}

/// The code lines of one Rust file: not blank, not a comment (`//`, `///`,
/// `//!`, `/* .. */` lines) and not inside a `#[cfg(test)]` module.
pub fn code_lines(text: &str) -> anyhow::Result<usize> {
    let file = syn::parse_file(text)?;
    let is_test = |m: &syn::ItemMod| {
        m.attrs
            .iter()
            .any(|a| a.to_token_stream().to_string() == "# [cfg (test)]")
    };
    let tests: Vec<_> = (file.items.iter())
        .filter_map(|item| match item {
            Item::Mod(m) if is_test(m) => Some(m.span().start().line..=m.span().end().line),
            _ => None,
        })
        .collect();
    let (mut count, mut in_block) = (0, false);
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if in_block || line.starts_with("/*") {
            in_block = !line.contains("*/");
        } else if !line.is_empty()
            && !line.starts_with("//")
            && !tests.iter().any(|range| range.contains(&(i + 1)))
        {
            count += 1;
        }
    }
    Ok(count)
}

fn rust_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("cannot list {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            files.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Each function's name, first line and length in lines.
#[derive(Default)]
struct FunctionLengths {
    found: Vec<(String, usize, usize)>,
}

impl FunctionLengths {
    fn add(&mut self, sig: &syn::Signature, block: &syn::Block) {
        let start = sig.fn_token.span().start().line;
        let end = block.brace_token.span.close().end().line;
        self.found
            .push((sig.ident.to_string(), start, end.saturating_sub(start) + 1));
    }
}

impl<'ast> Visit<'ast> for FunctionLengths {
    fn visit_item_fn(&mut self, item: &'ast syn::ItemFn) {
        self.add(&item.sig, &item.block);
        visit::visit_item_fn(self, item);
    }

    fn visit_impl_item_fn(&mut self, item: &'ast syn::ImplItemFn) {
        self.add(&item.sig, &item.block);
        visit::visit_impl_item_fn(self, item);
    }

    fn visit_trait_item_fn(&mut self, item: &'ast syn::TraitItemFn) {
        if let Some(block) = &item.default {
            self.add(&item.sig, block);
        }
        visit::visit_trait_item_fn(self, item);
    }
}
