//! The fuzz targets. Each accepts any bytes; a panic means a broken property.

use std::collections::BTreeMap;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use gotemplate as template;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use sealwright_controller::http::api::rotate_sealed_secret;
use sealwright_controller::http::request_body::decode_sealed_secret;
use sealwright_controller::logic::keyring::Snapshot;
use sealwright_crypto::unseal::{UnsealOptions, unseal};
use sealwright_crypto::{KeySet, Scope, SealedSecret, hybrid, keys, recovery};

/// Wall-clock limit for one render of one template: the engine's own budget plus slack for an
/// unoptimised build on a loaded machine. A render that takes longer is a budget hole.
pub const TEMPLATE_TIME_LIMIT: Duration = Duration::from_secs(3);

/// Memory one template render may add to the process (the 16 MiB output budget, intermediate
/// values and the parse tree, plus slack). The runner checks it per run; libFuzzer's
/// `-rss_limit_mb` stands in for it there.
pub const TEMPLATE_MEMORY_LIMIT: u64 = 128 << 20;

/// The fixed test key (`crypto/tests/data/appendix-a-key.pem`), so every run is reproducible.
pub fn fixture_key() -> &'static sealwright_crypto::RsaPrivateKey {
    static KEY: OnceLock<sealwright_crypto::RsaPrivateKey> = OnceLock::new();
    KEY.get_or_init(|| {
        keys::private_key_from_pem(include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../crypto/tests/data/appendix-a-key.pem"
        )))
        .expect("fixture key")
    })
}

/// The fixture key as the controller holds it: one sealing key with its certificate.
pub fn fixture_snapshot() -> &'static Snapshot {
    static SNAPSHOT: OnceLock<Snapshot> = OnceLock::new();
    SNAPSHOT.get_or_init(|| {
        let key = fixture_key();
        let not_before = time::macros::datetime!(2026-01-01 0:00 UTC);
        let cert =
            sealwright_crypto::cert::self_signed(key, "", not_before, time::Duration::days(3650))
                .expect("fixture certificate");
        let mut secret = keys::to_secret(
            key,
            &cert,
            "kube-system",
            keys::DEFAULT_KEY_PREFIX,
            &BTreeMap::new(),
            &BTreeMap::new(),
        );
        secret.metadata.name = Some("fixture-key".into());
        let sealing = keys::load_secret(&secret).expect("fixture key Secret");
        Snapshot {
            keys: KeySet::new(vec![key.clone()]),
            fingerprints: vec![sealing.fingerprint.clone()],
            current: Some(sealing),
        }
    })
}

/// The values a fuzzed template renders over: a few short items like real secrets.
fn template_values() -> &'static BTreeMap<String, String> {
    static VALUES: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    VALUES.get_or_init(|| {
        [
            ("password", "p\"<&>'s wérd\n"),
            ("user", "admin"),
            ("num", "42"),
            ("list", "a b c"),
            ("json", r#"{"a":[1,2.5,"x",null,true],"b":{"c":"d"}}"#),
            ("empty", ""),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    })
}

/// `spec.template.data` values: any template renders or fails, without a panic, within its
/// time limit (memory is checked by the harness).
pub fn template(data: &[u8]) {
    let source = String::from_utf8_lossy(data);
    let started = Instant::now();
    let rendered = template::render("key", &source, template_values());
    let took = started.elapsed();
    assert!(
        took <= TEMPLATE_TIME_LIMIT,
        "render took {took:?} (limit {TEMPLATE_TIME_LIMIT:?})"
    );
    drop(rendered);
}

/// Bodies of `/v1/verify` and `/v1/rotate`: decoded as the handlers do (verify refuses several
/// documents, rotate does not), then re-sealed as rotate does, with the fixture key.
pub fn http_body(data: &[u8]) {
    let single = decode_sealed_secret(data, true);
    let any = decode_sealed_secret(data, false);
    if let Ok(ss) = &single {
        assert!(any.is_ok(), "a body verify accepts, rotate must accept too");
        let _ = unseal(ss, &fixture_snapshot().keys, UnsealOptions::default());
    }
    if let Ok(ss) = any {
        let _ = rotate_sealed_secret(ss, fixture_snapshot(), false);
    }
}

/// Key Secrets and recovery files: parsed or refused, never a panic; a key the load checks
/// accept is long enough and matches its certificate.
pub fn key_secret(data: &[u8]) {
    for secret in parse_as::<Secret>(data) {
        checked_load(&secret);
    }
    // The raw bytes as `tls.key` and `tls.crt`, split at the first NUL: mutations reach the PEM
    // and DER parsers directly.
    let (key, cert) = match data.iter().position(|&b| b == 0) {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (data, data),
    };
    let secret = Secret {
        metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            name: Some("fuzzed".into()),
            ..Default::default()
        },
        data: Some(
            [
                (keys::TLS_KEY.to_string(), ByteString(key.to_vec())),
                (keys::TLS_CERT.to_string(), ByteString(cert.to_vec())),
            ]
            .into(),
        ),
        ..Default::default()
    };
    checked_load(&secret);
    let _ = recovery::parse_private_keys(data);
    if let Ok(found) = recovery::recovery_keys(data) {
        for key in &found.keys {
            assert!(
                keys::check_key(key, None).is_ok(),
                "recovery kept a short key"
            );
        }
    }
}

fn checked_load(secret: &Secret) {
    let _ = keys::from_secret(secret);
    if let Ok(key) = keys::load_secret(secret) {
        assert!(
            keys::check_key(&key.private_key, Some(&key.cert)).is_ok(),
            "load_secret accepted a key the checks refuse"
        );
        assert_eq!(
            &key.cert.public_key,
            key.private_key.as_public_key(),
            "certificate of another key"
        );
    }
}

/// SealedSecret objects as the controller reads them: parsed (JSON and YAML), scoped and
/// unsealed with the fixture key, or refused, never a panic.
pub fn sealed_secret(data: &[u8]) {
    for sealed in parse_as::<SealedSecret>(data) {
        let _ = Scope::of(&sealed.metadata);
        let _ = serde_json::to_vec(&sealed);
        let keys = &fixture_snapshot().keys;
        let _ = unseal(&sealed, keys, UnsealOptions::default());
        let _ = unseal(
            &sealed,
            keys,
            UnsealOptions {
                accept_v1_data: true,
            },
        );
    }
}

/// Arbitrary bytes as a ciphertext: random bytes never open (they cannot forge an OAEP block
/// and a GCM tag), raw or as base64 text in a SealedSecret.
pub fn unseal_blob(data: &[u8]) {
    let keys = &fixture_snapshot().keys;
    assert!(hybrid::unseal(keys, b"ns/name", data).is_err());
    let text = String::from_utf8_lossy(data).into_owned();
    let mut sealed = SealedSecret::new(
        "name",
        sealwright_crypto::SealedSecretSpec {
            encrypted_data: [("item".to_string(), text)].into_iter().collect(),
            ..Default::default()
        },
    );
    sealed.metadata.namespace = Some("ns".into());
    assert!(unseal(&sealed, keys, UnsealOptions::default()).is_err());
}

/// `data` read as JSON and as YAML, each when it parses as a `T`.
fn parse_as<T: serde::de::DeserializeOwned>(data: &[u8]) -> Vec<T> {
    let mut out = Vec::new();
    if let Ok(v) = serde_json::from_slice::<T>(data) {
        out.push(v);
    }
    if let Ok(v) = sealwright_crypto::yaml::from_slice::<T>(data) {
        out.push(v);
    }
    out
}
