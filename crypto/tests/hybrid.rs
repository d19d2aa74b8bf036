//! The hybrid primitive: layout, key sizes, tolerance of AES-128/192 session keys, and failures.

mod common;

use aes_gcm::aead::{AeadInOut, KeyInit};
use proptest::prelude::*;
use rsa::oaep::EncryptingKey;
use rsa::traits::{PublicKeyParts, RandomizedEncryptor};
use sealwright_crypto::hybrid::{self, KeySet};
use sealwright_crypto::scope::{self, Scope};
use sealwright_crypto::{RsaPrivateKey, SealError, b64};
use sha2::Sha256;

const LABEL: &[u8] = b"mynamespace/mysecret";

fn keyset(key: &RsaPrivateKey) -> KeySet {
    KeySet::new(vec![key.clone()])
}

#[test]
fn layout_for_each_key_size() {
    for (bits, prefix, b64_start) in [
        (2048, [0x01, 0x00], "AQ"),
        (3072, [0x01, 0x80], "AY"),
        (4096, [0x02, 0x00], "Ag"),
    ] {
        let key = common::generated_key(bits);
        let k = key.size();
        for plain in [&b""[..], b"bar", &[0u8; 1000][..]] {
            let blob = hybrid::seal(key.as_public_key(), LABEL, plain).expect("seal");
            assert_eq!(blob.len(), 2 + k + plain.len() + 16, "{bits} bits");
            assert_eq!(blob[..2], prefix);
            // Only two symbols are fixed by the prefix: the third also carries RSA block bits.
            let text = hybrid::seal_base64(key.as_public_key(), LABEL, plain).expect("seal");
            assert!(text.starts_with(b64_start), "{text}");
            assert!(
                text.len().is_multiple_of(4) && !text.contains(['-', '_']),
                "standard padded base64"
            );
            let opened = hybrid::unseal(
                &keyset(key),
                LABEL,
                &b64::decode(text.as_bytes()).expect("b64"),
            )
            .expect("opens");
            assert_eq!(opened.as_slice(), plain);
        }
    }
}

#[test]
fn session_keys_are_fresh() {
    // Same plaintext twice: the AES parts must differ (a reused key with the zero nonce would
    // make them identical).
    let key = common::generated_key(2048);
    let a = hybrid::seal(key.as_public_key(), LABEL, b"same").expect("seal");
    let b = hybrid::seal(key.as_public_key(), LABEL, b"same").expect("seal");
    assert_ne!(a[258..], b[258..]);
    assert_ne!(a[2..258], b[2..258]);
}

#[test]
fn first_key_that_opens_wins_and_is_reported() {
    let k1 = common::generated_key(2048);
    let k2 = common::generated_key(3072);
    let keys = KeySet::new(vec![k1.clone(), k2.clone()]);
    let blob = hybrid::seal(k2.as_public_key(), LABEL, b"x").expect("seal");
    let (plain, index) = hybrid::unseal_with_index(&keys, LABEL, &blob).expect("opens");
    assert_eq!((plain.as_slice(), index), (&b"x"[..], 1));
    assert_eq!(
        hybrid::unseal(&KeySet::default(), LABEL, &blob).map(|_| ()),
        Err(SealError::NoKeyCouldDecrypt)
    );
}

/// A blob as a third-party sealer would make it with a shorter AES key.
fn seal_with_aes_key(key: &RsaPrivateKey, session_key: &[u8], plain: &[u8]) -> Vec<u8> {
    let rsa_block = EncryptingKey::<Sha256>::new_with_label(key.to_public_key(), LABEL)
        .encrypt_with_rng(&mut rand::rng(), session_key)
        .expect("oaep");
    let nonce = aes_gcm::Nonce::from([0u8; 12]);
    let mut body = plain.to_vec();
    let tag = match session_key.len() {
        16 => aes_gcm::Aes128Gcm::new_from_slice(session_key)
            .expect("key")
            .encrypt_inout_detached(&nonce, &[], body.as_mut_slice().into()),
        24 => aes_gcm::AesGcm::<aes_gcm::aes::Aes192, aes_gcm::aead::consts::U12>::new_from_slice(
            session_key,
        )
        .expect("key")
        .encrypt_inout_detached(&nonce, &[], body.as_mut_slice().into()),
        _ => aes_gcm::Aes256Gcm::new_from_slice(session_key)
            .expect("key")
            .encrypt_inout_detached(&nonce, &[], body.as_mut_slice().into()),
    }
    .expect("gcm");
    let mut out = (rsa_block.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&rsa_block);
    out.extend_from_slice(&body);
    out.extend_from_slice(&tag);
    out
}

#[test]
fn accepts_16_24_32_byte_session_keys_and_nothing_else() {
    let key = common::generated_key(2048);
    for len in [16, 24, 32] {
        let blob = seal_with_aes_key(key, &vec![7u8; len], b"secret");
        assert_eq!(
            hybrid::unseal(&keyset(key), LABEL, &blob)
                .expect("opens")
                .as_slice(),
            b"secret",
            "{len}"
        );
    }
    for len in [0, 8, 31, 33] {
        // Any other length is no AES key at all.
        let rsa_block = EncryptingKey::<Sha256>::new_with_label(key.to_public_key(), LABEL)
            .encrypt_with_rng(&mut rand::rng(), &vec![7u8; len])
            .expect("oaep");
        let mut blob = (rsa_block.len() as u16).to_be_bytes().to_vec();
        blob.extend_from_slice(&rsa_block);
        blob.extend_from_slice(&[0u8; 16]);
        assert_eq!(
            hybrid::unseal(&keyset(key), LABEL, &blob).map(|_| ()),
            Err(SealError::NoKeyCouldDecrypt),
            "{len}"
        );
    }
}

#[test]
fn truncated_and_corrupted_blobs_fail_cleanly() {
    let key = common::generated_key(2048);
    let keys = keyset(key);
    let k = key.size();
    let blob = hybrid::seal(key.as_public_key(), LABEL, b"payload").expect("seal");
    let fails = |b: &[u8]| hybrid::unseal(&keys, LABEL, b).map(|_| ());

    for cut in [0, 1, 2, 2 + k - 1, 2 + k, 2 + k + 15, blob.len() - 1] {
        assert_eq!(
            fails(&blob[..cut]),
            Err(SealError::NoKeyCouldDecrypt),
            "truncated to {cut}"
        );
    }
    // Every region: length prefix, RSA block, AES body, tag.
    for pos in [
        0,
        1,
        2,
        2 + k / 2,
        2 + k - 1,
        2 + k,
        2 + k + 6,
        blob.len() - 16,
        blob.len() - 1,
    ] {
        for bit in [0x01, 0x80] {
            let mut bad = blob.clone();
            bad[pos] ^= bit;
            assert_eq!(
                fails(&bad),
                Err(SealError::NoKeyCouldDecrypt),
                "bit {bit:#x} at {pos}"
            );
        }
    }
    let mut wrong_prefix = blob.clone();
    wrong_prefix[..2].copy_from_slice(&0x0200u16.to_be_bytes());
    assert_eq!(fails(&wrong_prefix), Err(SealError::NoKeyCouldDecrypt));
    assert_eq!(
        fails(&[0xff, 0xff, 1, 2, 3]),
        Err(SealError::NoKeyCouldDecrypt)
    );
}

#[test]
fn wrong_label_fails() {
    let key = common::generated_key(2048);
    let blob = hybrid::seal(key.as_public_key(), LABEL, b"v").expect("seal");
    for label in [&b""[..], b"mynamespace", b"mynamespace/other"] {
        assert_eq!(
            hybrid::unseal(&keyset(key), label, &blob).map(|_| ()),
            Err(SealError::NoKeyCouldDecrypt)
        );
    }
}

#[test]
fn error_names_are_stable() {
    assert_eq!(SealError::TooShort.name(), "TooShort");
    assert_eq!(
        SealError::NoKeyCouldDecrypt.to_string(),
        "no key could decrypt secret"
    );
    assert_eq!(
        SealError::TooShort.to_string(),
        "SealedSecret data is too short"
    );
    assert_eq!(
        format!("{:?}", keyset(common::generated_key(2048))),
        "KeySet(1 keys)"
    );
}

fn scope_strategy() -> impl Strategy<Value = Scope> {
    prop_oneof![
        Just(Scope::Strict),
        Just(Scope::NamespaceWide),
        Just(Scope::ClusterWide)
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn round_trips_in_every_scope(
        plain in prop_oneof![
            Just(Vec::new()),
            proptest::collection::vec(any::<u8>(), 0..512),
            // Values ending in bytes a sloppy unpacker strips.
            proptest::collection::vec(any::<u8>(), 0..64).prop_map(|mut v| { v.push(0x00); v }),
            proptest::collection::vec(any::<u8>(), 0..64).prop_map(|mut v| { v.push(0x20); v }),
        ],
        scope in scope_strategy(),
        ns in "[a-z0-9-]{1,20}",
        name in "[a-z0-9.-]{1,30}",
    ) {
        let key = common::generated_key(2048);
        let label = scope::label(&ns, &name, scope);
        let blob = hybrid::seal(key.as_public_key(), &label, &plain).expect("seal");
        prop_assert_eq!(blob.len(), 2 + 256 + plain.len() + 16);
        let opened = hybrid::unseal(&keyset(key), &label, &blob).expect("opens");
        prop_assert_eq!(opened.as_slice(), plain.as_slice());
    }

    #[test]
    fn ciphertext_tail_bytes_survive(tail in prop_oneof![Just(0x00u8), Just(0x20u8)]) {
        // Seal until the blob itself ends in the byte (about 1 in 256 tries each).
        let key = common::generated_key(2048);
        let blob = (0..4096)
            .map(|_| hybrid::seal(key.as_public_key(), LABEL, b"tail").expect("seal"))
            .find(|b| b.last() == Some(&tail))
            .expect("a blob ending in the byte");
        let opened = hybrid::unseal(&keyset(key), LABEL, &blob).expect("opens");
        prop_assert_eq!(opened.as_slice(), b"tail");
    }
}

#[test]
fn binary_and_one_mebibyte_round_trip_in_all_scopes() {
    let all_bytes: Vec<u8> = (0..=255u8).collect();
    let big: Vec<u8> = (0..1 << 20)
        .map(|i: u32| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    for bits in [2048, 4096] {
        let key = common::generated_key(bits);
        for scope in [Scope::Strict, Scope::NamespaceWide, Scope::ClusterWide] {
            let label = scope::label("ns", "name", scope);
            for plain in [&all_bytes, &big] {
                let blob = hybrid::seal(key.as_public_key(), &label, plain).expect("seal");
                assert_eq!(
                    hybrid::unseal(&keyset(key), &label, &blob)
                        .expect("opens")
                        .as_slice(),
                    plain.as_slice()
                );
            }
        }
    }
}
