//! Beyond upstream: a digest of everything an unsealed Secret depends on, recorded on the Secret,
//! so that a restart over unchanged objects costs a list and a compare instead of RSA work.
//! Pure: no client calls.
//!
//! The annotation value is `sha256:<hex>;keys=<fp>,<fp>`: the digest covers the SealedSecret's
//! spec (canonical JSON: object keys sorted), its name, namespace, UID and scope annotations, and
//! the fingerprints of the keys that opened it. The fingerprints are also listed in clear so the
//! next pass can check that those keys are still registered without decrypting anything.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sealwright_crypto::SealedSecret;
use sealwright_crypto::scope::{CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION};
use serde_json::Value;
use sha2::{Digest, Sha256};

pub const DIGEST_ANNOTATION: &str = "sealwright.dev/spec-digest";

/// Sorts object keys at every level, so the digest does not depend on field order.
fn canonical(v: &Value) -> Value {
    match v {
        Value::Object(m) => {
            let sorted: BTreeMap<&String, Value> =
                m.iter().map(|(k, v)| (k, canonical(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(a) => Value::Array(a.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The annotation value for `ss` opened by `fingerprints` (order does not matter).
/// `None` only if the spec cannot be serialised, which the typed model rules out in practice.
pub fn annotation_value(
    ss: &SealedSecret,
    fingerprints: &[String],
    accept_v1_data: bool,
) -> Option<String> {
    let mut fps: Vec<&str> = fingerprints.iter().map(String::as_str).collect();
    fps.sort_unstable();
    fps.dedup();
    let annotation = |k: &str| {
        ss.metadata
            .annotations
            .as_ref()
            .and_then(|a| a.get(k))
            .cloned()
    };
    let spec = serde_json::to_value(&ss.spec).ok()?;
    let input = serde_json::json!({
        "spec": spec,
        "name": ss.metadata.name,
        "namespace": ss.metadata.namespace,
        "uid": ss.metadata.uid,
        "clusterWide": annotation(CLUSTER_WIDE_ANNOTATION),
        "namespaceWide": annotation(NAMESPACE_WIDE_ANNOTATION),
        "acceptV1Data": accept_v1_data,
        "keys": fps,
    });
    let bytes = serde_json::to_vec(&canonical(&input)).ok()?;
    Some(format!(
        "sha256:{};keys={}",
        hex(&Sha256::digest(&bytes)),
        fps.join(",")
    ))
}

/// The fingerprints listed in an annotation value, if it has our form.
pub fn fingerprints_of(value: &str) -> Option<Vec<String>> {
    let (_, keys) = value.split_once(";keys=")?;
    if keys.is_empty() {
        return Some(Vec::new());
    }
    Some(keys.split(',').map(str::to_string).collect())
}

/// The recorded annotation on a Secret.
pub fn recorded(meta: &ObjectMeta) -> Option<&str> {
    meta.annotations
        .as_ref()?
        .get(DIGEST_ANNOTATION)
        .map(String::as_str)
}

/// When the existing Secret already holds what unsealing `ss` would write: the recorded digest
/// matches and every key that opened it is still `registered`. Returns those fingerprints.
pub fn unchanged(
    existing: &ObjectMeta,
    ss: &SealedSecret,
    registered: &[String],
    accept_v1_data: bool,
) -> Option<Vec<String>> {
    let value = recorded(existing)?;
    let fps = fingerprints_of(value)?;
    if fps.is_empty() || !fps.iter().all(|f| registered.contains(f)) {
        return None;
    }
    (annotation_value(ss, &fps, accept_v1_data)?.as_str() == value).then_some(fps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealwright_crypto::model::SealedSecretSpec;

    fn ss(name: &str, items: &[(&str, &str)]) -> SealedSecret {
        let mut s = SealedSecret::new(name, SealedSecretSpec::default());
        s.metadata.namespace = Some("ns".into());
        s.metadata.uid = Some("u1".into());
        for (k, v) in items {
            s.spec.encrypted_data.insert(k.to_string(), v.to_string());
        }
        s
    }

    fn meta_with(value: &str) -> ObjectMeta {
        ObjectMeta {
            annotations: Some([(DIGEST_ANNOTATION.to_string(), value.to_string())].into()),
            ..Default::default()
        }
    }

    #[test]
    fn digest_tracks_inputs() {
        let fps = vec!["SHA256:b".to_string(), "SHA256:a".to_string()];
        let a = annotation_value(&ss("s", &[("k", "AAA")]), &fps, true).unwrap();
        assert!(a.ends_with(";keys=SHA256:a,SHA256:b"), "{a}");
        let reordered = vec![fps[1].clone(), fps[0].clone()];
        assert_eq!(
            a,
            annotation_value(&ss("s", &[("k", "AAA")]), &reordered, true).unwrap()
        );
        assert_ne!(
            a,
            annotation_value(&ss("s", &[("k", "AAB")]), &fps, true).unwrap()
        );
        assert_ne!(
            a,
            annotation_value(&ss("t", &[("k", "AAA")]), &fps, true).unwrap()
        );
        let mut wide = ss("s", &[("k", "AAA")]);
        wide.metadata.annotations =
            Some([(CLUSTER_WIDE_ANNOTATION.to_string(), "true".to_string())].into());
        assert_ne!(a, annotation_value(&wide, &fps, true).unwrap());
        assert_ne!(
            a,
            annotation_value(&ss("s", &[("k", "AAA")]), &fps[..1], true).unwrap()
        );
    }

    #[test]
    fn unchanged_needs_digest_and_keys() {
        let s = ss("s", &[("k", "AAA")]);
        let fps = vec!["SHA256:a".to_string()];
        let value = annotation_value(&s, &fps, true).unwrap();
        let meta = meta_with(&value);
        assert_eq!(unchanged(&meta, &s, &fps, true), Some(fps.clone()));
        // Key no longer registered.
        assert_eq!(unchanged(&meta, &s, &["SHA256:z".to_string()], true), None);
        // Spec changed.
        assert_eq!(
            unchanged(&meta, &ss("s", &[("k", "BBB")]), &fps, true),
            None
        );
        // No annotation, or a forged one without keys.
        assert_eq!(unchanged(&ObjectMeta::default(), &s, &fps, true), None);
        assert_eq!(
            unchanged(&meta_with("sha256:00;keys="), &s, &fps, true),
            None
        );
    }
}
