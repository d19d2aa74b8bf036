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
pub const SKIP_SET_OWNER_REFERENCES_ANNOTATION: &str =
    "sealedsecrets.bitnami.com/skip-set-owner-references";
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
#[schemars(transform = spec_schema)]
pub struct SealedSecretSpec {
    /// Always emitted, as upstream.
    #[serde(default)]
    pub template: SecretTemplateSpec,
    /// Deprecated v1 format: the whole Secret as one sealed JSON blob.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crd_schema::v1_data")]
    pub data: Option<ByteString>,
    /// Item name → base64 ciphertext. Lenient like upstream: non-string values are dropped and
    /// garbage gives an empty map, so one bad object cannot stall the controller.
    #[serde(
        rename = "encryptedData",
        default,
        deserialize_with = "lenient_string_map"
    )]
    #[schemars(schema_with = "crd_schema::encrypted_data")]
    pub encrypted_data: BTreeMap<String, String>,
}

/// `spec.template`: what the unsealed Secret looks like besides its data.
#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct SecretTemplateSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crd_schema::template_metadata")]
    pub metadata: Option<ObjectMeta>,
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub type_: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub immutable: Option<bool>,
    /// Go text/template per item, rendered over the decrypted values and the other plain
    /// keys. A key set to `null` is left out of the Secret, even when it is an encrypted item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(schema_with = "crd_schema::template_data")]
    pub data: Option<BTreeMap<String, Option<String>>>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct SealedSecretStatus {
    #[serde(
        rename = "observedGeneration",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub observed_generation: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Option<Vec<SealedSecretCondition>>,
    /// Beyond upstream: fingerprints (`SHA256:...`) of the keys that opened this object, written by
    /// the controller so `kubeseal keys list` can count objects per key.
    #[serde(
        rename = "keyFingerprints",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub key_fingerprints: Option<Vec<String>>,
    /// Beyond upstream: digest of the spec and of the keys that opened it (`sha256:<hex>;keys=...`),
    /// so a controller restart can tell an up-to-date Secret without decrypting.
    #[serde(
        rename = "specDigest",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub spec_digest: Option<String>,
    /// Beyond upstream: the Secret's resourceVersion as the controller last wrote or verified it;
    /// any other value means the Secret changed since and must be rewritten.
    #[serde(
        rename = "secretResourceVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub secret_resource_version: Option<String>,
}

#[derive(Serialize, Deserialize, Clone, Debug, Default, PartialEq, JsonSchema)]
pub struct SealedSecretCondition {
    #[serde(rename = "type")]
    pub type_: String,
    /// `"True"`, `"False"` or `"Unknown"`.
    pub status: String,
    #[serde(
        rename = "lastUpdateTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_update_time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    #[serde(
        rename = "lastTransitionTime",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub last_transition_time: Option<k8s_openapi::apimachinery::pkg::apis::meta::v1::Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// Upstream's `SealedSecretEncryptedData.UnmarshalJSON`: keep string entries, drop the rest, and
/// turn anything that is not a map (or `null`) into an empty map instead of failing.
fn lenient_string_map<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, String>, D::Error> {
    let value = serde_json::Value::deserialize(deserializer).unwrap_or(serde_json::Value::Null);
    let serde_json::Value::Object(map) = value else {
        return Ok(BTreeMap::new());
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| match v {
            serde_json::Value::String(s) => Some((k, s)),
            _ => None,
        })
        .collect())
}

/// Spec-level fixes: `encryptedData` is required as upstream, and no `default` is injected
/// (the API server would otherwise write `template: {}` into stored objects).
fn spec_schema(schema: &mut schemars::Schema) {
    if let Some(props) = schema.get_mut("properties").and_then(|p| p.as_object_mut()) {
        for prop in props.values_mut() {
            if let Some(obj) = prop.as_object_mut() {
                obj.remove("default");
            }
        }
    }
    schema.insert("required".into(), serde_json::json!(["encryptedData"]));
}

/// Schemas the derive cannot express, written to match upstream's controller-gen CRD.
mod crd_schema {
    use schemars::{Schema, SchemaGenerator, json_schema};

    /// `[]byte` in Go: base64 text.
    pub fn v1_data(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Deprecated v1 format: the whole Secret as one sealed JSON blob.",
            "type": "string",
            "format": "byte"
        })
    }

    /// Validation is deliberately loose: the controller, not the API server, rejects bad values.
    pub fn encrypted_data(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Item name to base64 ciphertext.",
            "type": "object",
            "additionalProperties": { "type": "string" },
            "x-kubernetes-preserve-unknown-fields": true
        })
    }

    /// As upstream's: the map may be `null`; its values are strings (or `null`, which the
    /// schema does not spell out either).
    pub fn template_data(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Go text/template per item, rendered over the decrypted values.",
            "type": "object",
            "nullable": true,
            "additionalProperties": { "type": "string" }
        })
    }

    /// Embedded ObjectMeta as controller-gen's `generateEmbeddedObjectMeta` renders it.
    pub fn template_metadata(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Metadata of the Secret to create.",
            "type": "object",
            "nullable": true,
            "x-kubernetes-preserve-unknown-fields": true,
            "properties": {
                "annotations": { "type": "object", "additionalProperties": { "type": "string" } },
                "finalizers": { "type": "array", "items": { "type": "string" } },
                "labels": { "type": "object", "additionalProperties": { "type": "string" } },
                "name": { "type": "string" },
                "namespace": { "type": "string" }
            }
        })
    }
}
