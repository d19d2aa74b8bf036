//! Self-signed sealing certificates (upstream profile) and certificate parsing as kubeseal does it.

use der::asn1::OctetString;
use der::{Decode, Encode};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePublicKey;
use sha2::{Digest, Sha256};
use spki::{EncodePublicKey, ObjectIdentifier, SubjectPublicKeyInfoOwned};
use time::OffsetDateTime;
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use crate::{RsaPrivateKey, RsaPublicKey};

const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
/// keyUsage BIT STRING with only encipherOnly (bit 7) set, as Go marshals it.
const KEY_USAGE_ENCIPHER_ONLY: [u8; 4] = [0x03, 0x02, 0x00, 0x01];
/// basicConstraints SEQUENCE { cA TRUE }, no pathLen.
const BASIC_CONSTRAINTS_CA: [u8; 5] = [0x30, 0x03, 0x01, 0x01, 0xff];

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum CertError {
    /// Upstream (client-go) text when no CERTIFICATE block parses.
    #[error("data does not contain any valid RSA or ECDSA certificates")]
    NoCertificate,
    #[error("expected RSA public key but found {0}")]
    NotRsa(String),
    /// `<date>` as Go's `January 2, 2006`.
    #[error("failed to encrypt using an expired certificate on {0}")]
    Expired(String),
    #[error("cannot create certificate: {0}")]
    Build(String),
}

impl CertError {
    pub fn name(&self) -> &'static str {
        match self {
            CertError::NoCertificate => "NoCertificate",
            CertError::NotRsa(_) => "NotRsa",
            CertError::Expired(_) => "Expired",
            CertError::Build(_) => "Build",
        }
    }
}

/// What the project needs from a sealing certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    pub public_key: RsaPublicKey,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// The DER of the first certificate.
    pub der: Vec<u8>,
}

impl CertInfo {
    /// Upstream's expiry check (`now > NotAfter`).
    pub fn check_not_expired(&self, now: OffsetDateTime) -> Result<(), CertError> {
        if now > self.not_after {
            return Err(CertError::Expired(go_long_date(self.not_after)));
        }
        Ok(())
    }

    /// `SHA256:` fingerprint of the public key (see [`crate::fingerprint`]).
    pub fn fingerprint(&self) -> String {
        crate::fingerprint::fingerprint(&self.public_key)
    }
}

/// Parses the first `CERTIFICATE` PEM block (other block types skipped) and its RSA key.
pub fn parse_pem(pem: &[u8]) -> Result<CertInfo, CertError> {
    parse_pem_all(pem)?
        .into_iter()
        .next()
        .ok_or(CertError::NoCertificate)
}

/// Go's `January 2, 2006` layout, in UTC.
fn go_long_date(at: OffsetDateTime) -> String {
    let at = at.to_offset(time::UtcOffset::UTC);
    format!("{} {}, {}", at.month(), at.day(), at.year())
}

/// Every `CERTIFICATE` block of a PEM bundle, in order.
pub fn parse_pem_all(pem: &[u8]) -> Result<Vec<CertInfo>, CertError> {
    let blocks = pem::parse_many(pem).map_err(|_| CertError::NoCertificate)?;
    let certs = blocks
        .iter()
        .filter(|b| b.tag() == "CERTIFICATE")
        .map(|b| cert_info(b.contents()))
        .collect::<Result<Vec<_>, _>>()?;
    if certs.is_empty() {
        return Err(CertError::NoCertificate);
    }
    Ok(certs)
}

/// Reads one DER certificate.
pub fn cert_info(der: &[u8]) -> Result<CertInfo, CertError> {
    let cert = Certificate::from_der(der).map_err(|_| CertError::NoCertificate)?;
    let tbs = cert.tbs_certificate();
    let spki = tbs.subject_public_key_info();
    let algorithm = spki.algorithm.oid;
    if algorithm != rsa::pkcs1::ALGORITHM_OID {
        // Go names the key type it found (`%T`).
        let found = match algorithm {
            OID_EC_PUBLIC_KEY => "*ecdsa.PublicKey".to_owned(),
            OID_ED25519 => "ed25519.PublicKey".to_owned(),
            other => other.to_string(),
        };
        return Err(CertError::NotRsa(found));
    }
    let spki_der = spki.to_der().map_err(|_| CertError::NoCertificate)?;
    let public_key =
        RsaPublicKey::from_public_key_der(&spki_der).map_err(|_| CertError::NoCertificate)?;
    let validity = tbs.validity();
    Ok(CertInfo {
        public_key,
        not_before: to_offset(validity.not_before)?,
        not_after: to_offset(validity.not_after)?,
        der: der.to_vec(),
    })
}

fn to_offset(t: Time) -> Result<OffsetDateTime, CertError> {
    let secs =
        i64::try_from(t.to_unix_duration().as_secs()).map_err(|_| CertError::NoCertificate)?;
    OffsetDateTime::from_unix_timestamp(secs).map_err(|_| CertError::NoCertificate)
}

fn from_offset(t: OffsetDateTime) -> Result<Time, CertError> {
    let secs = u64::try_from(t.unix_timestamp())
        .map_err(|_| CertError::Build(format!("time {t} before 1970")))?;
    let dt = der::DateTime::from_unix_duration(std::time::Duration::from_secs(secs))
        .map_err(|e| CertError::Build(e.to_string()))?;
    Ok(Time::from(dt))
}

/// DER of `CN=<cn>` (PrintableString when Go would pick it, else UTF8String), or the empty DN.
pub(crate) fn subject_der(common_name: &str) -> Vec<u8> {
    if common_name.is_empty() {
        return tlv(0x30, &[]);
    }
    let printable = common_name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b" '()+,-./:=?".contains(&b));
    let value = tlv(if printable { 0x13 } else { 0x0c }, common_name.as_bytes());
    let oid_cn = [0x06, 0x03, 0x55, 0x04, 0x03];
    let atv = tlv(0x30, &[&oid_cn[..], &value].concat());
    tlv(0x30, &tlv(0x31, &atv))
}

/// One DER TLV with a definite length.
pub(crate) fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// Upstream's fixed subject, issuer and extensions (Go `x509.CreateCertificate` order:
/// keyUsage, basicConstraints, subjectKeyIdentifier).
struct UpstreamProfile {
    name: Name,
}

impl x509_cert::builder::profile::BuilderProfile for UpstreamProfile {
    fn get_issuer(&self, subject: &Name) -> Name {
        subject.clone()
    }

    fn get_subject(&self) -> Name {
        self.name.clone()
    }

    fn build_extensions(
        &self,
        spk: spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
        _tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        // Go >= 1.25 derives a CA's subjectKeyIdentifier as the first 160 bits of SHA-256 over
        // the subjectPublicKey bits (RFC 7093 method 1).
        let skid = &Sha256::digest(spk.subject_public_key.raw_bytes())[..20];
        let ext = |oid, critical, value: Vec<u8>| -> x509_cert::builder::Result<Extension> {
            Ok(Extension {
                extn_id: oid,
                critical,
                extn_value: OctetString::new(value)?,
            })
        };
        Ok(vec![
            ext(OID_KEY_USAGE, true, KEY_USAGE_ENCIPHER_ONLY.to_vec())?,
            ext(OID_BASIC_CONSTRAINTS, true, BASIC_CONSTRAINTS_CA.to_vec())?,
            ext(OID_SUBJECT_KEY_ID, false, tlv(0x04, skid))?,
        ])
    }
}

/// A self-signed certificate with upstream's profile: serial random in [0, 2^128), sha256WithRSA,
/// subject = issuer = `CN=<common_name>` or the empty DN when `common_name` is empty,
/// validity `[not_before, not_before + ttl]` (second precision), keyUsage critical encipherOnly,
/// basicConstraints critical CA:TRUE. Returns the PEM text (one block, trailing newline).
pub fn self_signed(
    key: &RsaPrivateKey,
    common_name: &str,
    not_before: OffsetDateTime,
    ttl: time::Duration,
) -> Result<String, CertError> {
    let build = |e: &dyn std::fmt::Display| CertError::Build(e.to_string());
    let not_before = not_before.replace_nanosecond(0).map_err(|e| build(&e))?;
    let not_after = not_before
        .checked_add(ttl)
        .ok_or_else(|| build(&"validity overflows"))?;
    let validity = Validity::new(from_offset(not_before)?, from_offset(not_after)?);

    let mut serial = [0u8; 16];
    rand::TryRng::try_fill_bytes(&mut rand::rng(), &mut serial).map_err(|e| build(&e))?;
    let serial = SerialNumber::new(&serial).map_err(|e| build(&e))?;

    let name = Name::from_der(&subject_der(common_name)).map_err(|e| build(&e))?;
    let spki_der = key
        .as_public_key()
        .to_public_key_der()
        .map_err(|e| build(&e))?;
    let spki = SubjectPublicKeyInfoOwned::from_der(spki_der.as_bytes()).map_err(|e| build(&e))?;

    let builder = CertificateBuilder::new(UpstreamProfile { name }, serial, validity, spki)
        .map_err(|e| build(&e))?;
    let signer = SigningKey::<Sha256>::new(key.clone());
    let cert: Certificate = builder
        .build::<_, rsa::pkcs1v15::Signature>(&signer)
        .map_err(|e| build(&e))?;
    let der = cert.to_der().map_err(|e| build(&e))?;
    let block = pem::Pem::new("CERTIFICATE", der);
    Ok(pem::encode_config(
        &block,
        pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF),
    ))
}
