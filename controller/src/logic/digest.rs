//! Beyond upstream: a digest of everything an unsealed Secret depends on, recorded on the
//! SealedSecret's status together with the Secret's resourceVersion, so that a restart over
//! unchanged objects costs a list and a compare instead of RSA work. The Secret itself carries
//! nothing of ours: upstream's tools compare its metadata exactly. Pure: no client calls.
//!
//! The value is `sha256:<hex>;keys=<fp>,<fp>`: the digest covers the SealedSecret's
//! spec (canonical JSON: object keys sorted), its name, namespace, UID and scope annotations, and
//! the fingerprints of the keys that opened it. The fingerprints are also listed in clear so the
//! next pass can check that those keys are still registered without decrypting anything.

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sealwright_crypto::SealedSecret;
use sealwright_crypto::scope::{CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION};
use serde_json::Value;
use sha2::{Digest, Sha256};

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

/// The digest value for `ss` opened by `fingerprints` (order does not matter).
/// `None` only if the spec cannot be serialised, which the typed model rules out in practice.
pub fn value(ss: &SealedSecret, fingerprints: &[String], accept_v1_data: bool) -> Option<String> {
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

/// The fingerprints listed in a digest value, if it has our form.
pub fn fingerprints_of(value: &str) -> Option<Vec<String>> {
    let (_, keys) = value.split_once(";keys=")?;
    if keys.is_empty() {
        return Some(Vec::new());
    }
    Some(keys.split(',').map(str::to_string).collect())
}

/// When the recorded digest matches `ss` as it is now and every key that opened it is still
/// `registered`. Returns those fingerprints.
pub fn unchanged(
    recorded: &str,
    ss: &SealedSecret,
    registered: &[String],
    accept_v1_data: bool,
) -> Option<Vec<String>> {
    let fps = fingerprints_of(recorded)?;
    if fps.is_empty() || !fps.iter().all(|f| registered.contains(f)) {
        return None;
    }
    (value(ss, &fps, accept_v1_data)?.as_str() == recorded).then_some(fps)
}

/// When the existing Secret (`secret`: its metadata) already holds what unsealing `ss` would
/// write: it is ours (controlled by `ss` or managed), it is the very version the status vouches
/// for, and the status digest is current. Returns the fingerprints of the keys that opened it.
pub fn up_to_date(
    ss: &SealedSecret,
    secret: &ObjectMeta,
    registered: &[String],
    accept_v1_data: bool,
) -> Option<Vec<String>> {
    let status = ss.status.as_ref()?;
    let uid = ss.metadata.uid.as_deref()?;
    if !(crate::logic::desired::is_controlled_by(secret, uid)
        || crate::logic::desired::is_managed(secret))
    {
        return None;
    }
    let recorded_version = status.secret_resource_version.as_deref()?;
    if secret.resource_version.as_deref() != Some(recorded_version) {
        return None;
    }
    unchanged(
        status.spec_digest.as_deref()?,
        ss,
        registered,
        accept_v1_data,
    )
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

    #[test]
    fn digest_tracks_inputs() {
        let fps = vec!["SHA256:b".to_string(), "SHA256:a".to_string()];
        let a = value(&ss("s", &[("k", "AAA")]), &fps, true).unwrap();
        assert!(a.ends_with(";keys=SHA256:a,SHA256:b"), "{a}");
        let reordered = vec![fps[1].clone(), fps[0].clone()];
        assert_eq!(
            a,
            value(&ss("s", &[("k", "AAA")]), &reordered, true).unwrap()
        );
        assert_ne!(a, value(&ss("s", &[("k", "AAB")]), &fps, true).unwrap());
        assert_ne!(a, value(&ss("t", &[("k", "AAA")]), &fps, true).unwrap());
        let mut wide = ss("s", &[("k", "AAA")]);
        wide.metadata.annotations =
            Some([(CLUSTER_WIDE_ANNOTATION.to_string(), "true".to_string())].into());
        assert_ne!(a, value(&wide, &fps, true).unwrap());
        assert_ne!(
            a,
            value(&ss("s", &[("k", "AAA")]), &fps[..1], true).unwrap()
        );
    }

    #[test]
    fn unchanged_needs_digest_and_keys() {
        let s = ss("s", &[("k", "AAA")]);
        let fps = vec!["SHA256:a".to_string()];
        let v = value(&s, &fps, true).unwrap();
        assert_eq!(unchanged(&v, &s, &fps, true), Some(fps.clone()));
        // Key no longer registered.
        assert_eq!(unchanged(&v, &s, &["SHA256:z".to_string()], true), None);
        // Spec changed.
        assert_eq!(unchanged(&v, &ss("s", &[("k", "BBB")]), &fps, true), None);
        // A forged value without keys.
        assert_eq!(unchanged("sha256:00;keys=", &s, &fps, true), None);
    }

    #[test]
    fn up_to_date_needs_owner_version_and_status() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
        use sealwright_crypto::model::SealedSecretStatus;
        let fps = vec!["SHA256:a".to_string()];
        let mut s = ss("s", &[("k", "AAA")]);
        let secret = ObjectMeta {
            resource_version: Some("7".into()),
            owner_references: Some(vec![OwnerReference {
                uid: "u1".into(),
                controller: Some(true),
                ..Default::default()
            }]),
            ..Default::default()
        };
        // No status fields (e.g. pruned by upstream's CRD): unseal.
        assert_eq!(up_to_date(&s, &secret, &fps, true), None);
        s.status = Some(SealedSecretStatus {
            spec_digest: value(&s, &fps, true),
            secret_resource_version: Some("7".into()),
            ..Default::default()
        });
        assert_eq!(up_to_date(&s, &secret, &fps, true), Some(fps.clone()));
        // The Secret changed since (edited by hand).
        let edited = ObjectMeta {
            resource_version: Some("8".into()),
            ..secret.clone()
        };
        assert_eq!(up_to_date(&s, &edited, &fps, true), None);
        // Not ours.
        let foreign = ObjectMeta {
            owner_references: None,
            ..secret.clone()
        };
        assert_eq!(up_to_date(&s, &foreign, &fps, true), None);
    }
}
