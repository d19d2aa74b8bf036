//! Re-sealing for the newest key: the controller's `/v1/rotate`, `kubeseal --re-encrypt` offline
//! and `kubeseal reencrypt`.
//!
//! The scope comes from the top-level metadata only (upstream v0.36.0): a template that disagrees
//! is overwritten first, so a rotation cannot move a secret to another scope. Items are decrypted
//! without rendering `spec.template.data`, which is carried over unchanged (upstream drops it).

use crate::RsaPublicKey;
use crate::hybrid::{self, KeySet, SealError};
use crate::item::{OpenItemError, open_item};
use crate::model::SealedSecret;
use crate::open::unseal_without_template;
use crate::seal::{SealSecretError, new_sealed_secret, seal_secret};
use crate::unseal::{UnsealError, UnsealOptions};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RotateOptions {
    /// Accept the v1 `spec.data` blob.
    pub accept_v1_data: bool,
    /// Refuse an object without a name, as `kubeseal` refuses to seal one (upstream's controller
    /// seals it anyway).
    pub require_name: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error(transparent)]
    Unseal(#[from] UnsealError),
    /// There is no key to seal with.
    #[error("no key")]
    NoSealingKey,
    #[error(transparent)]
    Seal(#[from] SealSecretError),
}

/// Whether `spec.template.metadata` is exactly the top-level metadata.
pub fn metadata_aligned(ss: &SealedSecret) -> bool {
    ss.spec.template.metadata.as_ref() == Some(&ss.metadata)
}

/// `ss` sealed again for `key`: metadata aligned, items opened with `keys` (template not
/// rendered), the Secret sealed with fresh session keys, `spec.template.data` carried over.
pub fn rotate(
    mut ss: SealedSecret,
    keys: &KeySet,
    key: Option<&RsaPublicKey>,
    options: RotateOptions,
) -> Result<SealedSecret, RotateError> {
    if !metadata_aligned(&ss) {
        ss.spec.template.metadata = Some(ss.metadata.clone());
    }
    let unsealed = unseal_without_template(
        &ss,
        keys,
        UnsealOptions {
            accept_v1_data: options.accept_v1_data,
        },
    )?;
    let key = key.ok_or(RotateError::NoSealingKey)?;
    let mut resealed = if options.require_name {
        seal_secret(&unsealed.secret, key)?
    } else {
        new_sealed_secret(&unsealed.secret, key)?
    };
    resealed.spec.template.data = ss.spec.template.data.take();
    Ok(resealed)
}

/// What rotating one item did.
#[derive(Debug)]
pub enum ItemRotation {
    /// The key at index 0 of the key set opened it: it is left as it is.
    Current,
    /// Sealed again (base64), under the same label.
    Resealed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum RotateItemError {
    #[error(transparent)]
    Open(#[from] OpenItemError),
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// One item sealed again for `key` under `label` (the object's own scope label), unless
/// `first_is_current` and the first key of `keys` opens it.
pub fn rotate_item(
    keys: &KeySet,
    first_is_current: bool,
    key: &RsaPublicKey,
    label: &[u8],
    text: &str,
) -> Result<ItemRotation, RotateItemError> {
    match open_item(keys, label, text)? {
        (_, 0) if first_is_current => Ok(ItemRotation::Current),
        // The plaintext is a zeroizing buffer, wiped when this arm ends.
        (plain, _) => Ok(ItemRotation::Resealed(hybrid::seal_base64(
            key, label, &plain,
        )?)),
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::Secret;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;
    use crate::{RsaPrivateKey, keys, scope};

    fn sealed(key: &RsaPublicKey) -> SealedSecret {
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some("s".into()),
                namespace: Some("n".into()),
                ..Default::default()
            },
            data: Some(BTreeMap::from([("a".into(), ByteString(b"1".to_vec()))])),
            ..Default::default()
        };
        seal_secret(&secret, key).expect("seal")
    }

    #[test]
    fn rotation_aligns_metadata_and_keeps_the_template() {
        let old = keys::generate(1024).expect("key");
        let new = keys::generate(1024).expect("key");
        let mut ss = sealed(old.as_public_key());
        // A template naming another object cannot move the secret to it.
        if let Some(meta) = ss.spec.template.metadata.as_mut() {
            meta.name = Some("other".into());
        }
        assert!(!metadata_aligned(&ss));
        let template = BTreeMap::from([("b".to_owned(), Some("{{ .a }}".to_owned()))]);
        ss.spec.template.data = Some(template.clone());
        let keys = KeySet::new(vec![old.clone()]);
        let out = rotate(
            ss,
            &keys,
            Some(new.as_public_key()),
            RotateOptions::default(),
        )
        .expect("rotate");
        assert_eq!(out.spec.template.data, Some(template));
        assert_eq!(out.metadata.name.as_deref(), Some("s"));
        let text = &out.spec.encrypted_data["a"];
        let opened = open_item(
            &KeySet::new(vec![new]),
            &scope::label_for(&out.metadata),
            text,
        );
        assert_eq!(opened.map(|(p, _)| p.to_vec()).ok(), Some(b"1".to_vec()));

        let mut nameless = sealed(old.as_public_key());
        nameless.metadata.name = None;
        nameless.spec.template.metadata = None;
        let strict = RotateOptions {
            require_name: true,
            ..RotateOptions::default()
        };
        assert!(rotate(nameless, &keys, Some(old.as_public_key()), strict).is_err());
    }

    #[test]
    fn items_of_the_first_key_are_current() {
        let current: RsaPrivateKey = keys::generate(1024).expect("key");
        let old = keys::generate(1024).expect("key");
        let ss = sealed(old.as_public_key());
        let label = scope::label_for(&ss.metadata);
        let keys = KeySet::new(vec![current.clone(), old]);
        let text = &ss.spec.encrypted_data["a"];
        let new = match rotate_item(&keys, true, current.as_public_key(), &label, text) {
            Ok(ItemRotation::Resealed(new)) => new,
            other => panic!("{other:?}"),
        };
        assert!(matches!(
            rotate_item(&keys, true, current.as_public_key(), &label, &new),
            Ok(ItemRotation::Current)
        ));
        assert!(matches!(
            rotate_item(&keys, false, current.as_public_key(), &label, &new),
            Ok(ItemRotation::Resealed(_))
        ));
    }
}
