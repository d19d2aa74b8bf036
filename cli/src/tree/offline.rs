//! Offline mode (`--recovery-private-key` + `--cert`): open each item with the local private
//! keys under the object's own scope label and seal the plaintext again for `--cert`. An item
//! that the private key of `--cert` opens is already current and keeps its ciphertext.

use sealwright_crypto::item::OpenItemError;
use sealwright_crypto::rotate::{ItemRotation, RotateItemError, rotate_item};
use sealwright_crypto::{KeySet, RsaPublicKey, SealedSecret, keys, scope};

use super::reseal::{Failure, LEGACY_DATA, Reseal, Resealed, missing_namespace_hint};

#[derive(Debug)]
pub struct Offline {
    /// The private key of `--cert` first (when given), then the others.
    keys: KeySet,
    /// Whether `keys` starts with the private key of `--cert`.
    knows_current: bool,
    cert: RsaPublicKey,
}

impl Offline {
    pub fn new(all: &KeySet, cert: RsaPublicKey) -> Self {
        let newest = keys::fingerprint(&cert);
        let (current, others): (Vec<_>, Vec<_>) = all
            .iter()
            .cloned()
            .partition(|k| keys::fingerprint(k.as_public_key()) == newest);
        let knows_current = !current.is_empty();
        let ordered = current.into_iter().take(1).chain(others).collect();
        Self {
            keys: KeySet::new(ordered),
            knows_current,
            cert,
        }
    }

    /// False when no `--recovery-private-key` belongs to `--cert`: then nothing can be
    /// recognised as current and every item is sealed again.
    pub fn knows_current(&self) -> bool {
        self.knows_current
    }
}

impl Reseal for Offline {
    fn reseal(&mut self, ss: &SealedSecret) -> Result<Resealed, Vec<Failure>> {
        if ss.spec.data.is_some() {
            return Err(vec![Failure::object(LEGACY_DATA)]);
        }
        let label = scope::label_for(&ss.metadata);
        let mut out = Resealed::default();
        let mut failures = Vec::new();
        for (item, text) in &ss.spec.encrypted_data {
            match rotate_item(&self.keys, self.knows_current, &self.cert, &label, text) {
                Ok(ItemRotation::Current) => out.current += 1,
                Ok(ItemRotation::Resealed(new)) => out.changed.push((item.clone(), new)),
                Err(RotateItemError::Open(OpenItemError::Seal(e))) => failures.push(Failure::item(
                    item,
                    format!("{e}{}", missing_namespace_hint(ss)),
                )),
                Err(e) => failures.push(Failure::item(item, e.to_string())),
            }
        }
        if failures.is_empty() {
            Ok(out)
        } else {
            Err(failures)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::Secret;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
    use sealwright_crypto::RsaPrivateKey;
    use sealwright_crypto::{b64, hybrid};
    use std::sync::OnceLock;

    /// Two small keys, made once (1024 bits: enough for short values, quick to generate).
    fn keys2() -> &'static (RsaPrivateKey, RsaPrivateKey) {
        static K: OnceLock<(RsaPrivateKey, RsaPrivateKey)> = OnceLock::new();
        K.get_or_init(|| {
            let make = || keys::generate(1024).expect("generate");
            (make(), make())
        })
    }

    fn sealed_for(key: &RsaPublicKey, annotations: &[(&str, &str)]) -> SealedSecret {
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some("s".into()),
                namespace: Some("n".into()),
                annotations: Some(
                    annotations
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                ),
                ..Default::default()
            },
            data: Some(
                [("a", "1"), ("b", "2")]
                    .iter()
                    .map(|(k, v)| (k.to_string(), ByteString(v.as_bytes().to_vec())))
                    .collect(),
            ),
            ..Default::default()
        };
        sealwright_crypto::seal::seal_secret(&secret, key).expect("seal")
    }

    fn open(ss: &SealedSecret, key: &RsaPrivateKey, item: &str) -> Option<Vec<u8>> {
        let blob = b64::decode(ss.spec.encrypted_data.get(item)?.as_bytes()).ok()?;
        let set = KeySet::new(vec![key.clone()]);
        hybrid::unseal(&set, &scope::label_for(&ss.metadata), &blob)
            .ok()
            .map(|p| p.to_vec())
    }

    #[test]
    fn reseals_old_items_for_the_new_key_in_every_scope() {
        let (a, b) = keys2();
        let mut offline = Offline::new(
            &KeySet::new(vec![a.clone(), b.clone()]),
            b.as_public_key().clone(),
        );
        assert!(offline.knows_current());
        for ann in [
            vec![],
            vec![(scope::NAMESPACE_WIDE_ANNOTATION, "true")],
            vec![(scope::CLUSTER_WIDE_ANNOTATION, "true")],
        ] {
            let mut ss = sealed_for(a.as_public_key(), &ann);
            let out = offline.reseal(&ss).expect("reseal");
            assert_eq!(out.current, 0);
            assert_eq!(out.changed.len(), 2);
            for (item, text) in out.changed {
                ss.spec.encrypted_data.insert(item, text);
            }
            assert_eq!(open(&ss, b, "a").as_deref(), Some(&b"1"[..]));
            assert_eq!(open(&ss, a, "b"), None, "no longer opens with the old key");
            // A second pass finds everything current.
            let again = offline.reseal(&ss).expect("again");
            assert_eq!((again.current, again.changed.len()), (2, 0));
        }
    }

    #[test]
    fn foreign_items_fail_by_name() {
        let (a, b) = keys2();
        let mut offline = Offline::new(&KeySet::new(vec![b.clone()]), b.as_public_key().clone());
        let ss = sealed_for(a.as_public_key(), &[]);
        let failures = offline.reseal(&ss).expect_err("foreign");
        assert_eq!(
            failures,
            vec![
                Failure::item("a", "no key could decrypt secret"),
                Failure::item("b", "no key could decrypt secret")
            ]
        );
    }

    #[test]
    fn a_missing_namespace_is_named_as_the_likely_cause() {
        let (a, b) = keys2();
        let mut offline = Offline::new(&KeySet::new(vec![a.clone()]), b.as_public_key().clone());
        let mut ss = sealed_for(a.as_public_key(), &[]);
        ss.metadata.namespace = None;
        let failures = offline.reseal(&ss).expect_err("label lost");
        assert!(
            failures[0]
                .reason
                .starts_with("no key could decrypt secret (the object has no metadata.namespace"),
            "{:?}",
            failures[0]
        );
    }

    #[test]
    fn without_the_current_private_key_everything_is_resealed() {
        let (a, b) = keys2();
        let mut offline = Offline::new(&KeySet::new(vec![a.clone()]), b.as_public_key().clone());
        assert!(!offline.knows_current());
        let ss = sealed_for(a.as_public_key(), &[]);
        assert_eq!(offline.reseal(&ss).expect("reseal").changed.len(), 2);
    }
}
