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
        match s {
            "" | "strict" => Ok(Scope::Strict),
            "namespace-wide" => Ok(Scope::NamespaceWide),
            "cluster-wide" => Ok(Scope::ClusterWide),
            _ => Err(ScopeParseError),
        }
    }
}

impl std::fmt::Display for Scope {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Scope::Strict => "strict",
            Scope::NamespaceWide => "namespace-wide",
            Scope::ClusterWide => "cluster-wide",
        })
    }
}

impl Scope {
    /// Scope from annotations: only the exact value `"true"` counts; cluster-wide wins.
    pub fn from_annotations(annotations: Option<&BTreeMap<String, String>>) -> Scope {
        let is_true = |key: &str| {
            annotations
                .and_then(|a| a.get(key))
                .is_some_and(|v| v == "true")
        };
        if is_true(CLUSTER_WIDE_ANNOTATION) {
            Scope::ClusterWide
        } else if is_true(NAMESPACE_WIDE_ANNOTATION) {
            Scope::NamespaceWide
        } else {
            Scope::Strict
        }
    }

    /// Scope from an object's top-level metadata.
    pub fn of(meta: &ObjectMeta) -> Scope {
        Scope::from_annotations(meta.annotations.as_ref())
    }

    /// Rewrites the two scope annotations for this scope (upstream `UpdateScopeAnnotations`):
    /// both removed, then the one for this scope added (none for strict).
    pub fn apply_to(self, annotations: &mut BTreeMap<String, String>) {
        annotations.remove(CLUSTER_WIDE_ANNOTATION);
        annotations.remove(NAMESPACE_WIDE_ANNOTATION);
        let key = match self {
            Scope::Strict => return,
            Scope::NamespaceWide => NAMESPACE_WIDE_ANNOTATION,
            Scope::ClusterWide => CLUSTER_WIDE_ANNOTATION,
        };
        annotations.insert(key.to_owned(), "true".to_owned());
    }
}

/// The OAEP label: `ns/name`, `ns`, or empty.
pub fn label(namespace: &str, name: &str, scope: Scope) -> Vec<u8> {
    match scope {
        Scope::Strict => format!("{namespace}/{name}").into_bytes(),
        Scope::NamespaceWide => namespace.as_bytes().to_vec(),
        Scope::ClusterWide => Vec::new(),
    }
}

/// The OAEP label for an object, from its top-level metadata only (never the template).
pub fn label_for(meta: &ObjectMeta) -> Vec<u8> {
    label(
        meta.namespace.as_deref().unwrap_or_default(),
        meta.name.as_deref().unwrap_or_default(),
        Scope::of(meta),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ann(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parse_and_display() {
        for s in ["strict", "namespace-wide", "cluster-wide"] {
            assert_eq!(s.parse::<Scope>().map(|x| x.to_string()), Ok(s.to_string()));
        }
        assert_eq!("".parse(), Ok(Scope::Strict));
        let err = "Strict".parse::<Scope>().expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "must be one of: strict, namespace-wide, cluster-wide"
        );
    }

    #[test]
    fn annotations_resolution() {
        assert_eq!(Scope::from_annotations(None), Scope::Strict);
        let both = ann(&[
            (CLUSTER_WIDE_ANNOTATION, "true"),
            (NAMESPACE_WIDE_ANNOTATION, "true"),
        ]);
        assert_eq!(Scope::from_annotations(Some(&both)), Scope::ClusterWide);
        for v in ["True", "1", "yes", ""] {
            let a = ann(&[(CLUSTER_WIDE_ANNOTATION, v), (NAMESPACE_WIDE_ANNOTATION, v)]);
            assert_eq!(Scope::from_annotations(Some(&a)), Scope::Strict, "{v:?}");
        }
        let ns = ann(&[
            (NAMESPACE_WIDE_ANNOTATION, "true"),
            (CLUSTER_WIDE_ANNOTATION, "false"),
        ]);
        assert_eq!(Scope::from_annotations(Some(&ns)), Scope::NamespaceWide);
    }

    #[test]
    fn apply_rewrites_both() {
        let mut a = ann(&[
            (CLUSTER_WIDE_ANNOTATION, "true"),
            (NAMESPACE_WIDE_ANNOTATION, "x"),
            ("other", "y"),
        ]);
        Scope::NamespaceWide.apply_to(&mut a);
        assert_eq!(
            a,
            ann(&[(NAMESPACE_WIDE_ANNOTATION, "true"), ("other", "y")])
        );
        Scope::Strict.apply_to(&mut a);
        assert_eq!(a, ann(&[("other", "y")]));
        Scope::ClusterWide.apply_to(&mut a);
        assert_eq!(a, ann(&[(CLUSTER_WIDE_ANNOTATION, "true"), ("other", "y")]));
    }

    #[test]
    fn labels() {
        assert_eq!(label("ns", "n", Scope::Strict), b"ns/n");
        assert_eq!(label("ns", "n", Scope::NamespaceWide), b"ns");
        assert_eq!(label("ns", "n", Scope::ClusterWide), b"");
        let meta = ObjectMeta {
            name: Some("n".into()),
            namespace: Some("ns".into()),
            annotations: Some(ann(&[(NAMESPACE_WIDE_ANNOTATION, "true")])),
            ..Default::default()
        };
        assert_eq!(label_for(&meta), b"ns");
    }
}
