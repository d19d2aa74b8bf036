//! Beyond upstream: what counts as a Secret drifting from its SealedSecret, the Secret that
//! repairs it, and how a drift is reported. Pure: no client calls.
//!
//! Drift is a difference in what the SealedSecret decides: data keys (changed, added, removed),
//! `type`, and labels or annotations that come from its template. Labels and annotations the
//! template does not name belong to others and are kept, and a `patch` Secret keeps keys it did
//! not get from us (see `desired::desired_secret`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::logic::desired;

/// The annotation on a SealedSecret that chooses, for that object, what happens to drift.
pub const DRIFT_ANNOTATION: &str = "sealedsecrets.bitnami.com/secret-drift";

/// What to do about a drifted Secret (`--secret-drift`, or the annotation per object).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// Restore the Secret, record an Event and count it.
    #[default]
    Repair,
    /// Only record an Event and count it.
    Detect,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Repair => "repair",
            Self::Detect => "detect",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "repair" => Some(Self::Repair),
            "detect" => Some(Self::Detect),
            _ => None,
        }
    }

    /// The mode for one SealedSecret: its annotation when valid, else `default` (the flag).
    pub fn for_object(meta: &ObjectMeta, default: Self) -> Self {
        annotation(meta).and_then(Self::parse).unwrap_or(default)
    }
}

/// The raw annotation value, if any.
pub fn annotation(meta: &ObjectMeta) -> Option<&str> {
    meta.annotations
        .as_ref()
        .and_then(|a| a.get(DRIFT_ANNOTATION))
        .map(String::as_str)
}

/// What differs between the Secret found and the one the SealedSecret says. Names only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Drift {
    pub changed: Vec<String>,
    /// Keys the Secret has that it should not have.
    pub added: Vec<String>,
    /// Keys the Secret should have and lacks.
    pub removed: Vec<String>,
    pub type_changed: bool,
    pub labels: Vec<String>,
    pub annotations: Vec<String>,
}

impl Drift {
    pub fn is_empty(&self) -> bool {
        self.changed.is_empty()
            && self.added.is_empty()
            && self.removed.is_empty()
            && !self.type_changed
            && self.labels.is_empty()
            && self.annotations.is_empty()
    }

    /// A description for Events and logs: key, label and annotation names, never a value.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let mut list = |what: &str, names: &[String]| {
            if !names.is_empty() {
                parts.push(format!("{what} {}", names.join(", ")));
            }
        };
        list("changed keys", &self.changed);
        list("added keys", &self.added);
        list("removed keys", &self.removed);
        list("labels", &self.labels);
        list("annotations", &self.annotations);
        if self.type_changed {
            parts.push("type".to_string());
        }
        parts.join("; ")
    }
}

/// Keys whose values differ between `found` and `wanted`, in key order.
fn changed_names<V: PartialEq>(
    found: &BTreeMap<String, V>,
    wanted: &BTreeMap<String, V>,
) -> Vec<String> {
    wanted
        .iter()
        .filter(|(k, v)| found.get(*k).is_some_and(|f| f != *v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Keys in `a` that `b` lacks.
fn missing_from<V>(a: &BTreeMap<String, V>, b: &BTreeMap<String, V>) -> Vec<String> {
    a.keys().filter(|k| !b.contains_key(*k)).cloned().collect()
}

/// Metadata names whose value in `target` is not what `found` holds (changed or missing).
fn metadata_drift(
    found: &Option<BTreeMap<String, String>>,
    target: &Option<BTreeMap<String, String>>,
) -> Vec<String> {
    let found = found.clone().unwrap_or_default();
    target
        .iter()
        .flatten()
        .filter(|(k, v)| found.get(*k) != Some(*v))
        .map(|(k, _)| k.clone())
        .collect()
}

/// What differs between `found` and the repair `target` (see `repair_target`).
pub fn diff(found: &Secret, target: &Secret) -> Drift {
    let have = found.data.clone().unwrap_or_default();
    let want = target.data.clone().unwrap_or_default();
    Drift {
        changed: changed_names(&have, &want),
        added: missing_from(&have, &want),
        removed: missing_from(&want, &have),
        type_changed: found.type_.as_deref().unwrap_or("Opaque")
            != target.type_.as_deref().unwrap_or("Opaque"),
        labels: metadata_drift(&found.metadata.labels, &target.metadata.labels),
        annotations: metadata_drift(&found.metadata.annotations, &target.metadata.annotations),
    }
}

/// Merges `from` over `into`'s entries.
fn overlay(
    into: &Option<BTreeMap<String, String>>,
    from: &Option<BTreeMap<String, String>>,
) -> Option<BTreeMap<String, String>> {
    let mut out = into.clone().unwrap_or_default();
    for (k, v) in from.iter().flatten() {
        out.insert(k.clone(), v.clone());
    }
    (!out.is_empty()).then_some(out)
}

/// The Secret that repairs `found`: what a pass would write (`desired::desired_secret`), except
/// that labels and annotations the template does not name stay as they are.
pub fn repair_target(found: &Secret, unsealed: &Secret) -> Secret {
    let mut target = desired::desired_secret(found, unsealed);
    target.metadata.labels = overlay(&found.metadata.labels, &unsealed.metadata.labels);
    target.metadata.annotations =
        overlay(&found.metadata.annotations, &unsealed.metadata.annotations);
    target
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;
    use sealwright_crypto::model::{MANAGED_ANNOTATION, PATCH_ANNOTATION};

    fn map(pairs: &[(&str, &str)]) -> Option<BTreeMap<String, String>> {
        Some(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    fn secret(
        data: &[(&str, &str)],
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
    ) -> Secret {
        Secret {
            metadata: ObjectMeta {
                name: Some("s".into()),
                labels: map(labels),
                annotations: map(annotations),
                ..Default::default()
            },
            data: Some(
                data.iter()
                    .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                    .collect(),
            ),
            type_: Some("Opaque".into()),
            ..Default::default()
        }
    }

    #[test]
    fn unchanged_secret_has_no_drift() {
        let unsealed = secret(&[("a", "1")], &[("l", "x")], &[("n", "y")]);
        let found = unsealed.clone();
        assert!(diff(&found, &repair_target(&found, &unsealed)).is_empty());
    }

    #[test]
    fn names_changed_added_and_removed_keys_without_values() {
        let unsealed = secret(&[("a", "1"), ("b", "2"), ("c", "3")], &[], &[]);
        let found = secret(&[("a", "hand-edit"), ("b", "2"), ("x", "secret")], &[], &[]);
        let d = diff(&found, &repair_target(&found, &unsealed));
        assert_eq!(d.changed, ["a"]);
        assert_eq!(d.added, ["x"]);
        assert_eq!(d.removed, ["c"]);
        let text = d.describe();
        assert_eq!(text, "changed keys a; added keys x; removed keys c");
        for value in ["hand-edit", "secret", "1", "3"] {
            assert!(!text.contains(value), "{text}");
        }
    }

    #[test]
    fn type_and_template_metadata_drift() {
        let mut unsealed = secret(&[("a", "1")], &[("team", "x")], &[("owner", "y")]);
        unsealed.type_ = Some("kubernetes.io/basic-auth".into());
        let found = secret(&[("a", "1")], &[("team", "z"), ("foreign", "f")], &[]);
        let target = repair_target(&found, &unsealed);
        let d = diff(&found, &target);
        assert!(d.type_changed);
        assert_eq!(d.labels, ["team"]);
        assert_eq!(d.annotations, ["owner"]);
        assert_eq!(d.describe(), "labels team; annotations owner; type");
        // The foreign label stays; the template's wins where both name it.
        assert_eq!(
            target.metadata.labels,
            map(&[("foreign", "f"), ("team", "x")])
        );
    }

    #[test]
    fn foreign_metadata_alone_is_no_drift() {
        let unsealed = secret(&[("a", "1")], &[], &[]);
        let found = secret(&[("a", "1")], &[("added-by", "someone")], &[("note", "n")]);
        let target = repair_target(&found, &unsealed);
        assert!(diff(&found, &target).is_empty());
        assert!(desired::semantically_equal(&found, &target));
    }

    #[test]
    fn patch_secret_keeps_foreign_keys() {
        let unsealed = secret(&[("ours", "1")], &[], &[]);
        let found = secret(
            &[("ours", "edited"), ("theirs", "t")],
            &[],
            &[(MANAGED_ANNOTATION, "true"), (PATCH_ANNOTATION, "true")],
        );
        let target = repair_target(&found, &unsealed);
        let d = diff(&found, &target);
        assert_eq!(d.changed, ["ours"]);
        assert!(d.added.is_empty(), "{d:?}");
        let data = target.data.unwrap_or_default();
        assert_eq!(data.get("theirs").map(|v| v.0.as_slice()), Some(&b"t"[..]));
        assert_eq!(data.get("ours").map(|v| v.0.as_slice()), Some(&b"1"[..]));
    }

    #[test]
    fn mode_from_annotation_or_flag() {
        let meta = |v: Option<&str>| ObjectMeta {
            annotations: v.map(|v| [(DRIFT_ANNOTATION.to_string(), v.to_string())].into()),
            ..Default::default()
        };
        assert_eq!(Mode::for_object(&meta(None), Mode::Repair), Mode::Repair);
        assert_eq!(
            Mode::for_object(&meta(Some("detect")), Mode::Repair),
            Mode::Detect
        );
        assert_eq!(
            Mode::for_object(&meta(Some("repair")), Mode::Detect),
            Mode::Repair
        );
        // An unknown value leaves the flag's choice.
        assert_eq!(
            Mode::for_object(&meta(Some("off")), Mode::Detect),
            Mode::Detect
        );
    }
}
