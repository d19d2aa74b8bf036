//! Errors of `kubeseal reencrypt`. `Display` is the line after `error: `; it names the file and
//! the object, and never carries key material or plaintext.

use crate::gofmt::go_quote;

#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    /// A PATH or file that cannot be read (missing, permissions, a directory that cannot be listed).
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
    #[error("{path}: not valid YAML: {reason}")]
    NotYaml { path: String, reason: String },
    #[error("{path}: not valid JSON: {reason}")]
    NotJson { path: String, reason: String },
    /// A problem with a whole SealedSecret (unreadable, legacy format, the controller refused it).
    #[error("{path}: {object}: {reason}")]
    Object {
        path: String,
        object: String,
        reason: String,
    },
    /// One item could not be re-encrypted (e.g. no key opens it).
    #[error("{path}: {object}: item {}: {reason}", go_quote(.item))]
    Item {
        path: String,
        object: String,
        item: String,
        reason: String,
    },
    /// The new ciphertext has no unambiguous place in the file's bytes.
    #[error("{path}: {object}: item {}: cannot rewrite in place: {reason}", go_quote(.item))]
    CannotRewrite {
        path: String,
        object: String,
        item: String,
        reason: String,
    },
    /// Safety net: the rewritten bytes do not read back as the expected objects.
    #[error("{path}: cannot rewrite in place: the result does not read back as the same objects")]
    Verify { path: String },
    #[error("{path}: cannot write: {reason}")]
    Write { path: String, reason: String },
    /// The run's final verdict when any file failed (each was reported on its own line).
    #[error("{failed} files failed (see the errors above)")]
    FilesFailed { failed: usize },
}

impl TreeError {
    pub fn name(&self) -> &'static str {
        match self {
            TreeError::Read { .. } => "tree_read",
            TreeError::NotYaml { .. } => "tree_not_yaml",
            TreeError::NotJson { .. } => "tree_not_json",
            TreeError::Object { .. } => "tree_object",
            TreeError::Item { .. } => "tree_item",
            TreeError::CannotRewrite { .. } => "tree_cannot_rewrite",
            TreeError::Verify { .. } => "tree_verify",
            TreeError::Write { .. } => "tree_write",
            TreeError::FilesFailed { .. } => "tree_files_failed",
        }
    }
}

impl crate::error::CommandError for TreeError {
    fn name(&self) -> &'static str {
        TreeError::name(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_messages_name_file_object_and_item() {
        let e = TreeError::Item {
            path: "apps/db.yaml".into(),
            object: "SealedSecret prod/db".into(),
            item: "password".into(),
            reason: "no key could decrypt secret".into(),
        };
        assert_eq!(
            e.to_string(),
            "apps/db.yaml: SealedSecret prod/db: item \"password\": no key could decrypt secret"
        );
        assert_eq!(e.name(), "tree_item");
        let f = TreeError::FilesFailed { failed: 1 };
        assert_eq!(f.name(), "tree_files_failed");
        assert!(!f.to_string().contains('\n'));
    }
}
