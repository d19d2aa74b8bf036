//! One SealedSecret under lint: its raw value, where its fields are written, and the findings
//! so far. The checks read the raw document rather than the typed object, so that a field of
//! the wrong kind is a finding, not the end of the object.

use serde_yaml::Value;

use super::finding::{Finding, Rule, field_path};
use super::lines::Lines;

pub struct Object<'a> {
    pub value: &'a Value,
    lines: &'a Lines,
    /// Path of the object in its document (`items.3` inside a List).
    prefix: Vec<String>,
    file: &'a str,
    name: String,
    pub findings: Vec<Finding>,
}

impl<'a> Object<'a> {
    pub fn new(
        value: &'a Value,
        lines: &'a Lines,
        list_item: Option<usize>,
        file: &'a str,
    ) -> Self {
        Object {
            value,
            lines,
            prefix: list_item
                .map(|i| vec!["items".to_string(), i.to_string()])
                .unwrap_or_default(),
            file,
            name: display_name(value),
            findings: Vec::new(),
        }
    }

    pub fn get(&self, path: &[&str]) -> Option<&'a Value> {
        path.iter().try_fold(self.value, |v, k| v.get(*k))
    }

    /// A string field; `None` when absent, null or of another kind.
    pub fn str(&self, path: &[&str]) -> Option<&'a str> {
        self.get(path).and_then(Value::as_str)
    }

    pub fn report(&mut self, rule: Rule, field: &[&str], message: String) {
        let field: Vec<String> = field.iter().map(|s| s.to_string()).collect();
        let mut full = self.prefix.clone();
        full.extend(field.iter().cloned());
        self.findings.push(Finding {
            file: self.file.to_string(),
            line: self.lines.line(&full),
            object: self.name.clone(),
            field: field_path(&field),
            message,
            rule,
        });
    }
}

/// `SealedSecret ns/name`, whatever state the metadata is in.
fn display_name(v: &Value) -> String {
    let field = |k: &str| {
        v.get("metadata")
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    match (field("namespace"), field("name")) {
        (Some(ns), Some(name)) => format!("SealedSecret {ns}/{name}"),
        (None, Some(name)) => format!("SealedSecret {name}"),
        (_, None) => "SealedSecret (no name)".to_string(),
    }
}

/// A mapping key as Kubernetes would see it after YAML→JSON (numbers and booleans as text).
pub fn key_text(k: &Value) -> Option<String> {
    match k {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The entries of the mapping at `path`: `None` when absent or null; a finding and `None` when
/// it is there but not a mapping. Call once per mapping: [`entries`] reads it again quietly.
pub fn mapping<'a>(obj: &mut Object<'a>, path: &[&str]) -> Option<Vec<(String, &'a Value)>> {
    let v = obj.get(path)?;
    if v.is_null() {
        return None;
    }
    let Some(m) = v.as_mapping() else {
        obj.report(
            Rule::Structure,
            path,
            format!("{} is not a mapping", path.join(".")),
        );
        return None;
    };
    if m.keys().any(|k| key_text(k).is_none()) {
        obj.report(
            Rule::Structure,
            path,
            format!("{} has a key that is not a string", path.join(".")),
        );
    }
    Some(entries(obj, path))
}

/// The entries of the mapping at `path` with a usable key, without reporting anything.
pub fn entries<'a>(obj: &Object<'a>, path: &[&str]) -> Vec<(String, &'a Value)> {
    obj.get(path)
        .and_then(Value::as_mapping)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| key_text(k).map(|k| (k, v)))
                .collect()
        })
        .unwrap_or_default()
}
