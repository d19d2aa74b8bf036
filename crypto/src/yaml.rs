//! YAML from outside (HTTP bodies, key files, sealed blobs, files in Git), read so that a
//! hostile document can only produce an error.
//!
//! serde_yaml 0.9 still has reachable `panic!`s on malformed event streams (its `ignore_any`
//! meets an unbalanced `MappingEnd`; found by the `sealed_secret` fuzz target). A panic in the
//! controller would turn one request into a crashed worker, and in `kubeseal` into a trace
//! instead of a one-line error, so every read goes through [`contain`].

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use serde::de::DeserializeOwned;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum YamlError {
    /// The parser's own message (it names a position, never the document's values).
    #[error("{0}")]
    Syntax(String),
    #[error("malformed YAML (the parser gave up on this document)")]
    ParserPanic,
}

impl YamlError {
    pub fn name(&self) -> &'static str {
        match self {
            YamlError::Syntax(_) => "YamlSyntax",
            YamlError::ParserPanic => "YamlParserPanic",
        }
    }
}

thread_local! {
    /// Set while this thread runs a contained parse, so that the panic hook stays quiet for it.
    static CONTAINED: Cell<bool> = const { Cell::new(false) };
}

static QUIET_HOOK: Once = Once::new();

/// Chains a hook in front of the current one that keeps contained parser panics off stderr;
/// every other panic is reported exactly as before.
fn install_quiet_hook() {
    QUIET_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !CONTAINED.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

/// Runs a parse of untrusted YAML; a panic inside it becomes [`YamlError::ParserPanic`].
pub fn contain<T>(parse: impl FnOnce() -> T) -> Result<T, YamlError> {
    install_quiet_hook();
    let outer = CONTAINED.with(|c| c.replace(true));
    let result = catch_unwind(AssertUnwindSafe(parse));
    CONTAINED.with(|c| c.set(outer));
    result.map_err(|_| YamlError::ParserPanic)
}

/// The first (or only) document as a `T`.
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, YamlError> {
    contain(|| serde_yaml::from_slice(bytes).map_err(|e| YamlError::Syntax(e.to_string())))?
}

/// Every document of a `---` stream as a `T`, stopping at the first error.
pub fn documents<T: DeserializeOwned>(bytes: &[u8]) -> Result<Vec<T>, YamlError> {
    contain(|| {
        serde_yaml::Deserializer::from_slice(bytes)
            .map(|doc| T::deserialize(doc).map_err(|e| YamlError::Syntax(e.to_string())))
            .collect()
    })?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_inside_is_an_error() {
        let r: Result<(), YamlError> = contain(|| panic!("parser bug"));
        assert_eq!(r, Err(YamlError::ParserPanic));
        // The flag is cleared afterwards: later panics are reported again.
        assert!(!CONTAINED.with(Cell::get));
    }

    #[test]
    fn documents_and_errors() {
        let docs: Vec<serde_json::Value> = documents(b"a: 1\n---\nb: 2\n").unwrap_or_default();
        assert_eq!(docs.len(), 2);
        let bad: Result<serde_json::Value, _> = from_slice(b"a: [1, 2\n");
        assert!(matches!(bad, Err(YamlError::Syntax(_))));
    }
}
