//! Fixtures shared by the integration tests of this crate.
#![allow(dead_code)]

use std::path::PathBuf;
use std::sync::OnceLock;

use sealwright_crypto::scope::Scope;
use sealwright_crypto::{RsaPrivateKey, keys, recovery};

/// This crate's own fixtures (`tests/data`).
pub fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

/// Real upstream ciphertexts with their key (`tests/data/kseal`, see its README). Missing means a
/// broken checkout: fail loudly, never skip.
pub fn kseal_dir() -> PathBuf {
    let dir = data_dir().join("kseal");
    assert!(
        dir.join("vectors.tsv").is_file() && dir.join("key-secret.yaml").is_file(),
        "upstream vectors missing: expected {} with vectors.tsv and key-secret.yaml",
        dir.display()
    );
    dir
}

pub fn read(path: PathBuf) -> Vec<u8> {
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// One row of a vector table.
#[derive(Debug, Clone)]
pub struct Vector {
    pub id: String,
    pub namespace: String,
    pub name: String,
    pub scope: Scope,
    pub ciphertext: String,
    pub plaintext: String,
}

/// The six real kubeseal ciphertexts and their key.
pub fn kseal_vectors() -> (Vec<Vector>, RsaPrivateKey) {
    let dir = kseal_dir();
    let text = String::from_utf8(read(dir.join("vectors.tsv"))).expect("vectors.tsv is UTF-8");
    let vectors: Vec<Vector> = text
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 6, "bad vectors.tsv row: {line}");
            Vector {
                id: f[0].into(),
                namespace: f[1].into(),
                name: f[2].into(),
                scope: f[3].parse().expect("scope"),
                ciphertext: f[4].into(),
                plaintext: f[5].into(),
            }
        })
        .collect();
    assert_eq!(vectors.len(), 6, "expected six kseal vectors");
    let mut keys = recovery::parse_private_keys(&read(dir.join("key-secret.yaml")))
        .expect("key-secret.yaml holds a key");
    assert_eq!(keys.len(), 1);
    (vectors, keys.remove(0))
}

/// The deterministic vector (`tests/data/appendix-a-vectors.tsv`, three scopes) and its key
/// (`tests/data/appendix-a-key.pem`).
pub fn appendix_a() -> (Vec<Vector>, RsaPrivateKey) {
    let dir = data_dir();
    let key =
        keys::private_key_from_pem(&read(dir.join("appendix-a-key.pem"))).expect("Appendix A key");
    let text = String::from_utf8(read(dir.join("appendix-a-vectors.tsv"))).expect("UTF-8");
    let vectors = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .skip(1)
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            assert_eq!(f.len(), 5, "bad row: {line}");
            Vector {
                id: f[0].into(),
                namespace: f[1].into(),
                name: f[2].into(),
                scope: f[0].parse().expect("scope"),
                plaintext: f[3].into(),
                ciphertext: f[4].into(),
            }
        })
        .collect::<Vec<_>>();
    assert_eq!(vectors.len(), 3);
    (vectors, key)
}

/// Keys generated once per test binary (4096-bit generation is slow).
pub fn generated_key(bits: usize) -> &'static RsaPrivateKey {
    static K2048: OnceLock<RsaPrivateKey> = OnceLock::new();
    static K3072: OnceLock<RsaPrivateKey> = OnceLock::new();
    static K4096: OnceLock<RsaPrivateKey> = OnceLock::new();
    let cell = match bits {
        2048 => &K2048,
        3072 => &K3072,
        4096 => &K4096,
        other => panic!("no cached key of {other} bits"),
    };
    cell.get_or_init(|| keys::generate(bits).expect("key generation"))
}
