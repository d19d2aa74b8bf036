//! Sprig's `encryptAES`/`decryptAES`: AES-256-CBC with the password as the key (zero-padded
//! or cut to 32 bytes), a random IV in front of the ciphertext, PKCS#7 padding, base64.
//! Decryption checks no padding, as sprig's does; its panics become the errors Go prints.

use aes::cipher::block_padding::{NoPadding, Pkcs7};
use aes::cipher::{BlockModeDecrypt, BlockModeEncrypt, KeyIvInit};
use rand::Rng;

use super::budget;
use super::encoding;
use super::func::{Func, Ty, sb};
use super::value::Value;

const BLOCK: usize = 16;

type Enc = cbc::Encryptor<aes::Aes256>;
type Dec = cbc::Decryptor<aes::Aes256>;

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        "encryptAES" => Func::new(&[Str, Str], |v| encrypt(&sb(&v, 0), &sb(&v, 1))),
        "decryptAES" => Func::new(&[Str, Str], |v| decrypt(&sb(&v, 0), &sb(&v, 1))),
        _ => return None,
    })
}

/// Sprig copies the password into a zeroed 32-byte key.
fn key(password: &[u8]) -> [u8; 32] {
    let mut key = [0u8; 32];
    let n = password.len().min(32);
    key[..n].copy_from_slice(&password[..n]);
    key
}

fn encrypt(password: &[u8], plain: &[u8]) -> Result<Value, String> {
    if plain.is_empty() {
        return Ok(Value::str(""));
    }
    let padded = (plain.len() / BLOCK + 1) * BLOCK;
    // IV + ciphertext, then its base64 text.
    budget::fits(((BLOCK + padded) as u64).div_ceil(3) * 4 + (BLOCK + padded) as u64)?;
    let mut iv = [0u8; BLOCK];
    rand::rng().fill_bytes(&mut iv);
    let mut buf = vec![0u8; padded];
    buf[..plain.len()].copy_from_slice(plain);
    let key = key(password);
    let sealed = Enc::new(&key.into(), &iv.into())
        .encrypt_padded::<Pkcs7>(&mut buf, plain.len())
        .map_err(|_| "crypto/cipher: input not full blocks".to_string())?;
    let mut out = iv.to_vec();
    out.extend_from_slice(sealed);
    Ok(Value::str(encoding::b64_encode(&out)))
}

fn decrypt(password: &[u8], text: &[u8]) -> Result<Value, String> {
    if text.is_empty() {
        return Ok(Value::str(""));
    }
    budget::fits(text.len() as u64)?;
    let mut crypt = encoding::b64_decode(text)?;
    if crypt.len() < BLOCK {
        return Err(format!(
            "runtime error: slice bounds out of range [:{BLOCK}] with capacity {}",
            crypt.len()
        ));
    }
    let (iv, body) = crypt.split_at_mut(BLOCK);
    if body.len() % BLOCK != 0 {
        return Err("crypto/cipher: input not full blocks".into());
    }
    let Some(&last) = body.last() else {
        return Err("runtime error: index out of range [-1]".into());
    };
    let key = key(password);
    let iv: [u8; BLOCK] = iv.try_into().map_err(|_| "crypto/cipher: bad IV")?;
    let plain = Dec::new(&key.into(), &iv.into())
        .decrypt_padded::<NoPadding>(body)
        .map_err(|_| "crypto/cipher: input not full blocks".to_string())?;
    let cut = plain.len() as i64 - i64::from(plain.last().copied().unwrap_or(last));
    if cut < 0 {
        return Err(format!("runtime error: slice bounds out of range [:{cut}]"));
    }
    Ok(Value::str(&plain[..cut as usize]))
}
