//! `--recovery-private-key` files: every key of a key file ([`crate::keyfile`]), with the error
//! texts of upstream's reader where it has one, and the load checks applied.

use crate::RsaPrivateKey;
use crate::keyfile::{FileKey, KeyFileError};
use crate::keys::{KeyError, check_key};

/// Every private key in a recovery file (see [`crate::keyfile`]): PEM keys, a JSON/YAML Secret,
/// `v1 List` of Secrets, or a stream of them; each Secret must hold `tls.key`. Each key once.
pub fn parse_private_keys(bytes: &[u8]) -> Result<Vec<RsaPrivateKey>, KeyError> {
    Ok(crate::keyfile::unique(file_keys(bytes)?)
        .into_iter()
        .map(|k| k.private_key)
        .collect())
}

/// The keys of a recovery file that pass the load checks (`check_key`), and the ones left out.
#[derive(Default)]
pub struct RecoveryKeys {
    pub keys: Vec<RsaPrivateKey>,
    pub skipped: Vec<SkippedKey>,
}

impl std::fmt::Debug for RecoveryKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecoveryKeys")
            .field("keys", &self.keys.len())
            .field("skipped", &self.skipped)
            .finish()
    }
}

/// A key of a recovery file that was left out, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedKey {
    /// `PEM key`, `Secret NAME` or `Secret N` (its position in the file, from 1).
    pub origin: String,
    pub reason: KeyError,
}

/// `parse_private_keys`, keeping only keys that pass `check_key` (with the Secret's `tls.crt`,
/// when it has one). A file that cannot be read at all is still an error.
pub fn recovery_keys(bytes: &[u8]) -> Result<RecoveryKeys, KeyError> {
    let mut out = RecoveryKeys::default();
    for found in file_keys(bytes)? {
        let cert = match found.cert_pem.as_deref().map(crate::cert::parse_pem) {
            None => None,
            Some(Ok(cert)) => Some(cert),
            Some(Err(e)) => {
                out.skipped.push(SkippedKey {
                    origin: found.origin.short(),
                    reason: e.into(),
                });
                continue;
            }
        };
        match check_key(&found.private_key, cert.as_ref()) {
            Ok(()) => out.keys.push(found.private_key),
            Err(reason) => out.skipped.push(SkippedKey {
                origin: found.origin.short(),
                reason,
            }),
        }
    }
    Ok(out)
}

/// The keys of a recovery file, read by the one key-file reader; errors keep the texts of
/// upstream's reader where it has one.
fn file_keys(bytes: &[u8]) -> Result<Vec<FileKey>, KeyError> {
    let found = crate::keyfile::read(bytes).map_err(|e| match e {
        KeyFileError::Syntax(reason) | KeyFileError::Pem(reason) => KeyError::Parse(reason),
        KeyFileError::NotSecret { .. }
        | KeyFileError::NotObject { .. }
        | KeyFileError::InvalidSecret { .. } => {
            KeyError::Parse("document is not a valid Secret".into())
        }
        KeyFileError::MissingKey { .. } => KeyError::MissingTlsKey,
        KeyFileError::BadPemKey { source, .. } | KeyFileError::BadSecretKey { source, .. } => {
            source
        }
    })?;
    if found.is_empty() {
        return Err(KeyError::NoKey);
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::{appendix_key, cert_for, key_secret};
    use crate::keys::{generate, private_key_to_pem};

    #[test]
    fn recovery_files_skip_refused_keys_and_keep_the_rest() {
        let good = appendix_key();
        let short = generate(1024).expect("1024-bit key");
        let list = serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                key_secret("weak", &short, &cert_for(&short)),
                key_secret("good", &good, &cert_for(&good)),
                key_secret("mismatched", &good, &cert_for(&short)),
            ],
        });
        let found = recovery_keys(list.to_string().as_bytes()).expect("readable file");
        assert_eq!(found.keys, vec![good.clone()]);
        assert_eq!(
            found.skipped,
            vec![
                SkippedKey {
                    origin: "Secret weak".into(),
                    reason: KeyError::WeakKey { bits: 1024 }
                },
                SkippedKey {
                    origin: "Secret mismatched".into(),
                    reason: KeyError::CertMismatch
                },
            ]
        );
        assert!(!format!("{found:?}").contains("PRIVATE"));

        // A bare PEM key has no certificate: only its size is checked.
        let pem = private_key_to_pem(&short);
        let found = recovery_keys(pem.as_bytes()).expect("pem");
        assert!(found.keys.is_empty());
        assert_eq!(found.skipped[0].origin, "PEM key");
        assert!(recovery_keys(b"not a key file").is_err());
    }
}
