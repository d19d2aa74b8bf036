//! Reads a key file: what `keys backup` writes (a `v1 List` of Secrets), a single key Secret, a
//! stream of Secrets or Lists (YAML or JSON), or PEM private keys (with their certificates, when
//! the file has them). Everything is checked before anything is used, so a bad file changes
//! nothing; errors name the file, the object and the field, never key bytes.

use std::collections::BTreeMap;
use std::path::Path;

use k8s_openapi::api::core::v1::Secret;
use sealwright_crypto::RsaPrivateKey;
use sealwright_crypto::keys::{self, TLS_CERT, TLS_KEY};
use sealwright_crypto::yaml;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::error::KeysError;

/// One private key from a key file.
#[derive(Clone)]
pub struct FileKey {
    /// Where it came from, for messages: `Secret ns/name` or `PEM key 1`.
    pub origin: String,
    /// The Secret's name, when it came from one.
    pub name: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
    /// `tls.key` exactly as in the file (PKCS#1 or PKCS#8 PEM).
    pub key_pem: Zeroizing<Vec<u8>>,
    /// The certificate, checked to be for this key; `None` when the file has none.
    pub cert_pem: Option<String>,
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

/// Reads and checks every key of `path`; a key present twice is kept once.
pub fn read(path: &Path) -> Result<Vec<FileKey>, KeysError> {
    let shown = path.display().to_string();
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| KeysError::Read {
        path: shown.clone(),
        reason: crate::error::go_errno_text(&e),
    })?);
    parse(&shown, &bytes)
}

/// `read` on bytes; `path` only names the file in errors.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Vec<FileKey>, KeysError> {
    let bad = |context: &str, reason: String| KeysError::BadFile {
        path: path.to_string(),
        context: context.to_string(),
        reason,
    };
    let keys = if bytes.trim_ascii_start().starts_with(b"-----BEGIN") {
        from_pem(bytes).map_err(|(context, reason)| bad(&context, reason))?
    } else {
        let mut out = Vec::new();
        for (i, value) in documents(bytes)
            .map_err(|reason| bad("not YAML or JSON", reason))?
            .into_iter()
            .enumerate()
        {
            for item in list_items(value) {
                out.push(from_object(item, i + 1).map_err(|(c, r)| bad(&c, r))?);
            }
        }
        out
    };
    let mut unique: Vec<FileKey> = Vec::with_capacity(keys.len());
    for k in keys {
        if !unique.iter().any(|u| u.fingerprint == k.fingerprint) {
            unique.push(k);
        }
    }
    if unique.is_empty() {
        return Err(KeysError::NoKeysInFile {
            path: path.to_string(),
        });
    }
    Ok(unique)
}

type Problem = (String, String);

/// YAML or JSON documents (JSON is YAML), empty ones skipped. Only the position of a syntax
/// error is reported: the parser's text can quote the file, which holds private keys.
fn documents(bytes: &[u8]) -> Result<Vec<serde_json::Value>, String> {
    let read = || {
        let mut out = Vec::new();
        for doc in serde_yaml::Deserializer::from_slice(bytes) {
            let value = serde_json::Value::deserialize(doc).map_err(|e| match e.location() {
                Some(l) => format!("syntax error at line {}, column {}", l.line(), l.column()),
                None => "syntax error".to_string(),
            })?;
            if !value.is_null() {
                out.push(value);
            }
        }
        Ok(out)
    };
    yaml::contain(read).map_err(|e| e.to_string())?
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

fn describe(value: &serde_json::Value, doc: usize) -> String {
    let kind = value
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or("object");
    let meta = value.get("metadata");
    let name = meta.and_then(|m| m.get("name")).and_then(|n| n.as_str());
    let ns = meta
        .and_then(|m| m.get("namespace"))
        .and_then(|n| n.as_str());
    match (ns, name) {
        (Some(ns), Some(name)) => format!("{kind} {ns}/{name}"),
        (None, Some(name)) => format!("{kind} {name}"),
        _ => format!("{kind} in document {doc}"),
    }
}

fn from_object(value: serde_json::Value, doc: usize) -> Result<FileKey, Problem> {
    let origin = describe(&value, doc);
    match value.get("kind").and_then(|k| k.as_str()) {
        None | Some("Secret") => {}
        Some(_) => return Err((origin, "not a Secret".into())),
    }
    if !value.is_object() {
        return Err((origin, "not an object".into()));
    }
    // Not serde's text: it can quote values, and these hold private keys.
    let secret: Secret = serde_json::from_value(value)
        .map_err(|_| (origin.clone(), "not a valid Secret".to_string()))?;
    let field = |name: &str| -> Option<Vec<u8>> {
        secret
            .data
            .as_ref()
            .and_then(|d| d.get(name))
            .map(|b| b.0.clone())
            .or_else(|| {
                secret
                    .string_data
                    .as_ref()
                    .and_then(|d| d.get(name))
                    .map(|s| s.as_bytes().to_vec())
            })
    };
    let key_pem = Zeroizing::new(
        field(TLS_KEY).ok_or_else(|| (format!("{origin}: {TLS_KEY}"), "missing".to_string()))?,
    );
    let private_key = keys::private_key_from_pem(&key_pem)
        .map_err(|e| (format!("{origin}: {TLS_KEY}"), e.to_string()))?;
    let cert_pem = match field(TLS_CERT) {
        None => None,
        Some(bytes) => Some(
            checked_cert(&bytes, &private_key)
                .map_err(|reason| (format!("{origin}: {TLS_CERT}"), reason))?,
        ),
    };
    let mut annotations = secret.metadata.annotations.clone().unwrap_or_default();
    // It repeats the whole object, private key included.
    annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
    Ok(FileKey {
        origin,
        name: secret.metadata.name.clone(),
        labels: secret.metadata.labels.clone().unwrap_or_default(),
        annotations,
        fingerprint: keys::fingerprint(private_key.as_public_key()),
        key_pem,
        cert_pem,
        private_key,
    })
}

/// The certificate text, when its public key is the private key's.
fn checked_cert(bytes: &[u8], key: &RsaPrivateKey) -> Result<String, String> {
    let info = sealwright_crypto::cert::parse_pem(bytes).map_err(|e| e.to_string())?;
    if &info.public_key != key.as_public_key() {
        return Err("the certificate is for a different key than tls.key".into());
    }
    String::from_utf8(bytes.to_vec()).map_err(|_| "not UTF-8 text".into())
}

/// PEM private keys; each is paired with a certificate of the same file whose public key
/// matches, if there is one.
fn from_pem(bytes: &[u8]) -> Result<Vec<FileKey>, Problem> {
    let blocks = pem::parse_many(bytes).map_err(|e| ("PEM".to_string(), e.to_string()))?;
    let certs: Vec<&pem::Pem> = blocks.iter().filter(|b| b.tag() == "CERTIFICATE").collect();
    let mut out = Vec::new();
    for block in blocks.iter().filter(|b| b.tag().ends_with("PRIVATE KEY")) {
        let origin = format!("PEM key {}", out.len() + 1);
        let key_pem = Zeroizing::new(
            pem::encode_config(
                block,
                pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
            )
            .into_bytes(),
        );
        let private_key =
            keys::private_key_from_pem(&key_pem).map_err(|e| (origin.clone(), e.to_string()))?;
        let cert_pem = certs.iter().find_map(|c| {
            let text = pem::encode_config(
                c,
                pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
            );
            checked_cert(text.as_bytes(), &private_key).ok()
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
    use super::super::inventory::tests::{key_secret, test_keys};
    use super::*;
    use time::macros::datetime;

    fn secret_yaml(i: usize, name: &str) -> String {
        let s = key_secret(
            i,
            name,
            datetime!(2025-01-01 0:00 UTC),
            datetime!(2025-01-01 0:00 UTC),
        );
        serde_yaml::to_string(&s).unwrap_or_default()
    }

    fn err(bytes: &[u8]) -> String {
        match parse("backup.yaml", bytes) {
            Ok(k) => panic!("expected an error, got {k:?}"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn list_single_stream_and_pem() {
        let secret = |i: usize, name: &str| {
            key_secret(
                i,
                name,
                datetime!(2025-01-01 0:00 UTC),
                datetime!(2025-01-01 0:00 UTC),
            )
        };
        let list = serde_yaml::to_string(&serde_json::json!({
            "apiVersion": "v1",
            "kind": "List",
            "items": [secret(0, "a"), secret(1, "b")],
        }))
        .unwrap_or_default();
        let keys = parse("f", list.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(keys.len(), 2);
        assert_eq!(keys[0].name.as_deref(), Some("a"));
        assert!(keys[0].cert_pem.is_some());
        assert_eq!(keys[0].origin, "Secret kube-system/a");

        let stream = format!(
            "{}---\n{}---\n{}",
            secret_yaml(0, "a"),
            secret_yaml(1, "b"),
            secret_yaml(0, "dup")
        );
        assert_eq!(parse("f", stream.as_bytes()).map(|k| k.len()).ok(), Some(2));

        let json = serde_json::to_string(&key_secret(
            2,
            "c",
            datetime!(2025-01-01 0:00 UTC),
            datetime!(2025-01-01 0:00 UTC),
        ))
        .unwrap_or_default();
        assert_eq!(parse("f", json.as_bytes()).map(|k| k.len()).ok(), Some(1));

        let pem = keys::private_key_to_pem(&test_keys()[1]);
        let got = parse("f", pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            got[0].fingerprint,
            keys::fingerprint(test_keys()[1].as_public_key())
        );
        assert!(got[0].cert_pem.is_none());
    }

    #[test]
    fn bad_files_name_file_object_and_field() {
        assert_eq!(
            err(b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: x\n  namespace: kube-system\ndata:\n  tls.key: Z2FyYmFnZQ==\n"),
            "backup.yaml: Secret kube-system/x: tls.key: no private key found"
        );
        assert_eq!(
            err(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n"),
            "backup.yaml: ConfigMap x: not a Secret"
        );
        assert_eq!(
            err(b"kind: Secret\nmetadata:\n  name: x\n"),
            "backup.yaml: Secret x: tls.key: missing"
        );
        assert!(
            err(b"key: [unclosed\n")
                .starts_with("backup.yaml: not YAML or JSON: syntax error at line")
        );
        assert_eq!(
            err(b"# nothing\n"),
            "backup.yaml: no sealing key in the file"
        );

        // A certificate of another key is refused rather than restored as a trap.
        let mut s = key_secret(
            0,
            "x",
            datetime!(2025-01-01 0:00 UTC),
            datetime!(2025-01-01 0:00 UTC),
        );
        let other = key_secret(
            1,
            "y",
            datetime!(2025-01-01 0:00 UTC),
            datetime!(2025-01-01 0:00 UTC),
        );
        if let (Some(d), Some(o)) = (s.data.as_mut(), other.data.as_ref()) {
            d.insert(TLS_CERT.into(), o[TLS_CERT].clone());
        }
        let text = serde_yaml::to_string(&s).unwrap_or_default();
        assert_eq!(
            err(text.as_bytes()),
            "backup.yaml: Secret kube-system/x: tls.crt: the certificate is for a different key than tls.key"
        );
    }

    #[test]
    fn debug_hides_key_material() {
        let keys = parse("f", secret_yaml(0, "a").as_bytes()).unwrap_or_default();
        let text = format!("{keys:?}");
        assert!(!text.contains("PRIVATE"), "{text}");
        assert!(text.contains("SHA256:"), "{text}");
    }
}
