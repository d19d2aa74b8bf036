//! `kubeseal keys backup`: every key Secret as one `v1 List`, written 0600 from the start.

use std::io::Write;
use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::Secret;
use serde_json::{Map, Value, json};
use zeroize::Zeroizing;

use super::error::KeysError;

/// Annotations that must not be copied: kubectl's repeats the whole object, key included.
const DROPPED_ANNOTATIONS: [&str; 1] = ["kubectl.kubernetes.io/last-applied-configuration"];

/// The backup text: a YAML `v1 List` of the Secrets with only what a restore needs (name,
/// namespace, creationTimestamp, labels, annotations, type, data). Readable by `keys restore`,
/// `kubectl apply -f` and `kubeseal --recovery-private-key` (ours and upstream's).
pub fn render(namespace: &str, secrets: &[Secret]) -> Result<Zeroizing<String>, KeysError> {
    let items = secrets.iter().map(item).collect::<Result<Vec<_>, _>>()?;
    let list = json!({ "apiVersion": "v1", "kind": "List", "items": items });
    let body =
        Zeroizing::new(serde_yaml::to_string(&list).map_err(|e| KeysError::Render(e.to_string()))?);
    let mut text = Zeroizing::new(format!(
        "# Sealed Secrets keys of namespace {namespace} ({} key(s)), written by kubeseal keys backup.\n\
         # This file holds PRIVATE KEYS: whoever has it can decrypt every SealedSecret sealed for them.\n",
        secrets.len()
    ));
    text.push_str(&body);
    Ok(text)
}

fn item(secret: &Secret) -> Result<Value, KeysError> {
    let m = &secret.metadata;
    let mut meta = Map::new();
    let mut put = |k: &str, v: Value| {
        meta.insert(k.to_string(), v);
    };
    if let Some(name) = &m.name {
        put("name", json!(name));
    }
    if let Some(ns) = &m.namespace {
        put("namespace", json!(ns));
    }
    if let Some(ts) = &m.creation_timestamp {
        put("creationTimestamp", json!(ts));
    }
    if let Some(labels) = m.labels.as_ref().filter(|l| !l.is_empty()) {
        put("labels", json!(labels));
    }
    let annotations: std::collections::BTreeMap<&String, &String> = m
        .annotations
        .iter()
        .flatten()
        .filter(|(k, _)| !DROPPED_ANNOTATIONS.contains(&k.as_str()))
        .collect();
    if !annotations.is_empty() {
        put("annotations", json!(annotations));
    }
    let data = serde_json::to_value(&secret.data).map_err(|e| KeysError::Render(e.to_string()))?;
    Ok(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": meta,
        "type": secret.type_.as_deref().unwrap_or(sealwright_crypto::keys::SECRET_TYPE_TLS),
        "data": data,
    }))
}

/// Writes `text` to `path` through a temporary file in the same directory, created 0600, then
/// renamed into place: the keys are never readable by others, and a failed run leaves no file.
/// An existing `path` is kept unless `force`.
pub fn write(path: &Path, text: &[u8], force: bool) -> Result<(), KeysError> {
    let shown = path.display().to_string();
    let fail = |e: &std::io::Error| KeysError::Write {
        path: shown.clone(),
        reason: crate::gofmt::go_errno_text(e),
    };
    if !force && path.symlink_metadata().is_ok() {
        return Err(KeysError::Exists { path: shown });
    }
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    // tempfile creates files 0600 on Unix.
    let mut tmp = tempfile::Builder::new()
        .prefix(".kubeseal-keys-backup")
        .tempfile_in(&dir)
        .map_err(|e| fail(&e))?;
    tmp.write_all(text)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| fail(&e))?;
    if force {
        tmp.persist(path).map_err(|e| fail(&e.error))?;
    } else {
        // A file that appeared meanwhile is still not overwritten.
        tmp.persist_noclobber(path).map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                KeysError::Exists {
                    path: shown.clone(),
                }
            } else {
                fail(&e.error)
            }
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::inventory::tests::key_secret;
    use super::super::keyfile;
    use super::*;
    use time::macros::datetime;

    fn secrets() -> Vec<Secret> {
        let mut a = key_secret(
            0,
            "sealed-secrets-keya",
            datetime!(2025-01-01 0:00 UTC),
            datetime!(2025-01-01 0:00 UTC),
        );
        a.metadata.uid = Some("uid-1".into());
        a.metadata.resource_version = Some("42".into());
        a.metadata.annotations = Some(
            [
                (
                    "kubectl.kubernetes.io/last-applied-configuration".to_string(),
                    "{...}".to_string(),
                ),
                ("team".to_string(), "ops".to_string()),
            ]
            .into(),
        );
        let b = key_secret(
            1,
            "sealed-secrets-keyb",
            datetime!(2025-06-01 0:00 UTC),
            datetime!(2025-06-01 0:00 UTC),
        );
        vec![a, b]
    }

    #[test]
    fn render_is_a_stripped_list_that_reads_back() {
        let text = render("kube-system", &secrets()).unwrap_or_default();
        assert!(text.starts_with("# Sealed Secrets keys of namespace kube-system (2 key(s))"));
        let value: serde_json::Value = serde_yaml::from_str(&text).unwrap_or_default();
        assert_eq!(value["kind"], "List");
        let item = &value["items"][0];
        assert_eq!(item["kind"], "Secret");
        assert_eq!(item["type"], "kubernetes.io/tls");
        assert_eq!(item["metadata"]["name"], "sealed-secrets-keya");
        assert_eq!(
            item["metadata"]["creationTimestamp"],
            "2025-01-01T00:00:00Z"
        );
        assert!(item["metadata"].get("uid").is_none());
        assert!(item["metadata"].get("resourceVersion").is_none());
        assert_eq!(
            item["metadata"]["annotations"],
            serde_json::json!({"team": "ops"})
        );
        assert!(item["data"]["tls.key"].is_string());

        let keys = keyfile::parse("b.yaml", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(keys.len(), 2);
        // The recovery path of `--recovery-private-key` reads it too.
        let recovered = sealwright_crypto::recovery::parse_private_keys(text.as_bytes())
            .map(|k| k.len())
            .map_err(|e| e.to_string());
        assert_eq!(recovered, Ok(2));
    }

    #[cfg(unix)]
    #[test]
    fn write_is_0600_and_refuses_to_overwrite() {
        use std::os::unix::fs::PermissionsExt;
        let Ok(dir) = tempfile::tempdir() else { return };
        let p = dir.path().join("backup.yaml");
        assert!(write(&p, b"one", false).is_ok());
        let mode = std::fs::metadata(&p)
            .map(|m| m.permissions().mode() & 0o777)
            .ok();
        assert_eq!(mode, Some(0o600));
        let again = write(&p, b"two", false).err().map(|e| e.name());
        assert_eq!(again, Some("keys_exists"));
        assert_eq!(std::fs::read(&p).ok().as_deref(), Some(&b"one"[..]));
        assert!(write(&p, b"two", true).is_ok());
        assert_eq!(std::fs::read(&p).ok().as_deref(), Some(&b"two"[..]));
        assert_eq!(
            std::fs::read_dir(dir.path())
                .map(|d| d.count())
                .unwrap_or(0),
            1
        );
    }
}
