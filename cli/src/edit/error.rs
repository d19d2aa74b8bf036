//! Errors of `kubeseal set`, `unset` and `edit`. `Display` is one line naming the file (and the
//! object and item); it never carries a plaintext value.

use crate::gofmt::go_quote;

#[derive(Debug, thiserror::Error)]
pub enum EditError {
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: not valid {syntax}: {reason}")]
    Syntax {
        path: String,
        syntax: &'static str,
        reason: String,
    },
    #[error("{path}: no SealedSecret in the file")]
    NoSealedSecret { path: String },
    #[error("{path}: no SealedSecret named {}", go_quote(.name))]
    NoSuchName { path: String, name: String },
    #[error("{path}: {count} SealedSecrets in the file ({names}); pick one with --name")]
    Ambiguous {
        path: String,
        count: usize,
        names: String,
    },
    #[error("{path}: {object}: {reason}")]
    Object {
        path: String,
        object: String,
        reason: String,
    },
    #[error("{path}: {object}: item {}: {reason}", go_quote(.item))]
    Item {
        path: String,
        object: String,
        item: String,
        reason: String,
    },
    #[error("{path}: cannot write: {reason}")]
    Write { path: String, reason: String },
    /// A bad command-line argument (`KEY=VALUE`, a glob).
    #[error("{0}")]
    Usage(String),
    #[error("{path}: no file matches")]
    NoMatch { path: String },
    /// The edited buffer does not read as a Secret; the file is left as it was.
    #[error("{path}: edited Secret is not valid: {reason}; nothing changed")]
    EditedInvalid { path: String, reason: String },
    #[error("{0}")]
    Editor(String),
    #[error("interrupted; {path} left as it was")]
    Interrupted { path: String },
}

impl EditError {
    pub fn name(&self) -> &'static str {
        match self {
            EditError::Read { .. } => "edit_read",
            EditError::Syntax { .. } => "edit_syntax",
            EditError::NoSealedSecret { .. } => "edit_no_sealed_secret",
            EditError::NoSuchName { .. } => "edit_no_such_name",
            EditError::Ambiguous { .. } => "edit_ambiguous",
            EditError::Object { .. } => "edit_object",
            EditError::Item { .. } => "edit_item",
            EditError::Write { .. } => "edit_write",
            EditError::Usage(_) => "edit_usage",
            EditError::NoMatch { .. } => "edit_no_match",
            EditError::EditedInvalid { .. } => "edit_edited_invalid",
            EditError::Editor(_) => "edit_editor",
            EditError::Interrupted { .. } => "edit_interrupted",
        }
    }
}

impl crate::error::CommandError for EditError {
    fn name(&self) -> &'static str {
        EditError::name(self)
    }
}
