//! Replacing ciphertext scalars in place: find the old text at exactly one spot of its
//! document, swap the bytes, and check that the result reads back as the same objects with only
//! those values changed. Everything else in the file (comments, order, quoting, line endings)
//! keeps its bytes.

use std::ops::Range;

use serde_yaml::Value;

use super::document::{self, Document, Place, Syntax};

/// Why a value has no unambiguous place in its document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocateError {
    /// Not there as one run of bytes: folded, wrapped or escaped.
    NotFound,
    /// More than one candidate (a copy in a comment, a duplicated value).
    Ambiguous(usize),
}

impl std::fmt::Display for LocateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LocateError::NotFound => f.write_str(
                "the ciphertext is not written as a single-line scalar (folded, wrapped or escaped)",
            ),
            LocateError::Ambiguous(n) => {
                write!(f, "the ciphertext occurs {n} times in its document")
            }
        }
    }
}

/// Base64 alphabet plus padding: a match bordered by one of these is part of a longer token.
fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'='
}

/// The byte range of the only whole-token occurrence of `needle` within `within`.
pub fn locate(
    bytes: &[u8],
    within: Range<usize>,
    needle: &str,
) -> Result<Range<usize>, LocateError> {
    let needle = needle.as_bytes();
    let hay = bytes.get(within.clone()).ok_or(LocateError::NotFound)?;
    if needle.is_empty() || needle.len() > hay.len() {
        return Err(LocateError::NotFound);
    }
    let mut found = Vec::new();
    for i in 0..=hay.len() - needle.len() {
        if &hay[i..i + needle.len()] != needle {
            continue;
        }
        let before = i.checked_sub(1).map(|j| hay[j]);
        let after = hay.get(i + needle.len()).copied();
        if before.is_some_and(is_token_byte) || after.is_some_and(is_token_byte) {
            continue;
        }
        found.push(within.start + i..within.start + i + needle.len());
    }
    match found.len() {
        0 => Err(LocateError::NotFound),
        1 => Ok(found.remove(0)),
        n => Err(LocateError::Ambiguous(n)),
    }
}

/// A located replacement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    pub range: Range<usize>,
    pub text: String,
}

/// Applies non-overlapping edits; `None` if two of them overlap.
pub fn apply(bytes: &[u8], mut edits: Vec<Edit>) -> Option<Vec<u8>> {
    edits.sort_by_key(|e| e.range.start);
    let mut out = Vec::with_capacity(bytes.len() + edits.len() * 16);
    let mut at = 0;
    for e in &edits {
        if e.range.start < at || e.range.end > bytes.len() {
            return None;
        }
        out.extend_from_slice(&bytes[at..e.range.start]);
        out.extend_from_slice(e.text.as_bytes());
        at = e.range.end;
    }
    out.extend_from_slice(&bytes[at..]);
    Some(out)
}

/// One intended value change: the object, the item, the new ciphertext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub place: Place,
    pub item: String,
    pub text: String,
}

/// True when `new_bytes` parses as the same syntax into exactly `old` with `changes` applied.
pub fn verify(syntax: Syntax, old: &[Document], changes: &[Change], new_bytes: &[u8]) -> bool {
    let mut expected = old.to_vec();
    for c in changes {
        let slot = document::object_mut(&mut expected, c.place)
            .and_then(|o| o.get_mut("spec"))
            .and_then(|s| s.get_mut("encryptedData"))
            .and_then(|d| d.get_mut(c.item.as_str()));
        match slot {
            Some(v) => *v = Value::String(c.text.clone()),
            None => return false,
        }
    }
    match document::parse(new_bytes) {
        Ok((s, docs)) if s == syntax && docs.len() == expected.len() => docs
            .iter()
            .zip(&expected)
            .all(|(got, want)| got.value == want.value),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OLD: &str = "AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq";
    const NEW: &str = "AgCfreshciphertext/with+chars==";

    fn rewrite(text: &str, old: &str, new: &str) -> Result<String, String> {
        let (syntax, docs) = document::parse(text.as_bytes()).map_err(|e| e.reason)?;
        let found = document::sealed_secrets(&docs);
        let mut edits = Vec::new();
        let mut changes = Vec::new();
        for (place, obj) in &found {
            let items = obj
                .get("spec")
                .and_then(|s| s.get("encryptedData"))
                .and_then(Value::as_mapping)
                .cloned()
                .unwrap_or_default();
            for (k, v) in items {
                if v.as_str() != Some(old) {
                    continue;
                }
                let range = locate(text.as_bytes(), docs[place.document].range.clone(), old)
                    .map_err(|e| e.to_string())?;
                edits.push(Edit {
                    range,
                    text: new.to_string(),
                });
                changes.push(Change {
                    place: *place,
                    item: k.as_str().unwrap_or_default().to_string(),
                    text: new.to_string(),
                });
            }
        }
        let out = apply(text.as_bytes(), edits).ok_or("overlap")?;
        if !verify(syntax, &docs, &changes, &out) {
            return Err("verify".into());
        }
        String::from_utf8(out).map_err(|e| e.to_string())
    }

    fn ss(body: &str) -> String {
        format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: s\n  namespace: n\nspec:\n{body}"
        )
    }

    #[test]
    fn plain_and_quoted_scalars_with_comments() {
        for (value, expect) in [
            (OLD.to_string(), NEW.to_string()),
            (format!("\"{OLD}\""), format!("\"{NEW}\"")),
            (format!("'{OLD}'"), format!("'{NEW}'")),
        ] {
            let text = ss(&format!(
                "  # the password\n  encryptedData:\n    password: {value} # sealed by A\n    other: AgOther\n  template:\n    metadata: {{name: s}}\n"
            ));
            let out = rewrite(&text, OLD, NEW).expect("rewrite");
            assert_eq!(out, text.replace(&value, &expect));
        }
    }

    #[test]
    fn crlf_and_multiple_documents_keep_every_other_byte() {
        let text = format!(
            "# repo file\r\napiVersion: v1\r\nkind: ConfigMap\r\nmetadata: {{name: c}}\r\ndata: {{x: \"{OLD}\"}}\r\n---\r\n{}---\r\n{}",
            ss(&format!("  encryptedData:\r\n    a: {OLD}\r\n"))
                .replace('\n', "\r\n")
                .replace("\r\r", "\r"),
            ss("  encryptedData:\r\n    b: AgUntouched\r\n")
                .replace('\n', "\r\n")
                .replace("\r\r", "\r"),
        );
        let out = rewrite(&text, OLD, NEW).expect("rewrite");
        // The ConfigMap's identical string (another document) is left alone.
        assert_eq!(out.matches(OLD).count(), 1);
        assert_eq!(out.matches(NEW).count(), 1);
        assert_eq!(out.replace(NEW, OLD), text);
        assert!(out.contains("\r\n---\r\n"));
    }

    #[test]
    fn flow_mappings_and_lists() {
        let text = format!(
            "apiVersion: v1\nkind: List\nitems:\n- {{apiVersion: bitnami.com/v1alpha1, kind: SealedSecret, metadata: {{name: s}}, spec: {{encryptedData: {{k: {OLD}}}}}}}\n"
        );
        let out = rewrite(&text, OLD, NEW).expect("rewrite");
        assert_eq!(out, text.replace(OLD, NEW));
    }

    #[test]
    fn json_files() {
        let text = format!(
            "{{\n  \"kind\": \"SealedSecret\",\n  \"apiVersion\": \"bitnami.com/v1alpha1\",\n  \"metadata\": {{\"name\": \"s\"}},\n  \"spec\": {{\"encryptedData\": {{\"k\": \"{OLD}\"}}}}\n}}\n"
        );
        let out = rewrite(&text, OLD, NEW).expect("rewrite");
        assert_eq!(out, text.replace(OLD, NEW));
        // An escaped slash is not the same bytes: refused, not guessed.
        let slashed = "AgB/slash+value==";
        let escaped = text.replace(OLD, "AgB\\/slash+value==");
        let err = rewrite(&escaped, slashed, NEW).expect_err("escaped");
        assert!(err.contains("not written as a single-line scalar"), "{err}");
    }

    #[test]
    fn folded_and_duplicated_values_are_refused() {
        let folded = ss(&format!(
            "  encryptedData:\n    k: >-\n      {}\n      {}\n",
            &OLD[..10],
            &OLD[10..]
        ));
        // Folding joins the lines with a space: that text is nowhere in the file.
        let joined = format!("{} {}", &OLD[..10], &OLD[10..]);
        let err = rewrite(&folded, &joined, NEW).expect_err("folded");
        assert!(err.contains("not written as a single-line scalar"), "{err}");
        let commented = ss(&format!("  # was {OLD}\n  encryptedData:\n    k: {OLD}\n"));
        let err = rewrite(&commented, OLD, NEW).expect_err("twice");
        assert!(err.contains("2 times"), "{err}");
    }

    #[test]
    fn locate_needs_whole_tokens() {
        let text = format!("x: {OLD}AA\ny: {OLD}\n");
        let r = locate(text.as_bytes(), 0..text.len(), OLD).expect("one whole token");
        assert_eq!(&text[r.start - 3..r.start], "y: ");
        assert_eq!(locate(b"abc", 0..3, ""), Err(LocateError::NotFound));
    }

    #[test]
    fn apply_refuses_overlaps() {
        let edits = vec![
            Edit {
                range: 0..3,
                text: "x".into(),
            },
            Edit {
                range: 2..4,
                text: "y".into(),
            },
        ];
        assert_eq!(apply(b"abcdef", edits), None);
        let ok = vec![
            Edit {
                range: 4..6,
                text: "Z".into(),
            },
            Edit {
                range: 0..1,
                text: "A".into(),
            },
        ];
        assert_eq!(apply(b"abcdef", ok).as_deref(), Some(&b"AbcdZ"[..]));
    }

    #[test]
    fn verify_catches_a_wrong_spot() {
        let text = ss(&format!("  encryptedData:\n    k: {OLD}\n"));
        let (syntax, docs) = document::parse(text.as_bytes()).expect("parse");
        let change = Change {
            place: Place {
                document: 0,
                list_item: None,
            },
            item: "k".into(),
            text: NEW.into(),
        };
        // Replacing the name instead of the value must not pass.
        let wrong = text.replace("name: s", &format!("name: {NEW}"));
        assert!(!verify(
            syntax,
            &docs,
            std::slice::from_ref(&change),
            wrong.as_bytes()
        ));
        let right = text.replace(OLD, NEW);
        assert!(verify(syntax, &docs, &[change], right.as_bytes()));
    }
}
