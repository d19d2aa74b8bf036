//! Private keys and key Secrets (upstream `writeKey`/`readKey`, `readPrivKeysFromFile`, fingerprints).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use rsa::{RsaPrivateKey, RsaPublicKey};
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::cert::CertInfo;

/// Label that marks a key Secret; only the value `active` counts.
pub const KEY_LABEL: &str = "sealedsecrets.bitnami.com/sealed-secrets-key";
pub const KEY_LABEL_ACTIVE: &str = "active";
pub const DEFAULT_KEY_PREFIX: &str = "sealed-secrets-key";
pub const DEFAULT_KEY_BITS: usize = 4096;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeyError {
    #[error("private key is not an RSA key")]
    NotRsa,
    #[error("no private key found")]
    NoKey,
    #[error("cannot parse private key: {0}")]
    Parse(String),
    /// Upstream's text, typo included.
    #[error("secret must contain a 'tls.data' key")]
    MissingTlsKey,
    #[error("key Secret {secret}: {reason}")]
    BadKeySecret { secret: String, reason: String },
    #[error("cannot generate key: {0}")]
    Generate(String),
    #[error(transparent)]
    Cert(#[from] crate::cert::CertError),
}

impl KeyError {
    pub fn name(&self) -> &'static str {
        todo!()
    }
}

/// A sealing key as the controller holds it: private key, its certificate, and where it came from.
#[derive(Clone)]
pub struct SealingKey {
    pub private_key: RsaPrivateKey,
    pub cert_pem: String,
    pub cert: CertInfo,
    /// `SHA256:...` of the public key.
    pub fingerprint: String,
    /// The key Secret's name, when it came from one.
    pub secret_name: Option<String>,
    /// The key Secret's creationTimestamp, when it came from one.
    pub created: Option<OffsetDateTime>,
}

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SealingKey")
            .field("fingerprint", &self.fingerprint)
            .field("secret_name", &self.secret_name)
            .field("not_before", &self.cert.not_before)
            .finish_non_exhaustive()
    }
}

/// A fresh RSA key (e = 65537).
pub fn generate(bits: usize) -> Result<RsaPrivateKey, KeyError> {
    todo!()
}

/// `"SHA256:" + unpadded base64(sha256(ssh-rsa wire encoding))`, as `ssh.FingerprintSHA256`.
pub fn fingerprint(key: &RsaPublicKey) -> String {
    todo!()
}

/// A private key from PEM: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`); EC and other
/// non-RSA keys give `KeyError::NotRsa`.
pub fn private_key_from_pem(pem: &[u8]) -> Result<RsaPrivateKey, KeyError> {
    todo!()
}

/// PKCS#1 PEM (`RSA PRIVATE KEY`), as the controller writes `tls.key`.
pub fn private_key_to_pem(key: &RsaPrivateKey) -> Zeroizing<String> {
    todo!()
}

/// Every private key in a recovery file: a PEM key, a JSON/YAML `v1 List` of Secrets, a Secret,
/// or a multi-document stream of Secrets (each must hold `data["tls.key"]`).
pub fn parse_private_keys(bytes: &[u8]) -> Result<Vec<RsaPrivateKey>, KeyError> {
    todo!()
}

/// Reads a key Secret (`tls.key` + `tls.crt`, first certificate used).
pub fn from_secret(secret: &Secret) -> Result<SealingKey, KeyError> {
    todo!()
}

/// Builds a key Secret exactly as upstream `writeKey`: type `kubernetes.io/tls`, `generateName`
/// = `prefix` (no trailing dash), the `active` label plus `extra_labels` (never overriding the key
/// label), `extra_annotations`, `tls.key` PKCS#1 PEM and `tls.crt` PEM.
pub fn to_secret(
    key: &RsaPrivateKey,
    cert_pem: &str,
    namespace: &str,
    prefix: &str,
    extra_labels: &BTreeMap<String, String>,
    extra_annotations: &BTreeMap<String, String>,
) -> Secret {
    todo!()
}

/// Parses upstream's `k=v,k2=v2` flag syntax; a token without `=` is an error naming it
/// (upstream panics).
pub fn parse_key_value_list(list: &str) -> Result<BTreeMap<String, String>, String> {
    todo!()
}
