//! Changing the items of one SealedSecret in place: a changed item gets its new ciphertext
//! spliced over the old one, a new item is written after the last one in the same style (block
//! line, flow mapping entry or JSON member), a removed item loses its line or entry. Everything
//! else keeps its bytes; the result must read back as exactly the intended objects.

use std::ops::Range;

use serde_yaml::Value;

use super::error::EditError;
use super::object::Loaded;
use crate::tree::document::{self, Syntax};
use crate::tree::splice::{self, Edit};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Add or replace `item` with the ciphertext `text`.
    Put {
        item: String,
        text: String,
    },
    Remove {
        item: String,
    },
}

/// Where one existing item's ciphertext sits, and how its entry is written.
#[derive(Debug, Clone)]
struct Spot {
    value: Range<usize>,
    /// The value's end including a closing quote.
    value_end: usize,
    quote: Option<u8>,
}

pub fn rewrite(l: &Loaded, ops: &[Op]) -> Result<Vec<u8>, EditError> {
    let bytes = &l.bytes;
    let doc = l.docs[l.place.document].range.clone();
    let item_err = |item: &str, reason: String| EditError::Item {
        path: l.shown.clone(),
        object: l.object.clone(),
        item: item.to_string(),
        reason,
    };
    let spot = |item: &str| -> Result<Spot, EditError> {
        let old =
            l.ss.spec
                .encrypted_data
                .get(item)
                .map(String::as_str)
                .unwrap_or_default();
        let value = splice::locate(bytes, doc.clone(), old)
            .map_err(|e| item_err(item, format!("cannot rewrite in place: {e}")))?;
        let quote = bytes.get(value.end).copied().filter(|q| {
            (*q == b'"' || *q == b'\'') && value.start > 0 && bytes[value.start - 1] == *q
        });
        let value_end = value.end + usize::from(quote.is_some());
        Ok(Spot {
            value,
            value_end,
            quote,
        })
    };

    let removed: Vec<&str> = ops
        .iter()
        .filter_map(|o| match o {
            Op::Remove { item } => Some(item.as_str()),
            Op::Put { .. } => None,
        })
        .collect();
    let mut edits = Vec::new();
    let mut added = Vec::new();
    for op in ops {
        match op {
            Op::Put { item, text } if l.ss.spec.encrypted_data.contains_key(item) => {
                let s = spot(item)?;
                edits.push(Edit {
                    range: s.value,
                    text: text.clone(),
                });
            }
            Op::Put { item, text } => added.push((item.as_str(), text.as_str())),
            Op::Remove { item } => {
                if !l.ss.spec.encrypted_data.contains_key(item) {
                    return Err(item_err(item, "no such item".into()));
                }
                let s = spot(item)?;
                let range = removal(bytes, l.syntax, item, &s)
                    .ok_or_else(|| item_err(item, "cannot remove in place: its entry is not written in a form this command rewrites".into()))?;
                edits.push(Edit {
                    range,
                    text: String::new(),
                });
            }
        }
    }
    let remaining =
        l.ss.spec
            .encrypted_data
            .keys()
            .filter(|k| !removed.contains(&k.as_str()))
            .count();
    if remaining + added.len() == 0 {
        return Err(EditError::Object {
            path: l.shown.clone(),
            object: l.object.clone(),
            reason: "cannot remove every item (delete the SealedSecret instead)".into(),
        });
    }
    if !added.is_empty() {
        // New items go after the item written last in the file that stays.
        let mut anchor: Option<(String, Spot)> = None;
        for item in l.ss.spec.encrypted_data.keys() {
            if removed.contains(&item.as_str()) {
                continue;
            }
            let s = spot(item)?;
            if anchor
                .as_ref()
                .is_none_or(|(_, a)| s.value.start > a.value.start)
            {
                anchor = Some((item.clone(), s));
            }
        }
        let Some((anchor_item, anchor)) = anchor else {
            return Err(EditError::Object {
                path: l.shown.clone(),
                object: l.object.clone(),
                reason: "has no item to write new ones after (spec.encryptedData is empty)".into(),
            });
        };
        let (at, text) = insertion(bytes, l.syntax, &anchor_item, &anchor, &added);
        // First, so that it stays ahead of a removal starting at the same byte (`apply` sorts
        // stably by start).
        edits.insert(
            0,
            Edit {
                range: at..at,
                text,
            },
        );
    }
    let out = splice::apply(bytes, edits).ok_or_else(|| EditError::Object {
        path: l.shown.clone(),
        object: l.object.clone(),
        reason: "cannot rewrite in place: the changes overlap".into(),
    })?;
    if !verify(l, ops, &out) {
        return Err(EditError::Object {
            path: l.shown.clone(),
            object: l.object.clone(),
            reason: "cannot rewrite in place: the result does not read back as the intended object"
                .into(),
        });
    }
    Ok(out)
}

fn line_start(bytes: &[u8], pos: usize) -> usize {
    bytes[..pos]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |i| i + 1)
}

/// The end of the line holding `pos`, past its newline (or the end of the file).
fn line_end(bytes: &[u8], pos: usize) -> usize {
    bytes[pos..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(bytes.len(), |i| pos + i + 1)
}

/// The line ending of the line holding `pos`, or the file's when that line has none.
fn eol_of(bytes: &[u8], pos: usize) -> &'static str {
    let end = line_end(bytes, pos);
    let crlf = if bytes[..end].ends_with(b"\n") {
        bytes[..end].ends_with(b"\r\n")
    } else {
        bytes.windows(2).any(|w| w == b"\r\n")
    };
    if crlf { "\r\n" } else { "\n" }
}

/// A block mapping entry `<indent><key>:<ws>[quote]` before the value: indent and separator.
fn block_prefix(bytes: &[u8], s: &Spot) -> Option<(String, String)> {
    let ls = line_start(bytes, s.value.start);
    let quote_len = usize::from(s.quote.is_some());
    let prefix = std::str::from_utf8(&bytes[ls..s.value.start - quote_len]).ok()?;
    let rest = prefix.trim_start_matches(' ');
    let indent = &prefix[..prefix.len() - rest.len()];
    if rest.is_empty() || rest.starts_with(['{', '-', '[', '#']) || rest.contains(['{', ',']) {
        return None;
    }
    let colon = rest.rfind(':')?;
    let sep = &rest[colon + 1..];
    if sep.is_empty() || !sep.chars().all(|c| c == ' ' || c == '\t') {
        return None;
    }
    Some((indent.to_string(), sep.to_string()))
}

/// Nothing but blanks and a comment after the value on its line.
fn rest_of_line_is_blank(bytes: &[u8], from: usize) -> bool {
    let end = line_end(bytes, from);
    let tail = String::from_utf8_lossy(&bytes[from..end]);
    let t = tail.trim();
    t.is_empty() || t.starts_with('#')
}

fn yaml_key(key: &str) -> String {
    const SPECIAL: [&str; 22] = [
        "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
        "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF",
    ];
    let plain = key.starts_with(|c: char| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        && !SPECIAL.contains(&key)
        && !matches!(key, "null" | "Null" | "NULL");
    if plain {
        key.to_string()
    } else {
        json_string(key)
    }
}

fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// Where and what to insert for new items after the anchor entry.
fn insertion(
    bytes: &[u8],
    syntax: Syntax,
    anchor_item: &str,
    a: &Spot,
    added: &[(&str, &str)],
) -> (usize, String) {
    let eol = eol_of(bytes, a.value.start);
    if syntax == Syntax::Yaml
        && let Some((indent, sep)) = block_prefix(bytes, a)
    {
        let end = line_end(bytes, a.value_end);
        let q = a.quote.map(|q| (q as char).to_string()).unwrap_or_default();
        let lines: Vec<String> = added
            .iter()
            .map(|(key, value)| format!("{indent}{}:{sep}{q}{value}{q}", yaml_key(key)))
            .collect();
        // A last line without a newline keeps having none.
        let text = if end == bytes.len() && !bytes.ends_with(b"\n") {
            format!("{eol}{}", lines.join(eol))
        } else {
            format!("{}{eol}", lines.join(eol))
        };
        return (end, text);
    }
    let key_fmt: fn(&str) -> String = if syntax == Syntax::Json {
        json_string
    } else {
        yaml_key
    };
    // JSON or a flow mapping: after the value, as `, key: value`; on their own lines when the
    // anchor's key starts its line.
    let ls = line_start(bytes, a.value.start);
    let line = String::from_utf8_lossy(&bytes[ls..a.value.start]);
    let indent: String = line
        .chars()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    let own_line = {
        let key = key_fmt(anchor_item);
        line.trim_start().starts_with(&key)
    };
    let q = match (syntax, a.quote) {
        (Syntax::Json, _) => "\"".to_string(),
        (_, Some(q)) => (q as char).to_string(),
        _ => String::new(),
    };
    let mut text = String::new();
    for (key, value) in added {
        if own_line {
            text.push_str(&format!(",{eol}{indent}{}: {q}{value}{q}", key_fmt(key)));
        } else {
            text.push_str(&format!(", {}: {q}{value}{q}", key_fmt(key)));
        }
    }
    (a.value_end, text)
}

/// The bytes to delete to remove an item's entry.
fn removal(bytes: &[u8], syntax: Syntax, item: &str, s: &Spot) -> Option<Range<usize>> {
    if syntax == Syntax::Yaml
        && block_prefix(bytes, s).is_some()
        && rest_of_line_is_blank(bytes, s.value_end)
    {
        return Some(line_start(bytes, s.value.start)..line_end(bytes, s.value_end));
    }
    // A flow or JSON entry: `key: value` with the comma on one side.
    let quote_len = usize::from(s.quote.is_some());
    let before = std::str::from_utf8(&bytes[..s.value.start - quote_len]).ok()?;
    let before = before.trim_end().strip_suffix(':')?.trim_end();
    let candidates = [json_string(item), format!("'{item}'"), item.to_string()];
    let token = candidates.iter().find(|t| before.ends_with(t.as_str()))?;
    let key_start = before.len() - token.len();
    let back = bytes[..key_start]
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())?;
    if bytes[back] == b',' {
        return Some(back..s.value_end);
    }
    let fwd = bytes[s.value_end..]
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .map(|i| s.value_end + i)?;
    if bytes[fwd] == b',' {
        let next = bytes[fwd + 1..]
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map_or(bytes.len(), |i| fwd + 1 + i);
        return Some(key_start..next);
    }
    None
}

/// The new bytes read back as the old documents with exactly `ops` applied.
fn verify(l: &Loaded, ops: &[Op], out: &[u8]) -> bool {
    let mut expected = l.docs.clone();
    let Some(map) = document::object_mut(&mut expected, l.place)
        .and_then(|o| o.get_mut("spec"))
        .and_then(|s| s.get_mut("encryptedData"))
        .and_then(Value::as_mapping_mut)
    else {
        return false;
    };
    for op in ops {
        match op {
            Op::Put { item, text } => {
                map.insert(Value::String(item.clone()), Value::String(text.clone()));
            }
            Op::Remove { item } => {
                map.remove(item.as_str());
            }
        }
    }
    match document::parse(out) {
        Ok((s, docs)) if s == l.syntax && docs.len() == expected.len() => {
            docs.iter().zip(&expected).all(|(g, w)| g.value == w.value)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "AgAaaaaaaaaaaaaaaaaaaaaaaaaaaa==";
    const B: &str = "AgBbbbbbbbbbbbbbbbbbbbbbbbbbbb==";
    const NEW: &str = "AgNnnnnnnnnnnnnnnnnnnnnnn/+nnn==";

    fn run(text: &str, ops: &[Op]) -> Result<String, String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("f.yaml");
        std::fs::write(&p, text).expect("write");
        let l = super::super::object::load(&p, None).map_err(|e| e.to_string())?;
        rewrite(&l, ops)
            .map(|b| String::from_utf8(b).expect("utf8"))
            .map_err(|e| e.to_string())
    }

    fn put(item: &str) -> Op {
        Op::Put {
            item: item.into(),
            text: NEW.into(),
        }
    }

    fn rm(item: &str) -> Op {
        Op::Remove { item: item.into() }
    }

    fn block(items: &str) -> String {
        format!(
            "# top\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: s, namespace: n}}\nspec:\n  encryptedData: # items\n{items}  template: {{type: Opaque}}\n"
        )
    }

    #[test]
    fn block_style_replace_add_remove() {
        let text = block(&format!("    a: {A} # keep\n    b: \"{B}\"\n"));
        let out = run(&text, &[put("a"), put("new-key"), rm("b")]).expect("rewrite");
        assert_eq!(
            out,
            block(&format!("    a: {NEW} # keep\n    new-key: {NEW}\n"))
        );
        // A quoted last item: the new one is quoted the same way.
        let out = run(&text, &[put("c")]).expect("rewrite");
        assert_eq!(
            out,
            block(&format!(
                "    a: {A} # keep\n    b: \"{B}\"\n    c: \"{NEW}\"\n"
            ))
        );
        // Keys YAML would read as something else are quoted.
        let out = run(&text, &[put("on")]).expect("rewrite");
        assert!(out.contains(&format!("    \"on\": \"{NEW}\"\n")), "{out}");
    }

    #[test]
    fn crlf_and_no_final_newline() {
        let text = format!(
            "apiVersion: bitnami.com/v1alpha1\r\nkind: SealedSecret\r\nmetadata: {{name: s, namespace: n}}\r\nspec:\r\n  encryptedData:\r\n    a: {A}"
        );
        let out = run(&text, &[put("b")]).expect("rewrite");
        assert_eq!(out, format!("{text}\r\n    b: {NEW}"));
        let out = run(&format!("{text}\r\n    b: {B}\r\n"), &[rm("a")]).expect("rewrite");
        assert_eq!(
            out,
            text.replace(&format!("    a: {A}"), &format!("    b: {B}\r\n"))
        );
    }

    #[test]
    fn flow_mappings() {
        let text = format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {{name: s, namespace: n}}\nspec: {{encryptedData: {{a: {A}, b: {B}}}}}\n"
        );
        let out = run(&text, &[put("c")]).expect("add");
        assert!(
            out.contains(&format!("{{a: {A}, b: {B}, c: {NEW}}}")),
            "{out}"
        );
        let out = run(&text, &[rm("a")]).expect("remove first");
        assert!(out.contains(&format!("{{b: {B}}}")), "{out}");
        let out = run(&text, &[rm("b")]).expect("remove last");
        assert!(out.contains(&format!("{{a: {A}}}")), "{out}");
    }

    #[test]
    fn json_members() {
        let text = format!(
            "{{\n  \"apiVersion\": \"bitnami.com/v1alpha1\",\n  \"kind\": \"SealedSecret\",\n  \"metadata\": {{\"name\": \"s\", \"namespace\": \"n\"}},\n  \"spec\": {{\n    \"encryptedData\": {{\n      \"a\": \"{A}\",\n      \"b\": \"{B}\"\n    }}\n  }}\n}}\n"
        );
        let out = run(&text, &[put("c")]).expect("add");
        assert_eq!(
            out,
            text.replace(
                &format!("\"{B}\"\n"),
                &format!("\"{B}\",\n      \"c\": \"{NEW}\"\n")
            )
        );
        let out = run(&text, &[rm("a")]).expect("remove first");
        assert_eq!(out, text.replace(&format!("\"a\": \"{A}\",\n      "), ""));
        let out = run(&text, &[rm("b")]).expect("remove last");
        assert_eq!(out, text.replace(&format!(",\n      \"b\": \"{B}\""), ""));
    }

    #[test]
    fn refusals_name_the_item() {
        let text = block(&format!("    a: {A}\n"));
        let err = run(&text, &[rm("nope")]).expect_err("missing");
        assert!(err.ends_with("item \"nope\": no such item"), "{err}");
        let err = run(&text, &[rm("a")]).expect_err("last item");
        assert!(err.contains("cannot remove every item"), "{err}");
        let folded = block(&format!(
            "    a: >-\n      {}\n      {}\n",
            &A[..10],
            &A[10..]
        ));
        let err = run(&folded, &[put("b")]).expect_err("folded anchor");
        assert!(err.contains("cannot rewrite in place"), "{err}");
    }

    #[test]
    fn other_documents_keep_their_bytes() {
        let other = format!("---\n# same value elsewhere\nkind: ConfigMap\ndata: {{x: {A}}}\n");
        let text = format!("{}{other}", block(&format!("    a: {A}\n")));
        let out = run(&text, &[put("a")]).expect("rewrite");
        assert_eq!(out, format!("{}{other}", block(&format!("    a: {NEW}\n"))));
    }
}
