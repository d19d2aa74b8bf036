//! SealedSecret and Secret parsing from JSON and YAML, plus the recovery-key file reader: any
//! input is either parsed or rejected, never a panic.
#![no_main]

use k8s_openapi::api::core::v1::Secret;
use libfuzzer_sys::fuzz_target;
use sealwright_crypto::hybrid::KeySet;
use sealwright_crypto::unseal::{UnsealOptions, unseal};
use sealwright_crypto::{SealedSecret, keys};

fuzz_target!(|data: &[u8]| {
    if let Ok(sealed) = serde_json::from_slice::<SealedSecret>(data) {
        let _ = serde_json::to_vec(&sealed);
        let _ = unseal(&sealed, &KeySet::default(), UnsealOptions::default());
    }
    if let Ok(sealed) = serde_yaml::from_slice::<SealedSecret>(data) {
        let _ = serde_yaml::to_string(&sealed);
        let _ = unseal(&sealed, &KeySet::default(), UnsealOptions::default());
    }
    let _ = serde_json::from_slice::<Secret>(data);
    let _ = serde_yaml::from_slice::<Secret>(data);
    let _ = keys::parse_private_keys(data);
});
