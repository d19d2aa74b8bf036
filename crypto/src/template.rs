//! `spec.template.data`: Go text/template over the decrypted items, with upstream's sprig subset.
//!
//! Each value of `spec.template.data` is a Go `text/template` named after its key, executed
//! with the dot set to a `map[string]string` of item name → plaintext. This module is a
//! self-contained engine (lexer, parser, evaluator) written to Go's semantics: `<no value>`
//! for a missing key, `index`, pipelines, `if`/`else`/`range`/`with`, variables, comments,
//! trim markers, `define`/`template`/`block`, the Go built-ins, and Go's error texts and
//! positions (`template: <name>:<line>: ...` when parsing, `template: <name>:<line>:<col>:
//! executing "<name>" at <...>: ...` when executing).
//!
//! `gtmpl` 0.7.1 was evaluated first and rejected: it prints missing keys as empty, not
//! `<no value>`; its errors do not follow Go's text (`function eq not defined` without
//! quotes, no `executing ... at <...>`); and its value model has no distinct `int`/`int64`/
//! `float64`/`[]string` types, which sprig output and error messages depend on.
//!
//! Functions: Go's built-ins plus sprig v3.3.0 `GenericFuncMap()` minus `env`, `expandenv`
//! and `getHostByName` (those are parse errors, `function "env" not defined`, as upstream).
//! Random ones (`bcrypt`, `randAlphaNum`, `uuidv4`, ...) give a new value on every render, as
//! upstream's do. Not implemented yet (they parse, then fail with `error calling <fn>:
//! function not supported by sealwright templates`): the clock functions (`now`, `date`,
//! `toDate`, ...), key and certificate generation (`genPrivateKey`, `genCA`, ...),
//! `encryptAES`/`decryptAES`, `semver*` and `url*`. The full list is
//! [`UNSUPPORTED_FUNCTIONS`].
//!
//! Deliberate differences: errors never print values (they may be plaintext), strings are
//! UTF-8, regex errors use the `regex` crate's wording, and nesting, value depth and output
//! size are bounded so a hostile template cannot overflow the stack. Details, and how the
//! Go-generated expected outputs in `tests/data/templates.json` were made, are in
//! `crypto/TEMPLATES.md`.

use std::collections::BTreeMap;

mod ast;
mod builtins;
mod conv;
mod encoding;
mod exec;
mod func;
mod gofmt;
mod json;
mod lex;
mod parse;
mod sprig;
mod sprig_data;
mod sprig_duration;
mod sprig_float;
mod sprig_merge;
mod sprig_password;
mod sprig_random;
mod sprig_str;
mod sprig_text;
mod value;

pub use sprig::UNSUPPORTED as UNSUPPORTED_FUNCTIONS;

/// A template failure, upstream-style (`template: <key>:<line>:<col>: ...`). `partial` holds what
/// was rendered before an execution error (upstream still sets the key to it).
#[derive(thiserror::Error, Clone, PartialEq, Eq)]
#[error("{message}")]
pub struct TemplateError {
    pub message: String,
    pub partial: Option<String>,
}

/// `partial` is rendered plaintext, so `Debug` shows only its length.
impl std::fmt::Debug for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateError")
            .field("message", &self.message)
            .field("partial_len", &self.partial.as_ref().map(String::len))
            .finish()
    }
}

impl TemplateError {
    /// Stable name of the failure kind: `TemplateParse` (the key is skipped) or
    /// `TemplateExec` (the key is set to `partial`).
    pub fn name(&self) -> &'static str {
        if self.partial.is_some() {
            "TemplateExec"
        } else {
            "TemplateParse"
        }
    }
}

/// Renders the template `source` named `name` with `values` as the dot.
pub fn render(
    name: &str,
    source: &str,
    values: &BTreeMap<String, String>,
) -> Result<String, TemplateError> {
    let tree =
        parse::parse(name, source, &sprig::has_function).map_err(|message| TemplateError {
            message,
            partial: None,
        })?;
    let dot = exec::dot_of(values);
    let (out, err) = exec::execute(name, source, &tree, dot, &sprig::lookup);
    match err {
        None => Ok(out),
        Some(message) => Err(TemplateError {
            message,
            partial: Some(out),
        }),
    }
}
