//! The controller's view of SealedSecrets, fed by the watchers (the informer cache upstream reads).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sealwright_crypto::SealedSecret;

/// `namespace/name`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjKey {
    pub namespace: String,
    pub name: String,
}

impl ObjKey {
    pub fn of(meta: &ObjectMeta) -> Self {
        Self {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
        }
    }
}

impl std::fmt::Display for ObjKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)
    }
}

/// A cached object: decoded, or kept as metadata plus the decoding error.
#[derive(Debug, Clone)]
pub enum Cached {
    Valid(Arc<SealedSecret>),
    Invalid {
        metadata: Box<ObjectMeta>,
        error: String,
    },
}

impl Cached {
    pub fn metadata(&self) -> &ObjectMeta {
        match self {
            Self::Valid(s) => &s.metadata,
            Self::Invalid { metadata, .. } => metadata,
        }
    }

    /// Whether going from `self` to `new` should trigger a reconcile: only a spec change counts
    /// (upstream `sealedSecretChanged`); an object that becomes (in)valid counts as changed.
    pub fn spec_changed(&self, new: &Cached) -> bool {
        match (self, new) {
            (Self::Valid(a), Self::Valid(b)) => a.spec != b.spec,
            (Self::Invalid { metadata: a, .. }, Self::Invalid { metadata: b, .. }) => {
                a.generation != b.generation
            }
            _ => true,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Cache {
    inner: Arc<RwLock<HashMap<ObjKey, Cached>>>,
}

impl Cache {
    pub fn get(&self, key: &ObjKey) -> Option<Cached> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    /// Stores `obj`; returns the previous value.
    pub fn insert(&self, key: ObjKey, obj: Cached) -> Option<Cached> {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, obj)
    }

    pub fn remove(&self, key: &ObjKey) -> Option<Cached> {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key)
    }

    /// Keys matching a predicate (used to find objects gone during a re-list).
    pub fn keys_where(&self, pred: impl Fn(&ObjKey) -> bool) -> Vec<ObjKey> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .keys()
            .filter(|k| pred(k))
            .cloned()
            .collect()
    }

    /// Keys of decoded objects whose `Synced` condition is False.
    pub fn failing(&self) -> Vec<ObjKey> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .filter(|(_, c)| match c {
                Cached::Valid(ss) => {
                    crate::logic::status::condition_gauge_value(ss.status.as_ref()) < 0
                }
                Cached::Invalid { .. } => false,
            })
            .map(|(k, _)| k.clone())
            .collect()
    }

    pub fn len(&self) -> usize {
        self.inner.read().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealwright_crypto::SealedSecretSpec;

    fn ss(item: &str, label: Option<&str>) -> Cached {
        let mut s = SealedSecret::new("a", SealedSecretSpec::default());
        s.spec.encrypted_data.insert(item.into(), "x".into());
        if let Some(l) = label {
            s.metadata.labels = Some([("l".to_string(), l.to_string())].into());
        }
        Cached::Valid(Arc::new(s))
    }

    #[test]
    fn only_spec_changes_count() {
        assert!(!ss("a", None).spec_changed(&ss("a", Some("x"))));
        assert!(ss("a", None).spec_changed(&ss("b", None)));
        let invalid = Cached::Invalid {
            metadata: Box::default(),
            error: "bad".into(),
        };
        assert!(ss("a", None).spec_changed(&invalid));
    }

    #[test]
    fn store_and_lookup() {
        let c = Cache::default();
        let k = ObjKey {
            namespace: "n".into(),
            name: "a".into(),
        };
        assert!(c.insert(k.clone(), ss("a", None)).is_none());
        assert!(c.get(&k).is_some());
        assert_eq!(c.keys_where(|k| k.namespace == "n").len(), 1);
        c.remove(&k);
        assert!(c.is_empty());
    }
}
