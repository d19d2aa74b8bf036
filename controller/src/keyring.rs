//! The key registry (upstream `KeyRegistry`): keys by fingerprint, the most recent one seals, all
//! of them unseal. Pure: the Kubernetes side lives in `keystore`.

use std::collections::BTreeMap;
use std::sync::Arc;

use sealwright_crypto::KeySet;
use sealwright_crypto::keys::SealingKey;
use time::OffsetDateTime;

use crate::flags::KeyOrderPriority;

#[derive(Debug, Clone)]
struct Entry {
    key: SealingKey,
    ordering: OffsetDateTime,
}

/// What readers need, taken in one piece so a reconcile sees a consistent key set.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Every key; index `i` matches `fingerprints[i]`. The most recent key comes first.
    pub keys: KeySet,
    pub fingerprints: Vec<String>,
    /// The sealing key.
    pub current: Option<SealingKey>,
}

impl Snapshot {
    pub fn current_cert_pem(&self) -> Option<&str> {
        self.current.as_ref().map(|k| k.cert_pem.as_str())
    }
}

#[derive(Debug, Default)]
pub struct Registry {
    order: KeyOrderPriority,
    entries: BTreeMap<String, Entry>,
    most_recent: Option<String>,
}

impl Registry {
    pub fn new(order: KeyOrderPriority) -> Self {
        Self {
            order,
            entries: BTreeMap::new(),
            most_recent: None,
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn contains(&self, fingerprint: &str) -> bool {
        self.entries.contains_key(fingerprint)
    }

    /// The time a loaded key is ordered by, per `--key-order-priority`.
    pub fn ordering_time(&self, key: &SealingKey) -> OffsetDateTime {
        match self.order {
            KeyOrderPriority::CertNotBefore => key.cert.not_before,
            KeyOrderPriority::SecretCreationTimestamp => key.created.unwrap_or(key.cert.not_before),
        }
    }

    /// Registers a key loaded from a Secret. Returns true when the most recent key changed.
    pub fn register_loaded(&mut self, key: SealingKey) -> bool {
        let ordering = self.ordering_time(&key);
        self.register(key, ordering)
    }

    /// Registers a key with an explicit ordering time (a key generated now is ordered by now).
    /// The same public key seen twice collapses into one entry; the most recent key changes only
    /// for a strictly later ordering time.
    pub fn register(&mut self, key: SealingKey, ordering: OffsetDateTime) -> bool {
        let fp = key.fingerprint.clone();
        let replace = match self.most_recent.as_ref().and_then(|f| self.entries.get(f)) {
            None => true,
            Some(cur) => cur.ordering < ordering,
        };
        self.entries.insert(fp.clone(), Entry { key, ordering });
        if replace {
            let changed = self.most_recent.as_deref() != Some(fp.as_str());
            self.most_recent = Some(fp);
            return changed;
        }
        false
    }

    /// The ordering time of the sealing key.
    pub fn most_recent_ordering(&self) -> Option<OffsetDateTime> {
        self.most_recent
            .as_ref()
            .and_then(|f| self.entries.get(f))
            .map(|e| e.ordering)
    }

    pub fn most_recent(&self) -> Option<&SealingKey> {
        self.most_recent
            .as_ref()
            .and_then(|f| self.entries.get(f))
            .map(|e| &e.key)
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        let mut keys = KeySet::default();
        let mut fingerprints = Vec::with_capacity(self.entries.len());
        // The sealing key first: most objects were sealed with it.
        let current = self.most_recent();
        if let Some(k) = current {
            keys.push(k.private_key.clone());
            fingerprints.push(k.fingerprint.clone());
        }
        for (fp, e) in &self.entries {
            if Some(fp) != self.most_recent.as_ref() {
                keys.push(e.key.private_key.clone());
                fingerprints.push(fp.clone());
            }
        }
        Arc::new(Snapshot {
            keys,
            fingerprints,
            current: current.cloned(),
        })
    }
}

/// Upstream loads key Secrets in `creationTimestamp` order (whole seconds) before registering.
pub fn sort_by_creation<T>(items: &mut [T], created: impl Fn(&T) -> Option<OffsetDateTime>) {
    items.sort_by_key(|i| created(i).map(|t| t.unix_timestamp()));
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use sealwright_crypto::cert::CertInfo;
    use std::sync::OnceLock;
    use time::macros::datetime;

    /// Small real keys, generated once (key generation is slow in debug builds).
    pub(crate) fn test_keys() -> &'static [rsa::PrivateKey] {
        static KEYS: OnceLock<Vec<rsa::PrivateKey>> = OnceLock::new();
        KEYS.get_or_init(|| {
            (0..3)
                .map(|_| sealwright_crypto::keys::generate(1024).expect("test key generation"))
                .collect()
        })
    }

    pub(crate) fn sealing_key(
        i: usize,
        not_before: OffsetDateTime,
        created: Option<OffsetDateTime>,
    ) -> SealingKey {
        let private_key = test_keys()[i].clone();
        let public_key = private_key.to_public_key();
        SealingKey {
            fingerprint: format!("fp{i}"),
            cert_pem: format!("cert{i}"),
            cert: CertInfo {
                public_key,
                not_before,
                not_after: not_before + time::Duration::days(1),
                der: vec![],
            },
            private_key,
            secret_name: Some(format!("key{i}")),
            created,
        }
    }

    #[test]
    fn newest_not_before_seals() {
        let mut r = Registry::new(KeyOrderPriority::CertNotBefore);
        assert!(r.register_loaded(sealing_key(
            0,
            datetime!(2024-01-01 0:00 UTC),
            Some(datetime!(2025-01-01 0:00 UTC))
        )));
        assert!(r.register_loaded(sealing_key(
            1,
            datetime!(2024-06-01 0:00 UTC),
            Some(datetime!(2024-06-01 0:00 UTC))
        )));
        assert!(!r.register_loaded(sealing_key(2, datetime!(2024-03-01 0:00 UTC), None)));
        assert_eq!(r.most_recent().unwrap().fingerprint, "fp1");
        let snap = r.snapshot();
        assert_eq!(snap.fingerprints[0], "fp1");
        assert_eq!(snap.keys.len(), 3);
    }

    #[test]
    fn creation_timestamp_priority() {
        let mut r = Registry::new(KeyOrderPriority::SecretCreationTimestamp);
        r.register_loaded(sealing_key(
            0,
            datetime!(2024-01-01 0:00 UTC),
            Some(datetime!(2025-01-01 0:00 UTC)),
        ));
        r.register_loaded(sealing_key(
            1,
            datetime!(2024-06-01 0:00 UTC),
            Some(datetime!(2024-06-01 0:00 UTC)),
        ));
        assert_eq!(r.most_recent().unwrap().fingerprint, "fp0");
    }

    #[test]
    fn ties_keep_the_first_and_duplicates_collapse() {
        let t = datetime!(2024-01-01 0:00 UTC);
        let mut r = Registry::new(KeyOrderPriority::CertNotBefore);
        r.register_loaded(sealing_key(0, t, None));
        assert!(!r.register_loaded(sealing_key(1, t, None)));
        assert_eq!(r.most_recent().unwrap().fingerprint, "fp0");
        r.register_loaded(sealing_key(0, t, None));
        assert_eq!(r.len(), 2);
    }

    #[test]
    fn generated_key_ordered_by_now() {
        let mut r = Registry::new(KeyOrderPriority::CertNotBefore);
        r.register_loaded(sealing_key(0, datetime!(2030-01-01 0:00 UTC), None));
        assert!(r.register(
            sealing_key(1, datetime!(2020-01-01 0:00 UTC), None),
            datetime!(2031-01-01 0:00 UTC)
        ));
        assert_eq!(
            r.most_recent_ordering(),
            Some(datetime!(2031-01-01 0:00 UTC))
        );
    }

    #[test]
    fn sorts_by_creation_seconds() {
        let mut v = vec![
            (1, Some(datetime!(2024-01-02 0:00 UTC))),
            (2, None),
            (3, Some(datetime!(2024-01-01 0:00 UTC))),
        ];
        sort_by_creation(&mut v, |x| x.1);
        assert_eq!(v.iter().map(|x| x.0).collect::<Vec<_>>(), vec![2, 3, 1]);
    }
}
