//! The key registry (upstream `KeyRegistry`): keys by fingerprint, the most recent one seals, all
//! of them unseal. Pure: the Kubernetes side lives in `keystore`.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use sealwright_crypto::KeySet;
use sealwright_crypto::keys::SealingKey;
use sealwright_crypto::sealing;
pub use sealwright_crypto::sealing::sort_by_creation;
use time::OffsetDateTime;

/// `--key-order-priority`: which time orders keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyOrderPriority {
    #[default]
    CertNotBefore,
    SecretCreationTimestamp,
}

impl KeyOrderPriority {
    /// Upstream logs an invalid value and falls back to `CertNotBefore`.
    pub fn parse_lenient(s: &str) -> (Self, bool) {
        match s {
            "CertNotBefore" => (Self::CertNotBefore, true),
            "SecretCreationTimestamp" => (Self::SecretCreationTimestamp, true),
            _ => (Self::CertNotBefore, false),
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    key: SealingKey,
    ordering: OffsetDateTime,
    /// Registration order: among keys with the same ordering time the first one seals.
    seq: u64,
}

/// Where a key came from: a key Secret, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Source {
    fingerprint: String,
    resource_version: Option<String>,
    /// Registration sequence number when this Secret was last applied.
    seq: u64,
    /// The unlabelled legacy Secret (named exactly `--key-prefix`): the label watch never sees
    /// it, so only a restart forgets it.
    legacy: bool,
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

    pub fn current_fingerprint(&self) -> Option<String> {
        self.current.as_ref().map(|k| k.fingerprint.clone())
    }
}

/// What applying or removing a key Secret did to the registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Change {
    /// A key was added or dropped.
    pub keys: bool,
    /// The sealing key is now another one (or none).
    pub sealing: bool,
}

#[derive(Debug, Default)]
pub struct Registry {
    order: KeyOrderPriority,
    entries: BTreeMap<String, Entry>,
    /// Key Secrets by name; several may hold the same key.
    sources: BTreeMap<String, Source>,
    most_recent: Option<String>,
    next_seq: u64,
}

impl Registry {
    pub fn new(order: KeyOrderPriority) -> Self {
        Self {
            order,
            ..Self::default()
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

    /// True when the Secret `name` at `resource_version` is already what the registry holds,
    /// so a re-list need not parse it again.
    pub fn is_current(&self, name: &str, resource_version: Option<&str>) -> bool {
        resource_version.is_some()
            && self
                .sources
                .get(name)
                .is_some_and(|s| s.resource_version.as_deref() == resource_version)
    }

    /// The time a loaded key is ordered by, per `--key-order-priority`.
    pub fn ordering_time(&self, key: &SealingKey) -> OffsetDateTime {
        match self.order {
            KeyOrderPriority::CertNotBefore => key.cert.not_before,
            KeyOrderPriority::SecretCreationTimestamp => key.created.unwrap_or(key.cert.not_before),
        }
    }

    /// The registration counter: sources applied after a `mark` have a larger number.
    pub fn mark(&self) -> u64 {
        self.next_seq
    }

    /// Registers a key loaded from a Secret. Returns true when the most recent key changed.
    pub fn register_loaded(&mut self, key: SealingKey) -> bool {
        let ordering = self.ordering_time(&key);
        self.register(key, ordering)
    }

    /// Registers a key with an explicit ordering time (a key generated now is ordered by now).
    /// The same public key seen twice collapses into one entry that keeps the later ordering
    /// time; the most recent key changes only for a strictly later ordering time.
    pub fn register(&mut self, key: SealingKey, ordering: OffsetDateTime) -> bool {
        self.apply(key, ordering, None, false).sealing
    }

    /// Registers the key of the Secret `key.secret_name` (or replaces the key that Secret held
    /// before): a key Secret added, changed or relabelled back to active.
    pub fn apply_secret(
        &mut self,
        key: SealingKey,
        resource_version: Option<String>,
        legacy: bool,
    ) -> Change {
        let ordering = self.ordering_time(&key);
        self.apply(key, ordering, resource_version, legacy)
    }

    /// Registers a key this process just generated and wrote: it is ordered by now.
    pub fn apply_generated(&mut self, key: SealingKey, resource_version: Option<String>) -> Change {
        self.apply(key, OffsetDateTime::now_utc(), resource_version, false)
    }

    fn apply(
        &mut self,
        key: SealingKey,
        ordering: OffsetDateTime,
        resource_version: Option<String>,
        legacy: bool,
    ) -> Change {
        let before = self.state();
        let seq = self.next_seq;
        self.next_seq += 1;
        let fp = key.fingerprint.clone();
        let name = key.secret_name.clone();
        match self.entries.get_mut(&fp) {
            Some(entry) => entry.ordering = entry.ordering.max(ordering),
            None => {
                self.entries
                    .insert(fp.clone(), Entry { key, ordering, seq });
            }
        }
        if let Some(name) = name {
            let old = self.sources.insert(
                name,
                Source {
                    fingerprint: fp,
                    resource_version,
                    seq,
                    legacy,
                },
            );
            if let Some(old) = old {
                self.drop_if_unused(&old.fingerprint);
            }
        }
        self.elect();
        self.change_since(before)
    }

    /// Forgets the key Secret `name` (deleted, relabelled, or no longer holding a usable key).
    /// Its key stays only while another key Secret holds it too.
    pub fn remove_secret(&mut self, name: &str) -> Change {
        let before = self.state();
        if let Some(old) = self.sources.remove(name) {
            self.drop_if_unused(&old.fingerprint);
            self.elect();
        }
        self.change_since(before)
    }

    /// After a re-list of the labelled key Secrets: forgets every labelled Secret registered up
    /// to `mark` that the list did not contain (deleted or relabelled while the watch was down).
    pub fn retain_listed(&mut self, listed: &BTreeSet<String>, mark: u64) -> Change {
        let gone: Vec<String> = self
            .sources
            .iter()
            .filter(|(name, s)| !s.legacy && s.seq < mark && !listed.contains(*name))
            .map(|(name, _)| name.clone())
            .collect();
        let before = self.state();
        for name in gone {
            if let Some(old) = self.sources.remove(&name) {
                self.drop_if_unused(&old.fingerprint);
            }
        }
        self.elect();
        self.change_since(before)
    }

    /// The key Secret names currently registered (for log lines and tests).
    pub fn secret_names(&self) -> impl Iterator<Item = &str> {
        self.sources.keys().map(String::as_str)
    }

    fn drop_if_unused(&mut self, fingerprint: &str) {
        if !self.sources.values().any(|s| s.fingerprint == fingerprint) {
            // A key registered without a Secret name (never the case for the controller's keys,
            // which all come from Secrets) has no source and is dropped with the last one.
            self.entries.remove(fingerprint);
        }
    }

    /// The sealing key: the latest ordering time; on a tie, the key registered first (upstream
    /// replaces the most recent key only for a strictly later time).
    fn elect(&mut self) {
        let mut registered: Vec<(&String, &Entry)> = self.entries.iter().collect();
        registered.sort_by_key(|(_, e)| e.seq);
        self.most_recent =
            sealing::newest(registered.into_iter().map(|(fp, e)| (fp, e.ordering))).cloned();
    }

    fn state(&self) -> (usize, Option<String>, BTreeSet<String>) {
        (
            self.entries.len(),
            self.most_recent.clone(),
            self.entries.keys().cloned().collect(),
        )
    }

    fn change_since(&self, before: (usize, Option<String>, BTreeSet<String>)) -> Change {
        let (_, most_recent, fingerprints) = before;
        Change {
            keys: self.entries.len() != fingerprints.len()
                || self.entries.keys().any(|fp| !fingerprints.contains(fp)),
            sealing: self.most_recent != most_recent,
        }
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

    fn named(i: usize, name: &str, not_before: OffsetDateTime) -> SealingKey {
        let mut key = sealing_key(i, not_before, None);
        key.secret_name = Some(name.to_string());
        key
    }

    #[test]
    fn removed_secret_stops_its_key_and_the_next_newest_seals() {
        let mut r = Registry::new(KeyOrderPriority::CertNotBefore);
        r.apply_secret(named(0, "old", datetime!(2024-01-01 0:00 UTC)), None, false);
        let added = r.apply_secret(named(1, "new", datetime!(2024-06-01 0:00 UTC)), None, false);
        assert_eq!(
            added,
            Change {
                keys: true,
                sealing: true
            }
        );
        assert_eq!(r.most_recent().unwrap().fingerprint, "fp1");

        let removed = r.remove_secret("new");
        assert_eq!(
            removed,
            Change {
                keys: true,
                sealing: true
            }
        );
        assert!(!r.contains("fp1"));
        assert_eq!(r.most_recent().unwrap().fingerprint, "fp0");
        assert_eq!(r.snapshot().fingerprints, vec!["fp0".to_string()]);

        assert_eq!(r.remove_secret("unknown"), Change::default());
        assert_eq!(
            r.remove_secret("old"),
            Change {
                keys: true,
                sealing: true
            }
        );
        assert!(r.is_empty() && r.most_recent().is_none());
        assert!(r.snapshot().current.is_none());
    }

    #[test]
    fn changed_secret_replaces_its_key() {
        let mut r = Registry::new(KeyOrderPriority::CertNotBefore);
        r.apply_secret(
            named(0, "k", datetime!(2024-01-01 0:00 UTC)),
            Some("1".into()),
            false,
        );
        assert!(r.is_current("k", Some("1")));
        assert!(!r.is_current("k", Some("2")));
        assert!(!r.is_current("k", None));
        let changed = r.apply_secret(
            named(1, "k", datetime!(2023-01-01 0:00 UTC)),
            Some("2".into()),
            false,
        );
        assert_eq!(
            changed,
            Change {
                keys: true,
                sealing: true
            }
        );
        assert_eq!(r.len(), 1);
        assert_eq!(r.most_recent().unwrap().fingerprint, "fp1");
        // The same content again changes nothing.
        let same = r.apply_secret(
            named(1, "k", datetime!(2023-01-01 0:00 UTC)),
            Some("3".into()),
            false,
        );
        assert_eq!(same, Change::default());
    }

    #[test]
    fn a_key_held_by_two_secrets_stays_until_both_are_gone() {
        let t = datetime!(2024-01-01 0:00 UTC);
        let mut r = Registry::new(KeyOrderPriority::CertNotBefore);
        r.apply_secret(named(0, "a", t), None, false);
        r.apply_secret(named(0, "b", t), None, false);
        assert_eq!(r.len(), 1);
        assert_eq!(r.remove_secret("a"), Change::default());
        assert!(r.contains("fp0"));
        assert_eq!(
            r.remove_secret("b"),
            Change {
                keys: true,
                sealing: true
            }
        );
        assert!(r.is_empty());
    }

    #[test]
    fn tie_after_removal_goes_to_the_first_registered() {
        let t = datetime!(2024-01-01 0:00 UTC);
        let mut r = Registry::new(KeyOrderPriority::CertNotBefore);
        r.apply_secret(named(0, "a", t), None, false);
        r.apply_secret(named(1, "b", t), None, false);
        r.apply_secret(named(2, "c", datetime!(2024-02-01 0:00 UTC)), None, false);
        assert_eq!(r.most_recent().unwrap().fingerprint, "fp2");
        r.remove_secret("c");
        assert_eq!(r.most_recent().unwrap().fingerprint, "fp0");
    }

    #[test]
    fn relist_forgets_unlisted_secrets_but_not_newer_or_legacy_ones() {
        let t = datetime!(2024-01-01 0:00 UTC);
        let mut r = Registry::new(KeyOrderPriority::CertNotBefore);
        r.apply_secret(named(0, "legacy", t), None, true);
        r.apply_secret(named(1, "listed", t), None, false);
        r.apply_secret(
            named(2, "deleted", datetime!(2024-03-01 0:00 UTC)),
            None,
            false,
        );
        let mark = r.mark();
        // Written after the re-list began: the list cannot have it yet.
        let generated = named(2, "generated", datetime!(2020-01-01 0:00 UTC));
        let mut generated = generated;
        generated.fingerprint = "fp-generated".into();
        r.apply_generated(generated, Some("9".into()));
        let listed: BTreeSet<String> = ["listed".to_string()].into();
        let change = r.retain_listed(&listed, mark);
        assert!(change.keys);
        let mut names: Vec<&str> = r.secret_names().collect();
        names.sort();
        assert_eq!(names, vec!["generated", "legacy", "listed"]);
        assert!(!r.contains("fp2"));
    }

    #[test]
    fn generated_key_seals_even_when_the_watch_saw_it_first() {
        let mut r = Registry::new(KeyOrderPriority::CertNotBefore);
        r.apply_secret(named(0, "old", datetime!(2025-01-01 0:00 UTC)), None, false);
        // The watch registers the new Secret (NotBefore in the past) before `generate` returns.
        r.apply_secret(
            named(1, "new", datetime!(2020-01-01 0:00 UTC)),
            Some("5".into()),
            false,
        );
        assert_eq!(r.most_recent().unwrap().fingerprint, "fp0");
        let change = r.apply_generated(
            named(1, "new", datetime!(2020-01-01 0:00 UTC)),
            Some("5".into()),
        );
        assert!(change.sealing);
        assert_eq!(r.most_recent().unwrap().fingerprint, "fp1");
    }
}
