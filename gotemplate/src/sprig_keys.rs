//! Private keys for sprig's `genPrivateKey` and the `*WithKey` certificate functions: the
//! key types and PEM encodings sprig v3.3.0 uses (PKCS#1 RSA, SEC1 EC, sprig's own DSA
//! sequence, PKCS#8 otherwise), and its `parsePrivateKeyPEM`.

use der::asn1::UintRef;
use der::{Decode, Encode, Sequence};
use p256::elliptic_curve::Generate;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::pkcs8::DecodePrivateKey;

use rsa::PrivateKey as RsaPrivateKey;

/// A private key of one of the types sprig generates.
pub enum AnyKey {
    Rsa(Box<RsaPrivateKey>),
    Ec(p256::SecretKey),
    Ed(Box<ed25519_dalek::SigningKey>),
    Dsa(Box<dsa::SigningKey>),
}

/// Go's `dsa.PrivateKey` as sprig marshals it: `SEQUENCE { version, P, Q, G, Y, X }`.
#[derive(Sequence)]
struct DsaKeyFormat<'a> {
    version: UintRef<'a>,
    p: UintRef<'a>,
    q: UintRef<'a>,
    g: UintRef<'a>,
    y: UintRef<'a>,
    x: UintRef<'a>,
}

/// PKCS#8 `PrivateKeyInfo` of an Ed25519 seed, as Go's `MarshalPKCS8PrivateKey` writes it
/// (RFC 8410: no public key, no attributes).
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

/// Evaluation steps a key generation costs. Far below its real time (a step is meant to be
/// tens of nanoseconds), but enough that one object's budget allows only a handful of RSA or
/// DSA keys, so templates cannot keep the controller generating keys.
pub fn cost(kind: &str) -> u64 {
    match kind {
        "" | "rsa" => 6_000_000,
        "rsa-2048" => 1_000_000,
        "dsa" => 3_000_000,
        _ => 20_000,
    }
}

/// A new RSA key; the error reads as the sealing key's does (`cannot generate key: ...`).
pub fn generate_rsa(bits: usize) -> Result<AnyKey, String> {
    RsaPrivateKey::new(&mut rand::rng(), bits)
        .map(|k| AnyKey::Rsa(Box::new(k)))
        .map_err(|e| format!("cannot generate key: {e}"))
}

/// sprig's `generatePrivateKey`: a PEM key, or the text sprig returns instead.
pub fn generate(kind: &str) -> String {
    let key = match kind {
        "" | "rsa" => generate_rsa(4096),
        "dsa" => generate_dsa(),
        "ecdsa" => Ok(AnyKey::Ec(p256::SecretKey::generate_from_rng(
            &mut rand::rng(),
        ))),
        "ed25519" => Ok(AnyKey::Ed(Box::new(ed25519_dalek::SigningKey::generate(
            &mut rand::rng(),
        )))),
        other => return format!("Unknown type {other}"),
    };
    match key.and_then(|k| k.to_pem()) {
        Ok(pem) => pem,
        Err(e) => format!("failed to generate private key: {e}"),
    }
}

fn generate_dsa() -> Result<AnyKey, String> {
    let mut rng = rand::rng();
    let components =
        dsa::Components::try_generate_from_rng_with_key_size(&mut rng, dsa::KeySize::DSA_2048_256)
            .map_err(|e| e.to_string())?;
    let key = dsa::SigningKey::try_generate_from_rng_with_components(&mut rng, components)
        .map_err(|e| e.to_string())?;
    Ok(AnyKey::Dsa(Box::new(key)))
}

/// PEM text with Go's 64-column lines and LF endings.
pub fn pem_text(tag: &str, der: Vec<u8>) -> String {
    pem::encode_config(
        &pem::Pem::new(tag, der),
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    )
}

impl AnyKey {
    /// sprig's `pemBlockForKey`.
    pub fn to_pem(&self) -> Result<String, String> {
        let err = |e: &dyn std::fmt::Display| e.to_string();
        Ok(match self {
            AnyKey::Rsa(k) => pem_text(
                "RSA PRIVATE KEY",
                k.to_pkcs1_der().map_err(|e| err(&e))?.as_bytes().to_vec(),
            ),
            AnyKey::Ec(k) => pem_text(
                "EC PRIVATE KEY",
                k.to_sec1_der().map_err(|e| err(&e))?.to_vec(),
            ),
            AnyKey::Ed(k) => {
                let mut der = ED25519_PKCS8_PREFIX.to_vec();
                der.extend_from_slice(&k.to_bytes());
                pem_text("PRIVATE KEY", der)
            }
            AnyKey::Dsa(k) => {
                let vk = k.verifying_key();
                let c = vk.components();
                let (p, q, g) = (
                    c.p().to_be_bytes(),
                    c.q().to_be_bytes(),
                    c.g().to_be_bytes(),
                );
                let (y, x) = (vk.y().to_be_bytes(), k.x().to_be_bytes());
                fn uint(b: &[u8]) -> Result<UintRef<'_>, String> {
                    // Leading zeros go, but zero itself keeps one byte.
                    let start = b
                        .iter()
                        .take_while(|&&x| x == 0)
                        .count()
                        .min(b.len().saturating_sub(1));
                    UintRef::new(&b[start..]).map_err(|e| e.to_string())
                }
                let format = DsaKeyFormat {
                    version: uint(&[0])?,
                    p: uint(&p)?,
                    q: uint(&q)?,
                    g: uint(&g)?,
                    y: uint(&y)?,
                    x: uint(&x)?,
                };
                pem_text("DSA PRIVATE KEY", format.to_der().map_err(|e| err(&e))?)
            }
        })
    }

    /// The public key as a DER `SubjectPublicKeyInfo` (DSA keys cannot be certified by Go).
    pub fn public_key_der(&self) -> Result<Vec<u8>, String> {
        use spki::EncodePublicKey;
        let der = match self {
            AnyKey::Rsa(k) => k.as_public_key().to_public_key_der(),
            AnyKey::Ec(k) => k.public_key().to_public_key_der(),
            AnyKey::Ed(k) => k.verifying_key().to_public_key_der(),
            AnyKey::Dsa(_) => {
                return Err("x509: unsupported public key type: *dsa.PublicKey".into());
            }
        };
        der.map(|d| d.as_bytes().to_vec())
            .map_err(|e| e.to_string())
    }
}

/// sprig's `parsePrivateKeyPEM`.
pub fn parse_pem(text: &str) -> Result<AnyKey, String> {
    let block = pem::parse(text.as_bytes()).map_err(|_| "no PEM data in input".to_string())?;
    let der = block.contents();
    let tag = block.tag();
    if tag == "PRIVATE KEY" {
        return parse_pkcs8(der).map_err(|e| format!("decoding PEM as PKCS#8: {e}"));
    }
    let Some(kind) = tag.strip_suffix(" PRIVATE KEY") else {
        return Err(format!("no private key data in PEM block of type {tag}"));
    };
    match kind {
        "RSA" => RsaPrivateKey::from_pkcs1_der(der)
            .map(|k| AnyKey::Rsa(Box::new(k)))
            .map_err(|e| format!("parsing RSA private key from PEM: {e}")),
        "EC" => p256::SecretKey::from_sec1_der(der)
            .map(AnyKey::Ec)
            .map_err(|e| format!("parsing EC private key from PEM: {e}")),
        "DSA" => parse_dsa(der).map_err(|e| format!("parsing DSA private key from PEM: {e}")),
        _ => Err(format!("invalid private key type {tag}")),
    }
}

fn parse_pkcs8(der: &[u8]) -> Result<AnyKey, String> {
    if let Ok(k) = RsaPrivateKey::from_pkcs8_der(der) {
        return Ok(AnyKey::Rsa(Box::new(k)));
    }
    if let Ok(k) = p256::SecretKey::from_pkcs8_der(der) {
        return Ok(AnyKey::Ec(k));
    }
    ed25519_dalek::SigningKey::from_pkcs8_der(der)
        .map(|k| AnyKey::Ed(Box::new(k)))
        .map_err(|e| e.to_string())
}

fn parse_dsa(der: &[u8]) -> Result<AnyKey, String> {
    use dsa::BoxedUint;
    let f = DsaKeyFormat::from_der(der).map_err(|e| e.to_string())?;
    let big = |u: UintRef<'_>| {
        let bits = u32::try_from(u.as_bytes().len() * 8).unwrap_or(u32::MAX);
        BoxedUint::from_be_slice(u.as_bytes(), bits.max(64)).map_err(|e| e.to_string())
    };
    let components = dsa::Components::from_components(big(f.p)?, big(f.q)?, big(f.g)?)
        .map_err(|e| e.to_string())?;
    let vk =
        dsa::VerifyingKey::from_components(components, big(f.y)?).map_err(|e| e.to_string())?;
    let key = dsa::SigningKey::from_components(vk, big(f.x)?).map_err(|e| e.to_string())?;
    Ok(AnyKey::Dsa(Box::new(key)))
}
