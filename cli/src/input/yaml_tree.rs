//! One YAML document as go-yaml v2 decodes it into `interface{}`: plain scalars resolved by the
//! YAML 1.1 rules, quoted ones kept as strings, aliases expanded, `<<` merge keys applied and a
//! repeated key overwriting the earlier one (v2 does not reject duplicates).

use std::borrow::Cow;
use std::collections::HashMap;

use granit_parser::{Event, Parser, ScalarStyle, Tag};

use super::yaml11::{Scalar, key_string, resolve_plain};

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Scalar(Scalar),
    Seq(Vec<Node>),
    /// Entries in first-insertion order; a repeated key replaces the value in place.
    Map(Vec<(Node, Node)>),
}

/// Deep nesting and alias bombs are refused rather than exhausting the stack or memory.
const MAX_DEPTH: usize = 256;
const MAX_NODES: usize = 1_000_000;

/// Parses the first document of `text` (the caller has already split the stream on `---`
/// lines); an empty document is null. Errors are one-line parser messages.
pub fn parse_document(text: &str) -> Result<Node, String> {
    let mut b = Builder {
        events: Parser::new_from_str(text),
        anchors: HashMap::new(),
        nodes: 0,
        path: Vec::new(),
        text,
        last_span: None,
    };
    loop {
        match b.next()? {
            None | Some(Event::StreamEnd) => return Ok(Node::Scalar(Scalar::Null)),
            Some(Event::StreamStart) => {}
            Some(Event::DocumentStart(..)) => {
                let Some(first) = b.next()? else {
                    return Ok(Node::Scalar(Scalar::Null));
                };
                if matches!(first, Event::DocumentEnd) {
                    return Ok(Node::Scalar(Scalar::Null));
                }
                return b.node(first, 0);
            }
            Some(_) => {}
        }
    }
}

struct Builder<'a> {
    events: Parser<'a, granit_parser::StrInput<'a>>,
    anchors: HashMap<usize, Node>,
    nodes: usize,
    /// Keys and indexes leading to the node being built, so that a value error can name its
    /// place without quoting the value (values are secrets).
    path: Vec<String>,
    text: &'a str,
    /// Byte range of the last event, to tell raw characters from escaped ones.
    last_span: Option<std::ops::Range<usize>>,
}

impl<'a> Builder<'a> {
    /// The next data event; comments are presentation only (go-yaml v2 drops them too).
    fn next(&mut self) -> Result<Option<Event<'a>>, String> {
        loop {
            match self.events.next() {
                None => return Ok(None),
                Some(Ok((Event::Comment(..), _))) => {}
                Some(Ok((ev, span))) => {
                    self.last_span = span.byte_range();
                    return Ok(Some(ev));
                }
                Some(Err(e)) => return Err(e.to_string()),
            }
        }
    }

    /// YAML 1.1 (go-yaml v2) treats a raw U+2028/U+2029 as a line break: in a flow scalar it
    /// is kept, and the blanks around it are folded away. The 1.2 parser sees ordinary
    /// characters, so the blanks are removed here when the source has such a raw break.
    fn yaml_1_1_breaks(&self, value: Cow<'a, str>, style: ScalarStyle) -> Cow<'a, str> {
        let flow = matches!(
            style,
            ScalarStyle::Plain | ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted
        );
        if !flow || !value.contains(UNICODE_BREAKS) {
            return value;
        }
        let raw = self
            .last_span
            .clone()
            .and_then(|r| self.text.get(r))
            .is_some_and(|src| src.contains(UNICODE_BREAKS));
        if !raw {
            return value;
        }
        Cow::Owned(fold_unicode_breaks(&value))
    }

    fn place(&self) -> String {
        if self.path.is_empty() {
            "the top level".into()
        } else {
            self.path.join(".")
        }
    }

    fn count(&mut self, n: usize) -> Result<(), String> {
        self.nodes = self.nodes.saturating_add(n);
        if self.nodes > MAX_NODES {
            return Err("document has too many nodes (after expanding aliases)".into());
        }
        Ok(())
    }

    fn node(&mut self, ev: Event<'a>, depth: usize) -> Result<Node, String> {
        if depth > MAX_DEPTH {
            return Err(format!("document nested deeper than {MAX_DEPTH} levels"));
        }
        self.count(1)?;
        let (node, anchor) = match ev {
            Event::Scalar(value, style, anchor, tag) => {
                let value = self.yaml_1_1_breaks(value, style);
                let scalar = scalar(&value, style, tag.as_deref())
                    .map_err(|problem| format!("{}: {problem}", self.place()))?;
                (Node::Scalar(scalar), anchor)
            }
            Event::Alias(id) => {
                let node = self
                    .anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| "unknown anchor referenced by an alias".to_string())?;
                self.count(size(&node))?;
                return Ok(node);
            }
            Event::SequenceStart(_, anchor, _) => {
                let mut items = Vec::new();
                loop {
                    match self.next()? {
                        Some(Event::SequenceEnd) => break,
                        Some(ev) => {
                            self.path.push(items.len().to_string());
                            let item = self.node(ev, depth + 1);
                            self.path.pop();
                            items.push(item?);
                        }
                        None => return Err("unexpected end of a sequence".into()),
                    }
                }
                (Node::Seq(items), anchor)
            }
            Event::MappingStart(_, anchor, _) => {
                let mut entries: Vec<(Node, Node)> = Vec::new();
                loop {
                    let key = match self.next()? {
                        Some(Event::MappingEnd) => break,
                        Some(ev) => {
                            let plain_merge = matches!(
                                &ev,
                                Event::Scalar(v, ScalarStyle::Plain, _, None) if v == "<<"
                            );
                            let key = self.node(ev, depth + 1)?;
                            if plain_merge { None } else { Some(key) }
                        }
                        None => return Err("unexpected end of a mapping".into()),
                    };
                    self.path.push(match &key {
                        Some(Node::Scalar(s)) => key_string(s).unwrap_or_else(|| "?".into()),
                        Some(_) => "?".into(),
                        None => "<<".into(),
                    });
                    let value = match self.next()? {
                        Some(ev) => self.node(ev, depth + 1),
                        None => Err("unexpected end of a mapping".into()),
                    };
                    self.path.pop();
                    let value = value?;
                    match key {
                        Some(key) => insert(&mut entries, key, value),
                        None => merge(&mut entries, value)?,
                    }
                }
                (Node::Map(entries), anchor)
            }
            other => return Err(format!("unexpected YAML event {other:?}")),
        };
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        Ok(node)
    }
}

/// A JSON document as the YAML reader sees it (JSON is YAML): numbers and booleans are plain
/// scalars, resolved by the same rules, so `{"port": 5432}` under `stringData` becomes "5432"
/// exactly as in YAML.
pub fn from_json(v: &serde_json::Value) -> Node {
    use serde_json::Value;
    match v {
        Value::Null => Node::Scalar(Scalar::Null),
        Value::Bool(b) => Node::Scalar(Scalar::Bool(*b)),
        Value::Number(n) => Node::Scalar(resolve_plain(&n.to_string())),
        Value::String(s) => Node::Scalar(Scalar::Str(s.clone())),
        Value::Array(items) => Node::Seq(items.iter().map(from_json).collect()),
        Value::Object(map) => Node::Map(
            map.iter()
                .map(|(k, v)| (Node::Scalar(Scalar::Str(k.clone())), from_json(v)))
                .collect(),
        ),
    }
}

fn size(n: &Node) -> usize {
    match n {
        Node::Scalar(_) => 1,
        Node::Seq(items) => 1 + items.iter().map(size).sum::<usize>(),
        Node::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| size(k) + size(v))
                .sum::<usize>()
        }
    }
}

fn insert(entries: &mut Vec<(Node, Node)>, key: Node, value: Node) {
    match entries.iter_mut().find(|(k, _)| *k == key) {
        Some(slot) => slot.1 = value,
        None => entries.push((key, value)),
    }
}

/// `<<: map` or `<<: [map, …]` (later maps in the list lose to earlier ones, as in v2).
fn merge(entries: &mut Vec<(Node, Node)>, value: Node) -> Result<(), String> {
    const MSG: &str = "map merge requires map or sequence of maps as the value";
    match value {
        Node::Map(m) => {
            for (k, v) in m {
                insert(entries, k, v);
            }
            Ok(())
        }
        Node::Seq(items) => {
            for item in items.into_iter().rev() {
                match item {
                    Node::Map(m) => {
                        for (k, v) in m {
                            insert(entries, k, v);
                        }
                    }
                    _ => return Err(MSG.into()),
                }
            }
            Ok(())
        }
        Node::Scalar(_) => Err(MSG.into()),
    }
}

const UNICODE_BREAKS: [char; 2] = ['\u{2028}', '\u{2029}'];

fn fold_unicode_breaks(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut after_break = false;
    for c in value.chars() {
        if UNICODE_BREAKS.contains(&c) {
            out.truncate(out.trim_end_matches([' ', '\t']).len());
            out.push(c);
            after_break = true;
        } else if after_break && matches!(c, ' ' | '\t') {
        } else {
            after_break = false;
            out.push(c);
        }
    }
    out
}

/// A scalar with its style and tag, resolved as go-yaml v2 decodes it into `interface{}`.
fn scalar(value: &str, style: ScalarStyle, tag: Option<&Tag>) -> Result<Scalar, String> {
    let Some(tag) = tag else {
        return Ok(match style {
            ScalarStyle::Plain => resolve_plain(value),
            _ => Scalar::Str(value.to_string()),
        });
    };
    // `!!binary` and `!!timestamp` are YAML 1.1 tags, outside the 1.2 core schema.
    let Some(suffix) = tag.suffix_in_namespace("tag:yaml.org,2002:") else {
        // Local and non-specific tags: v2 keeps the text.
        return Ok(Scalar::Str(value.to_string()));
    };
    match suffix.as_ref() {
        "str" => Ok(Scalar::Str(value.to_string())),
        "binary" => {
            use base64::Engine;
            let cleaned: String = value.chars().filter(|c| !c.is_whitespace()).collect();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(cleaned)
                .map_err(|_| "the !!binary value is not valid base64".to_string())?;
            Ok(Scalar::Str(String::from_utf8_lossy(&bytes).into_owned()))
        }
        suffix @ ("null" | "bool" | "int" | "float" | "timestamp") => {
            let resolved = resolve_plain(value);
            let fits = matches!(
                (suffix, &resolved),
                ("null", Scalar::Null)
                    | ("bool", Scalar::Bool(_))
                    | ("int", Scalar::Int(_) | Scalar::Uint(_))
                    | ("float", Scalar::Float(_) | Scalar::Int(_) | Scalar::Uint(_))
                    | ("timestamp", Scalar::Str(_))
            );
            if fits {
                Ok(match (suffix, resolved) {
                    ("float", Scalar::Int(i)) => Scalar::Float(i as f64),
                    ("float", Scalar::Uint(u)) => Scalar::Float(u as f64),
                    (_, r) => r,
                })
            } else {
                // Go quotes the value here; it may be a secret, so only the tag is named.
                Err(format!("the value cannot be decoded as a !!{suffix}"))
            }
        }
        _ => Ok(Scalar::Str(value.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Node {
        Node::Scalar(Scalar::Str(v.into()))
    }

    #[test]
    fn plain_and_quoted_keys() {
        let doc = parse_document("on: a\n\"on\": b\n'yes': c\n0x1F: d\n!!str off: e\n");
        let Ok(Node::Map(entries)) = doc else {
            panic!("{doc:?}")
        };
        let keys: Vec<_> = entries.into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            keys,
            vec![
                Node::Scalar(Scalar::Bool(true)),
                s("on"),
                s("yes"),
                Node::Scalar(Scalar::Int(31)),
                s("off"),
            ]
        );
    }

    #[test]
    fn merge_aliases_and_duplicates() {
        let doc = parse_document("base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n  z: 4\n  z: 5\n");
        let Ok(Node::Map(entries)) = doc else {
            panic!("{doc:?}")
        };
        let m = entries
            .into_iter()
            .find(|(k, _)| *k == s("m"))
            .map(|(_, v)| v);
        assert_eq!(
            m,
            Some(Node::Map(vec![
                (s("x"), Node::Scalar(Scalar::Int(1))),
                (
                    Node::Scalar(Scalar::Bool(true)),
                    Node::Scalar(Scalar::Int(3))
                ),
                (s("z"), Node::Scalar(Scalar::Int(5))),
            ]))
        );
    }

    #[test]
    fn yaml_1_1_tags() {
        let doc = parse_document("a: !!binary aGVsbG8=\nb: !!timestamp 2024-01-02\nc: !!str 12\n");
        let Ok(Node::Map(entries)) = doc else {
            panic!("{doc:?}")
        };
        let values: Vec<_> = entries.into_iter().map(|(_, v)| v).collect();
        assert_eq!(values, vec![s("hello"), s("2024-01-02"), s("12")]);
        let err = parse_document("k: !!binary not*base64\n")
            .err()
            .unwrap_or_default();
        assert_eq!(err, "k: the !!binary value is not valid base64");
    }

    #[test]
    fn raw_unicode_line_breaks_fold_as_in_yaml_1_1() {
        let doc = parse_document("a: 'x \u{2028}    y'\nb: \"x\\L  y\"\n");
        let Ok(Node::Map(entries)) = doc else {
            panic!("{doc:?}")
        };
        let values: Vec<_> = entries.into_iter().map(|(_, v)| v).collect();
        assert_eq!(values, vec![s("x\u{2028}y"), s("x\u{2028}  y")]);
    }

    #[test]
    fn empty_and_broken() {
        assert_eq!(
            parse_document("# only a comment\n"),
            Ok(Node::Scalar(Scalar::Null))
        );
        assert!(parse_document("a: [1, 2\n").is_err());
        let deep = "[".repeat(1000);
        assert!(parse_document(&deep).is_err());
    }
}
