//! Arbitrary bytes as a ciphertext (raw and as base64 text in a SealedSecret): no panic, and
//! nothing ever opens without the right key.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sealwright_crypto::hybrid::{self, KeySet};
use sealwright_crypto::model::SealedSecretSpec;
use sealwright_crypto::unseal::{UnsealOptions, unseal};
use sealwright_crypto::{SealedSecret, b64, keys};

/// A fixed test key (the spec's Appendix A key) so runs are reproducible.
fn keyset() -> &'static KeySet {
    static KEYS: OnceLock<KeySet> = OnceLock::new();
    KEYS.get_or_init(|| {
        let pem = include_bytes!("../../tests/data/appendix-a-key.pem");
        KeySet::new(vec![keys::private_key_from_pem(pem).expect("fixture key")])
    })
}

fuzz_target!(|data: &[u8]| {
    let keys = keyset();
    // Random bytes cannot forge an OAEP block plus a GCM tag.
    assert!(hybrid::unseal(keys, b"ns/name", data).is_err());

    let text = String::from_utf8_lossy(data).into_owned();
    let _ = b64::decode(text.as_bytes());
    let mut sealed = SealedSecret::new(
        "name",
        SealedSecretSpec {
            encrypted_data: [("item".to_string(), text)].into_iter().collect(),
            ..Default::default()
        },
    );
    sealed.metadata.namespace = Some("ns".into());
    assert!(unseal(&sealed, keys, UnsealOptions::default()).is_err());
});
