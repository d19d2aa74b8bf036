//! `spec.template.data`: Go text/template over the decrypted items, with upstream's sprig subset.
//!
//! Each value of `spec.template.data` is a Go `text/template` named after its key, executed
//! with the dot set to a `map[string]string` of item name → plaintext. This crate is a
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
//! upstream's do; so do the key and certificate functions (`genPrivateKey`, `genCA`, ...).
//! Values with methods (`semver`'s `*semver.Version`) have them called by name, as in Go.
//!
//! Strings are bytes, as Go's are. Deliberate differences: `range` errors name a value's type
//! instead of printing it, rarer regex errors use the `regex` crate's wording, and every render runs
//! within a [`Budget`] of bytes built, evaluation steps and nesting, so a hostile template
//! ends in an error instead of exhausting memory, time or the stack. Details, and how the
//! Go-generated expected outputs in `tests/data/templates.json` were made, are in
//! this crate's `README.md`.
//!
//! This crate's one job is that engine. It imports `sealwright-gocompat` (Go's `strconv`,
//! encodings and durations) and no other workspace crate; `sealwright-crypto` calls it to
//! render `spec.template.data` after unsealing. See `docs/ARCHITECTURE.md`.

use std::collections::BTreeMap;

mod ast;
mod budget;
mod builtins;
mod conv;
mod encoding;
mod exec;
mod func;
mod gofmt;
mod gotime;
mod gotime_error;
mod gotime_layout;
mod json;
mod json_syntax;
mod lex;
mod methods;
mod parse;
mod regex_error;
mod semver_version;
mod sprig;
mod sprig_aes;
mod sprig_cert;
mod sprig_data;
mod sprig_duration;
mod sprig_float;
mod sprig_keys;
mod sprig_merge;
mod sprig_password;
mod sprig_random;
mod sprig_semver;
mod sprig_str;
mod sprig_text;
mod sprig_time;
mod sprig_url;
mod value;

pub use budget::{Allowance, Budget, Limit};

/// How a template failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The template does not parse; upstream skips the key.
    Parse,
    /// Execution failed; upstream sets the key to what was rendered before the error.
    Exec,
    /// The render went over its [`Budget`]; nothing of the object should be used.
    Budget,
}

/// A template failure, upstream-style (`template: <key>:<line>:<col>: ...`). `partial` holds what
/// was rendered before an execution error (upstream still sets the key to it).
#[derive(thiserror::Error, Clone, PartialEq, Eq)]
#[error("{message}")]
pub struct TemplateError {
    pub message: String,
    pub partial: Option<Vec<u8>>,
    pub kind: ErrorKind,
}

/// `partial` is rendered plaintext, so `Debug` shows only its length.
impl std::fmt::Debug for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplateError")
            .field("message", &self.message)
            .field("partial_len", &self.partial.as_ref().map(Vec::len))
            .field("kind", &self.kind)
            .finish()
    }
}

impl TemplateError {
    /// Stable name of the failure kind: `TemplateParse` (the key is skipped),
    /// `TemplateExec` (the key is set to `partial`) or `TemplateBudget`.
    pub fn name(&self) -> &'static str {
        match self.kind {
            ErrorKind::Parse => "TemplateParse",
            ErrorKind::Exec => "TemplateExec",
            ErrorKind::Budget => "TemplateBudget",
        }
    }
}

/// Parses the template `source` named `name` without executing it (no values are needed):
/// the check a linter can make offline. Errors are the ones [`render`] gives for a template
/// that does not parse, so the same source fails the same way in the controller.
pub fn check(name: &str, source: &str) -> Result<(), TemplateError> {
    let mut allowance = Budget::default().allowance();
    let session = budget::Session::start(&mut allowance);
    let over = |message: String| TemplateError {
        message: format!("template: {name}: {message}"),
        partial: None,
        kind: ErrorKind::Budget,
    };
    if let Err(e) = budget::steps(1 + source.len() as u64 / 16)
        .and_then(|()| budget::bytes(source.len() as u64))
    {
        return Err(over(e));
    }
    let parsed = parse::parse(name, source, &sprig::has_function);
    let exceeded = budget::exceeded();
    drop(session);
    match (parsed, exceeded) {
        (Ok(_), _) => Ok(()),
        (Err(_), Some(limit)) => Err(over(limit.to_string())),
        (Err(message), None) => Err(TemplateError {
            message,
            partial: None,
            kind: ErrorKind::Parse,
        }),
    }
}

/// Renders the template `source` named `name` with `values` as the dot, within a default
/// [`Budget`] of its own.
pub fn render<V: AsRef<[u8]>>(
    name: &str,
    source: &str,
    values: &BTreeMap<String, V>,
) -> Result<Vec<u8>, TemplateError> {
    render_within(name, source, values, &mut Budget::default().allowance())
}

/// Renders like [`render`], charging `allowance`: pass one allowance to every template of
/// one SealedSecret so the whole object stays within its budget.
pub fn render_within<V: AsRef<[u8]>>(
    name: &str,
    source: &str,
    values: &BTreeMap<String, V>,
    allowance: &mut Allowance,
) -> Result<Vec<u8>, TemplateError> {
    let session = budget::Session::start(allowance);
    let over = |message: String| TemplateError {
        message: format!("template: {name}: {message}"),
        partial: None,
        kind: ErrorKind::Budget,
    };
    // The source is parsed into the render's own values, so it is charged like them.
    if let Err(e) = budget::steps(1 + source.len() as u64 / 16)
        .and_then(|()| budget::bytes(source.len() as u64))
    {
        return Err(over(e));
    }
    let tree =
        parse::parse(name, source, &sprig::has_function).map_err(
            |message| match budget::exceeded() {
                Some(limit) => over(limit.to_string()),
                None => TemplateError {
                    message,
                    partial: None,
                    kind: ErrorKind::Parse,
                },
            },
        )?;
    let dot = exec::dot_of(values);
    let (out, err) = exec::execute(name, source, &tree, dot, &sprig::lookup);
    let over_budget = budget::exceeded().is_some();
    drop(session);
    match err {
        None => Ok(out),
        Some(message) => Err(TemplateError {
            message,
            partial: Some(out),
            kind: if over_budget {
                ErrorKind::Budget
            } else {
                ErrorKind::Exec
            },
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_parses_without_executing() {
        assert_eq!(check("ok", "{{ .user }}:{{ .password | b64enc }}"), Ok(()));
        // Parses fine even though executing it would fail (no such key, wrong types).
        assert_eq!(check("exec", "{{ index .missing 3 }}"), Ok(()));
        let e = check("dsn", "{{ .user ").expect_err("unclosed action");
        assert_eq!(e.kind, ErrorKind::Parse);
        assert!(e.message.starts_with("template: dsn:1:"), "{}", e.message);
        let e = check("env", "{{ env \"HOME\" }}").expect_err("env is not available");
        assert!(
            e.message.contains("function \"env\" not defined"),
            "{}",
            e.message
        );
    }
}
