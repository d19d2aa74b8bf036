//! What the unsealed Secret should look like, given what is in the cluster (the Secret update of
//! upstream `unseal` in [controller.go]). Pure: no client calls.
//!
//! [controller.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/controller.go

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, OwnerReference};
use sealwright_crypto::model::{MANAGED_ANNOTATION, PATCH_ANNOTATION};

fn annotation_is_true(meta: &ObjectMeta, name: &str) -> bool {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(name))
        .is_some_and(|v| v == "true")
}

/// The Secret is annotated `managed: "true"`.
pub fn is_managed(meta: &ObjectMeta) -> bool {
    annotation_is_true(meta, MANAGED_ANNOTATION)
}

/// The Secret is annotated `patch: "true"`.
pub fn is_patch(meta: &ObjectMeta) -> bool {
    annotation_is_true(meta, PATCH_ANNOTATION)
}

/// An ownerReference with `controller: true` and this UID.
pub fn is_controlled_by(meta: &ObjectMeta, uid: &str) -> bool {
    meta.owner_references.as_ref().is_some_and(|refs| {
        refs.iter()
            .any(|r| r.controller == Some(true) && r.uid == uid)
    })
}

/// Upstream's ownership check: controlled by this SealedSecret, or annotated managed or patch.
pub fn may_update(existing: &ObjectMeta, sealed_uid: &str) -> bool {
    is_controlled_by(existing, sealed_uid) || is_managed(existing) || is_patch(existing)
}

/// Whether a deleted Secret should be re-created (upstream Secret delete handler).
pub fn should_recreate(deleted: &ObjectMeta, sealed_uid: &str) -> bool {
    is_controlled_by(deleted, sealed_uid) || is_managed(deleted)
}

/// A Secret with no controlling owner and not `managed`: upstream's delete handler never
/// re-creates it once deleted. (One controlled by an earlier SealedSecret of the same name, which
/// the garbage collector removes, is not in this class.)
pub fn left_deleted(deleted: &ObjectMeta) -> bool {
    let controlled = deleted
        .owner_references
        .as_ref()
        .is_some_and(|refs| refs.iter().any(|r| r.controller == Some(true)));
    !controlled && !is_managed(deleted)
}

fn merge(into: &mut Option<BTreeMap<String, String>>, from: &Option<BTreeMap<String, String>>) {
    if let Some(from) = from {
        let target = into.get_or_insert_with(BTreeMap::new);
        for (k, v) in from {
            target.insert(k.clone(), v.clone());
        }
    }
}

/// The Secret to write over `existing`. Patch mode (existing has `patch: "true"`) merges data,
/// labels and annotations and takes ownership only when also `managed: "true"`; overwrite mode
/// replaces them and the ownerReferences. `type` follows the template; `immutable` is untouched.
pub fn desired_secret(existing: &Secret, unsealed: &Secret) -> Secret {
    let mut out = existing.clone();
    if is_patch(&existing.metadata) {
        if let Some(data) = &unsealed.data {
            let target = out.data.get_or_insert_with(BTreeMap::new);
            for (k, v) in data {
                target.insert(k.clone(), v.clone());
            }
        }
        merge(&mut out.metadata.labels, &unsealed.metadata.labels);
        merge(
            &mut out.metadata.annotations,
            &unsealed.metadata.annotations,
        );
        if is_managed(&existing.metadata) {
            out.metadata.owner_references = unsealed.metadata.owner_references.clone();
        }
    } else {
        out.data = unsealed.data.clone();
        out.metadata.labels = unsealed.metadata.labels.clone();
        out.metadata.annotations = unsealed.metadata.annotations.clone();
        out.metadata.owner_references = unsealed.metadata.owner_references.clone();
    }
    // An empty template type means the API server's default; writing it back as such avoids an
    // update on every pass (the server would turn "" into Opaque again).
    out.type_ = Some(
        unsealed
            .type_
            .clone()
            .filter(|t| !t.is_empty())
            .unwrap_or_else(|| "Opaque".to_string()),
    );
    out.string_data = None;
    out
}

fn map_or_empty<V: Clone>(m: &Option<BTreeMap<String, V>>) -> BTreeMap<String, V> {
    m.clone().unwrap_or_default()
}

fn refs(r: &Option<Vec<OwnerReference>>) -> Vec<OwnerReference> {
    r.clone().unwrap_or_default()
}

/// Semantic equality for the fields this controller writes (an absent map equals an empty one,
/// as the API server drops empty maps).
pub fn semantically_equal(a: &Secret, b: &Secret) -> bool {
    map_or_empty(&a.data) == map_or_empty(&b.data)
        && map_or_empty(&a.metadata.labels) == map_or_empty(&b.metadata.labels)
        && map_or_empty(&a.metadata.annotations) == map_or_empty(&b.metadata.annotations)
        && refs(&a.metadata.owner_references) == refs(&b.metadata.owner_references)
        && a.type_.as_deref().unwrap_or("Opaque") == b.type_.as_deref().unwrap_or("Opaque")
        && a.immutable == b.immutable
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;

    fn owner(uid: &str, controller: bool) -> OwnerReference {
        OwnerReference {
            api_version: "bitnami.com/v1alpha1".into(),
            kind: "SealedSecret".into(),
            name: "s".into(),
            uid: uid.into(),
            controller: Some(controller),
            block_owner_deletion: None,
        }
    }

    fn map(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn data(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, ByteString>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                .collect(),
        )
    }

    fn secret(
        ann: &[(&str, &str)],
        labels: &[(&str, &str)],
        owners: Vec<OwnerReference>,
        d: &[(&str, &str)],
    ) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some("s".into()),
                namespace: Some("ns".into()),
                annotations: map(ann),
                labels: map(labels),
                owner_references: Some(owners),
                resource_version: Some("7".into()),
                ..Default::default()
            },
            data: data(d),
            type_: Some("Opaque".into()),
            ..Default::default()
        }
    }

    #[test]
    fn ownership_check() {
        assert!(may_update(
            &secret(&[], &[], vec![owner("u1", true)], &[]).metadata,
            "u1"
        ));
        assert!(!may_update(
            &secret(&[], &[], vec![owner("u1", false)], &[]).metadata,
            "u1"
        ));
        assert!(!may_update(
            &secret(&[], &[], vec![owner("u2", true)], &[]).metadata,
            "u1"
        ));
        assert!(may_update(
            &secret(&[(MANAGED_ANNOTATION, "true")], &[], vec![], &[]).metadata,
            "u1"
        ));
        assert!(may_update(
            &secret(&[(PATCH_ANNOTATION, "true")], &[], vec![], &[]).metadata,
            "u1"
        ));
        assert!(!may_update(
            &secret(&[(MANAGED_ANNOTATION, "True")], &[], vec![], &[]).metadata,
            "u1"
        ));
        assert!(!should_recreate(
            &secret(&[(PATCH_ANNOTATION, "true")], &[], vec![], &[]).metadata,
            "u1"
        ));
        assert!(should_recreate(
            &secret(&[(MANAGED_ANNOTATION, "true")], &[], vec![], &[]).metadata,
            "u1"
        ));
        assert!(left_deleted(
            &secret(
                &[(PATCH_ANNOTATION, "true")],
                &[],
                vec![owner("x", false)],
                &[]
            )
            .metadata
        ));
        assert!(!left_deleted(
            &secret(&[(MANAGED_ANNOTATION, "true")], &[], vec![], &[]).metadata
        ));
        assert!(!left_deleted(
            &secret(&[], &[], vec![owner("old-uid", true)], &[]).metadata
        ));
    }

    #[test]
    fn overwrite_replaces_everything() {
        let existing = secret(
            &[(MANAGED_ANNOTATION, "true"), ("a", "1")],
            &[("l", "1")],
            vec![owner("x", false)],
            &[("old", "o"), ("k", "0")],
        );
        let unsealed = secret(&[("b", "2")], &[], vec![owner("u1", true)], &[("k", "1")]);
        let d = desired_secret(&existing, &unsealed);
        assert_eq!(d.data, data(&[("k", "1")]));
        assert_eq!(d.metadata.annotations, map(&[("b", "2")]));
        assert_eq!(d.metadata.labels, map(&[]));
        assert_eq!(d.metadata.owner_references, Some(vec![owner("u1", true)]));
        assert_eq!(d.metadata.resource_version.as_deref(), Some("7"));
    }

    #[test]
    fn patch_merges_and_keeps_foreign_owner() {
        let existing = secret(
            &[(PATCH_ANNOTATION, "true"), ("a", "1")],
            &[("l", "1")],
            vec![owner("x", true)],
            &[("foreign", "f"), ("k", "0")],
        );
        let unsealed = secret(
            &[("b", "2")],
            &[("m", "2")],
            vec![owner("u1", true)],
            &[("k", "1")],
        );
        let d = desired_secret(&existing, &unsealed);
        assert_eq!(d.data, data(&[("foreign", "f"), ("k", "1")]));
        assert_eq!(
            d.metadata.annotations,
            map(&[(PATCH_ANNOTATION, "true"), ("a", "1"), ("b", "2")])
        );
        assert_eq!(d.metadata.labels, map(&[("l", "1"), ("m", "2")]));
        assert_eq!(d.metadata.owner_references, Some(vec![owner("x", true)]));
    }

    #[test]
    fn patch_and_managed_takes_ownership() {
        let existing = secret(
            &[(PATCH_ANNOTATION, "true"), (MANAGED_ANNOTATION, "true")],
            &[],
            vec![owner("x", true)],
            &[],
        );
        let unsealed = secret(&[], &[], vec![owner("u1", true)], &[("k", "1")]);
        let d = desired_secret(&existing, &unsealed);
        assert_eq!(d.metadata.owner_references, Some(vec![owner("u1", true)]));
    }

    #[test]
    fn type_follows_template_and_immutable_is_kept() {
        let mut existing = secret(&[], &[], vec![], &[]);
        existing.immutable = Some(true);
        let mut unsealed = secret(&[], &[], vec![], &[]);
        unsealed.type_ = Some("kubernetes.io/dockerconfigjson".into());
        unsealed.immutable = Some(false);
        let d = desired_secret(&existing, &unsealed);
        assert_eq!(d.type_.as_deref(), Some("kubernetes.io/dockerconfigjson"));
        assert_eq!(d.immutable, Some(true));
        unsealed.type_ = None;
        assert_eq!(
            desired_secret(&existing, &unsealed).type_.as_deref(),
            Some("Opaque")
        );
    }

    #[test]
    fn equality_ignores_empty_versus_absent() {
        let a = secret(&[], &[], vec![owner("u1", true)], &[("k", "1")]);
        let mut b = a.clone();
        b.metadata.labels = None;
        b.type_ = None;
        assert!(semantically_equal(&a, &b));
        b.data = data(&[("k", "2")]);
        assert!(!semantically_equal(&a, &b));
        let unchanged = desired_secret(&a, &a);
        assert!(semantically_equal(&a, &unchanged));
    }
}
