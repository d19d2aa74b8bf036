//! Private keys and key Secrets (upstream `writeKey`/`readKey`, `readPrivKeysFromFile`, fingerprints).

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::traits::PublicKeyParts;
use time::OffsetDateTime;
use zeroize::Zeroizing;

use crate::RsaPrivateKey;
use crate::cert::CertInfo;
pub use crate::fingerprint::fingerprint;

/// Data keys of a `kubernetes.io/tls` key Secret.
pub const TLS_KEY: &str = "tls.key";
pub const TLS_CERT: &str = "tls.crt";
pub const SECRET_TYPE_TLS: &str = "kubernetes.io/tls";

/// Label that marks a key Secret; only the value `active` counts.
pub const KEY_LABEL: &str = "sealedsecrets.bitnami.com/sealed-secrets-key";
pub const KEY_LABEL_ACTIVE: &str = "active";
pub const DEFAULT_KEY_PREFIX: &str = "sealed-secrets-key";
pub const DEFAULT_KEY_BITS: usize = 4096;
/// Shorter RSA keys are refused on load: 1024-bit moduli are within reach of a determined
/// attacker, and a key that seals must outlive the secrets it protects.
pub const MIN_KEY_BITS: usize = 2048;

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
    #[error("RSA key of {bits} bits is shorter than the {MIN_KEY_BITS}-bit minimum")]
    WeakKey { bits: usize },
    #[error("tls.crt is the certificate of a different key than tls.key")]
    CertMismatch,
    #[error(transparent)]
    Cert(#[from] crate::cert::CertError),
}

impl KeyError {
    pub fn name(&self) -> &'static str {
        match self {
            KeyError::NotRsa => "NotRsa",
            KeyError::NoKey => "NoKey",
            KeyError::Parse(_) => "Parse",
            KeyError::MissingTlsKey => "MissingTlsKey",
            KeyError::BadKeySecret { .. } => "BadKeySecret",
            KeyError::Generate(_) => "Generate",
            KeyError::WeakKey { .. } => "WeakKey",
            KeyError::CertMismatch => "CertMismatch",
            KeyError::Cert(_) => "Cert",
        }
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
    RsaPrivateKey::new(&mut rand::rng(), bits).map_err(|e| KeyError::Generate(e.to_string()))
}

/// A private key from PEM: PKCS#1 (`RSA PRIVATE KEY`) or PKCS#8 (`PRIVATE KEY`); EC and other
/// non-RSA keys give `KeyError::NotRsa`.
pub fn private_key_from_pem(pem: &[u8]) -> Result<RsaPrivateKey, KeyError> {
    let blocks = pem::parse_many(pem).map_err(|e| KeyError::Parse(e.to_string()))?;
    // Like client-go's keyutil: the first private-key block decides, other blocks are skipped.
    for block in &blocks {
        match block.tag() {
            "RSA PRIVATE KEY" => {
                return RsaPrivateKey::from_pkcs1_der(block.contents())
                    .map_err(|e| KeyError::Parse(e.to_string()));
            }
            "PRIVATE KEY" => return pkcs8_private_key(block.contents()),
            "EC PRIVATE KEY" => return Err(KeyError::NotRsa),
            _ => {}
        }
    }
    Err(KeyError::NoKey)
}

fn pkcs8_private_key(der: &[u8]) -> Result<RsaPrivateKey, KeyError> {
    let info =
        rsa::pkcs8::PrivateKeyInfoRef::try_from(der).map_err(|e| KeyError::Parse(e.to_string()))?;
    if info.algorithm.oid != rsa::pkcs1::ALGORITHM_OID {
        return Err(KeyError::NotRsa);
    }
    RsaPrivateKey::from_pkcs8_der(der).map_err(|e| KeyError::Parse(e.to_string()))
}

/// PKCS#1 PEM (`RSA PRIVATE KEY`), as the controller writes `tls.key`.
pub fn private_key_to_pem(key: &RsaPrivateKey) -> Zeroizing<String> {
    // Encoding a key the rsa crate itself holds cannot fail short of a bug there.
    let der = match key.to_pkcs1_der() {
        Ok(doc) => Zeroizing::new(doc.as_bytes().to_vec()),
        Err(_) => return Zeroizing::new(String::new()),
    };
    let block = pem::Pem::new("RSA PRIVATE KEY", der.to_vec());
    let text = Zeroizing::new(pem::encode_config(
        &block,
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    ));
    // `Pem` owns a copy of the DER; it has no zeroizing drop, so wipe it by hand.
    let mut contents = block.into_contents();
    zeroize::Zeroize::zeroize(&mut contents);
    text
}

/// The load checks every key passes before it is used: at least `MIN_KEY_BITS`, and a
/// certificate (when given) for this very key, so the certificate served never belongs to a
/// key the controller does not hold.
pub fn check_key(key: &RsaPrivateKey, cert: Option<&CertInfo>) -> Result<(), KeyError> {
    let bits = key.n().bit_width() as usize;
    if bits < MIN_KEY_BITS {
        return Err(KeyError::WeakKey { bits });
    }
    match cert {
        Some(cert) if &cert.public_key != key.as_public_key() => Err(KeyError::CertMismatch),
        _ => Ok(()),
    }
}

/// Reads a key Secret as the controller uses it: `from_secret`, then the load checks
/// (`check_key`): a short key or a `tls.crt` of another key is refused.
pub fn load_secret(secret: &Secret) -> Result<SealingKey, KeyError> {
    let key = from_secret(secret)?;
    check_key(&key.private_key, Some(&key.cert))?;
    Ok(key)
}

/// Reads a key Secret (`tls.key` + `tls.crt`, first certificate used), without the load checks.
pub fn from_secret(secret: &Secret) -> Result<SealingKey, KeyError> {
    let secret_name = secret.metadata.name.clone();
    let bad = |reason: &str| KeyError::BadKeySecret {
        secret: secret_name.clone().unwrap_or_default(),
        reason: reason.to_owned(),
    };
    let data = secret.data.as_ref();
    let key_pem = data
        .and_then(|d| d.get(TLS_KEY))
        .ok_or_else(|| bad("missing data[\"tls.key\"]"))?;
    let cert_pem = data
        .and_then(|d| d.get(TLS_CERT))
        .ok_or_else(|| bad("missing data[\"tls.crt\"]"))?;
    let private_key = private_key_from_pem(&key_pem.0)?;
    let cert = crate::cert::parse_pem(&cert_pem.0)?;
    let cert_pem =
        String::from_utf8(cert_pem.0.clone()).map_err(|_| bad("tls.crt is not UTF-8 text"))?;
    let created = secret
        .metadata
        .creation_timestamp
        .as_ref()
        .and_then(|t| OffsetDateTime::from_unix_timestamp(t.0.as_second()).ok());
    Ok(SealingKey {
        fingerprint: fingerprint(private_key.as_public_key()),
        private_key,
        cert_pem,
        cert,
        secret_name,
        created,
    })
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
    let mut labels = extra_labels.clone();
    labels.insert(KEY_LABEL.to_owned(), KEY_LABEL_ACTIVE.to_owned());
    let key_pem = private_key_to_pem(key);
    let data = BTreeMap::from([
        (TLS_KEY.to_owned(), ByteString(key_pem.as_bytes().to_vec())),
        (
            TLS_CERT.to_owned(),
            ByteString(cert_pem.as_bytes().to_vec()),
        ),
    ]);
    Secret {
        metadata: ObjectMeta {
            generate_name: Some(prefix.to_owned()),
            namespace: Some(namespace.to_owned()),
            labels: Some(labels),
            annotations: (!extra_annotations.is_empty()).then(|| extra_annotations.clone()),
            ..Default::default()
        },
        type_: Some(SECRET_TYPE_TLS.to_owned()),
        data: Some(data),
        ..Default::default()
    }
}

/// Parses upstream's `k=v,k2=v2` flag syntax; a token without `=` is an error naming it
/// (upstream panics).
pub fn parse_key_value_list(list: &str) -> Result<BTreeMap<String, String>, String> {
    let mut out = BTreeMap::new();
    if list.is_empty() {
        return Ok(out);
    }
    for token in list.split(',') {
        let mut parts = token.split('=');
        let key = parts.next().unwrap_or_default();
        // Upstream keeps only the text between the first and second `=`.
        let Some(value) = parts.next() else {
            return Err(format!("invalid key=value pair {token:?}: missing '='"));
        };
        out.insert(key.to_owned(), value.to_owned());
    }
    Ok(out)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use time::macros::datetime;

    pub(crate) fn appendix_key() -> RsaPrivateKey {
        private_key_from_pem(include_bytes!("../tests/data/appendix-a-key.pem")).expect("fixture")
    }

    pub(crate) fn cert_for(key: &RsaPrivateKey) -> String {
        crate::cert::self_signed(
            key,
            "",
            datetime!(2026-01-01 0:00 UTC),
            time::Duration::days(1),
        )
        .expect("certificate")
    }

    pub(crate) fn key_secret(name: &str, key: &RsaPrivateKey, cert_pem: &str) -> Secret {
        let mut secret = to_secret(
            key,
            cert_pem,
            "ns",
            DEFAULT_KEY_PREFIX,
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        secret.metadata.name = Some(name.to_owned());
        secret
    }

    #[test]
    fn short_keys_and_foreign_certificates_are_refused() {
        let good = appendix_key();
        let short = generate(1024).expect("1024-bit key");
        let other = generate(MIN_KEY_BITS).expect("2048-bit key");

        let ok = key_secret("ok", &good, &cert_for(&good));
        assert_eq!(load_secret(&ok).expect("loads").private_key, good);

        let weak = key_secret("weak", &short, &cert_for(&short));
        assert_eq!(
            load_secret(&weak).expect_err("weak"),
            KeyError::WeakKey { bits: 1024 }
        );
        assert_eq!(
            KeyError::WeakKey { bits: 1024 }.to_string(),
            "RSA key of 1024 bits is shorter than the 2048-bit minimum"
        );
        // Parsing alone still reads it: only the load checks refuse it.
        assert!(from_secret(&weak).is_ok());

        let mismatched = key_secret("mismatched", &good, &cert_for(&other));
        assert_eq!(
            load_secret(&mismatched).expect_err("mismatch"),
            KeyError::CertMismatch
        );
        assert_eq!(KeyError::CertMismatch.name(), "CertMismatch");
    }
}
