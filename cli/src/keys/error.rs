//! Errors of `kubeseal keys ...`. `Display` is the line after `error: `; it names the object
//! or file and the field, and never carries key material.

#[derive(Debug, thiserror::Error)]
pub enum KeysError {
    /// A request to the API server failed; `what` says which one.
    #[error("cannot {what}: {reason}")]
    Kube { what: String, reason: String },
    #[error("unsupported output format: {0} (use table, json or yaml)")]
    BadOutput(String),
    #[error("--{flag}: {reason}")]
    BadFlag { flag: &'static str, reason: String },
    /// A file that cannot be read at all.
    #[error("{path}: {reason}")]
    Read { path: String, reason: String },
    /// A file that was read but holds something wrong; `context` is the object and field.
    #[error("{path}: {context}: {reason}")]
    BadFile {
        path: String,
        context: String,
        reason: String,
    },
    #[error("{path}: no sealing key in the file")]
    NoKeysInFile { path: String },
    #[error("{path} already exists (use --force to overwrite it)")]
    Exists { path: String },
    #[error("{path}: {reason}")]
    Write { path: String, reason: String },
    #[error("no sealing keys in namespace {namespace}")]
    NoKeysInCluster { namespace: String },
    #[error("cannot create the key: {0}")]
    Generate(String),
    #[error(
        "key {name} ({fingerprint}) is valid only from {not_before}: a new key made now would not be the newest; fix the clock or that key first"
    )]
    FutureKey {
        name: String,
        fingerprint: String,
        not_before: String,
    },
    #[error("no key {key} in namespace {namespace} (give a Secret name or a SHA256: fingerprint)")]
    UnknownKey { key: String, namespace: String },
    #[error("refused to retire {count} key(s); nothing was deleted")]
    RetireRefused { count: usize },
    #[error("cannot render the output: {0}")]
    Render(String),
    #[error("cannot start the async runtime: {0}")]
    Runtime(String),
}

impl KeysError {
    pub fn name(&self) -> &'static str {
        match self {
            KeysError::Kube { .. } => "keys_kube",
            KeysError::BadOutput(_) => "keys_bad_output",
            KeysError::BadFlag { .. } => "keys_bad_flag",
            KeysError::Read { .. } => "keys_read",
            KeysError::BadFile { .. } => "keys_bad_file",
            KeysError::NoKeysInFile { .. } => "keys_no_keys_in_file",
            KeysError::Exists { .. } => "keys_exists",
            KeysError::Write { .. } => "keys_write",
            KeysError::NoKeysInCluster { .. } => "keys_no_keys_in_cluster",
            KeysError::Generate(_) => "keys_generate",
            KeysError::FutureKey { .. } => "keys_future_key",
            KeysError::UnknownKey { .. } => "keys_unknown_key",
            KeysError::RetireRefused { .. } => "keys_retire_refused",
            KeysError::Render(_) => "keys_render",
            KeysError::Runtime(_) => "keys_runtime",
        }
    }

    /// A failed API request, worded as client-go would show it.
    pub fn kube(what: impl Into<String>, err: &kube::Error) -> KeysError {
        KeysError::Kube {
            what: what.into(),
            reason: crate::proxy::describe(err),
        }
    }
}

impl crate::error::CommandError for KeysError {
    fn name(&self) -> &'static str {
        KeysError::name(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_file_object_and_field() {
        let e = KeysError::BadFile {
            path: "backup.yaml".into(),
            context: "Secret kube-system/sealed-secrets-keyabc: tls.key".into(),
            reason: "no private key found".into(),
        };
        assert_eq!(
            e.to_string(),
            "backup.yaml: Secret kube-system/sealed-secrets-keyabc: tls.key: no private key found"
        );
        assert_eq!(e.name(), "keys_bad_file");
    }
}
