//! Opening a SealedSecret for an answer that goes to an untrusted client (the controller's
//! `/v1/verify` and `/v1/rotate`): the items are decrypted, `spec.template.data` never runs.
//! A template rendered over the plaintext would let any client that can reach the controller
//! learn a sealed value one bit per request (upstream v0.40.0's `ValidateEncryptedData` and
//! `UnsealWithoutTemplate`).

use crate::hybrid::{self, KeySet};
use crate::model::SealedSecret;
use crate::unseal::{self, ItemError, UnsealError, UnsealOptions, Unsealed};
use crate::{b64, scope};

/// Whether every sealed item opens with `keys` under the object's own scope. Plaintext is
/// wiped as soon as each item is checked; the v1 blob is only decrypted, not parsed.
pub fn validate_encrypted_data(
    sealed: &SealedSecret,
    keys: &KeySet,
    options: UnsealOptions,
) -> Result<(), UnsealError> {
    let label = scope::label_for(&sealed.metadata);
    match &sealed.spec.data {
        None => {}
        Some(_) if !options.accept_v1_data => return Err(UnsealError::V1DataRejected),
        Some(_) if !sealed.spec.encrypted_data.is_empty() => {
            return Err(UnsealError::BothDataFields);
        }
        Some(blob) => {
            return hybrid::unseal(keys, &label, &blob.0)
                .map(drop)
                .map_err(|e| UnsealError::V1(e.to_string()));
        }
    }
    let errors: Vec<ItemError> = sealed
        .spec
        .encrypted_data
        .iter()
        .filter_map(|(item, text)| {
            let opened = b64::decode(text.as_bytes())
                .map_err(|e| e.to_string())
                .and_then(|blob| {
                    hybrid::unseal(keys, &label, &blob)
                        .map(drop)
                        .map_err(|e| e.to_string())
                });
            opened.err().map(|message| ItemError {
                item: item.clone(),
                message,
            })
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(UnsealError::Items(errors))
    }
}

/// The Secret as `unseal` builds it, with the items exactly as sealed: `spec.template.data` is
/// neither rendered nor copied in.
pub fn unseal_without_template(
    sealed: &SealedSecret,
    keys: &KeySet,
    options: UnsealOptions,
) -> Result<Unsealed, UnsealError> {
    if sealed.spec.template.data.is_none() {
        return unseal::unseal(sealed, keys, options);
    }
    let mut plain = sealed.clone();
    plain.spec.template.data = None;
    unseal::unseal(&plain, keys, options)
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::ByteString;
    use k8s_openapi::api::core::v1::Secret;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

    use super::*;

    /// The reference document's test key: generating one is slow in a debug build.
    fn test_key() -> (crate::RsaPrivateKey, crate::RsaPublicKey) {
        let pem = include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/appendix-a-key.pem"
        ));
        let key = crate::keys::private_key_from_pem(pem).expect("test key");
        let public = key.as_public_key().clone();
        (key, public)
    }

    fn sealed_with_template(template: &str) -> (SealedSecret, KeySet) {
        let (key, cert) = test_key();
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some("s".into()),
                namespace: Some("n".into()),
                ..Default::default()
            },
            data: Some(BTreeMap::from([(
                "password".to_string(),
                ByteString(b"swordfish".to_vec()),
            )])),
            ..Default::default()
        };
        let mut ss = crate::seal::seal_secret(&secret, &cert).expect("seal");
        ss.spec.template.data = Some(BTreeMap::from([(
            "probe".to_string(),
            Some(template.to_string()),
        )]));
        (ss, KeySet::new(vec![key]))
    }

    const ORACLE: &str = r#"{{ if lt .password "m" }}{{ else }}{{ fail "" }}{{ end }}"#;

    #[test]
    fn templates_never_run() {
        let (ss, keys) = sealed_with_template(ORACLE);
        // The full unseal renders the probe and fails ("swordfish" > "m"): the oracle.
        assert!(unseal::unseal(&ss, &keys, UnsealOptions::default()).is_err());
        assert_eq!(
            validate_encrypted_data(&ss, &keys, UnsealOptions::default()),
            Ok(())
        );
        let opened = unseal_without_template(&ss, &keys, UnsealOptions::default()).expect("open");
        let data = opened.secret.data.expect("data");
        assert_eq!(data.keys().collect::<Vec<_>>(), vec!["password"]);
        assert_eq!(data["password"].0, b"swordfish");
    }

    #[test]
    fn wrong_scope_and_garbage_are_item_errors() {
        let (mut ss, keys) = sealed_with_template("x");
        ss.metadata.name = Some("other".into());
        ss.spec
            .encrypted_data
            .insert("junk".into(), "not base64!".into());
        let err = validate_encrypted_data(&ss, &keys, UnsealOptions::default())
            .expect_err("a wrong key must not open the item");
        let UnsealError::Items(items) = err else {
            panic!("{err:?}")
        };
        let names: Vec<&str> = items.iter().map(|e| e.item.as_str()).collect();
        assert_eq!(names, vec!["junk", "password"]);
        assert!(unseal_without_template(&ss, &keys, UnsealOptions::default()).is_err());
    }

    #[test]
    fn v1_blob_is_only_decrypted() {
        let (key, cert) = test_key();
        let keys = KeySet::new(vec![key]);
        let mut ss = SealedSecret::new("s", Default::default());
        ss.metadata.namespace = Some("n".into());
        let label = scope::label_for(&ss.metadata);
        // Not a Secret inside: validation only asks whether it opens.
        ss.spec.data = Some(ByteString(
            hybrid::seal(&cert, &label, b"not a secret").expect("seal"),
        ));
        assert_eq!(
            validate_encrypted_data(&ss, &keys, UnsealOptions::default()),
            Ok(())
        );
        assert_eq!(
            validate_encrypted_data(
                &ss,
                &keys,
                UnsealOptions {
                    accept_v1_data: false
                }
            ),
            Err(UnsealError::V1DataRejected)
        );
    }
}
