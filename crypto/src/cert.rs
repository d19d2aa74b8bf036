//! Self-signed sealing certificates (upstream profile) and certificate parsing as kubeseal does it.

use rsa::{RsaPrivateKey, RsaPublicKey};
use time::OffsetDateTime;

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
        todo!()
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
        todo!()
    }

    /// `SHA256:` fingerprint of the public key (see `keys::fingerprint`).
    pub fn fingerprint(&self) -> String {
        crate::keys::fingerprint(&self.public_key)
    }
}

/// Parses the first `CERTIFICATE` PEM block (other block types skipped) and its RSA key.
pub fn parse_pem(pem: &[u8]) -> Result<CertInfo, CertError> {
    todo!()
}

/// Every `CERTIFICATE` block of a PEM bundle, in order.
pub fn parse_pem_all(pem: &[u8]) -> Result<Vec<CertInfo>, CertError> {
    todo!()
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
    todo!()
}
