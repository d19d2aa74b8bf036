//! The controller's ServiceAccount and RBAC, taken from the shipped manifests
//! (`manifests/sealed-secrets/*.yaml`) when they exist, else from
//! `tests/testenv/controller-rbac.yaml` (upstream's rules), and rewritten for one test:
//! its namespace, its ServiceAccount name and its Service name.

use std::path::{Path, PathBuf};

use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, Role, RoleBinding};
use kube::api::{Patch, PatchParams};
use kube::{Api, Client};
use serde_json::Value;

use crate::error::TestenvError;

/// The name every upstream object of the controller uses.
const UPSTREAM_NAME: &str = "sealed-secrets-controller";
const UPSTREAM_NAMESPACE: &str = "kube-system";
const RBAC_KINDS: [&str; 5] = [
    "ServiceAccount",
    "ClusterRole",
    "Role",
    "ClusterRoleBinding",
    "RoleBinding",
];

/// Where the RBAC comes from.
pub fn rbac_sources(repo: &Path) -> Vec<PathBuf> {
    let mut shipped: Vec<PathBuf> = std::fs::read_dir(repo.join("manifests/sealed-secrets"))
        .map(|dir| {
            dir.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
                .collect()
        })
        .unwrap_or_default();
    shipped.sort();
    let has_rbac = shipped.iter().any(|p| {
        std::fs::read_to_string(p)
            .is_ok_and(|t| t.lines().any(|l| l.trim_end() == "kind: ClusterRole"))
    });
    if has_rbac {
        shipped
    } else {
        vec![repo.join("tests/testenv/controller-rbac.yaml")]
    }
}

/// The RBAC documents of `sources`, rewritten for `namespace`, ServiceAccount `sa` and Service
/// `service`. Cluster-scoped objects get a `-<namespace>` suffix unless `namespace` is the
/// upstream one, so tests running at once do not overwrite each other's bindings.
pub fn load_rbac(
    sources: &[PathBuf],
    namespace: &str,
    sa: &str,
    service: &str,
) -> Result<Vec<Value>, TestenvError> {
    let mut docs = Vec::new();
    for path in sources {
        let text = std::fs::read_to_string(path).map_err(TestenvError::io(path))?;
        for doc in serde_yaml::Deserializer::from_str(&text) {
            let value = Value::deserialize_from(doc, path)?;
            let kind = value["kind"].as_str().unwrap_or_default();
            if RBAC_KINDS.contains(&kind) {
                docs.push(rewrite(value, namespace, sa, service));
            }
        }
    }
    if docs.is_empty() {
        return Err(TestenvError::Parse {
            what: format!("{sources:?}"),
            message: "no ServiceAccount/Role/Binding documents".into(),
        });
    }
    Ok(docs)
}

trait FromYamlDoc: Sized {
    fn deserialize_from(
        doc: serde_yaml::Deserializer<'_>,
        path: &Path,
    ) -> Result<Self, TestenvError>;
}

impl FromYamlDoc for Value {
    fn deserialize_from(
        doc: serde_yaml::Deserializer<'_>,
        path: &Path,
    ) -> Result<Value, TestenvError> {
        use serde::Deserialize;
        Value::deserialize(doc).map_err(|e| TestenvError::Parse {
            what: path.display().to_string(),
            message: e.to_string(),
        })
    }
}

fn rewrite(mut doc: Value, namespace: &str, sa: &str, service: &str) -> Value {
    let kind = doc["kind"].as_str().unwrap_or_default().to_string();
    let cluster_scoped = kind.starts_with("Cluster");
    let suffix = |name: &str| {
        if namespace == UPSTREAM_NAMESPACE {
            name.to_string()
        } else {
            format!("{name}-{namespace}")
        }
    };
    if let Some(meta) = doc.get_mut("metadata").and_then(Value::as_object_mut) {
        let name = meta
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let new_name = match kind.as_str() {
            "ServiceAccount" => sa.to_string(),
            _ if cluster_scoped => suffix(&name),
            _ => name,
        };
        meta.insert("name".into(), new_name.into());
        if cluster_scoped {
            meta.remove("namespace");
        } else {
            meta.insert("namespace".into(), namespace.into());
        }
    }
    if kind.ends_with("Binding") {
        if doc["roleRef"]["kind"] == "ClusterRole" {
            let name = doc["roleRef"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            doc["roleRef"]["name"] = suffix(&name).into();
        }
        if let Some(subjects) = doc.get_mut("subjects").and_then(Value::as_array_mut) {
            for s in subjects
                .iter_mut()
                .filter(|s| s["kind"] == "ServiceAccount")
            {
                s["name"] = sa.into();
                s["namespace"] = namespace.into();
            }
        }
    }
    if let Some(rules) = doc.get_mut("rules").and_then(Value::as_array_mut) {
        // Only names of the Service follow the test's Service name; other names that happen to
        // equal it (the leader-election Lease) are fixed in the controller and stay as shipped.
        for names in rules
            .iter_mut()
            .filter(|r| is_service_rule(r))
            .filter_map(|r| r.get_mut("resourceNames"))
            .filter_map(Value::as_array_mut)
        {
            for n in names.iter_mut() {
                if let Some(s) = n.as_str() {
                    *n = s.replace(UPSTREAM_NAME, service).into();
                }
            }
        }
    }
    doc
}

/// A rule on `services` or one of their subresources (`services/proxy`).
fn is_service_rule(rule: &Value) -> bool {
    rule["resources"].as_array().is_some_and(|resources| {
        resources
            .iter()
            .filter_map(Value::as_str)
            .any(|r| r == "services" || r.starts_with("services/"))
    })
}

/// Applies the documents (server-side apply, so re-running is harmless).
pub async fn apply_rbac(client: &Client, docs: &[Value]) -> Result<(), TestenvError> {
    let pp = PatchParams::apply("sealwright-testenv").force();
    for doc in docs {
        let kind = doc["kind"].as_str().unwrap_or_default();
        let name = doc["metadata"]["name"].as_str().unwrap_or_default();
        let ns = doc["metadata"]["namespace"].as_str().unwrap_or_default();
        let what = format!("apply {kind} {ns}/{name}");
        let patch = Patch::Apply(doc);
        let c = client.clone();
        let result = match kind {
            "ServiceAccount" => Api::<ServiceAccount>::namespaced(c, ns)
                .patch(name, &pp, &patch)
                .await
                .map(drop),
            "Role" => Api::<Role>::namespaced(c, ns)
                .patch(name, &pp, &patch)
                .await
                .map(drop),
            "RoleBinding" => Api::<RoleBinding>::namespaced(c, ns)
                .patch(name, &pp, &patch)
                .await
                .map(drop),
            "ClusterRole" => Api::<ClusterRole>::all(c)
                .patch(name, &pp, &patch)
                .await
                .map(drop),
            "ClusterRoleBinding" => Api::<ClusterRoleBinding>::all(c)
                .patch(name, &pp, &patch)
                .await
                .map(drop),
            _ => Ok(()),
        };
        result.map_err(TestenvError::kube(what))?;
    }
    Ok(())
}

/// Loads, rewrites and applies the controller RBAC for one namespace.
pub async fn install_controller_rbac(
    client: &Client,
    repo: &Path,
    namespace: &str,
    sa: &str,
    service: &str,
) -> Result<(), TestenvError> {
    let docs = load_rbac(&rbac_sources(repo), namespace, sa, service)?;
    apply_rbac(client, &docs).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fallback() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testenv/controller-rbac.yaml")
    }

    #[test]
    fn rewrites_for_a_test_namespace() -> Result<(), TestenvError> {
        let docs = load_rbac(&[fallback()], "t-1", "ctl", "svc")?;
        let crb = docs
            .iter()
            .find(|d| d["kind"] == "ClusterRoleBinding")
            .ok_or(TestenvError::NotConfigured)?;
        assert_eq!(crb["metadata"]["name"], "sealed-secrets-controller-t-1");
        assert_eq!(crb["roleRef"]["name"], "secrets-unsealer-t-1");
        assert_eq!(crb["subjects"][0]["namespace"], "t-1");
        assert_eq!(crb["subjects"][0]["name"], "ctl");
        let proxier = docs
            .iter()
            .find(|d| {
                d["metadata"]["name"] == "sealed-secrets-service-proxier" && d["kind"] == "Role"
            })
            .ok_or(TestenvError::NotConfigured)?;
        assert_eq!(proxier["metadata"]["namespace"], "t-1");
        assert_eq!(proxier["rules"][1]["resourceNames"][0], "http:svc:");
        Ok(())
    }

    /// The Lease rule names the Lease the controller uses, whatever the test's Service is called.
    #[test]
    fn lease_name_is_not_the_service_name() -> Result<(), TestenvError> {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let docs = load_rbac(&rbac_sources(&repo), "t-1", "ctl", "svc")?;
        let role = docs
            .iter()
            .find(|d| {
                d["kind"] == "Role" && d["metadata"]["name"] == "sealed-secrets-leader-election"
            })
            .ok_or(TestenvError::NotConfigured)?;
        let named: Vec<&Value> = role["rules"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r.get("resourceNames"))
            .collect();
        assert_eq!(named, [&serde_json::json!(["sealed-secrets-controller"])]);
        let proxier = docs
            .iter()
            .find(|d| {
                d["kind"] == "Role" && d["metadata"]["name"] == "sealed-secrets-service-proxier"
            })
            .ok_or(TestenvError::NotConfigured)?;
        assert_eq!(proxier["rules"][0]["resourceNames"][0], "svc");
        Ok(())
    }

    #[test]
    fn keeps_upstream_names_in_kube_system() -> Result<(), TestenvError> {
        let docs = load_rbac(
            &[fallback()],
            "kube-system",
            "sealed-secrets-controller",
            "sealed-secrets-controller",
        )?;
        assert!(
            docs.iter()
                .any(|d| d["kind"] == "ClusterRole" && d["metadata"]["name"] == "secrets-unsealer")
        );
        Ok(())
    }
}
