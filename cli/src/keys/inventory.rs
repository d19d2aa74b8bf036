//! Which keys exist and which SealedSecrets need each of them. Pure: the cluster reads are in
//! `cluster`, so this can be tested with objects built in memory.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::Secret;
use sealwright_crypto::item::open_item;
use sealwright_crypto::keys::{self, SealingKey};
use sealwright_crypto::model::SYNCED;
use sealwright_crypto::{KeySet, SealedSecret, hybrid, scope, sealing};
use time::OffsetDateTime;

/// One key Secret of the controller namespace, read and checked.
#[derive(Clone)]
pub struct KeyEntry {
    pub key: SealingKey,
    pub secret_name: String,
    pub uid: Option<String>,
}

impl std::fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyEntry")
            .field("secret_name", &self.secret_name)
            .field("fingerprint", &self.key.fingerprint)
            .finish_non_exhaustive()
    }
}

impl KeyEntry {
    pub fn fingerprint(&self) -> &str {
        &self.key.fingerprint
    }
    pub fn not_before(&self) -> OffsetDateTime {
        self.key.cert.not_before
    }
    pub fn not_after(&self) -> OffsetDateTime {
        self.key.cert.not_after
    }
    /// Matches a user's `KEY` argument: the Secret name or the fingerprint.
    pub fn matches(&self, arg: &str) -> bool {
        self.secret_name == arg || self.key.fingerprint == arg
    }
}

/// Reads key Secrets as the controller does: a Secret that cannot be read is reported
/// (`Secret name: reason`) and left out, and a key seen twice is kept once (first Secret wins).
pub fn read_entries(secrets: &[Secret]) -> (Vec<KeyEntry>, Vec<String>) {
    let mut entries: Vec<KeyEntry> = Vec::new();
    let mut problems = Vec::new();
    for secret in secrets {
        let name = secret.metadata.name.clone().unwrap_or_default();
        match keys::from_secret(secret) {
            Ok(key) => {
                if !entries.iter().any(|e| e.key.fingerprint == key.fingerprint) {
                    entries.push(KeyEntry {
                        key,
                        secret_name: name,
                        uid: secret.metadata.uid.clone(),
                    });
                }
            }
            Err(e) => problems.push(format!("Secret {name}: {e}")),
        }
    }
    (entries, problems)
}

/// Index of the key that seals, as the controller picks it with its default
/// `--key-order-priority=CertNotBefore`: keys are taken in creation order (whole seconds), and a
/// later one replaces the current one only with a strictly later NotBefore.
pub fn sealing_index(entries: &[KeyEntry]) -> Option<usize> {
    let mut order: Vec<usize> = (0..entries.len()).collect();
    sealing::sort_by_creation(&mut order, |&i| entries[i].key.created);
    sealing::newest(order.into_iter().map(|i| (i, entries[i].not_before())))
}

/// The fingerprints our controller recorded for `ss`, when the record is current: `Synced` is
/// `True` and `observedGeneration` is the object's generation.
pub fn recorded_fingerprints(ss: &SealedSecret) -> Option<&[String]> {
    let status = ss.status.as_ref()?;
    let synced = status
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == SYNCED)?;
    let generation = ss.metadata.generation?;
    if synced.status != "True" || status.observed_generation != Some(generation) {
        return None;
    }
    status.key_fingerprints.as_deref()
}

/// What one SealedSecret needs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Needs {
    /// Fingerprints of the known keys that open at least one of its values.
    pub keys: BTreeSet<String>,
    /// Some value needs a key that is not among the known ones.
    pub unknown: bool,
    /// Found by decrypting locally (no current record in status).
    pub tried: bool,
}

/// The keys `ss` needs: the controller's record when current, else trial decryption of every
/// value with `keys` (`fingerprints[i]` belongs to the i-th key of `keys`).
pub fn needs(ss: &SealedSecret, keys: &KeySet, fingerprints: &[String]) -> Needs {
    if let Some(recorded) = recorded_fingerprints(ss) {
        let known: BTreeSet<String> = recorded
            .iter()
            .filter(|fp| fingerprints.contains(fp))
            .cloned()
            .collect();
        return Needs {
            unknown: known.len() != recorded.len(),
            keys: known,
            tried: false,
        };
    }
    let label = scope::label_for(&ss.metadata);
    let mut out = Needs {
        tried: true,
        ..Needs::default()
    };
    // The plaintext is dropped (and wiped) at once: only which key opened it matters.
    let opened = ss
        .spec
        .encrypted_data
        .values()
        .map(|text| open_item(keys, &label, text).ok())
        .chain(
            ss.spec
                .data
                .iter()
                .map(|d| hybrid::unseal_with_index(keys, &label, &d.0).ok()),
        );
    for opened in opened {
        match opened.and_then(|(_, i)| fingerprints.get(i)) {
            Some(fp) => {
                out.keys.insert(fp.clone());
            }
            None => out.unknown = true,
        }
    }
    out
}

/// Every key's dependants, plus the objects that need a key not in the namespace.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Usage {
    /// Fingerprint → `namespace/name` of each SealedSecret that needs it (sorted).
    pub by_key: BTreeMap<String, Vec<String>>,
    /// SealedSecrets with a value no known key opens.
    pub unknown: Vec<String>,
}

impl Usage {
    pub fn needed_by(&self, fingerprint: &str) -> &[String] {
        self.by_key
            .get(fingerprint)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}

/// Computes the usage of `entries` by `sealed`; `progress(done, total)` is called after each
/// object that needed trial decryption.
pub fn usage(
    entries: &[KeyEntry],
    sealed: &[SealedSecret],
    progress: &mut dyn FnMut(usize, usize),
) -> Usage {
    let keyset = KeySet::new(entries.iter().map(|e| e.key.private_key.clone()).collect());
    let fingerprints: Vec<String> = entries.iter().map(|e| e.key.fingerprint.clone()).collect();
    let to_try = sealed
        .iter()
        .filter(|s| recorded_fingerprints(s).is_none())
        .count();
    let mut tried = 0;
    let mut out = Usage::default();
    for fp in &fingerprints {
        out.by_key.insert(fp.clone(), Vec::new());
    }
    for ss in sealed {
        let id = object_id(ss);
        let n = needs(ss, &keyset, &fingerprints);
        if n.tried {
            tried += 1;
            progress(tried, to_try);
        }
        for fp in n.keys {
            out.by_key.entry(fp).or_default().push(id.clone());
        }
        if n.unknown {
            out.unknown.push(id);
        }
    }
    for list in out.by_key.values_mut() {
        list.sort();
    }
    out.unknown.sort();
    out
}

pub fn object_id(ss: &SealedSecret) -> String {
    format!(
        "{}/{}",
        ss.metadata.namespace.as_deref().unwrap_or_default(),
        ss.metadata.name.as_deref().unwrap_or_default()
    )
}

/// Up to `max` names, then `and N more`.
pub fn first_few(names: &[String], max: usize) -> String {
    let mut text = names
        .iter()
        .take(max)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > max {
        text.push_str(&format!(" and {} more", names.len() - max));
    }
    text
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use k8s_openapi::ByteString;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
    use sealwright_crypto::{SealedSecretCondition, SealedSecretStatus};
    use std::collections::BTreeMap;
    use std::sync::OnceLock;
    use time::macros::datetime;

    /// Small real keys, made once (key generation is slow in debug builds).
    pub(crate) fn test_keys() -> &'static [sealwright_crypto::RsaPrivateKey] {
        static KEYS: OnceLock<Vec<sealwright_crypto::RsaPrivateKey>> = OnceLock::new();
        KEYS.get_or_init(|| {
            (0..3)
                .map(|_| keys::generate(1024).unwrap_or_else(|e| panic!("keygen: {e}")))
                .collect()
        })
    }

    /// A key Secret for test key `i` with the given NotBefore and creationTimestamp.
    pub(crate) fn key_secret(
        i: usize,
        name: &str,
        not_before: OffsetDateTime,
        created: OffsetDateTime,
    ) -> Secret {
        let key = &test_keys()[i];
        let cert =
            sealwright_crypto::cert::self_signed(key, "", not_before, time::Duration::days(3650))
                .unwrap_or_else(|e| panic!("cert: {e}"));
        let mut s = keys::to_secret(
            key,
            &cert,
            "kube-system",
            "sealed-secrets-key",
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        s.metadata.name = Some(name.into());
        s.metadata.creation_timestamp = Some(Time(
            k8s_openapi::jiff::Timestamp::from_second(created.unix_timestamp())
                .unwrap_or_else(|e| panic!("{e}")),
        ));
        s
    }

    pub(crate) fn entries(secrets: &[Secret]) -> Vec<KeyEntry> {
        let (e, problems) = read_entries(secrets);
        assert!(problems.is_empty(), "{problems:?}");
        e
    }

    fn sealed(ns: &str, name: &str, key: usize, items: &[&str]) -> SealedSecret {
        let public = test_keys()[key].to_public_key();
        let mut ss = SealedSecret::new(name, Default::default());
        ss.metadata.namespace = Some(ns.into());
        ss.metadata.generation = Some(1);
        let label = scope::label_for(&ss.metadata);
        for item in items {
            let text = hybrid::seal_base64(&public, &label, b"value")
                .unwrap_or_else(|e| panic!("seal: {e}"));
            ss.spec.encrypted_data.insert((*item).into(), text);
        }
        ss
    }

    fn synced(ss: &mut SealedSecret, fps: Vec<String>, generation: i64) {
        ss.status = Some(SealedSecretStatus {
            observed_generation: Some(generation),
            conditions: Some(vec![SealedSecretCondition {
                type_: "Synced".into(),
                status: "True".into(),
                ..Default::default()
            }]),
            key_fingerprints: Some(fps),
            ..Default::default()
        });
    }

    #[test]
    fn newest_not_before_seals_ties_keep_the_first_created() {
        let secrets = [
            key_secret(
                0,
                "a",
                datetime!(2025-01-01 0:00 UTC),
                datetime!(2025-01-01 0:00 UTC),
            ),
            key_secret(
                1,
                "b",
                datetime!(2025-06-01 0:00 UTC),
                datetime!(2025-06-01 0:00 UTC),
            ),
            key_secret(
                2,
                "c",
                datetime!(2025-06-01 0:00 UTC),
                datetime!(2025-07-01 0:00 UTC),
            ),
        ];
        let e = entries(&secrets);
        assert_eq!(
            sealing_index(&e).map(|i| e[i].secret_name.as_str()),
            Some("b")
        );
        assert_eq!(sealing_index(&[]), None);
    }

    #[test]
    fn broken_and_duplicate_key_secrets() {
        let good = key_secret(
            0,
            "a",
            datetime!(2025-01-01 0:00 UTC),
            datetime!(2025-01-01 0:00 UTC),
        );
        let mut dup = good.clone();
        dup.metadata.name = Some("dup".into());
        let mut broken = good.clone();
        broken.metadata.name = Some("broken".into());
        broken.data = Some(BTreeMap::from([(
            "tls.key".to_string(),
            ByteString(b"garbage".to_vec()),
        )]));
        let (e, problems) = read_entries(&[good, dup, broken]);
        assert_eq!(e.len(), 1);
        assert_eq!(problems.len(), 1);
        assert!(problems[0].starts_with("Secret broken: "), "{problems:?}");
    }

    #[test]
    fn trial_decryption_and_recorded_status() {
        let secrets = [
            key_secret(
                0,
                "old",
                datetime!(2025-01-01 0:00 UTC),
                datetime!(2025-01-01 0:00 UTC),
            ),
            key_secret(
                1,
                "new",
                datetime!(2025-06-01 0:00 UTC),
                datetime!(2025-06-01 0:00 UTC),
            ),
        ];
        let e = entries(&secrets);
        let (old_fp, new_fp) = (
            e[0].fingerprint().to_string(),
            e[1].fingerprint().to_string(),
        );

        let by_old = sealed("a", "x", 0, &["k"]);
        let by_new = sealed("a", "y", 1, &["k", "l"]);
        let foreign = sealed("b", "z", 2, &["k"]);
        // A current record is trusted without decrypting (here it names the old key).
        let mut recorded = sealed("b", "r", 1, &["k"]);
        synced(&mut recorded, vec![old_fp.clone()], 1);
        // A stale record (older generation) is not.
        let mut stale = sealed("b", "s", 1, &["k"]);
        synced(&mut stale, vec![old_fp.clone()], 0);
        // A record naming a key that is not in the namespace.
        let mut elsewhere = sealed("c", "e", 1, &["k"]);
        synced(&mut elsewhere, vec!["SHA256:gone".into()], 1);

        let mut calls = 0;
        let u = usage(
            &e,
            &[by_old, by_new, foreign, recorded, stale, elsewhere],
            &mut |_, total| {
                calls += 1;
                assert_eq!(total, 4);
            },
        );
        assert_eq!(calls, 4);
        assert_eq!(u.needed_by(&old_fp), ["a/x", "b/r"]);
        assert_eq!(u.needed_by(&new_fp), ["a/y", "b/s"]);
        assert_eq!(u.unknown, ["b/z", "c/e"]);
        assert!(u.needed_by("SHA256:none").is_empty());
    }

    #[test]
    fn mixed_items_need_both_keys_and_garbage_is_unknown() {
        let secrets = [
            key_secret(
                0,
                "old",
                datetime!(2025-01-01 0:00 UTC),
                datetime!(2025-01-01 0:00 UTC),
            ),
            key_secret(
                1,
                "new",
                datetime!(2025-06-01 0:00 UTC),
                datetime!(2025-06-01 0:00 UTC),
            ),
        ];
        let e = entries(&secrets);
        let keyset = KeySet::new(e.iter().map(|k| k.key.private_key.clone()).collect());
        let fps: Vec<String> = e.iter().map(|k| k.fingerprint().to_string()).collect();
        let mut ss = sealed("a", "m", 0, &["k"]);
        let other = sealed("a", "m", 1, &["l"]);
        ss.spec.encrypted_data.extend(other.spec.encrypted_data);
        let n = needs(&ss, &keyset, &fps);
        assert_eq!(n.keys.len(), 2);
        assert!(!n.unknown && n.tried);
        ss.spec
            .encrypted_data
            .insert("bad".into(), "!!notbase64".into());
        assert!(needs(&ss, &keyset, &fps).unknown);
    }

    #[test]
    fn first_few_names() {
        let names: Vec<String> = (0..5).map(|i| format!("ns/s{i}")).collect();
        assert_eq!(first_few(&names[..2], 3), "ns/s0, ns/s1");
        assert_eq!(first_few(&names, 3), "ns/s0, ns/s1, ns/s2 and 2 more");
    }
}
