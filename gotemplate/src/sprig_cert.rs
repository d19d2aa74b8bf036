//! sprig's certificate functions (`genCA`, `genSelfSignedCert`, `genSignedCert`, their
//! `WithKey` forms and `buildCustomCert`): certificates shaped as Go's
//! `x509.CreateCertificate` makes them from sprig's template.

use std::net::IpAddr;
use std::rc::Rc;

use der::asn1::OctetString;
use der::{Decode, Encode};
use sha2::{Digest, Sha256};
use spki::{ObjectIdentifier, SubjectPublicKeyInfoOwned};
use x509_cert::Certificate;
use x509_cert::builder::{Builder, CertificateBuilder};
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::time::{Time, Validity};

use super::budget;
use super::func::{Func, Ty, n, s};
use super::sprig_keys::{AnyKey, parse_pem, pem_text};
use super::value::{CertPair, Value};
use gocompat::asn1::{subject_der, tlv};

const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
/// keyUsage digitalSignature | keyEncipherment, and with keyCertSign for a CA (Go trims
/// trailing zero bits).
const KEY_USAGE_LEAF: [u8; 4] = [0x03, 0x02, 0x05, 0xa0];
const KEY_USAGE_CA: [u8; 4] = [0x03, 0x02, 0x02, 0xa4];
/// extKeyUsage serverAuth, clientAuth.
const EXT_KEY_USAGE: [u8; 22] = [
    0x30, 0x14, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01, 0x06, 0x08, 0x2b, 0x06,
    0x01, 0x05, 0x05, 0x07, 0x03, 0x02,
];

pub fn lookup(name: &str) -> Option<Func> {
    use Ty::{Cert, Int, List, Str};
    Some(match name {
        "genPrivateKey" => Func::new(&[Str], |a| {
            let kind = s(&a, 0);
            budget::steps(super::sprig_keys::cost(&kind))?;
            Ok(Value::str(super::sprig_keys::generate(&kind)))
        }),
        "genCA" => Func::new(&[Str, Int], |a| {
            let key = rsa_2048()?;
            ca(&s(&a, 0), n(&a, 1), key)
        }),
        "genCAWithKey" => Func::new(&[Str, Int, Str], |a| {
            let key = parse_pem(&s(&a, 2)).map_err(|e| format!("parsing private key: {e}"))?;
            ca(&s(&a, 0), n(&a, 1), key)
        }),
        "genSelfSignedCert" => Func::new(&[Str, List, List, Int], |a| {
            let key = rsa_2048()?;
            self_signed(&a, key)
        }),
        "genSelfSignedCertWithKey" => Func::new(&[Str, List, List, Int, Str], |a| {
            let key = parse_pem(&s(&a, 4)).map_err(|e| format!("parsing private key: {e}"))?;
            self_signed(&a, key)
        }),
        "genSignedCert" => Func::new(&[Str, List, List, Int, Cert], |a| {
            let key = rsa_2048()?;
            signed(&a, key)
        }),
        "genSignedCertWithKey" => Func::new(&[Str, List, List, Int, Cert, Str], |a| {
            let key = parse_pem(&s(&a, 5)).map_err(|e| format!("parsing private key: {e}"))?;
            signed(&a, key)
        }),
        "buildCustomCert" => Func::new(&[Str, Str], |a| build_custom(&s(&a, 0), &s(&a, 1))),
        _ => return None,
    })
}

/// Steps a certificate costs besides its key: parsing keys and signing take milliseconds, so
/// one object's budget allows a few dozen (see `sprig_keys::cost`).
const CERT_COST: u64 = 200_000;

fn rsa_2048() -> Result<AnyKey, String> {
    budget::steps(super::sprig_keys::cost("rsa-2048"))?;
    super::sprig_keys::generate_rsa(2048).map_err(|e| format!("error generating rsa key: {e}"))
}

/// What a certificate says besides its key: sprig's `getBaseCertTemplate`.
struct Template {
    cn: String,
    ips: Vec<IpAddr>,
    dns: Vec<String>,
    days: i64,
    is_ca: bool,
}

fn ca(cn: &str, days: i64, key: AnyKey) -> Result<Value, String> {
    let t = Template {
        cn: cn.to_string(),
        ips: Vec::new(),
        dns: Vec::new(),
        days,
        is_ca: true,
    };
    issue(&t, &key, None)
}

fn self_signed(a: &[Value], key: AnyKey) -> Result<Value, String> {
    let t = base_template(a)?;
    issue(&t, &key, None)
}

fn signed(a: &[Value], key: AnyKey) -> Result<Value, String> {
    let Some(Value::Cert(parent)) = a.get(4) else {
        return Err("unable to decode certificate".into());
    };
    let block = pem::parse(parent.cert.as_ref()).map_err(|_| "unable to decode certificate")?;
    let parent_cert = Certificate::from_der(block.contents()).map_err(|e| {
        format!(
            "error parsing certificate: decodedSignerCert.Bytes: x509: malformed certificate: {e}"
        )
    })?;
    let signer = parse_pem(&parent.key.to_str_lossy())
        .map_err(|e| format!("error parsing private key: {e}"))?;
    let t = base_template(a)?;
    issue(&t, &key, Some((&parent_cert, &signer)))
}

fn base_template(a: &[Value]) -> Result<Template, String> {
    let mut ips = Vec::new();
    for ip in list(a.get(1)) {
        let Value::Str(text) = ip else {
            return Err(format!(
                "error parsing ip: {} is not a string",
                super::gofmt::v(&ip)
            ));
        };
        let text = text.to_str_lossy();
        ips.push(parse_ip(&text).ok_or_else(|| format!("error parsing ip: {text}"))?);
    }
    let mut dns = Vec::new();
    for name in list(a.get(2)) {
        let Value::Str(text) = name else {
            return Err(format!(
                "error processing alternate dns name: {} is not a string",
                super::gofmt::v(&name)
            ));
        };
        dns.push(text.to_str_lossy().into_owned());
    }
    Ok(Template {
        cn: s(a, 0),
        ips,
        dns,
        days: n(a, 3),
        is_ca: false,
    })
}

fn list(v: Option<&Value>) -> Vec<Value> {
    match v {
        Some(Value::List(items, _)) => items.as_ref().clone(),
        _ => Vec::new(),
    }
}

/// Go's `net.ParseIP`: dotted IPv4 (no leading zeros) or IPv6 text, no zone.
fn parse_ip(text: &str) -> Option<IpAddr> {
    text.parse::<IpAddr>().ok()
}

/// Creates the certificate for `key`, signed by `parent` or self-signed, with `Cert` and
/// `Key` as sprig returns them.
fn issue(
    t: &Template,
    key: &AnyKey,
    parent: Option<(&Certificate, &AnyKey)>,
) -> Result<Value, String> {
    budget::steps(CERT_COST)?;
    let create = |e: &dyn std::fmt::Display| format!("error creating certificate: {e}");
    let subject = Name::from_der(&subject_der(&t.cn)).map_err(|e| create(&e))?;
    let (issuer, parent_skid, signer) = match parent {
        Some((cert, signer)) => {
            let tbs = cert.tbs_certificate();
            let skid = tbs
                .extensions()
                .into_iter()
                .flatten()
                .find(|e| e.extn_id == OID_SUBJECT_KEY_ID)
                .and_then(|e| OctetString::from_der(e.extn_value.as_bytes()).ok())
                .map(|o| o.as_bytes().to_vec());
            (tbs.subject().clone(), skid, signer)
        }
        None => (subject.clone(), None, key),
    };
    if matches!(signer, AnyKey::Dsa(_)) {
        return Err(create(
            &"x509: certificate private key does not implement crypto.Signer",
        ));
    }
    let spki_der = key.public_key_der().map_err(|e| create(&e))?;
    let spki = SubjectPublicKeyInfoOwned::from_der(&spki_der).map_err(|e| create(&e))?;

    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| create(&e))?
        .as_secs();
    let not_after = i128::from(now) + i128::from(t.days) * 86_400;
    let not_after = u64::try_from(not_after).map_err(|_| create(&"validity before 1970"))?;
    let time = |secs: u64| -> Result<Time, String> {
        der::DateTime::from_unix_duration(std::time::Duration::from_secs(secs))
            .map(Time::from)
            .map_err(|e| create(&e))
    };
    let validity = Validity::new(time(now)?, time(not_after)?);

    let mut serial = [0u8; 16];
    rand::TryRng::try_fill_bytes(&mut rand::rng(), &mut serial).map_err(|e| create(&e))?;
    let serial = SerialNumber::new(&serial).map_err(|e| create(&e))?;

    let self_issued = issuer == subject;
    let profile = SprigProfile {
        subject,
        issuer,
        is_ca: t.is_ca,
        ips: t.ips.clone(),
        dns: t.dns.clone(),
        authority_key_id: parent_skid.filter(|k| !k.is_empty() && !self_issued),
    };
    let builder =
        CertificateBuilder::new(profile, serial, validity, spki).map_err(|e| create(&e))?;
    let cert: Certificate = match signer {
        AnyKey::Rsa(k) => {
            let signer = rsa::pkcs1v15::SigningKey::<Sha256>::new((**k).clone());
            builder.build::<_, rsa::pkcs1v15::Signature>(&signer)
        }
        AnyKey::Ec(k) => {
            let signer = p256::ecdsa::SigningKey::from(k);
            builder.build::<_, p256::ecdsa::DerSignature>(&signer)
        }
        AnyKey::Ed(k) => builder.build::<_, ed25519_dalek::Signature>(k.as_ref()),
        AnyKey::Dsa(_) => {
            return Err(create(
                &"x509: certificate private key does not implement crypto.Signer",
            ));
        }
    }
    .map_err(|e| create(&e))?;
    let der = cert.to_der().map_err(|e| create(&e))?;
    let key_pem = key
        .to_pem()
        .map_err(|e| format!("error pem-encoding key: {e}"))?;
    Ok(Value::Cert(Rc::new(CertPair {
        cert: pem_text("CERTIFICATE", der).into(),
        key: key_pem.into(),
    })))
}

/// The extensions Go writes for sprig's template, in Go's order.
struct SprigProfile {
    subject: Name,
    issuer: Name,
    is_ca: bool,
    ips: Vec<IpAddr>,
    dns: Vec<String>,
    authority_key_id: Option<Vec<u8>>,
}

impl x509_cert::builder::profile::BuilderProfile for SprigProfile {
    fn get_issuer(&self, _subject: &Name) -> Name {
        self.issuer.clone()
    }

    fn get_subject(&self) -> Name {
        self.subject.clone()
    }

    fn build_extensions(
        &self,
        spk: spki::SubjectPublicKeyInfoRef<'_>,
        _issuer_spk: spki::SubjectPublicKeyInfoRef<'_>,
        _tbs: &x509_cert::TbsCertificate,
    ) -> x509_cert::builder::Result<Vec<Extension>> {
        let ext = |oid, critical, value: Vec<u8>| -> x509_cert::builder::Result<Extension> {
            Ok(Extension {
                extn_id: oid,
                critical,
                extn_value: OctetString::new(value)?,
            })
        };
        let key_usage = if self.is_ca {
            KEY_USAGE_CA
        } else {
            KEY_USAGE_LEAF
        };
        let mut exts = vec![
            ext(OID_KEY_USAGE, true, key_usage.to_vec())?,
            ext(OID_EXT_KEY_USAGE, false, EXT_KEY_USAGE.to_vec())?,
        ];
        let constraints = if self.is_ca {
            vec![0x30, 0x03, 0x01, 0x01, 0xff]
        } else {
            vec![0x30, 0x00]
        };
        exts.push(ext(OID_BASIC_CONSTRAINTS, true, constraints)?);
        if self.is_ca {
            // Go derives a CA's key identifier from SHA-256 of the key bits (RFC 7093).
            let skid = &Sha256::digest(spk.subject_public_key.raw_bytes())[..20];
            exts.push(ext(OID_SUBJECT_KEY_ID, false, tlv(0x04, skid))?);
        }
        if let Some(akid) = &self.authority_key_id {
            exts.push(ext(
                OID_AUTHORITY_KEY_ID,
                false,
                tlv(0x30, &tlv(0x80, akid)),
            )?);
        }
        if !self.dns.is_empty() || !self.ips.is_empty() {
            let mut names = Vec::new();
            for d in &self.dns {
                names.extend(tlv(0x82, d.as_bytes()));
            }
            for ip in &self.ips {
                let octets = match ip {
                    IpAddr::V4(v4) => v4.octets().to_vec(),
                    IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                        Some(v4) => v4.octets().to_vec(),
                        None => v6.octets().to_vec(),
                    },
                };
                names.extend(tlv(0x87, &octets));
            }
            exts.push(ext(OID_SUBJECT_ALT_NAME, false, tlv(0x30, &names))?);
        }
        Ok(exts)
    }
}

/// sprig's `buildCustomCertificate`: checks both parts and returns them as given.
fn build_custom(b64cert: &str, b64key: &str) -> Result<Value, String> {
    budget::steps(CERT_COST)?;
    use base64::Engine;
    let engine = base64::engine::general_purpose::STANDARD;
    let cert = engine
        .decode(b64cert)
        .map_err(|_| "unable to decode base64 certificate")?;
    let key = engine
        .decode(b64key)
        .map_err(|_| "unable to decode base64 private key")?;
    let block = pem::parse(&cert).map_err(|_| "unable to decode certificate")?;
    Certificate::from_der(block.contents()).map_err(|e| {
        format!("error parsing certificate: decodedCert.Bytes: x509: malformed certificate: {e}")
    })?;
    parse_pem(&String::from_utf8_lossy(&key))
        .map_err(|e| format!("error parsing private key: {e}"))?;
    Ok(Value::Cert(Rc::new(CertPair {
        cert: cert.into(),
        key: key.into(),
    })))
}
