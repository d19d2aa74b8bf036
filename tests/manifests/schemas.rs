//! Turns Kubernetes OpenAPI (core kinds) and CRD schemas into the standalone, strict JSON
//! schemas kubeconform reads from `<dir>/<group>/<kind>_<version>.json`. Strict means
//! `additionalProperties: false` wherever an object lists its properties, so a misspelt or
//! misplaced field fails, as with kubeconform's own `-strict` schema sets.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value, json};

/// Schemas keyed by `(group, version, kind)`.
pub type SchemaSet = BTreeMap<(String, String, String), Value>;

/// The file kubeconform's `-schema-location <dir>/{{.Group}}/{{.ResourceKind}}_{{.ResourceAPIVersion}}.json`
/// template points at for one kind.
pub fn file_name(group: &str, version: &str, kind: &str) -> String {
    // kubeconform takes the group as the part of apiVersion before the last '/', which for
    // core kinds (apiVersion "v1") is the version itself.
    let dir = if group.is_empty() { version } else { group };
    format!("{dir}/{}_{version}.json", kind.to_lowercase())
}

/// Rewrites OpenAPI-isms into plain JSON Schema and makes objects strict.
fn normalise(v: &mut Value) {
    match v {
        Value::Object(m) => {
            for child in m.values_mut() {
                normalise(child);
            }
            let int_or_string = m.get("x-kubernetes-int-or-string") == Some(&Value::Bool(true))
                || m.get("format").and_then(Value::as_str) == Some("int-or-string");
            if int_or_string {
                m.remove("type");
                m.remove("format");
                m.insert(
                    "oneOf".into(),
                    json!([{"type": "string"}, {"type": "integer"}]),
                );
            }
            if m.get("nullable") == Some(&Value::Bool(true))
                && let Some(Value::String(t)) = m.get("type").cloned()
            {
                m.insert("type".into(), json!([t, "null"]));
            }
            let preserve =
                m.get("x-kubernetes-preserve-unknown-fields") == Some(&Value::Bool(true));
            if m.contains_key("properties") && !m.contains_key("additionalProperties") && !preserve
            {
                m.insert("additionalProperties".into(), Value::Bool(false));
            }
        }
        Value::Array(a) => a.iter_mut().for_each(normalise),
        _ => {}
    }
}

/// The schema of every served version of every CRD in a (multi-document) YAML text.
pub fn from_crds(docs: &[Value], out: &mut SchemaSet) {
    for crd in docs
        .iter()
        .filter(|d| d["kind"] == "CustomResourceDefinition")
    {
        let group = crd["spec"]["group"].as_str().unwrap_or_default();
        let kind = crd["spec"]["names"]["kind"].as_str().unwrap_or_default();
        for version in crd["spec"]["versions"].as_array().into_iter().flatten() {
            let Some(mut schema) = version["schema"]["openAPIV3Schema"].as_object().cloned() else {
                continue;
            };
            // The API server adds these three to every CRD schema; generated CRDs may omit them.
            let props = schema.entry("properties").or_insert_with(|| json!({}));
            if let Some(props) = props.as_object_mut() {
                props
                    .entry("apiVersion")
                    .or_insert_with(|| json!({"type": "string"}));
                props
                    .entry("kind")
                    .or_insert_with(|| json!({"type": "string"}));
                props
                    .entry("metadata")
                    .or_insert_with(|| json!({"type": "object"}));
            }
            let mut schema = Value::Object(schema);
            normalise(&mut schema);
            let v = version["name"].as_str().unwrap_or_default();
            out.insert((group.into(), v.into(), kind.into()), schema);
        }
    }
}

/// Every `$ref`'d definition name reachable from `v`.
fn refs(v: &Value, found: &mut BTreeSet<String>, defs: &Map<String, Value>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("$ref").and_then(Value::as_str)
                && let Some(name) = r.strip_prefix("#/definitions/")
                && found.insert(name.to_string())
                && let Some(def) = defs.get(name)
            {
                refs(def, found, defs);
            }
            m.values().for_each(|c| refs(c, found, defs));
        }
        Value::Array(a) => a.iter().for_each(|c| refs(c, found, defs)),
        _ => {}
    }
}

/// Standalone schemas for the wanted core kinds, from the Kubernetes swagger document: each is
/// the kind's definition plus the definitions it references.
pub fn from_swagger(
    swagger: &Value,
    wanted: &BTreeSet<(String, String, String)>,
    out: &mut SchemaSet,
) {
    let Some(defs) = swagger["definitions"].as_object() else {
        return;
    };
    for (def_name, def) in defs {
        for gvk in def["x-kubernetes-group-version-kind"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let key = (
                gvk["group"].as_str().unwrap_or_default().to_string(),
                gvk["version"].as_str().unwrap_or_default().to_string(),
                gvk["kind"].as_str().unwrap_or_default().to_string(),
            );
            if !wanted.contains(&key) {
                continue;
            }
            let mut needed = BTreeSet::new();
            refs(def, &mut needed, defs);
            needed.remove(def_name);
            let mut schema = def.clone();
            let mut definitions = Map::new();
            for n in needed {
                if let Some(d) = defs.get(&n) {
                    definitions.insert(n, d.clone());
                }
            }
            // Quantities are strings or plain numbers in manifests (`cpu: 1`).
            for (n, d) in definitions.iter_mut() {
                if n == "io.k8s.apimachinery.pkg.api.resource.Quantity" {
                    *d = json!({"oneOf": [{"type": "string"}, {"type": "number"}]});
                }
            }
            if let Some(m) = schema.as_object_mut() {
                m.insert("definitions".into(), Value::Object(definitions));
            }
            normalise(&mut schema);
            out.insert(key, schema);
        }
    }
}

/// Writes the schema set in kubeconform's layout below `dir`.
pub fn write(set: &SchemaSet, dir: &Path) {
    for ((group, version, kind), schema) in set {
        let path = dir.join(file_name(group, version, kind));
        std::fs::create_dir_all(path.parent().expect("schema path has a parent"))
            .expect("create schema dir");
        std::fs::write(
            &path,
            serde_json::to_vec(schema).expect("schema serialises"),
        )
        .expect("write schema");
    }
}
