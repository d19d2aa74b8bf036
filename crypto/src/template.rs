//! `spec.template.data`: Go text/template over the decrypted items, with upstream's sprig subset.

use std::collections::BTreeMap;

/// A template failure, upstream-style (`template: <key>:<line>:<col>: ...`). `partial` holds what
/// was rendered before an execution error (upstream still sets the key to it).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("{message}")]
pub struct TemplateError {
    pub message: String,
    pub partial: Option<String>,
}

/// Renders the template `source` named `name` with `values` as the dot.
pub fn render(name: &str, source: &str, values: &BTreeMap<String, String>) -> Result<String, TemplateError> {
    todo!()
}
