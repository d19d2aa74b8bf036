//! Objects as JSON values with Go's field order and `omitempty` rules, so that both the JSON
//! and YAML renderings match what upstream's encoders produce.

use std::collections::BTreeMap;

use crate::model::{API_VERSION, KIND};
use crate::{SealedSecret, SecretTemplateSpec};
use base64::Engine;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{
    ManagedFieldsEntry, ObjectMeta, OwnerReference,
};
use serde_json::{Map, Value};

fn put_str(m: &mut Map<String, Value>, key: &str, v: Option<&String>) {
    if let Some(s) = v.filter(|s| !s.is_empty()) {
        m.insert(key.to_string(), Value::String(s.clone()));
    }
}

fn string_map(map: &BTreeMap<String, String>) -> Value {
    Value::Object(
        map.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

fn put_map(m: &mut Map<String, Value>, key: &str, v: Option<&BTreeMap<String, String>>) {
    if let Some(map) = v.filter(|map| !map.is_empty()) {
        m.insert(key.to_string(), string_map(map));
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// `metav1.ObjectMeta` in Go field order; zero values omitted (creationTimestamp included,
/// as client-go ≥ 0.33 does).
pub fn object_meta(meta: &ObjectMeta) -> Value {
    let mut m = Map::new();
    put_str(&mut m, "name", meta.name.as_ref());
    put_str(&mut m, "generateName", meta.generate_name.as_ref());
    put_str(&mut m, "namespace", meta.namespace.as_ref());
    put_str(&mut m, "selfLink", meta.self_link.as_ref());
    put_str(&mut m, "uid", meta.uid.as_ref());
    put_str(&mut m, "resourceVersion", meta.resource_version.as_ref());
    if let Some(g) = meta.generation.filter(|g| *g != 0) {
        m.insert("generation".into(), Value::from(g));
    }
    if let Some(t) = &meta.creation_timestamp {
        m.insert("creationTimestamp".into(), to_value(t));
    }
    if let Some(t) = &meta.deletion_timestamp {
        m.insert("deletionTimestamp".into(), to_value(t));
    }
    if let Some(s) = meta.deletion_grace_period_seconds {
        m.insert("deletionGracePeriodSeconds".into(), Value::from(s));
    }
    put_map(&mut m, "labels", meta.labels.as_ref());
    put_map(&mut m, "annotations", meta.annotations.as_ref());
    if let Some(refs) = meta.owner_references.as_ref().filter(|r| !r.is_empty()) {
        m.insert(
            "ownerReferences".into(),
            Value::Array(refs.iter().map(owner_reference).collect()),
        );
    }
    if let Some(f) = meta.finalizers.as_ref().filter(|f| !f.is_empty()) {
        m.insert(
            "finalizers".into(),
            Value::Array(f.iter().cloned().map(Value::String).collect()),
        );
    }
    if let Some(mf) = meta.managed_fields.as_ref().filter(|f| !f.is_empty()) {
        m.insert(
            "managedFields".into(),
            Value::Array(mf.iter().map(managed_fields_entry).collect()),
        );
    }
    Value::Object(m)
}

fn owner_reference(r: &OwnerReference) -> Value {
    let mut m = Map::new();
    m.insert("apiVersion".into(), Value::String(r.api_version.clone()));
    m.insert("kind".into(), Value::String(r.kind.clone()));
    m.insert("name".into(), Value::String(r.name.clone()));
    m.insert("uid".into(), Value::String(r.uid.clone()));
    if let Some(c) = r.controller {
        m.insert("controller".into(), Value::Bool(c));
    }
    if let Some(b) = r.block_owner_deletion {
        m.insert("blockOwnerDeletion".into(), Value::Bool(b));
    }
    Value::Object(m)
}

fn managed_fields_entry(e: &ManagedFieldsEntry) -> Value {
    let mut m = Map::new();
    put_str(&mut m, "manager", e.manager.as_ref());
    put_str(&mut m, "operation", e.operation.as_ref());
    put_str(&mut m, "apiVersion", e.api_version.as_ref());
    if let Some(t) = &e.time {
        m.insert("time".into(), to_value(t));
    }
    put_str(&mut m, "fieldsType", e.fields_type.as_ref());
    if let Some(f) = &e.fields_v1 {
        m.insert("fieldsV1".into(), f.0.clone());
    }
    put_str(&mut m, "subresource", e.subresource.as_ref());
    Value::Object(m)
}

fn template(t: &SecretTemplateSpec) -> Value {
    let mut m = Map::new();
    // A Go struct field is never dropped by `omitempty`: an absent template metadata prints `{}`.
    m.insert(
        "metadata".into(),
        t.metadata
            .as_ref()
            .map(object_meta)
            .unwrap_or_else(|| Value::Object(Map::new())),
    );
    put_str(&mut m, "type", t.type_.as_ref());
    if let Some(i) = t.immutable {
        m.insert("immutable".into(), Value::Bool(i));
    }
    // A `null` key (leave this item out of the Secret) stays `null`, as Go's `*string`.
    if let Some(data) = t.data.as_ref().filter(|d| !d.is_empty()) {
        let data = data
            .iter()
            .map(|(k, v)| (k.clone(), v.clone().map_or(Value::Null, Value::String)))
            .collect();
        m.insert("data".into(), Value::Object(data));
    }
    Value::Object(m)
}

/// A SealedSecret as upstream prints it (`kind`, `apiVersion`, `metadata`, `spec`; no status).
pub fn sealed_secret(s: &SealedSecret) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), Value::String(KIND.into()));
    m.insert("apiVersion".into(), Value::String(API_VERSION.into()));
    m.insert("metadata".into(), object_meta(&s.metadata));
    let mut spec = Map::new();
    spec.insert("template".into(), template(&s.spec.template));
    if let Some(d) = s.spec.data.as_ref().filter(|d| !d.0.is_empty()) {
        spec.insert(
            "data".into(),
            Value::String(base64::engine::general_purpose::STANDARD.encode(&d.0)),
        );
    }
    spec.insert("encryptedData".into(), string_map(&s.spec.encrypted_data));
    m.insert("spec".into(), Value::Object(spec));
    Value::Object(m)
}

/// A core/v1 Secret as upstream prints it.
pub fn secret(s: &Secret) -> Value {
    let mut m = Map::new();
    m.insert("kind".into(), Value::String("Secret".into()));
    m.insert("apiVersion".into(), Value::String("v1".into()));
    m.insert("metadata".into(), object_meta(&s.metadata));
    if let Some(i) = s.immutable {
        m.insert("immutable".into(), Value::Bool(i));
    }
    if let Some(d) = s.data.as_ref().filter(|d| !d.is_empty()) {
        let engine = base64::engine::general_purpose::STANDARD;
        m.insert(
            "data".into(),
            // Upstream decrypts an empty value to a nil byte slice, which Go prints as `null`.
            Value::Object(
                d.iter()
                    .map(|(k, v)| {
                        let text = if v.0.is_empty() {
                            Value::Null
                        } else {
                            Value::String(engine.encode(&v.0))
                        };
                        (k.clone(), text)
                    })
                    .collect(),
            ),
        );
    }
    put_map(&mut m, "stringData", s.string_data.as_ref());
    put_str(&mut m, "type", s.type_.as_ref());
    Value::Object(m)
}
