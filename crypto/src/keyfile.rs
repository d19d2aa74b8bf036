//! The one reader of key files, for both `--recovery-private-key` and `keys restore`/`retire`.
//!
//! A file is PEM (every private key in it, each paired with a certificate of the same file whose
//! public key matches), or YAML/JSON: one or more documents, each a Secret or a `List` of them.
//! A List is read in any document; upstream kubeseal reads only the first document, so every
//! file upstream accepts yields the same keys here (plus those of any later documents).
//! Certificates of Secrets are handed back unchecked: each caller applies its own policy.
//! Errors name the object and the field, never key bytes.

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use serde::Deserialize;
use zeroize::Zeroizing;

use crate::RsaPrivateKey;
use crate::keys::{self, KeyError, TLS_CERT, TLS_KEY};

/// Where a key of a file came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The `index`-th private key (from 1) of a PEM file.
    Pem { index: usize },
    /// An object of a YAML/JSON file.
    Object {
        kind: Option<String>,
        namespace: Option<String>,
        name: Option<String>,
        /// Its document (from 1).
        document: usize,
        /// Its position among the file's objects (from 1).
        position: usize,
    },
}

impl Origin {
    /// The short form of recovery warnings: `PEM key`, `Secret NAME` or `Secret N`.
    pub fn short(&self) -> String {
        match self {
            Origin::Pem { .. } => "PEM key".to_owned(),
            Origin::Object {
                name: Some(name), ..
            } => format!("Secret {name}"),
            Origin::Object { position, .. } => format!("Secret {position}"),
        }
    }
}

impl std::fmt::Display for Origin {
    /// `PEM key N`, `KIND ns/name`, `KIND name` or `KIND in document N`.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::Pem { index } => write!(f, "PEM key {index}"),
            Origin::Object {
                kind,
                namespace,
                name,
                document,
                ..
            } => {
                let kind = kind.as_deref().unwrap_or("object");
                match (namespace, name) {
                    (Some(ns), Some(name)) => write!(f, "{kind} {ns}/{name}"),
                    (None, Some(name)) => write!(f, "{kind} {name}"),
                    _ => write!(f, "{kind} in document {document}"),
                }
            }
        }
    }
}

/// One private key of a key file.
#[derive(Clone)]
pub struct FileKey {
    pub origin: Origin,
    /// The Secret's name, when it came from one.
    pub name: Option<String>,
    pub labels: BTreeMap<String, String>,
    /// Without `kubectl.kubernetes.io/last-applied-configuration`: it repeats the private key.
    pub annotations: BTreeMap<String, String>,
    /// `tls.key` exactly as in the file (PKCS#1 or PKCS#8 PEM).
    pub key_pem: Zeroizing<Vec<u8>>,
    /// `tls.crt` as in the file, unchecked; for PEM files, a certificate of this very key.
    pub cert_pem: Option<Vec<u8>>,
    pub private_key: RsaPrivateKey,
    pub fingerprint: String,
}

impl std::fmt::Debug for FileKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileKey")
            .field("origin", &self.origin)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum KeyFileError {
    #[error("not YAML or JSON: {0}")]
    Syntax(String),
    #[error("PEM: {0}")]
    Pem(String),
    #[error("{origin}: not a Secret")]
    NotSecret { origin: Box<Origin> },
    #[error("{origin}: not an object")]
    NotObject { origin: Box<Origin> },
    #[error("{origin}: not a valid Secret")]
    InvalidSecret { origin: Box<Origin> },
    #[error("{origin}: {TLS_KEY}: missing")]
    MissingKey { origin: Box<Origin> },
    #[error("{origin}: {source}")]
    BadPemKey {
        origin: Box<Origin>,
        source: KeyError,
    },
    #[error("{origin}: {TLS_KEY}: {source}")]
    BadSecretKey {
        origin: Box<Origin>,
        source: KeyError,
    },
}

impl KeyFileError {
    /// What the problem is about: the file part, or the object and its field.
    pub fn context(&self) -> String {
        match self {
            KeyFileError::Syntax(_) => "not YAML or JSON".to_owned(),
            KeyFileError::Pem(_) => "PEM".to_owned(),
            KeyFileError::NotSecret { origin }
            | KeyFileError::NotObject { origin }
            | KeyFileError::InvalidSecret { origin }
            | KeyFileError::BadPemKey { origin, .. } => origin.to_string(),
            KeyFileError::MissingKey { origin } | KeyFileError::BadSecretKey { origin, .. } => {
                format!("{origin}: {TLS_KEY}")
            }
        }
    }

    /// The problem itself, without the context.
    pub fn reason(&self) -> String {
        match self {
            KeyFileError::Syntax(reason) | KeyFileError::Pem(reason) => reason.clone(),
            KeyFileError::NotSecret { .. } => "not a Secret".to_owned(),
            KeyFileError::NotObject { .. } => "not an object".to_owned(),
            KeyFileError::InvalidSecret { .. } => "not a valid Secret".to_owned(),
            KeyFileError::MissingKey { .. } => "missing".to_owned(),
            KeyFileError::BadPemKey { source, .. } | KeyFileError::BadSecretKey { source, .. } => {
                source.to_string()
            }
        }
    }
}

/// Every private key of a key file, in file order (a key may occur more than once: see
/// [`unique`]). An empty answer means the file holds no key.
pub fn read(bytes: &[u8]) -> Result<Vec<FileKey>, KeyFileError> {
    let keys = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        from_pem(bytes)?
    } else {
        match documents(bytes) {
            Ok(docs) if docs.iter().all(|d| d.is_object()) => from_documents(docs)?,
            // PEM after some text (a comment, `openssl`'s bag attributes) is still PEM.
            _ if has_private_key_block(bytes) => from_pem(bytes)?,
            Ok(docs) => from_documents(docs)?,
            Err(reason) => return Err(KeyFileError::Syntax(reason)),
        }
    };
    Ok(keys)
}

/// Each key once: the first occurrence is kept.
pub fn unique(keys: Vec<FileKey>) -> Vec<FileKey> {
    let mut out: Vec<FileKey> = Vec::with_capacity(keys.len());
    for k in keys {
        if !out.iter().any(|u| u.fingerprint == k.fingerprint) {
            out.push(k);
        }
    }
    out
}

fn has_private_key_block(bytes: &[u8]) -> bool {
    pem::parse_many(bytes)
        .is_ok_and(|blocks| blocks.iter().any(|b| b.tag().ends_with("PRIVATE KEY")))
}

/// A JSON value or stream, else YAML documents (JSON is YAML); empty documents skipped. Only
/// the position of a syntax error is reported: the parser's text can quote the file.
fn documents(bytes: &[u8]) -> Result<Vec<serde_json::Value>, String> {
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"{") || trimmed.starts_with(b"[") {
        let stream = serde_json::Deserializer::from_slice(trimmed).into_iter::<serde_json::Value>();
        if let Ok(values) = stream.collect::<Result<Vec<_>, _>>() {
            return Ok(values);
        }
    }
    let read = || {
        let mut out = Vec::new();
        for doc in serde_yaml::Deserializer::from_slice(bytes) {
            let value = serde_json::Value::deserialize(doc).map_err(|e| match e.location() {
                Some(l) => format!("syntax error at line {}, column {}", l.line(), l.column()),
                None => "syntax error".to_owned(),
            })?;
            if !value.is_null() {
                out.push(value);
            }
        }
        Ok(out)
    };
    crate::yaml::contain(read).map_err(|e| e.to_string())?
}

/// The items of a `List` (also a typed list without `kind`), else the object itself.
fn list_items(value: serde_json::Value) -> Vec<serde_json::Value> {
    let kind = value.get("kind").and_then(|k| k.as_str());
    let is_list = matches!(kind, Some(k) if k.ends_with("List"))
        || (kind.is_none() && value.get("items").is_some_and(|i| i.is_array()));
    match value {
        serde_json::Value::Object(mut map) if is_list => match map.remove("items") {
            Some(serde_json::Value::Array(items)) => items,
            _ => Vec::new(),
        },
        other => vec![other],
    }
}

fn from_documents(docs: Vec<serde_json::Value>) -> Result<Vec<FileKey>, KeyFileError> {
    let mut out = Vec::new();
    let mut position = 0;
    for (i, doc) in docs.into_iter().enumerate() {
        for item in list_items(doc) {
            position += 1;
            out.push(from_object(item, i + 1, position)?);
        }
    }
    Ok(out)
}

fn origin_of(value: &serde_json::Value, document: usize, position: usize) -> Origin {
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).map(str::to_owned);
    let meta = value.get("metadata");
    Origin::Object {
        kind: text(value.get("kind")),
        namespace: text(meta.and_then(|m| m.get("namespace"))),
        name: text(meta.and_then(|m| m.get("name"))),
        document,
        position,
    }
}

fn from_object(
    value: serde_json::Value,
    document: usize,
    position: usize,
) -> Result<FileKey, KeyFileError> {
    // Boxed: it travels in errors, which stay small.
    let origin = Box::new(origin_of(&value, document, position));
    match value.get("kind").and_then(|k| k.as_str()) {
        None | Some("Secret") => {}
        Some(_) => return Err(KeyFileError::NotSecret { origin }),
    }
    if !value.is_object() {
        return Err(KeyFileError::NotObject { origin });
    }
    // Not serde's text: it can quote values, and these hold private keys.
    let secret: Secret = match serde_json::from_value(value) {
        Ok(secret) => secret,
        Err(_) => return Err(KeyFileError::InvalidSecret { origin }),
    };
    let field = |name: &str| -> Option<Vec<u8>> {
        let data = secret.data.as_ref().and_then(|d| d.get(name));
        data.map(|b| b.0.clone()).or_else(|| {
            let text = secret.string_data.as_ref().and_then(|d| d.get(name));
            text.map(|s| s.as_bytes().to_vec())
        })
    };
    let Some(key_pem) = field(TLS_KEY).map(Zeroizing::new) else {
        return Err(KeyFileError::MissingKey { origin });
    };
    let private_key = match keys::private_key_from_pem(&key_pem) {
        Ok(key) => key,
        Err(source) => return Err(KeyFileError::BadSecretKey { origin, source }),
    };
    let mut annotations = secret.metadata.annotations.clone().unwrap_or_default();
    annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
    Ok(FileKey {
        origin: *origin,
        name: secret.metadata.name.clone(),
        labels: secret.metadata.labels.clone().unwrap_or_default(),
        annotations,
        fingerprint: keys::fingerprint(private_key.as_public_key()),
        key_pem,
        cert_pem: field(TLS_CERT),
        private_key,
    })
}

fn pem_text(block: &pem::Pem) -> String {
    pem::encode_config(
        block,
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

/// PEM private keys, each with a certificate of the file whose public key matches, if any.
fn from_pem(bytes: &[u8]) -> Result<Vec<FileKey>, KeyFileError> {
    let blocks = pem::parse_many(bytes).map_err(|e| KeyFileError::Pem(e.to_string()))?;
    let certs: Vec<&pem::Pem> = blocks.iter().filter(|b| b.tag() == "CERTIFICATE").collect();
    let mut out = Vec::new();
    for block in blocks.iter().filter(|b| b.tag().ends_with("PRIVATE KEY")) {
        let origin = Origin::Pem {
            index: out.len() + 1,
        };
        let key_pem = Zeroizing::new(pem_text(block).into_bytes());
        let private_key = match keys::private_key_from_pem(&key_pem) {
            Ok(key) => key,
            Err(source) => {
                let origin = Box::new(origin);
                return Err(KeyFileError::BadPemKey { origin, source });
            }
        };
        let cert_pem = certs.iter().find_map(|c| {
            let text = pem_text(c).into_bytes();
            let info = crate::cert::parse_pem(&text).ok()?;
            (&info.public_key == private_key.as_public_key()).then_some(text)
        });
        out.push(FileKey {
            origin,
            name: None,
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            fingerprint: keys::fingerprint(private_key.as_public_key()),
            key_pem,
            cert_pem,
            private_key,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::tests::{appendix_key, cert_for, key_secret};

    #[test]
    fn a_list_counts_in_any_document() {
        let key = appendix_key();
        let other = keys::generate(1024).expect("key");
        let first = key_secret("first", &key, &cert_for(&key));
        let mut second = key_secret("second", &other, &cert_for(&other));
        second.metadata.namespace = None;
        let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [second]});
        let text = format!(
            "{}---\n{}",
            serde_yaml::to_string(&first).expect("yaml"),
            serde_yaml::to_string(&list).expect("yaml")
        );
        let found = read(text.as_bytes()).expect("readable");
        let origins: Vec<(String, String)> = found
            .iter()
            .map(|k| (k.origin.to_string(), k.origin.short()))
            .collect();
        assert_eq!(
            origins,
            [
                ("Secret ns/first".to_owned(), "Secret first".to_owned()),
                ("Secret second".to_owned(), "Secret second".to_owned())
            ]
        );
        assert!(found.iter().all(|k| k.cert_pem.is_some()));

        // PEM after other text, and the same key twice.
        let pem = keys::private_key_to_pem(&key);
        let text = format!("a comment\n{}{}", pem.as_str(), pem.as_str());
        let found = read(text.as_bytes()).expect("pem");
        assert_eq!(found.len(), 2);
        assert_eq!(unique(found).len(), 1);

        let err = read(b"kind: ConfigMap\nmetadata: {name: x}\n").expect_err("not a Secret");
        assert_eq!(err.to_string(), "ConfigMap x: not a Secret");
        assert_eq!(
            (err.context(), err.reason()),
            ("ConfigMap x".into(), "not a Secret".into())
        );
    }
}
