//! Beyond upstream: what the Secret watch (metadata only) saw of each Secret, reduced to the
//! few fields that decide whether a pass may skip unsealing: the controlling owner's UID, the
//! `managed` annotation and the resourceVersion (compared with the one the SealedSecret's status
//! vouches for). With it, a restart over unchanged objects needs no per-object GET at all. A missing entry just means "ask the API server".

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::logic::desired;
use crate::logic::last_known::{LastKnown, UnownedDeletion};
use crate::runtime::cache::ObjKey;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    controller_uid: Option<Box<str>>,
    managed: bool,
    resource_version: Option<Box<str>>,
}

impl Entry {
    pub fn of(meta: &ObjectMeta) -> Self {
        Self {
            controller_uid: meta.owner_references.as_ref().and_then(|refs| {
                refs.iter()
                    .find(|r| r.controller == Some(true))
                    .map(|r| r.uid.as_str().into())
            }),
            managed: desired::is_managed(meta),
            resource_version: meta.resource_version.as_deref().map(Into::into),
        }
    }

    /// See `desired::left_deleted`.
    pub fn left_deleted(&self) -> bool {
        self.controller_uid.is_none() && !self.managed
    }

    /// The metadata the skip check reads, rebuilt from the entry.
    pub fn to_meta(&self) -> ObjectMeta {
        let mut meta = ObjectMeta {
            resource_version: self.resource_version.as_deref().map(str::to_string),
            ..Default::default()
        };
        if let Some(uid) = &self.controller_uid {
            meta.owner_references = Some(vec![
                k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference {
                    uid: uid.to_string(),
                    controller: Some(true),
                    ..Default::default()
                },
            ]);
        }
        let mut annotations = std::collections::BTreeMap::new();
        if self.managed {
            annotations.insert(
                sealwright_crypto::model::MANAGED_ANNOTATION.to_string(),
                "true".to_string(),
            );
        }
        meta.annotations = Some(annotations);
        meta
    }
}

#[derive(Debug, Clone, Default)]
pub struct SecretIndex {
    inner: Arc<RwLock<HashMap<ObjKey, Entry>>>,
    /// Keys seen since the current (re-)list started; `None` outside a list.
    listing: Arc<RwLock<Option<HashSet<ObjKey>>>>,
    /// One per SealedSecret at most; dropped when the Secret comes back or the SealedSecret goes.
    unowned_deletions: Arc<RwLock<HashMap<ObjKey, UnownedDeletion>>>,
    /// Where a watch without a label selector has finished its first list, so that a missing
    /// entry means the Secret does not exist (or was created so recently that its event has not
    /// arrived): namespaces, or `None` for a watch of all namespaces.
    complete: Arc<RwLock<HashSet<Option<String>>>>,
}

impl SecretIndex {
    pub fn get(&self, key: &ObjKey) -> Option<Entry> {
        self.inner
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
            .cloned()
    }

    pub fn upsert(&self, meta: &ObjectMeta) {
        let key = ObjKey::of(meta);
        if let Some(seen) = self
            .listing
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            seen.insert(key.clone());
        }
        self.unowned_deletions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&key);
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key, Entry::of(meta));
    }

    /// Records an unowned deletion, then removes the entry: in that order, so that a concurrent
    /// `last_known` sees the Secret either live or as deleted, never as unknown.
    pub fn remove_unowned(&self, meta: &ObjectMeta, deletion: UnownedDeletion) {
        self.unowned_deletions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(ObjKey::of(meta), deletion);
        self.remove(meta);
    }

    /// The live entry, else an unowned deletion recorded for `key`.
    pub fn last_known(&self, key: &ObjKey) -> LastKnown {
        if let Some(entry) = self.get(key) {
            return LastKnown::Live {
                left_deleted: entry.left_deleted(),
            };
        }
        match self
            .unowned_deletions
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(key)
        {
            Some(d) => LastKnown::DeletedUnowned(d.clone()),
            None => LastKnown::Unknown,
        }
    }

    /// The SealedSecret is gone: its deletion record goes too.
    pub fn forget_deletion(&self, key: &ObjKey) {
        self.unowned_deletions
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }

    pub fn remove(&self, meta: &ObjectMeta) {
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&ObjKey::of(meta));
    }

    /// A watch of `namespace` (`None`: all namespaces) that sees every Secret there has listed
    /// them all.
    pub fn mark_complete(&self, namespace: Option<&str>) {
        self.complete
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(namespace.map(str::to_string));
    }

    /// Whether every Secret of `namespace` that existed when the watch started is indexed.
    pub fn is_complete_for(&self, namespace: &str) -> bool {
        let complete = self.complete.read().unwrap_or_else(|e| e.into_inner());
        complete.contains(&None) || complete.contains(&Some(namespace.to_string()))
    }

    /// A (re-)list starts: remember what it delivers.
    pub fn list_started(&self) {
        *self.listing.write().unwrap_or_else(|e| e.into_inner()) = Some(HashSet::new());
    }

    /// The list is complete: drops the Secrets (in `covers`) deleted while the watch was down
    /// and returns them, so they get the handling a delete event would have had (client-go's
    /// informers deliver such objects as `DeletedFinalStateUnknown`).
    pub fn list_done(&self, covers: impl Fn(&ObjKey) -> bool) -> Vec<(ObjKey, Entry)> {
        let seen = self
            .listing
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some(seen) = seen else {
            return Vec::new();
        };
        let mut vanished = Vec::new();
        self.inner
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|k, entry| {
                let keep = !covers(k) || seen.contains(k);
                if !keep {
                    vanished.push((k.clone(), entry.clone()));
                }
                keep
            });
        vanished
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(name: &str, resource_version: Option<&str>) -> ObjectMeta {
        ObjectMeta {
            name: Some(name.into()),
            namespace: Some("ns".into()),
            resource_version: resource_version.map(str::to_string),
            ..Default::default()
        }
    }

    #[test]
    fn complete_per_namespace_or_everywhere() {
        let index = SecretIndex::default();
        assert!(!index.is_complete_for("a"));
        index.mark_complete(Some("a"));
        assert!(index.is_complete_for("a"));
        assert!(!index.is_complete_for("b"));
        index.mark_complete(None);
        assert!(index.is_complete_for("b"));
    }

    #[test]
    fn relist_drops_vanished_secrets() {
        let idx = SecretIndex::default();
        idx.upsert(&meta("a", Some("d1")));
        idx.upsert(&meta("b", None));
        idx.list_started();
        idx.upsert(&meta("a", Some("d2")));
        let vanished = idx.list_done(|_| true);
        let key = |n: &str| ObjKey {
            namespace: "ns".into(),
            name: n.into(),
        };
        assert_eq!(
            vanished.iter().map(|(k, _)| k.clone()).collect::<Vec<_>>(),
            vec![key("b")],
            "the Secret deleted during the gap is reported"
        );
        assert!(idx.get(&key("b")).is_none());
        let a = idx.get(&key("a")).unwrap();
        assert_eq!(a.to_meta().resource_version.as_deref(), Some("d2"));
    }

    #[test]
    fn unowned_deletion_until_the_secret_returns() {
        let idx = SecretIndex::default();
        let key = ObjKey {
            namespace: "ns".into(),
            name: "a".into(),
        };
        assert_eq!(idx.last_known(&key), LastKnown::Unknown);
        idx.upsert(&meta("a", Some("1")));
        assert_eq!(idx.last_known(&key), LastKnown::Live { left_deleted: true });
        let deletion = UnownedDeletion {
            sealed_uid: "u".into(),
            generation: Some(1),
        };
        idx.remove_unowned(&meta("a", Some("2")), deletion.clone());
        assert_eq!(idx.last_known(&key), LastKnown::DeletedUnowned(deletion));
        idx.upsert(&meta("a", Some("3")));
        assert!(matches!(idx.last_known(&key), LastKnown::Live { .. }));
        idx.remove(&meta("a", Some("4")));
        assert_eq!(idx.last_known(&key), LastKnown::Unknown);
    }
}
