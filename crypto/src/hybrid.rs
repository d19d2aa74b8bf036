//! The hybrid primitive, byte-compatible with upstream `HybridEncrypt`/`HybridDecrypt`:
//! `u16be(len(rsa)) || RSA-OAEP(SHA-256, MGF1-SHA-256, label)(session key) || AES-256-GCM(zero nonce)(P) || tag`.

use rsa::{RsaPrivateKey, RsaPublicKey};
use zeroize::Zeroizing;

/// Errors of the hybrid primitive. `name()` is stable (events, metric labels).
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SealError {
    #[error("SealedSecret data is too short")]
    TooShort,
    #[error("no key could decrypt secret")]
    NoKeyCouldDecrypt,
    #[error("encryption failed: {0}")]
    Encrypt(String),
}

impl SealError {
    pub fn name(&self) -> &'static str {
        todo!()
    }
}

/// The private keys a decryptor tries, in order. `Debug` never shows key material.
#[derive(Clone, Default)]
pub struct KeySet {
    keys: Vec<RsaPrivateKey>,
}

impl std::fmt::Debug for KeySet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KeySet({} keys)", self.keys.len())
    }
}

impl KeySet {
    pub fn new(keys: Vec<RsaPrivateKey>) -> Self {
        Self { keys }
    }
    pub fn push(&mut self, key: RsaPrivateKey) {
        self.keys.push(key)
    }
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
    pub fn iter(&self) -> impl Iterator<Item = &RsaPrivateKey> {
        self.keys.iter()
    }
}

/// Seals `plaintext` for `key` under the OAEP `label`, with a fresh random 32-byte session key.
pub fn seal(key: &RsaPublicKey, label: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
    todo!()
}

/// `seal`, then standard padded base64 (the text form used in `encryptedData` and `--raw`).
pub fn seal_base64(key: &RsaPublicKey, label: &[u8], plaintext: &[u8]) -> Result<String, SealError> {
    todo!()
}

/// Deterministic sealing for known-answer tests: the session key and OAEP seed are given.
#[doc(hidden)]
pub fn seal_with_session_key(
    key: &RsaPublicKey,
    label: &[u8],
    plaintext: &[u8],
    session_key: &[u8; 32],
    oaep_seed: &[u8; 32],
) -> Result<Vec<u8>, SealError> {
    todo!()
}

/// Opens a blob with the first key that can; accepts 16/24/32-byte session keys.
pub fn unseal(keys: &KeySet, label: &[u8], blob: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
    unseal_with_index(keys, label, blob).map(|(plain, _)| plain)
}

/// As `unseal`, also telling which key (index into `keys`) opened the blob.
pub fn unseal_with_index(
    keys: &KeySet,
    label: &[u8],
    blob: &[u8],
) -> Result<(Zeroizing<Vec<u8>>, usize), SealError> {
    todo!()
}
