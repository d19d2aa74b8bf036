//! Reads a key file for `keys restore`/`retire` with the one key-file reader
//! ([`sealwright_crypto::keyfile`]): what `keys backup` writes (a `v1 List` of Secrets), a single
//! key Secret, a stream of Secrets or Lists (YAML or JSON), or PEM private keys. Everything is
//! checked before anything is used, so a bad file changes nothing; errors name the file, the
//! object and the field, never key bytes.

use std::path::Path;

use sealwright_crypto::RsaPrivateKey;
pub use sealwright_crypto::keyfile::FileKey;
use sealwright_crypto::keys::TLS_CERT;
use zeroize::Zeroizing;

use super::error::KeysError;

/// Reads and checks every key of `path`; a key present twice is kept once.
pub fn read(path: &Path) -> Result<Vec<FileKey>, KeysError> {
    let shown = path.display().to_string();
    let bytes = Zeroizing::new(std::fs::read(path).map_err(|e| KeysError::Read {
        path: shown.clone(),
        reason: crate::gofmt::go_errno_text(&e),
    })?);
    parse(&shown, &bytes)
}

/// `read` on bytes; `path` only names the file in errors. A certificate must be for its key.
pub fn parse(path: &str, bytes: &[u8]) -> Result<Vec<FileKey>, KeysError> {
    let bad = |context: String, reason: String| KeysError::BadFile {
        path: path.to_string(),
        context,
        reason,
    };
    let keys = sealwright_crypto::keyfile::read(bytes).map_err(|e| bad(e.context(), e.reason()))?;
    for key in &keys {
        if let Some(cert) = &key.cert_pem {
            checked_cert(cert, &key.private_key)
                .map_err(|reason| bad(format!("{}: {TLS_CERT}", key.origin), reason))?;
        }
    }
    if keys.is_empty() {
        return Err(KeysError::NoKeysInFile {
            path: path.to_string(),
        });
    }
    Ok(sealwright_crypto::keyfile::unique(keys))
}

/// Refuses a certificate of another key rather than restoring it as a trap.
fn checked_cert(bytes: &[u8], key: &RsaPrivateKey) -> Result<(), String> {
    let info = sealwright_crypto::cert::parse_pem(bytes).map_err(|e| e.to_string())?;
    if &info.public_key != key.as_public_key() {
        return Err("the certificate is for a different key than tls.key".into());
    }
    std::str::from_utf8(bytes)
        .map(|_| ())
        .map_err(|_| "not UTF-8 text".into())
}

#[cfg(test)]
mod tests {
    use super::super::inventory::tests::{key_secret, test_keys};
    use super::*;
    use sealwright_crypto::keys;
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
        assert_eq!(keys[0].origin.to_string(), "Secret kube-system/a");

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
