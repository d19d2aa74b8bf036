//! Known-answer tests: real upstream ciphertexts and our deterministic vector
//! (`tests/data/appendix-a-vectors.tsv`).

mod common;

use sealwright_crypto::hybrid::{self, KeySet};
use sealwright_crypto::scope::{self, Scope};
use sealwright_crypto::{SealError, b64};

const SCOPES: [Scope; 3] = [Scope::Strict, Scope::NamespaceWide, Scope::ClusterWide];

#[test]
fn kseal_vectors_open_with_their_key_and_label() {
    let (vectors, key) = common::kseal_vectors();
    let keys = KeySet::new(vec![key]);
    for v in &vectors {
        let blob = b64::decode(v.ciphertext.as_bytes()).expect("valid base64");
        assert_eq!(&blob[..2], &[0x02, 0x00], "{}: 4096-bit prefix", v.id);
        assert_eq!(blob.len(), 2 + 512 + v.plaintext.len() + 16, "{}", v.id);
        let label = scope::label(&v.namespace, &v.name, v.scope);
        let plain =
            hybrid::unseal(&keys, &label, &blob).unwrap_or_else(|e| panic!("{}: {e}", v.id));
        assert_eq!(plain.as_slice(), v.plaintext.as_bytes(), "{}", v.id);
    }
}

#[test]
fn kseal_vectors_fail_with_any_other_label() {
    let (vectors, key) = common::kseal_vectors();
    let keys = KeySet::new(vec![key]);
    for v in &vectors {
        let blob = b64::decode(v.ciphertext.as_bytes()).expect("valid base64");
        let wrong = [
            scope::label("other-namespace", &v.name, Scope::Strict),
            scope::label(&v.namespace, "other-secret", Scope::Strict),
            scope::label(&v.namespace, &v.name, Scope::NamespaceWide),
            scope::label(&v.namespace, &v.name, Scope::ClusterWide),
        ];
        for label in wrong {
            assert_eq!(
                hybrid::unseal(&keys, &label, &blob).map(|_| ()),
                Err(SealError::NoKeyCouldDecrypt),
                "{} opened with label {:?}",
                v.id,
                String::from_utf8_lossy(&label)
            );
        }
    }
}

#[test]
fn appendix_a_opens_only_in_its_own_scope() {
    let (vectors, key) = common::appendix_a();
    let keys = KeySet::new(vec![key]);
    for v in &vectors {
        let blob = b64::decode(v.ciphertext.as_bytes()).expect("valid base64");
        assert_eq!(blob.len(), 277);
        for scope in SCOPES {
            let label = scope::label(&v.namespace, &v.name, scope);
            let result = hybrid::unseal(&keys, &label, &blob);
            if scope == v.scope {
                assert_eq!(result.expect("opens").as_slice(), b"bar", "{}", v.id);
            } else {
                assert_eq!(
                    result.map(|_| ()),
                    Err(SealError::NoKeyCouldDecrypt),
                    "{} under {scope}",
                    v.id
                );
            }
        }
        let other = scope::label("othernamespace", &v.name, Scope::Strict);
        assert!(hybrid::unseal(&keys, &other, &blob).is_err());
    }
}

#[test]
fn appendix_a_is_reproduced_byte_for_byte() {
    let (vectors, key) = common::appendix_a();
    let session_key: [u8; 32] = std::array::from_fn(|i| i as u8);
    let seed: [u8; 32] = std::array::from_fn(|i| 0x20 + i as u8);
    for v in &vectors {
        let label = scope::label(&v.namespace, &v.name, v.scope);
        let blob =
            hybrid::seal_with_session_key(key.as_public_key(), &label, b"bar", &session_key, &seed)
                .expect("deterministic seal");
        assert_eq!(b64::encode(&blob), v.ciphertext, "{}", v.id);
    }
}
