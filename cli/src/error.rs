//! Everything that can make kubeseal fail. `Display` is the text after `error: ` (upstream's
//! wording wherever upstream has one); `name()` is stable for tests and logs.

use sealwright_crypto::cert::CertError;
use sealwright_crypto::keys::KeyError;
use sealwright_crypto::seal::SealSecretError;
use sealwright_crypto::unseal::UnsealError;

use crate::gofmt::{go_errno_text, go_quote};

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("--from-file requires --raw")]
    FromFileRequiresRaw,
    #[error("Could not read file specified with --secret-file")]
    SecretFile,
    #[error("cannot use both --secret-file and a positional input file")]
    TwoInputs,
    #[error("unsupported output format: {0}")]
    UnsupportedFormat(String),
    #[error("no secrets found. Ensure the input is valid and UTF-8 encoded")]
    NoSecrets,
    #[error(
        "secret.data is empty in input Secret, assuming this is an error and aborting. To work with empty data, --allow-empty-data can be used"
    )]
    EmptyData,
    #[error("missing metadata.name in input Secret")]
    MissingName,
    #[error("namespace mismatch: input secret is in namespace {} but {} was specified", go_quote(.secret), go_quote(.flag))]
    NamespaceMismatch { secret: String, flag: String },
    #[error("must provide the --namespace flag with --raw and --scope {0}")]
    RawNeedsNamespace(String),
    #[error("must provide the --name flag with --raw and --scope {0}")]
    RawNeedsName(String),
    #[error("must provide only one --from-file when encrypting a single item with --raw")]
    RawOneFromFile,
    #[error(
        "unknown command {0:?}; the commands are completion, man, keys, reencrypt, set, unset, edit, lint and help"
    )]
    UnknownCommand(String),
    #[error(
        "--recovery-unseal cannot be combined with --re-encrypt: it would write the decrypted Secret over the SealedSecret file"
    )]
    UnsealWithReEncrypt,
    #[error(
        "{what} is larger than {cap} bytes; raise the limit with --max-input-size if this is intended"
    )]
    InputTooLarge { what: String, cap: u64 },
    /// Input that is not a readable object stream.
    #[error("{0}")]
    Input(String),
    #[error(transparent)]
    Seal(#[from] SealSecretError),
    #[error(transparent)]
    Cert(#[from] CertError),
    #[error("cannot fetch {}: {status}", go_quote(.url))]
    CertHttpStatus { url: String, status: String },
    #[error("{0}")]
    CertHttp(String),
    #[error(
        "cannot get sealed secret service: {0}.\nPlease, use the flag --controller-name and --controller-namespace to set up the name and namespace of the sealed secrets controller"
    )]
    ServiceGet(String),
    #[error("cannot fetch certificate: {0}")]
    CertProxy(String),
    #[error("unable to decrypt sealed secret")]
    ValidateParse,
    #[error("unable to decrypt sealed secret: {0}")]
    ValidateConflict(String),
    #[error("cannot validate sealed secret: {0}")]
    Validate(String),
    #[error("unable to rotate secret")]
    RotateConflict,
    #[error("cannot re-encrypt secret: {0}")]
    ReEncrypt(String),
    #[error("{source}")]
    Unseal {
        source: UnsealError,
        /// Scope, namespace and name the label was built from (for the hint line).
        label_from: Option<String>,
    },
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("{0}")]
    Io(String),
    #[error("{0}")]
    Kube(String),
    #[error("{0}")]
    Completion(String),
    /// A command module's own error (`keys`, `reencrypt`, `set`/`unset`/`edit`, rules files):
    /// those modules convert into this one, so this module names none of them.
    #[error("{0}")]
    Command(Box<dyn CommandError>),
    /// The YAML encoder refused the object (upstream's text).
    #[error("{0}")]
    Render(String),
}

/// The error of a command module: its message, and a name that stays stable for tests and logs.
pub trait CommandError: std::fmt::Display + std::fmt::Debug + Send + Sync + 'static {
    fn name(&self) -> &'static str;
}

impl<E: CommandError> From<E> for CliError {
    fn from(e: E) -> Self {
        CliError::Command(Box::new(e))
    }
}

impl CliError {
    #[allow(dead_code)] // used by tests and kept stable for callers that log errors
    pub fn name(&self) -> &'static str {
        match self {
            CliError::FromFileRequiresRaw => "from_file_requires_raw",
            CliError::SecretFile => "secret_file",
            CliError::TwoInputs => "two_inputs",
            CliError::UnsupportedFormat(_) => "unsupported_format",
            CliError::NoSecrets => "no_secrets",
            CliError::EmptyData => "empty_data",
            CliError::MissingName => "missing_name",
            CliError::NamespaceMismatch { .. } => "namespace_mismatch",
            CliError::RawNeedsNamespace(_) => "raw_needs_namespace",
            CliError::RawNeedsName(_) => "raw_needs_name",
            CliError::RawOneFromFile => "raw_one_from_file",
            CliError::UnknownCommand(_) => "unknown_command",
            CliError::UnsealWithReEncrypt => "unseal_with_re_encrypt",
            CliError::InputTooLarge { .. } => "input_too_large",
            CliError::Input(_) => "input",
            CliError::Seal(_) => "seal",
            CliError::Cert(_) => "cert",
            CliError::CertHttpStatus { .. } => "cert_http_status",
            CliError::CertHttp(_) => "cert_http",
            CliError::ServiceGet(_) => "service_get",
            CliError::CertProxy(_) => "cert_proxy",
            CliError::ValidateParse => "validate_parse",
            CliError::ValidateConflict(_) => "validate_conflict",
            CliError::Validate(_) => "validate",
            CliError::RotateConflict => "rotate_conflict",
            CliError::ReEncrypt(_) => "re_encrypt",
            CliError::Unseal { .. } => "unseal",
            CliError::Key(_) => "key",
            CliError::Io(_) => "io",
            CliError::Kube(_) => "kube",
            CliError::Completion(_) => "completion",
            CliError::Render(_) => "render",
            CliError::Command(e) => e.name(),
        }
    }

    /// An extra `hint:` line printed under the error, when there is something useful to add.
    pub fn hint(&self) -> Option<String> {
        match self {
            CliError::Unseal {
                source: UnsealError::Items(items),
                label_from: Some(from),
            } if items
                .iter()
                .any(|i| i.message.contains("no key could decrypt secret")) =>
            {
                Some(format!(
                    "hint: the items were tried with the label for {from}; a SealedSecret only opens under the scope, namespace and name it was sealed for"
                ))
            }
            _ => None,
        }
    }
}

/// An I/O error worded like Go's `*PathError` (`open <path>: no such file or directory`), which
/// upstream's integration tests match on.
pub fn io_error(op: &str, path: &std::path::Path, err: &std::io::Error) -> CliError {
    CliError::Io(format!("{op} {}: {}", path.display(), go_errno_text(err)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_stable_and_messages_upstream() {
        assert_eq!(CliError::NoSecrets.name(), "no_secrets");
        assert_eq!(
            CliError::NamespaceMismatch {
                secret: "a".into(),
                flag: "b".into()
            }
            .to_string(),
            "namespace mismatch: input secret is in namespace \"a\" but \"b\" was specified"
        );
        assert_eq!(
            CliError::CertHttpStatus {
                url: "u".into(),
                status: "404 Not Found".into()
            }
            .name(),
            "cert_http_status"
        );
    }
}
