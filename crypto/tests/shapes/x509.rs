//! `key:` and `x509:` shapes: PEM keys and certificates as sprig's functions make them with
//! Go's `crypto/x509` (see `checkKey` and `checkX509` in `shapes.go`).

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

use der::asn1::Uint;
use der::{Decode, Encode};
use num_bigint::BigUint;
use rsa::pkcs1::DecodeRsaPrivateKey;
use rsa::signature::Verifier;
use rsa::traits::PublicKeyParts;
use sha2::Sha256;
use spki::{DecodePublicKey, EncodePublicKey, ObjectIdentifier};
use x509_cert::Certificate;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{
    AuthorityKeyIdentifier, BasicConstraints, SubjectAltName, SubjectKeyIdentifier,
};

const OID_KEY_USAGE: &str = "2.5.29.15";
const OID_EXT_KEY_USAGE: &str = "2.5.29.37";
const OID_BASIC_CONSTRAINTS: &str = "2.5.29.19";
const OID_SUBJECT_KEY_ID: &str = "2.5.29.14";
const OID_AUTHORITY_KEY_ID: &str = "2.5.29.35";
const OID_SUBJECT_ALT_NAME: &str = "2.5.29.17";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_SHA256_RSA: &str = "1.2.840.113549.1.1.11";
const OID_ECDSA_SHA256: &str = "1.2.840.10045.4.3.2";
/// keyUsage digitalSignature|keyEncipherment, and with keyCertSign.
const KEY_USAGE_LEAF: [u8; 4] = [0x03, 0x02, 0x05, 0xa0];
const KEY_USAGE_CA: [u8; 4] = [0x03, 0x02, 0x02, 0xa4];
/// extKeyUsage serverAuth, clientAuth.
const EXT_KEY_USAGE: [u8; 22] = [
    0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01, 0x06, 0x08, 0x2b, 0x06,
    0x01, 0x05, 0x05, 0x07, 0x03, 0x02,
];
/// Go's PKCS#8 header of an Ed25519 seed.
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// The PEM blocks `out` consists of, written exactly as Go's `pem.Encode` writes them.
pub fn pem_blocks(out: &[u8]) -> Result<Vec<pem::Pem>, String> {
    let blocks = pem::parse_many(out).map_err(|e| e.to_string())?;
    let config = pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF);
    let again: String = blocks
        .iter()
        .map(|b| pem::encode_config(b, config))
        .collect();
    if again.as_bytes() != out {
        return Err(format!(
            "not PEM blocks as Go writes them: {:?}",
            String::from_utf8_lossy(out)
        ));
    }
    Ok(blocks)
}

/// Parses `block` as a key of `kind` (see `shapes.go`); returns its public key's
/// SubjectPublicKeyInfo DER (empty for DSA, which certificates cannot hold).
pub fn check_key(block: &pem::Pem, kind: &str) -> Result<Vec<u8>, String> {
    let want = match kind {
        "rsa-2048" | "rsa-4096" => "RSA PRIVATE KEY",
        "dsa-2048" => "DSA PRIVATE KEY",
        "ecdsa-p256" => "EC PRIVATE KEY",
        "ed25519" => "PRIVATE KEY",
        _ => return Err(format!("unknown key kind {kind:?}")),
    };
    if block.tag() != want {
        return Err(format!("PEM type {:?}, want {want:?}", block.tag()));
    }
    let der = block.contents();
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let spki = match kind {
        "rsa-2048" | "rsa-4096" => {
            let k = rsa::PrivateKey::from_pkcs1_der(der).map_err(|x| e(&x))?;
            let bits = k.n().bit_width();
            if format!("rsa-{bits}") != kind {
                return Err(format!("RSA key of {bits} bits, want {kind}"));
            }
            k.to_public_key().to_public_key_der().map_err(|x| e(&x))?
        }
        "dsa-2048" => {
            let parts = Vec::<Uint>::from_der(der).map_err(|x| e(&x))?;
            let n: Vec<BigUint> = parts
                .iter()
                .map(|u| BigUint::from_bytes_be(u.as_bytes()))
                .collect();
            let [version, p, q, g, y, x] = n.as_slice() else {
                return Err(format!("DSA key of {} integers", n.len()));
            };
            if *version != BigUint::ZERO || p.bits() != 2048 || q.bits() != 256 {
                return Err(format!("DSA key L={} N={}", p.bits(), q.bits()));
            }
            if g.modpow(x, p) != *y {
                return Err("DSA key: Y is not G^X mod P".into());
            }
            return Ok(Vec::new());
        }
        "ecdsa-p256" => {
            let k = p256::SecretKey::from_sec1_der(der).map_err(|x| e(&x))?;
            // Go writes the curve and the public key too: the same DER as ours.
            if k.to_sec1_der().map_err(|x| e(&x))?.as_slice() != der {
                return Err("EC key not in Go's SEC1 form".into());
            }
            k.public_key().to_public_key_der().map_err(|x| e(&x))?
        }
        _ => {
            let seed = der
                .strip_prefix(&ED25519_PKCS8_PREFIX[..])
                .filter(|s| s.len() == 32)
                .ok_or("not Go's PKCS#8 Ed25519 key")?;
            let seed: [u8; 32] = seed.try_into().map_err(|_| "seed")?;
            ed25519_dalek::SigningKey::from_bytes(&seed)
                .verifying_key()
                .to_public_key_der()
                .map_err(|x| e(&x))?
        }
    };
    Ok(spki.as_bytes().to_vec())
}

/// `x509:` checks (see `checkX509` in `shapes.go`).
pub fn check(spec: &str, out: &[u8]) -> Result<(), String> {
    let want: BTreeMap<&str, &str> = spec
        .split(';')
        .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
        .collect();
    let get = |k: &str| want.get(k).copied().unwrap_or_default();
    let blocks = pem_blocks(out)?;
    let mut certs = Vec::new();
    let mut key = None;
    for b in &blocks {
        if b.tag() == "CERTIFICATE" {
            certs.push(Certificate::from_der(b.contents()).map_err(|e| e.to_string())?);
        } else {
            key = Some(b);
        }
    }
    let (Some(cert), Some(key)) = (certs.last(), key) else {
        return Err(format!(
            "want certificates and a key, got {} blocks",
            blocks.len()
        ));
    };
    let tbs = cert.tbs_certificate();
    let spki = tbs
        .subject_public_key_info()
        .to_der()
        .map_err(|e| e.to_string())?;
    if check_key(key, get("key"))? != spki {
        return Err("the key does not belong to the certificate".into());
    }
    let subject = tbs.subject();
    if subject.to_string() != format!("CN={}", get("cn")) || subject.as_ref().len() != 1 {
        return Err(format!("subject {subject}, want CN={}", get("cn")));
    }

    let ext = |oid: &str| {
        tbs.extensions()
            .into_iter()
            .flatten()
            .find(|e| e.extn_id.to_string() == oid)
    };
    let (mut ips, mut dns) = (Vec::new(), Vec::new());
    if let Some(san) = ext(OID_SUBJECT_ALT_NAME) {
        let san = SubjectAltName::from_der(san.extn_value.as_bytes()).map_err(|e| e.to_string())?;
        for name in san.0 {
            match name {
                GeneralName::DnsName(d) => dns.push(d.to_string()),
                GeneralName::IpAddress(ip) => ips.push(ip_text(ip.as_bytes())?),
                other => return Err(format!("unexpected SAN {other:?}")),
            }
        }
    }
    if ips.join(",") != get("ips") || dns.join(",") != get("dns") {
        return Err(format!(
            "IPs {ips:?} and DNS names {dns:?}, want {} and {}",
            get("ips"),
            get("dns")
        ));
    }

    let validity = tbs.validity();
    let secs = |t: x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    let (from, until) = (secs(validity.not_before), secs(validity.not_after));
    let days: i64 = get("days").parse().map_err(|_| "bad days")?;
    if !(days * 86_400..=days * 86_400 + 1).contains(&(until - from)) {
        return Err(format!("valid for {}s, want {days} days", until - from));
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_secs() as i64;
    if !(-60..=600).contains(&(now - from)) {
        return Err(format!("not before {from} is not now ({now})"));
    }

    let is_ca = get("ca") == "true";
    let basic = ext(OID_BASIC_CONSTRAINTS).ok_or("no basic constraints")?;
    let basic =
        BasicConstraints::from_der(basic.extn_value.as_bytes()).map_err(|e| e.to_string())?;
    let usage = ext(OID_KEY_USAGE).map(|e| e.extn_value.as_bytes().to_vec());
    let want_usage = if is_ca { KEY_USAGE_CA } else { KEY_USAGE_LEAF };
    let ext_usage = ext(OID_EXT_KEY_USAGE).map(|e| e.extn_value.as_bytes().to_vec());
    if basic.ca != is_ca
        || basic.path_len_constraint.is_some()
        || usage.as_deref() != Some(&want_usage[..])
        || ext_usage.as_deref() != Some(&EXT_KEY_USAGE[..])
    {
        return Err(format!(
            "CA {} (path length {:?}), key usage {usage:?}, ext key usage {ext_usage:?}",
            basic.ca, basic.path_len_constraint
        ));
    }
    let skid = |c: &Certificate| -> Option<Vec<u8>> {
        c.tbs_certificate()
            .extensions()
            .into_iter()
            .flatten()
            .find(|e| e.extn_id.to_string() == OID_SUBJECT_KEY_ID)
            .and_then(|e| SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).ok())
            .map(|k| k.0.as_bytes().to_vec())
    };
    if is_ca != skid(cert).is_some() {
        return Err(format!("subject key id on a certificate with CA {is_ca}"));
    }
    // Go draws the serial from [0, 2^128): a positive DER INTEGER of at most 17 bytes.
    let serial = tbs.serial_number().to_der().map_err(|e| e.to_string())?;
    let content = serial.get(2..).unwrap_or_default();
    let positive = content.first().is_some_and(|b| b & 0x80 == 0);
    if !positive || content.len() > 17 || (content.len() == 17 && content[0] != 0) {
        return Err(format!("serial {content:02x?}"));
    }

    let akid = ext(OID_AUTHORITY_KEY_ID)
        .map(|e| AuthorityKeyIdentifier::from_der(e.extn_value.as_bytes()))
        .transpose()
        .map_err(|e| e.to_string())?
        .and_then(|a| a.key_identifier)
        .map(|k| k.as_bytes().to_vec());
    let parent = match get("signer") {
        "self" => {
            if akid.is_some() {
                return Err("self-signed certificate with an authority key id".into());
            }
            cert
        }
        i => {
            let i: usize = i.parse().map_err(|_| "bad signer")?;
            let parent = certs[..certs.len() - 1].get(i).ok_or("no such signer")?;
            if akid != skid(parent) {
                return Err(format!(
                    "authority key id {akid:02x?}, want {:02x?}",
                    skid(parent)
                ));
            }
            parent
        }
    };
    let parent_subject = parent.tbs_certificate().subject().to_der();
    if tbs.issuer().to_der() != parent_subject {
        return Err(format!(
            "issuer {}, want the signer's subject",
            tbs.issuer()
        ));
    }
    verify(cert, parent)
}

/// Go's `net.IP.String` for the 4- and 16-byte forms.
fn ip_text(b: &[u8]) -> Result<String, String> {
    Ok(match b.len() {
        4 => Ipv4Addr::new(b[0], b[1], b[2], b[3]).to_string(),
        16 => {
            let octets: [u8; 16] = b.try_into().map_err(|_| "IP")?;
            Ipv6Addr::from(octets).to_string()
        }
        n => return Err(format!("IP of {n} bytes")),
    })
}

/// The signature algorithm Go picks for the signer's key, and the signature itself.
fn verify(cert: &Certificate, parent: &Certificate) -> Result<(), String> {
    let e = |e: &dyn std::fmt::Display| e.to_string();
    let tbs = cert.tbs_certificate().to_der().map_err(|x| e(&x))?;
    let sig = cert.signature().raw_bytes();
    let alg = cert.signature_algorithm().oid;
    let parent_spki = parent.tbs_certificate().subject_public_key_info();
    let spki_der = parent_spki.to_der().map_err(|x| e(&x))?;
    let want = |oid: &str| -> Result<(), String> {
        (alg == ObjectIdentifier::new_unwrap(oid))
            .then_some(())
            .ok_or_else(|| format!("signature algorithm {alg}, want {oid}"))
    };
    match parent_spki.algorithm.oid.to_string().as_str() {
        OID_RSA => {
            want(OID_SHA256_RSA)?;
            let key = rsa::PublicKey::from_public_key_der(&spki_der).map_err(|x| e(&x))?;
            let sig = rsa::pkcs1v15::Signature::try_from(sig).map_err(|x| e(&x))?;
            rsa::pkcs1v15::VerifyingKey::<Sha256>::new(key)
                .verify(&tbs, &sig)
                .map_err(|x| e(&x))
        }
        OID_EC => {
            want(OID_ECDSA_SHA256)?;
            let key =
                p256::ecdsa::VerifyingKey::from_public_key_der(&spki_der).map_err(|x| e(&x))?;
            let sig = p256::ecdsa::DerSignature::from_bytes(sig).map_err(|x| e(&x))?;
            key.verify(&tbs, &sig).map_err(|x| e(&x))
        }
        OID_ED25519 => {
            want(OID_ED25519)?;
            let key =
                ed25519_dalek::VerifyingKey::from_public_key_der(&spki_der).map_err(|x| e(&x))?;
            let sig = ed25519_dalek::Signature::from_slice(sig).map_err(|x| e(&x))?;
            key.verify(&tbs, &sig).map_err(|x| e(&x))
        }
        other => Err(format!("signer key algorithm {other}")),
    }
}
