//! Sprig's `derivePassword`: the Master Password algorithm (scrypt N=32768, r=8, p=2 over the
//! master password and user, then HMAC-SHA256 over the site and counter, mapped through a
//! template of character classes).

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use super::func::{Func, Ty, n, s};
use super::value::Value;

const SEED: &[u8] = b"com.lyndir.masterpassword";

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::*;
    Some(match name {
        "derivePassword" => Func::new(&[Int, Str, Str, Str, Str], |v| {
            // Go's parameter is a uint32: a template constant outside it does not convert.
            let counter =
                u32::try_from(n(&v, 0)).map_err(|_| format!("{} overflows uint32", n(&v, 0)))?;
            Ok(Value::str(derive(
                counter,
                &s(&v, 1),
                s(&v, 2).as_bytes(),
                s(&v, 3).as_bytes(),
                s(&v, 4).as_bytes(),
            )))
        }),
        _ => return None,
    })
}

fn templates(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "maximum" => &["anoxxxxxxxxxxxxxxxxx", "axxxxxxxxxxxxxxxxxno"],
        "long" => &[
            "CvcvnoCvcvCvcv",
            "CvcvCvcvnoCvcv",
            "CvcvCvcvCvcvno",
            "CvccnoCvcvCvcv",
            "CvccCvcvnoCvcv",
            "CvccCvcvCvcvno",
            "CvcvnoCvccCvcv",
            "CvcvCvccnoCvcv",
            "CvcvCvccCvcvno",
            "CvcvnoCvcvCvcc",
            "CvcvCvcvnoCvcc",
            "CvcvCvcvCvccno",
            "CvccnoCvccCvcv",
            "CvccCvccnoCvcv",
            "CvccCvccCvcvno",
            "CvcvnoCvccCvcc",
            "CvcvCvccnoCvcc",
            "CvcvCvccCvccno",
            "CvccnoCvcvCvcc",
            "CvccCvcvnoCvcc",
            "CvccCvcvCvccno",
        ],
        "medium" => &["CvcnoCvc", "CvcCvcno"],
        "short" => &["Cvcn"],
        "basic" => &["aaanaaan", "aannaaan", "aaannaaa"],
        "pin" => &["nnnn"],
        _ => return None,
    })
}

fn characters(class: u8) -> &'static [u8] {
    match class {
        b'V' => b"AEIOU",
        b'C' => b"BCDFGHJKLMNPQRSTVWXYZ",
        b'v' => b"aeiou",
        b'c' => b"bcdfghjklmnpqrstvwxyz",
        b'A' => b"AEIOUBCDFGHJKLMNPQRSTVWXYZ",
        b'a' => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz",
        b'n' => b"0123456789",
        b'o' => b"@&%?,=[]_:-+*$#!'^~;()/.",
        _ => b"AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()",
    }
}

fn with_length(prefix: &[u8], field: &[u8]) -> Vec<u8> {
    let mut out = prefix.to_vec();
    out.extend_from_slice(&(field.len() as u32).to_be_bytes());
    out.extend_from_slice(field);
    out
}

fn derive(counter: u32, kind: &str, password: &[u8], user: &[u8], site: &[u8]) -> String {
    let Some(templates) = templates(kind) else {
        // Sprig returns the message as the result, not as an error.
        return format!("cannot find password template {kind}");
    };
    let salt = with_length(SEED, user);
    let mut key = [0u8; 64];
    let derived = scrypt::Params::new(15, 8, 2)
        .map_err(|e| e.to_string())
        .and_then(|params| {
            scrypt::scrypt(password, &salt, &params, &mut key).map_err(|e| e.to_string())
        });
    if let Err(e) = derived {
        return format!("failed to derive password: {e}");
    }
    let mut message = with_length(SEED, site);
    message.extend_from_slice(&counter.to_be_bytes());
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&key) else {
        return "failed to derive password: bad key".into();
    };
    mac.update(&message);
    let seed = mac.finalize().into_bytes();
    let template = templates[usize::from(seed[0]) % templates.len()].as_bytes();
    template
        .iter()
        .enumerate()
        .map(|(i, &class)| {
            let chars = characters(class);
            chars[usize::from(seed[i + 1]) % chars.len()] as char
        })
        .collect()
}
