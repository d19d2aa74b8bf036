//! Key fingerprints, as `ssh.FingerprintSHA256` writes them: what the controller records in
//! status and `kubeseal keys` shows.

use rsa::traits::PublicKeyParts;
use sha2::{Digest, Sha256};

use crate::RsaPublicKey;

/// `"SHA256:" + unpadded base64(sha256(ssh-rsa wire encoding))`, as `ssh.FingerprintSHA256`.
pub fn fingerprint(key: &RsaPublicKey) -> String {
    let mut wire = Vec::new();
    ssh_string(&mut wire, b"ssh-rsa");
    ssh_mpint(&mut wire, &key.e_bytes());
    ssh_mpint(&mut wire, &key.n_bytes());
    let digest = Sha256::digest(&wire);
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD_NO_PAD, digest);
    format!("SHA256:{b64}")
}

fn ssh_string(out: &mut Vec<u8>, bytes: &[u8]) {
    // Lengths here are key sizes, far below u32::MAX.
    out.extend_from_slice(&(bytes.len() as u32).to_be_bytes());
    out.extend_from_slice(bytes);
}

/// RFC 4251 mpint of a non-negative big-endian number: minimal, with a zero byte when the top
/// bit is set.
fn ssh_mpint(out: &mut Vec<u8>, magnitude: &[u8]) {
    let start = magnitude
        .iter()
        .position(|&b| b != 0)
        .unwrap_or(magnitude.len());
    let trimmed = &magnitude[start..];
    if trimmed.first().is_some_and(|&b| b & 0x80 != 0) {
        out.extend_from_slice(&(trimmed.len() as u32 + 1).to_be_bytes());
        out.push(0);
        out.extend_from_slice(trimmed);
    } else {
        ssh_string(out, trimmed);
    }
}
