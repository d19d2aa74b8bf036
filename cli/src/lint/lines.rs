//! Where each key of a document is written: the file line of every mapping key and sequence
//! item, by its path from the document root. The values come from `tree::document`; this is
//! only for pointing at them, so a document the event parser cannot follow still lints, with
//! every finding on its first line.

use std::collections::HashMap;
use std::ops::Range;

use granit_parser::{Event, Parser, Span};

/// Nesting beyond this is not followed (the document reader refuses far less already).
const MAX_DEPTH: usize = 256;

#[derive(Debug, Default)]
pub struct Lines {
    by_path: HashMap<Vec<String>, usize>,
    first: usize,
}

impl Lines {
    /// The line of `path`, or of its nearest written ancestor, or the document's first line.
    pub fn line(&self, path: &[String]) -> usize {
        (0..=path.len())
            .rev()
            .find_map(|n| self.by_path.get(&path[..n]).copied())
            .unwrap_or(self.first)
    }
}

/// The lines of the document at `range` of `text` (a whole file).
pub fn of_document(text: &str, range: Range<usize>) -> Lines {
    let start = range.start.min(text.len());
    let base = text[..start].matches('\n').count();
    let mut walker = Walker {
        events: Parser::new_from_str(text.get(range).unwrap_or_default()),
        lines: Lines {
            by_path: HashMap::new(),
            first: base + 1,
        },
        base,
    };
    walker.document();
    walker.lines
}

struct Walker<'a> {
    events: Parser<'a, granit_parser::StrInput<'a>>,
    lines: Lines,
    /// Lines of the file before the document's text.
    base: usize,
}

/// Any parser error just ends the walk: the positions found so far are kept.
struct Stop;

impl<'a> Walker<'a> {
    fn next(&mut self) -> Result<(Event<'a>, Span), Stop> {
        loop {
            match self.events.next() {
                Some(Ok((Event::Comment(..), _))) => {}
                Some(Ok(pair)) => return Ok(pair),
                _ => return Err(Stop),
            }
        }
    }

    fn record(&mut self, path: &[String], span: Span) {
        self.lines
            .by_path
            .entry(path.to_vec())
            .or_insert(self.base + span.start.line());
    }

    fn document(&mut self) {
        let mut path = Vec::new();
        loop {
            match self.next() {
                Ok((Event::StreamStart | Event::DocumentStart(..), _)) => {}
                Ok((ev @ (Event::MappingStart(..) | Event::SequenceStart(..)), span)) => {
                    self.record(&path, span);
                    let _ = self.node(ev, &mut path, 0);
                    return;
                }
                _ => return,
            }
        }
    }

    fn node(&mut self, ev: Event<'a>, path: &mut Vec<String>, depth: usize) -> Result<(), Stop> {
        if depth > MAX_DEPTH {
            return Err(Stop);
        }
        match ev {
            Event::SequenceStart(..) => {
                let mut index = 0usize;
                loop {
                    let (ev, span) = self.next()?;
                    if matches!(ev, Event::SequenceEnd) {
                        return Ok(());
                    }
                    path.push(index.to_string());
                    self.record(path, span);
                    let done = self.node(ev, path, depth + 1);
                    path.pop();
                    done?;
                    index += 1;
                }
            }
            Event::MappingStart(..) => loop {
                let (key, key_span) = self.next()?;
                let name = match &key {
                    Event::MappingEnd => return Ok(()),
                    Event::Scalar(v, ..) => v.to_string(),
                    _ => "?".to_string(),
                };
                // A complex key is walked only to get past it.
                self.node(key, &mut Vec::new(), depth + 1)?;
                path.push(name);
                self.record(path, key_span);
                let (value, _) = self.next()?;
                let done = self.node(value, path, depth + 1);
                path.pop();
                done?;
            },
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(parts: &[&str]) -> Vec<String> {
        parts.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn yaml_keys_items_and_fallbacks() {
        let text = "a: 1\n---\n# c\nspec:\n  encryptedData:\n    k: v\n  list:\n  - x: 1\n";
        let ranges = crate::tree::document::yaml_ranges(text);
        let l = of_document(text, ranges[1].clone());
        assert_eq!(l.line(&p(&["spec"])), 4);
        assert_eq!(l.line(&p(&["spec", "encryptedData", "k"])), 6);
        assert_eq!(l.line(&p(&["spec", "list", "0", "x"])), 8);
        assert_eq!(l.line(&p(&["spec", "encryptedData", "missing"])), 5);
        assert_eq!(l.line(&p(&["nothing"])), 4, "the document's first line");
    }

    #[test]
    fn json_documents() {
        let text = "{\"a\": 1}\n{\n  \"spec\": {\n    \"encryptedData\": {\"k\": \"v\"}\n  }\n}\n";
        let l = of_document(text, 8..text.len());
        assert_eq!(l.line(&p(&["spec", "encryptedData", "k"])), 4);
    }

    #[test]
    fn broken_text_keeps_what_was_found() {
        let text = "a: 1\nb: [\n";
        let l = of_document(text, 0..text.len());
        assert_eq!(l.line(&p(&["a"])), 1);
        assert_eq!(l.line(&p(&["b", "0"])), 2);
    }
}
