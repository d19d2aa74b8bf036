//! Scopes and their OAEP labels (upstream `SecretScope`, `EncryptionLabel`, `UpdateScopeAnnotations`).

use std::collections::BTreeMap;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

pub const CLUSTER_WIDE_ANNOTATION: &str = "sealedsecrets.bitnami.com/cluster-wide";
pub const NAMESPACE_WIDE_ANNOTATION: &str = "sealedsecrets.bitnami.com/namespace-wide";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scope {
    #[default]
    Strict,
    NamespaceWide,
    ClusterWide,
}

/// `--scope` parse error, with upstream's exact text.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[error("must be one of: strict, namespace-wide, cluster-wide")]
pub struct ScopeParseError;

impl std::str::FromStr for Scope {
    type Err = ScopeParseError;
    /// `""` and `strict` are strict.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        todo!()
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        todo!()
    }
}

impl Scope {
    /// Scope from annotations: only the exact value `"true"` counts; cluster-wide wins.
    pub fn from_annotations(annotations: Option<&BTreeMap<String, String>>) -> Scope {
        todo!()
    }

    /// Scope from an object's top-level metadata.
    pub fn of(meta: &ObjectMeta) -> Scope {
        Scope::from_annotations(meta.annotations.as_ref())
    }

    /// Rewrites the two scope annotations for this scope (upstream `UpdateScopeAnnotations`):
    /// both removed, then the one for this scope added (none for strict).
    pub fn apply_to(self, annotations: &mut BTreeMap<String, String>) {
        todo!()
    }
}

/// The OAEP label: `ns/name`, `ns`, or empty.
pub fn label(namespace: &str, name: &str, scope: Scope) -> Vec<u8> {
    todo!()
}

/// The OAEP label for an object, from its top-level metadata only (never the template).
pub fn label_for(meta: &ObjectMeta) -> Vec<u8> {
    label(
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default(),
        Scope::of(meta),
    )
}
