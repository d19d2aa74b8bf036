//! `bitnami.com/v1alpha1 SealedSecret`, as upstream's `types.go` (JSON names, optionality, CRD).

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::CustomResource;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub const GROUP: &str = "bitnami.com";
pub const VERSION: &str = "v1alpha1";
pub const API_VERSION: &str = "bitnami.com/v1alpha1";
pub const KIND: &str = "SealedSecret";

pub const MANAGED_ANNOTATION: &str = "sealedsecrets.bitnami.com/managed";
pub const PATCH_ANNOTATION: &str = "sealedsecrets.bitnami.com/patch";
pub const SKIP_SET_OWNER_REFERENCES_ANNOTATION: &str = "sealedsecrets.bitnami.com/skip-set-owner-references";
pub const LAST_APPLIED_ANNOTATIONS: [&str; 2] = [
    "kubectl.kubernetes.io/last-applied-configuration",
    "kubecfg.ksonnet.io/last-applied-configuration",
];
/// The condition type the controller maintains.
pub const SYNCED: &str = "Synced";

/// Spec of a SealedSecret. Field order is Go's (`template`, `data`, `encryptedData`).
#[derive(CustomResource, Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
#[kube(
    group = "bitnami.com",
    version = "v1alpha1",
    kind = "SealedSecret",
    plural = "sealedsecrets",
    singular = "sealedsecret",
    namespaced,
    status = "SealedSecretStatus",
    printcolumn = r#"{"name":"Status","type":"string","jsonPath":".status.conditions[0].message"}"#,
    printcolumn = r#"{"name":"Synced","type":"string","jsonPath":".status.conditions[0].status"}"#,
    printcolumn = r#"{"name":"Age","type":"date","jsonPath":".metadata.creationTimestamp"}"#
)]
pub struct SealedSecretSpec {
    /// Always emitted, as upstream.
    #[serde(default)]
    pub template: SecretTemplateSpec,
    /// Deprecated v1 format: the whole Secret as one sealed JSON blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Option<String>")]
    pub data: Option<ByteString>,
    /// Item name → base64 ciphertext. Lenient like upstream: non-string values are dropped and
    /// garbage gives an empty map, so one bad object cannot stall the controller.
    #[serde(rename = "encryptedData", default)]
    pub encrypted_data: BTreeMap<String, String>,
}

/// `spec.template`: what the unsealed Secret looks like besides its data.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct SecretTemplateSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<ObjectMeta>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
    /// Go text/template per item, rendered over the decrypted values.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<BTreeMap<String, String>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct SealedSecretStatus {
    #[serde(rename = "observedGeneration", default, skip_serializing_if = "Option::is_none")]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<SealedSecretCondition>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct SealedSecretCondition {
    #[serde(rename = "type")]
    pub type_: String,
    /// `"True"`, `"False"` or `"Unknown"`.
    pub status: String,
    #[serde(rename = "lastUpdateTime", default, skip_serializing_if = "Option::is_none")]
    pub last_update_time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    #[serde(rename = "lastTransitionTime", default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}
