//! A file as a stream of documents with their byte ranges, and the SealedSecrets in it.
//!
//! JSON when the first non-blank byte is `{` (a stream of objects), YAML otherwise (documents
//! separated by `---` lines, each parsed on its own as kubeseal's reader does). The ranges let
//! the rewrite look for a ciphertext only inside the document that holds it.

use std::ops::Range;

use serde_yaml::Value;

use sealwright_crypto::model::{API_VERSION, KIND};
use sealwright_crypto::yaml;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Syntax {
    Yaml,
    Json,
}

/// One document: where it is and what it holds (never `null`: empty documents are dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct Document {
    pub range: Range<usize>,
    pub value: Value,
}

/// Why a file could not be read as documents; `reason` is one line with a position, never the
/// file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub syntax: Syntax,
    pub reason: String,
}

/// Where a SealedSecret sits: document index, and its index in a `List`'s items if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub document: usize,
    pub list_item: Option<usize>,
}

pub fn parse(bytes: &[u8]) -> Result<(Syntax, Vec<Document>), ParseError> {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first == Some(&b'{') {
        json_documents(bytes).map(|d| (Syntax::Json, d))
    } else {
        yaml_documents(bytes).map(|d| (Syntax::Yaml, d))
    }
}

fn json_documents(bytes: &[u8]) -> Result<Vec<Document>, ParseError> {
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<serde_json::Value>();
    let mut start = 0;
    while let Some(next) = stream.next() {
        let value = next.map_err(|e| ParseError {
            syntax: Syntax::Json,
            reason: format!("line {} column {}: {}", e.line(), e.column(), json_kind(&e)),
        })?;
        let end = stream.byte_offset();
        let value = serde_yaml::to_value(&value).map_err(|e| ParseError {
            syntax: Syntax::Json,
            reason: one_line(&e.to_string()),
        })?;
        if !value.is_null() {
            out.push(Document {
                range: start..end,
                value,
            });
        }
        start = end;
    }
    Ok(out)
}

/// serde_json's message without the input text it may quote.
fn json_kind(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "read error",
        serde_json::error::Category::Syntax => "syntax error",
        serde_json::error::Category::Data => "unexpected data",
        serde_json::error::Category::Eof => "unexpected end of input",
    }
}

fn yaml_documents(bytes: &[u8]) -> Result<Vec<Document>, ParseError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ParseError {
        syntax: Syntax::Yaml,
        reason: format!("not UTF-8 text (byte {})", e.valid_up_to()),
    })?;
    let mut out = Vec::new();
    for range in yaml_ranges(text) {
        let part = &text[range.clone()];
        if part.trim().is_empty() {
            continue;
        }
        let parsed =
            yaml::contain(|| serde_yaml::from_str::<Value>(part)).map_err(|e| ParseError {
                syntax: Syntax::Yaml,
                reason: e.to_string(),
            })?;
        let value = parsed.map_err(|e| ParseError {
            syntax: Syntax::Yaml,
            reason: yaml_reason(&e, text, range.start),
        })?;
        if !value.is_null() {
            out.push(Document { range, value });
        }
    }
    Ok(out)
}

/// The byte ranges of the documents: a line starting with `---` (followed by nothing, blanks or
/// a comment/tag) separates them; the marker itself belongs to neither side.
pub fn yaml_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = 0;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if let Some(rest) = line.strip_prefix("---")
            && (rest.is_empty() || rest.starts_with([' ', '\t', '\r', '\n']))
        {
            ranges.push(start..offset);
            // The rest of the marker line (a comment, a tag) is parsed with the next document.
            start = offset + 3;
        }
        offset += line.len();
    }
    ranges.push(start..text.len());
    ranges
}

/// serde_yaml's message names a position relative to the document; make it the file's line.
fn yaml_reason(e: &serde_yaml::Error, text: &str, doc_start: usize) -> String {
    let base_line = text[..doc_start].matches('\n').count();
    match e.location() {
        Some(loc) => {
            let message = one_line(&e.to_string());
            // Keep serde_yaml's description, drop its own (document-relative) position.
            let description = message
                .split(" at line ")
                .next()
                .unwrap_or(&message)
                .to_string();
            format!(
                "line {} column {}: {description}",
                base_line + loc.line(),
                loc.column()
            )
        }
        None => one_line(&e.to_string()),
    }
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn is_sealed_secret(v: &Value) -> bool {
    v.get("apiVersion").and_then(Value::as_str) == Some(API_VERSION)
        && v.get("kind").and_then(Value::as_str) == Some(KIND)
}

/// Every SealedSecret in the documents (top level, or an item of a `List`), in file order.
pub fn sealed_secrets(docs: &[Document]) -> Vec<(Place, &Value)> {
    let mut out = Vec::new();
    for (document, doc) in docs.iter().enumerate() {
        if is_sealed_secret(&doc.value) {
            out.push((
                Place {
                    document,
                    list_item: None,
                },
                &doc.value,
            ));
            continue;
        }
        let is_list = doc
            .value
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| k == "List" || k.ends_with("List"));
        if let Some(items) = doc.value.get("items").and_then(Value::as_sequence)
            && is_list
        {
            for (i, item) in items.iter().enumerate() {
                if is_sealed_secret(item) {
                    out.push((
                        Place {
                            document,
                            list_item: Some(i),
                        },
                        item,
                    ));
                }
            }
        }
    }
    out
}

/// The object at `place`, mutable (to build the expected result of a rewrite).
pub fn object_mut(docs: &mut [Document], place: Place) -> Option<&mut Value> {
    let doc = &mut docs.get_mut(place.document)?.value;
    match place.list_item {
        None => Some(doc),
        Some(i) => doc.get_mut("items")?.get_mut(i),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_ranges_split_on_marker_lines_only() {
        let text = "a: 1\n---\nb: 2\n--- # next\nc: '---'\n  ---x: 1\n---\n";
        let r = yaml_ranges(text);
        let parts: Vec<&str> = r.iter().map(|r| &text[r.clone()]).collect();
        assert_eq!(
            parts,
            vec!["a: 1\n", "\nb: 2\n", " # next\nc: '---'\n  ---x: 1\n", "\n"]
        );
    }

    #[test]
    fn finds_sealed_secrets_in_streams_and_lists() {
        let text = "# header\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: a}\n---\napiVersion: v1\nkind: List\nitems:\n- apiVersion: bitnami.com/v1alpha1\n  kind: SealedSecret\n  metadata: {name: b}\n- {apiVersion: v1, kind: Secret}\n";
        let (syntax, docs) = parse(text.as_bytes()).expect("parse");
        assert_eq!(syntax, Syntax::Yaml);
        assert_eq!(docs.len(), 3, "the comment-only document is dropped");
        let found = sealed_secrets(&docs);
        let places: Vec<Place> = found.iter().map(|(p, _)| *p).collect();
        assert_eq!(
            places,
            vec![
                Place {
                    document: 1,
                    list_item: None
                },
                Place {
                    document: 2,
                    list_item: Some(0)
                }
            ]
        );
    }

    #[test]
    fn crlf_yaml_parses() {
        let text = "apiVersion: bitnami.com/v1alpha1\r\nkind: SealedSecret\r\n---\r\nx: 1\r\n";
        let (_, docs) = parse(text.as_bytes()).expect("parse");
        assert_eq!(docs.len(), 2);
        assert_eq!(sealed_secrets(&docs).len(), 1);
    }

    #[test]
    fn json_stream_ranges() {
        let text =
            "{\"a\": 1}\n{\"kind\": \"SealedSecret\", \"apiVersion\": \"bitnami.com/v1alpha1\"}\n";
        let (syntax, docs) = parse(text.as_bytes()).expect("parse");
        assert_eq!(syntax, Syntax::Json);
        assert_eq!(&text[docs[0].range.clone()], "{\"a\": 1}");
        assert!(text[docs[1].range.clone()].contains("SealedSecret"));
        assert_eq!(sealed_secrets(&docs).len(), 1);
    }

    #[test]
    fn errors_are_one_line_with_file_positions() {
        let err = parse(b"a: 1\n---\nb: [1,\n").expect_err("bad yaml");
        assert_eq!(err.syntax, Syntax::Yaml);
        assert!(err.reason.starts_with("line "), "{}", err.reason);
        assert!(!err.reason.contains('\n'));
        let err = parse(b"{\"secret\": \"hunter2\"").expect_err("bad json");
        assert_eq!(err.syntax, Syntax::Json);
        assert!(!err.reason.contains("hunter2"));
        let err = parse(b"\xff\xfe").expect_err("binary");
        assert!(err.reason.contains("UTF-8"));
    }
}
