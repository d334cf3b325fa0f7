//! Minimal edits of the spec's YAML text, for `cargo xtask adopt`.
//!
//! The spec is hand-written YAML with comments, block scalars and a chosen
//! key order, so it is edited as lines, never re-serialised: each edit finds
//! its mapping by indentation, changes or inserts the few lines it needs, and
//! leaves every other byte as it was. Each edit is idempotent: when the spec
//! already says what it would add, the text comes back unchanged.
//!
//! The understood subset is the one the spec is written in: block mappings
//! of `key:` lines (keys plain or quoted), block scalars (`|`, `>`), flow
//! lists (`[a, b]`) and block lists (`- a`). Anything else is an error
//! naming the key, so that a human makes the edit.

use anyhow::{Context, bail};

/// A YAML document as lines, with the position helpers the edits need.
struct Lines(Vec<String>);

fn indent(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// Whether a line holds content (not blank, not a comment).
fn is_content(line: &str) -> bool {
    let t = line.trim_start();
    !t.is_empty() && !t.starts_with('#')
}

/// The key of a `key: value` or `key:` line, unquoted, and the rest after
/// the colon.
fn key_of(line: &str) -> Option<(&str, &str)> {
    let t = line.trim_start();
    if let Some(quote @ ('\'' | '"')) = t.chars().next() {
        let end = t[1..].find(quote)? + 1;
        let rest = t[end + 1..].strip_prefix(':')?;
        return Some((&t[1..end], rest));
    }
    if t.starts_with("- ") {
        return None;
    }
    let end = t
        .find(": ")
        .or_else(|| t.ends_with(':').then(|| t.len() - 1))?;
    Some((&t[..end], &t[end + 1..]))
}

impl Lines {
    fn of(yaml: &str) -> Self {
        Lines(yaml.lines().map(str::to_owned).collect())
    }

    fn text(&self) -> String {
        self.0.join("\n") + "\n"
    }

    /// One past the last content line of the block under line `at`.
    fn block_end(&self, at: usize) -> usize {
        let depth = indent(&self.0[at]);
        let mut end = at + 1;
        for (i, line) in self.0.iter().enumerate().skip(at + 1) {
            if is_content(line) {
                if indent(line) <= depth {
                    break;
                }
                end = i + 1;
            }
        }
        end
    }

    /// The indent of the children of the mapping at `parent`, if it has any.
    fn child_indent(&self, parent: Option<usize>) -> Option<usize> {
        let (start, end) = self.span(parent);
        self.0[start..end]
            .iter()
            .find(|l| is_content(l))
            .map(|l| indent(l))
    }

    fn span(&self, parent: Option<usize>) -> (usize, usize) {
        match parent {
            Some(p) => (p + 1, self.block_end(p)),
            None => (0, self.0.len()),
        }
    }

    /// The line of the child `key` of the mapping at `parent` (the root
    /// when `None`).
    fn child(&self, parent: Option<usize>, key: &str) -> Option<usize> {
        let depth = self.child_indent(parent)?;
        let (start, end) = self.span(parent);
        (start..end).find(|&i| {
            let line = &self.0[i];
            is_content(line) && indent(line) == depth && key_of(line).is_some_and(|(k, _)| k == key)
        })
    }

    /// The line of the mapping at `path` (keys from the root).
    fn locate(&self, path: &[&str]) -> anyhow::Result<usize> {
        let mut at = None;
        for key in path {
            at = Some(
                self.child(at, key)
                    .with_context(|| format!("the spec has no `{}`", path.join(" > ")))?,
            );
        }
        at.context("empty path")
    }

    /// Inserts `fragment` (YAML at indent 0) at line `at`, indented by
    /// `depth`.
    fn insert(&mut self, at: usize, depth: usize, fragment: &str) {
        let pad = " ".repeat(depth);
        let lines = fragment.lines().map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{pad}{l}")
            }
        });
        self.0.splice(at..at, lines);
    }

    /// Rewrites the line `at` as the flow list `key: [items]`, at its
    /// indent.
    fn set_flow_list(&mut self, at: usize, key: &str, items: &[&str]) {
        let pad = " ".repeat(indent(&self.0[at]));
        self.0[at] = format!("{pad}{key}: [{}]", items.join(", "));
    }

    /// Appends `sentence` to the `description` of the mapping at `at`: a
    /// new line of a block scalar, the end of a plain one-line scalar, or a
    /// new `description` key.
    fn describe(&mut self, at: usize, sentence: &str) -> anyhow::Result<()> {
        let Some(d) = self.child(Some(at), "description") else {
            let depth = self
                .child_indent(Some(at))
                .unwrap_or(indent(&self.0[at]) + 2);
            self.insert(
                at + 1,
                depth,
                &format!("description: {}\n", scalar(sentence)),
            );
            return Ok(());
        };
        let (_, rest) = key_of(&self.0[d]).context("description line")?;
        let value = rest.trim();
        if value.starts_with('|') || value.starts_with('>') {
            let end = self.block_end(d);
            let last = self.0[end - 1].trim_start();
            // A block that ends in a Markdown list (the values of an enum)
            // gets one more item.
            let bullet = ["* ", "- "].into_iter().find(|b| last.starts_with(b));
            let depth = indent(&self.0[end - 1]);
            self.insert(end, depth, &format!("{}{sentence}\n", bullet.unwrap_or("")));
        } else if value.is_empty() || value.starts_with(['\'', '"', '[', '{', '&', '*']) {
            bail!("the description at line {} is not a plain scalar", d + 1);
        } else {
            let (text, comment) = match value.split_once(" #") {
                Some((text, comment)) => (text.trim_end(), format!("  #{comment}")),
                None => (value, String::new()),
            };
            let key = format!("{}description: ", " ".repeat(indent(&self.0[d])));
            self.0[d] = format!("{key}{}{comment}", scalar(&format!("{text} {sentence}")));
        }
        Ok(())
    }
}

/// `text` as a one-line YAML scalar: plain when YAML reads it back as the
/// same string, else single-quoted.
fn scalar(text: &str) -> String {
    let plain = !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.starts_with(|c: char| "!&*{}[],#|>@`'\"%?-:".contains(c));
    if plain {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// Adds the property `name` (its YAML `fragment`, starting with `name:`)
/// at the end of `components/schemas/<schema>/properties`.
pub fn add_property(
    yaml: &str,
    schema: &str,
    name: &str,
    fragment: &str,
) -> anyhow::Result<String> {
    let mut doc = Lines::of(yaml);
    let props = doc.locate(&["components", "schemas", schema, "properties"])?;
    if doc.child(Some(props), name).is_some() {
        return Ok(yaml.to_owned());
    }
    let depth = doc
        .child_indent(Some(props))
        .unwrap_or(indent(&doc.0[props]) + 2);
    let end = doc.block_end(props);
    doc.insert(end, depth, fragment);
    Ok(doc.text())
}

/// A scalar as the YAML writes it, without its quotes.
fn unquoted(scalar: &str) -> &str {
    scalar.trim().trim_matches(['\'', '"'])
}

/// The items of a flow list `[a, b]` as written (quotes kept, so a rewrite
/// keeps `'yes'` a string), if `value` is one.
fn flow_items(value: &str) -> Option<Vec<&str>> {
    let inner = value.trim().strip_prefix('[')?.strip_suffix(']')?;
    Some(
        inner
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect(),
    )
}

/// Appends `value` (a YAML scalar as written) to the `enum` of
/// `components/schemas/<schema>`, and `note` to its description.
pub fn append_enum_value(
    yaml: &str,
    schema: &str,
    value: &str,
    note: &str,
) -> anyhow::Result<String> {
    let mut doc = Lines::of(yaml);
    let at = doc.locate(&["components", "schemas", schema])?;
    let e = doc
        .child(Some(at), "enum")
        .with_context(|| format!("`{schema}` has no `enum`"))?;
    let (key, rest) = key_of(&doc.0[e])
        .map(|(k, r)| (k.to_owned(), r.to_owned()))
        .context("enum line")?;
    let bare = unquoted(value);
    if let Some(items) = flow_items(&rest) {
        if items.iter().any(|i| unquoted(i) == bare) {
            return Ok(yaml.to_owned());
        }
        let list: Vec<&str> = items.into_iter().chain([value]).collect();
        doc.set_flow_list(e, &key, &list);
    } else {
        let items: Vec<usize> = (e + 1..doc.0.len())
            .take_while(|&i| !is_content(&doc.0[i]) || doc.0[i].trim_start().starts_with("- "))
            .filter(|&i| is_content(&doc.0[i]))
            .collect();
        let last = *items
            .last()
            .with_context(|| format!("`{schema}`'s enum is not a list"))?;
        if items
            .iter()
            .any(|&i| unquoted(&doc.0[i].trim_start()[2..]) == bare)
        {
            return Ok(yaml.to_owned());
        }
        let depth = indent(&doc.0[last]);
        doc.insert(last + 1, depth, &format!("- {value}\n"));
    }
    doc.describe(at, note)?;
    Ok(doc.text())
}

/// Takes `property` out of the `required` list of
/// `components/schemas/<schema>` (the key goes when the list empties, as
/// OpenAPI 3.0 forbids an empty one), and appends `note` to the property's
/// description.
pub fn drop_required(
    yaml: &str,
    schema: &str,
    property: &str,
    note: &str,
) -> anyhow::Result<String> {
    let mut doc = Lines::of(yaml);
    let at = doc.locate(&["components", "schemas", schema])?;
    let Some(r) = doc.child(Some(at), "required") else {
        return Ok(yaml.to_owned());
    };
    let rest = key_of(&doc.0[r])
        .map(|(_, rest)| rest.to_owned())
        .context("required line")?;
    let items = flow_items(&rest)
        .with_context(|| format!("`{schema}`'s `required` is not a flow list `[a, b]`"))?;
    if !items.iter().any(|i| unquoted(i) == property) {
        return Ok(yaml.to_owned());
    }
    let left: Vec<&str> = items
        .into_iter()
        .filter(|i| unquoted(i) != property)
        .collect();
    if left.is_empty() {
        doc.0.remove(r);
    } else {
        doc.set_flow_list(r, "required", &left);
    }
    let prop = doc.locate(&["components", "schemas", schema, "properties", property])?;
    doc.describe(prop, note)?;
    Ok(doc.text())
}

/// Adds the response `status` (its YAML `fragment`, starting with the
/// status key) to the operation at `path` and `method`, before the first
/// documented status above it.
pub fn add_response(
    yaml: &str,
    path: &str,
    method: &str,
    status: u16,
    fragment: &str,
) -> anyhow::Result<String> {
    let mut doc = Lines::of(yaml);
    let responses = doc.locate(&["paths", path, method, "responses"])?;
    let code = status.to_string();
    if doc.child(Some(responses), &code).is_some() {
        return Ok(yaml.to_owned());
    }
    let depth = doc
        .child_indent(Some(responses))
        .context("no documented responses")?;
    let (start, end) = doc.span(Some(responses));
    let before = (start..end)
        .filter(|&i| is_content(&doc.0[i]) && indent(&doc.0[i]) == depth)
        .find(|&i| {
            key_of(&doc.0[i])
                .map(|(k, _)| k.parse::<u16>().map_or(true, |n| n > status))
                .unwrap_or(false)
        })
        .unwrap_or(end);
    doc.insert(before, depth, fragment);
    Ok(doc.text())
}

/// The lines removed from and added to `before`, as a line diff sees them
/// (so every other line is byte-identical).
pub fn changed_lines(before: &str, after: &str) -> (Vec<String>, Vec<String>) {
    let (mut removed, mut added) = (vec![], vec![]);
    for change in similar::TextDiff::from_lines(before, after).iter_all_changes() {
        let line = change.value().trim_end_matches('\n').to_owned();
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(line),
            similar::ChangeTag::Insert => added.push(line),
            similar::ChangeTag::Equal => {}
        }
    }
    (removed, added)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = "\
# a comment that stays
paths:
  /a/{id}:
    get:
      responses:
        '200':
          description: ok   # kept
        '404':
          $ref: '#/x'
components:
  schemas:
    Status:
      description: |
        The status.

        * `A`: first.
      type: string
      enum: [A, B]
    Block:
      description: Block list.
      enum:
        - A
    Thing:
      description: A thing.
      type: object
      required: [id, name]
      properties:
        id:
          description: The id.
          type: string
        name:
          type: string
    Other:
      type: object
";

    use super::changed_lines as changed;

    #[test]
    fn a_property_is_appended_to_its_schemas_properties() {
        let out = add_property(
            SPEC,
            "Thing",
            "extra",
            "extra:\n  type: string\n  nullable: true\n",
        )
        .expect("edit");
        assert_eq!(
            changed(SPEC, &out),
            (
                vec![],
                vec![
                    "        extra:".to_owned(),
                    "          type: string".to_owned(),
                    "          nullable: true".to_owned(),
                ]
            )
        );
        assert!(
            out.find("        extra:") > out.find("        name:")
                && out.find("        extra:") < out.find("    Other:")
        );
        assert_eq!(
            add_property(&out, "Thing", "extra", "extra: {}\n").expect("again"),
            out
        );
    }

    #[test]
    fn an_enum_value_joins_a_flow_or_block_list_and_the_description() {
        let out = append_enum_value(SPEC, "Status", "C", "`C`: seen live.").expect("edit");
        assert_eq!(
            changed(SPEC, &out),
            (
                vec!["      enum: [A, B]".to_owned()],
                vec![
                    "        * `C`: seen live.".to_owned(),
                    "      enum: [A, B, C]".to_owned()
                ],
            )
        );
        assert_eq!(
            append_enum_value(&out, "Status", "C", "x").expect("again"),
            out
        );
        let quoted = SPEC.replace("enum: [A, B]", "enum: ['yes', \"no\"]");
        let out = append_enum_value(&quoted, "Status", "maybe", "seen.").expect("edit");
        assert!(
            out.contains("      enum: ['yes', \"no\", maybe]\n"),
            "quotes kept: {out}"
        );
        assert_eq!(
            append_enum_value(&out, "Status", "yes", "x").expect("again"),
            out
        );
        let out = append_enum_value(SPEC, "Block", "Z", "Z seen.").expect("edit");
        assert_eq!(
            changed(SPEC, &out),
            (
                vec!["      description: Block list.".to_owned()],
                vec![
                    "      description: Block list. Z seen.".to_owned(),
                    "        - Z".to_owned()
                ],
            )
        );
        let out = append_enum_value(SPEC, "Block", "Z", "`Z`: seen, it's new.").expect("edit");
        assert!(
            out.contains("      description: 'Block list. `Z`: seen, it''s new.'\n"),
            "quoted: {out}"
        );
    }

    #[test]
    fn a_field_leaves_required_and_says_why() {
        let out = drop_required(SPEC, "Thing", "id", "Not always sent.").expect("edit");
        assert_eq!(
            changed(SPEC, &out),
            (
                vec![
                    "      required: [id, name]".to_owned(),
                    "          description: The id.".to_owned()
                ],
                vec![
                    "      required: [name]".to_owned(),
                    "          description: The id. Not always sent.".to_owned()
                ],
            )
        );
        let out = drop_required(&out, "Thing", "name", "Gone.").expect("edit");
        assert!(!out.contains("required:"), "an empty list goes: {out}");
        assert!(
            out.contains("        name:\n          description: Gone.\n          type: string\n"),
            "{out}"
        );
        assert_eq!(
            drop_required(&out, "Thing", "name", "x").expect("again"),
            out
        );
    }

    #[test]
    fn a_status_goes_in_order_among_the_responses() {
        let fragment = "'409':\n  description: seen.\n";
        let out = add_response(SPEC, "/a/{id}", "get", 409, fragment).expect("edit");
        assert_eq!(
            changed(SPEC, &out).1,
            ["        '409':", "          description: seen."]
        );
        assert!(out.find("'409'") > out.find("'404'"));
        let out = add_response(
            SPEC,
            "/a/{id}",
            "get",
            302,
            "'302':\n  description: moved.\n",
        )
        .expect("edit");
        assert!(out.find("'302'") < out.find("'404'") && out.find("'302'") > out.find("'200'"));
        assert_eq!(
            add_response(&out, "/a/{id}", "get", 302, "x").expect("again"),
            out
        );
    }

    #[test]
    fn an_unknown_place_is_an_error_naming_it() {
        let err = add_property(SPEC, "Nope", "x", "x: {}\n").expect_err("no schema");
        assert!(
            err.to_string()
                .contains("components > schemas > Nope > properties"),
            "{err}"
        );
        assert!(append_enum_value(SPEC, "Thing", "x", "n").is_err());
    }
}
