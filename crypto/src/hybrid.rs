//! The hybrid primitive, byte-compatible with upstream `HybridEncrypt`/`HybridDecrypt`:
//! `u16be(len(rsa)) || RSA-OAEP(SHA-256, MGF1-SHA-256, label)(session key) || AES-256-GCM(zero nonce)(P) || tag`.

use aes_gcm::aead::{AeadInOut, KeyInit};
use aes_gcm::aes::{Aes128, Aes192, Aes256};
use aes_gcm::{AesGcm, Nonce, Tag};
use rand::TryRng;
use rsa::Oaep;
use rsa::oaep::EncryptingKey;
use rsa::traits::{PublicKeyParts, RandomizedEncryptor};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{RsaPrivateKey, RsaPublicKey};

/// Bytes of the big-endian RSA block length prefix.
const PREFIX_LEN: usize = 2;
/// Upstream always seals with AES-256.
const SESSION_KEY_LEN: usize = 32;
const TAG_LEN: usize = 16;
/// The GCM nonce is all zeros: safe only because each session key seals exactly one value.
const ZERO_NONCE: [u8; 12] = [0; 12];

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
        match self {
            SealError::TooShort => "TooShort",
            SealError::NoKeyCouldDecrypt => "NoKeyCouldDecrypt",
            SealError::Encrypt(_) => "Encrypt",
        }
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
    let mut rng = rand::rng();
    let mut session_key = Zeroizing::new([0u8; SESSION_KEY_LEN]);
    rng.try_fill_bytes(session_key.as_mut_slice())
        .map_err(|e| SealError::Encrypt(e.to_string()))?;
    seal_inner(key, label, plaintext, &session_key, &mut rng)
}

/// `seal`, then standard padded base64 (the text form used in `encryptedData` and `--raw`).
pub fn seal_base64(
    key: &RsaPublicKey,
    label: &[u8],
    plaintext: &[u8],
) -> Result<String, SealError> {
    seal(key, label, plaintext).map(|blob| crate::b64::encode(&blob))
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
    let mut rng = FixedBytes::new(oaep_seed);
    seal_inner(key, label, plaintext, session_key, &mut rng)
}

/// An RNG that hands out given bytes once, then fails: OAEP draws exactly one SHA-256-sized
/// seed, so a known-answer test can pin it.
struct FixedBytes<'a> {
    bytes: &'a [u8],
}

impl<'a> FixedBytes<'a> {
    fn new(bytes: &'a [u8]) -> Self {
        Self { bytes }
    }
}

#[derive(Debug)]
struct Exhausted;

impl std::fmt::Display for Exhausted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fixed seed exhausted")
    }
}

impl std::error::Error for Exhausted {}

impl rand::TryRng for FixedBytes<'_> {
    type Error = Exhausted;
    fn try_next_u32(&mut self) -> Result<u32, Exhausted> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }
    fn try_next_u64(&mut self) -> Result<u64, Exhausted> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Exhausted> {
        if dst.len() > self.bytes.len() {
            return Err(Exhausted);
        }
        let (head, rest) = self.bytes.split_at(dst.len());
        dst.copy_from_slice(head);
        self.bytes = rest;
        Ok(())
    }
}

impl rand::TryCryptoRng for FixedBytes<'_> {}

fn seal_inner<R: rand::TryCryptoRng + ?Sized>(
    key: &RsaPublicKey,
    label: &[u8],
    plaintext: &[u8],
    session_key: &[u8; SESSION_KEY_LEN],
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    let encryptor = EncryptingKey::<Sha256>::new_with_label(key.clone(), label);
    let rsa_block = encryptor
        .encrypt_with_rng(rng, session_key)
        .map_err(|e| SealError::Encrypt(e.to_string()))?;
    let rsa_len = u16::try_from(rsa_block.len())
        .map_err(|_| SealError::Encrypt(format!("RSA block of {} bytes", rsa_block.len())))?;
    debug_assert_eq!(rsa_block.len(), key.size());

    let mut out = Vec::with_capacity(PREFIX_LEN + rsa_block.len() + plaintext.len() + TAG_LEN);
    out.extend_from_slice(&rsa_len.to_be_bytes());
    out.extend_from_slice(&rsa_block);
    let body_start = out.len();
    out.extend_from_slice(plaintext);

    let cipher = AesGcm::<Aes256, aes_gcm::aead::consts::U12>::new(session_key.into());
    match cipher.encrypt_inout_detached(
        &Nonce::from(ZERO_NONCE),
        &[],
        (&mut out[body_start..]).into(),
    ) {
        Ok(tag) => {
            out.extend_from_slice(&tag);
            Ok(out)
        }
        Err(_) => {
            // The buffer still holds plaintext: wipe it before reporting.
            zeroize::Zeroize::zeroize(&mut out);
            Err(SealError::Encrypt("AES-GCM sealing failed".into()))
        }
    }
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
    // Each key's own failure (too short, wrong key or label, bad tag) is not reported: upstream
    // gives one fixed message whatever happened.
    keys.iter()
        .enumerate()
        .find_map(|(index, key)| {
            single_unseal(key, label, blob)
                .ok()
                .map(|plain| (plain, index))
        })
        .ok_or(SealError::NoKeyCouldDecrypt)
}

/// One key's attempt (upstream `singleDecrypt`).
fn single_unseal(
    key: &RsaPrivateKey,
    label: &[u8],
    blob: &[u8],
) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let (prefix, rest) = blob
        .split_at_checked(PREFIX_LEN)
        .ok_or(SealError::TooShort)?;
    let rsa_len = usize::from(u16::from_be_bytes([prefix[0], prefix[1]]));
    let (rsa_block, body) = rest.split_at_checked(rsa_len).ok_or(SealError::TooShort)?;

    // Blinded with the OS RNG, passed explicitly: rsa's plain `decrypt` blinds only while its
    // `getrandom` feature is on, and a feature change must not turn blinding off unnoticed.
    let session_key = Zeroizing::new(
        key.decrypt_blinded(
            &mut rand::rngs::SysRng,
            Oaep::<Sha256>::new_with_label(label),
            rsa_block,
        )
        .map_err(|_| SealError::NoKeyCouldDecrypt)?,
    );
    open_gcm(&session_key, body)
}

/// AES-GCM open with the zero nonce; 16/24/32-byte keys, as Go's `aes.NewCipher` accepts them.
fn open_gcm(session_key: &[u8], body: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
    let split = body
        .len()
        .checked_sub(TAG_LEN)
        .ok_or(SealError::NoKeyCouldDecrypt)?;
    let (ciphertext, tag) = body.split_at(split);
    let tag = Tag::try_from(tag).map_err(|_| SealError::NoKeyCouldDecrypt)?;
    let nonce = Nonce::from(ZERO_NONCE);
    let mut buf = Zeroizing::new(ciphertext.to_vec());
    let opened = match session_key.len() {
        16 => gcm_open::<Aes128>(session_key, &nonce, &mut buf, &tag),
        24 => gcm_open::<Aes192>(session_key, &nonce, &mut buf, &tag),
        32 => gcm_open::<Aes256>(session_key, &nonce, &mut buf, &tag),
        _ => false,
    };
    if opened {
        Ok(buf)
    } else {
        Err(SealError::NoKeyCouldDecrypt)
    }
}

fn gcm_open<C>(
    key: &[u8],
    nonce: &Nonce<aes_gcm::aead::consts::U12>,
    buf: &mut [u8],
    tag: &Tag,
) -> bool
where
    C: aes_gcm::aes::cipher::BlockCipherEncrypt
        + aes_gcm::aes::cipher::BlockSizeUser<BlockSize = aes_gcm::aead::consts::U16>
        + aes_gcm::aes::cipher::KeyInit,
{
    let Ok(cipher) = AesGcm::<C, aes_gcm::aead::consts::U12>::new_from_slice(key) else {
        return false;
    };
    cipher
        .decrypt_inout_detached(nonce, &[], buf.into(), tag)
        .is_ok()
}
