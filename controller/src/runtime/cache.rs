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

/// How the cache holds a decoded object: its compact JSON without the ciphertexts, and the
/// ciphertexts as bytes. That is about a third of the memory of the decoded tree (a decoded
/// SealedSecret spends more on struct padding, map nodes and per-string allocations than on its
/// ciphertexts, and base64 adds a third to those): at 10,000 objects, the difference between a
/// controller within 64 MiB and one beyond it. Decoding again on each pass costs microseconds.
#[derive(Debug)]
enum Stored {
    Valid {
        /// The object with an empty `spec.encryptedData`.
        json: Box<[u8]>,
        /// `spec.encryptedData`, in its order.
        items: Box<[(Box<str>, Ciphertext)]>,
        /// Whether its `Synced` condition is False, so `failing` need not decode everything.
        failing: bool,
    },
    Invalid {
        metadata: Box<ObjectMeta>,
        error: String,
    },
}

/// One `encryptedData` value: decoded when base64 gives back the very same text, else as written
/// (so a value with line breaks or non-canonical bits reaches the pass byte for byte).
#[derive(Debug)]
enum Ciphertext {
    Bytes(Box<[u8]>),
    Text(Box<str>),
}

/// Standard base64 that decodes only what it would write itself (padding as written, no spare
/// bits, no line breaks), so a decoded value encodes back to the very same text.
const CANONICAL: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireCanonical),
);

impl Ciphertext {
    fn pack(text: String) -> Self {
        use base64::Engine;
        match CANONICAL.decode(text.as_bytes()) {
            Ok(bytes) => Self::Bytes(bytes.into_boxed_slice()),
            Err(_) => Self::Text(text.into_boxed_str()),
        }
    }

    fn unpack(&self) -> String {
        use base64::Engine;
        match self {
            Self::Bytes(bytes) => CANONICAL.encode(bytes),
            Self::Text(text) => text.to_string(),
        }
    }
}

impl Stored {
    fn pack(obj: Cached) -> Self {
        match obj {
            Cached::Valid(ss) => {
                let failing = crate::logic::status::condition_gauge_value(ss.status.as_ref()) < 0;
                let mut ss = Arc::unwrap_or_clone(ss);
                let items: Box<[(Box<str>, Ciphertext)]> =
                    std::mem::take(&mut ss.spec.encrypted_data)
                        .into_iter()
                        .map(|(name, value)| (name.into_boxed_str(), Ciphertext::pack(value)))
                        .collect();
                match serde_json::to_vec(&ss) {
                    Ok(json) => Self::Valid {
                        json: json.into_boxed_slice(),
                        items,
                        failing,
                    },
                    // Not reachable with the typed model; keep the object visible as
                    // undecodable rather than drop it.
                    Err(e) => Self::Invalid {
                        metadata: Box::new(ss.metadata),
                        error: format!("cannot cache SealedSecret: {e}"),
                    },
                }
            }
            Cached::Invalid { metadata, error } => Self::Invalid { metadata, error },
        }
    }

    fn unpack(&self) -> Cached {
        match self {
            Self::Valid { json, items, .. } => match serde_json::from_slice::<SealedSecret>(json) {
                Ok(mut ss) => {
                    ss.spec.encrypted_data = items
                        .iter()
                        .map(|(name, value)| (name.to_string(), value.unpack()))
                        .collect();
                    Cached::Valid(Arc::new(ss))
                }
                Err(e) => Cached::Invalid {
                    metadata: Box::default(),
                    error: format!("cannot read cached SealedSecret: {e}"),
                },
            },
            Self::Invalid { metadata, error } => Cached::Invalid {
                metadata: metadata.clone(),
                error: error.clone(),
            },
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct Cache {
    inner: Arc<RwLock<HashMap<ObjKey, Stored>>>,
}

impl Cache {
    pub fn get(&self, key: &ObjKey) -> Option<Cached> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .map(Stored::unpack)
    }

    /// Stores `obj`; returns the previous value.
    pub fn insert(&self, key: ObjKey, obj: Cached) -> Option<Cached> {
        let stored = Stored::pack(obj);
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, stored)
            .map(|old| old.unpack())
    }

    pub fn remove(&self, key: &ObjKey) -> Option<Cached> {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key)
            .map(|old| old.unpack())
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
            .filter(|(_, c)| matches!(c, Stored::Valid { failing: true, .. }))
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

    /// The packed form gives back the very object stored, as the watch delivered it.
    #[test]
    fn packing_is_lossless() {
        let json = serde_json::json!({
            "apiVersion": "bitnami.com/v1alpha1",
            "kind": "SealedSecret",
            "metadata": {
                "name": "a", "namespace": "n", "uid": "u-1", "resourceVersion": "42",
                "generation": 3, "creationTimestamp": "2026-01-02T03:04:05Z",
                "labels": {"app": "x"},
                "annotations": {"sealedsecrets.bitnami.com/namespace-wide": "true"},
                "ownerReferences": [{"apiVersion": "v1", "kind": "X", "name": "o", "uid": "o-1", "controller": true}],
                "finalizers": ["f"]
            },
            "spec": {
                "template": {
                    "metadata": {"labels": {"t": "1"}, "annotations": {"b": "2"}},
                    "type": "kubernetes.io/tls",
                    "immutable": true,
                    "data": {"k": "{{ index . \"a\" }}", "gone": null}
                },
                "data": "AAEC",
                "encryptedData": {"a": "AgB0", "b": "AgB1\nAA==", "c": "not base64", "d": "", "e": "AgE=", "f": "AgE", "g": "AgF="}
            },
            "status": {
                "observedGeneration": 3,
                "conditions": [{
                    "type": "Synced", "status": "False",
                    "lastUpdateTime": "2026-01-02T03:04:06Z",
                    "lastTransitionTime": "2026-01-02T03:04:07Z",
                    "reason": "ErrUnsealFailed", "message": "m"
                }],
                "keyFingerprints": ["SHA256:x"],
                "specDigest": "sha256:00;keys=SHA256:x",
                "secretResourceVersion": "7"
            }
        });
        let ss: SealedSecret = serde_json::from_value(json).unwrap();
        let c = Cache::default();
        let k = ObjKey::of(&ss.metadata);
        c.insert(k.clone(), Cached::Valid(Arc::new(ss.clone())));
        let Some(Cached::Valid(back)) = c.get(&k) else {
            panic!("not cached as valid")
        };
        assert_eq!(back.metadata, ss.metadata);
        assert_eq!(back.spec, ss.spec);
        assert_eq!(back.status, ss.status);
        assert_eq!(c.failing(), vec![k]);
        // Only canonical base64 is kept as bytes: unpadded, spare bits or line breaks stay text.
        for (text, as_bytes) in [
            ("AgB0", true),
            ("", true),
            ("AgE=", true),
            ("AgB1\nAA==", false),
            ("not base64", false),
            ("AgE", false),
            ("AgF=", false),
        ] {
            let packed = Ciphertext::pack(text.to_string());
            assert_eq!(matches!(packed, Ciphertext::Bytes(_)), as_bytes, "{text:?}");
            assert_eq!(packed.unpack(), text);
        }
    }
}
