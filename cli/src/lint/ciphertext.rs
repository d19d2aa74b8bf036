//! The `encryptedData` items: base64, the hybrid framing (`u16be(len(rsa)) || RSA block ||
//! AES-GCM body || tag`), the key size a certificate implies, the total size, and with
//! recovery keys whether each item opens under its object's label. Plaintext is dropped
//! (and wiped) the moment an item opens; only the fact is kept.

use rsa::traits::PublicKeyParts;
use serde_yaml::Value;

use sealwright_crypto::{KeySet, Scope, b64, hybrid, scope};

use super::finding::Rule;
use super::object::{self, Object};

const PREFIX_LEN: usize = 2;
const TAG_LEN: usize = 16;
/// RSA-OAEP with SHA-256 needs a modulus of at least 2·32+2 bytes.
const MIN_RSA_BLOCK: usize = 66;
/// What a Secret's data may add up to (`core.MaxSecretSize`).
const MAX_SECRET_SIZE: usize = 1024 * 1024;

/// What the items are checked against besides their own framing.
pub struct Against<'a> {
    /// The public key the file is meant for (its size is what matters).
    pub cert: Option<&'a rsa::PublicKey>,
    pub keys: Option<&'a KeySet>,
    /// Used for objects without `metadata.namespace` (`--namespace`).
    pub default_namespace: Option<&'a str>,
}

pub fn check(obj: &mut Object<'_>, scope: Scope, against: &Against<'_>) {
    // The shape of the mapping is reported by the Secret checks.
    let items = object::entries(obj, &["spec", "encryptedData"]);
    if items.is_empty() {
        return;
    }
    let label = against.keys.and_then(|_| label(obj, scope, against));
    let mut total = 0usize;
    for (key, value) in items {
        let field = ["spec", "encryptedData", key.as_str()];
        let text = match value {
            Value::String(s) => s,
            _ => {
                obj.report(
                    Rule::Structure,
                    &field,
                    format!("item {key:?} is not a string"),
                );
                continue;
            }
        };
        let Some(blob) = framing(obj, &field, &key, text) else {
            continue;
        };
        let rsa_len = rsa_block_len(&blob);
        total = total.saturating_add(blob.len() - PREFIX_LEN - rsa_len - TAG_LEN);
        if let Some(cert) = against.cert
            && cert.size() != rsa_len
        {
            obj.report(
                Rule::KeySize,
                &field,
                format!(
                    "item {key:?} was sealed for a {}-bit key, but the certificate's key is {}-bit",
                    rsa_len * 8,
                    cert.size() * 8
                ),
            );
        }
        if let (Some(keys), Some((label, described))) = (against.keys, &label)
            && hybrid::unseal(keys, label, &blob).is_err()
        {
            obj.report(
                Rule::Decrypt,
                &field,
                format!("item {key:?} does not open with any recovery key ({described})"),
            );
        }
    }
    if total > MAX_SECRET_SIZE {
        obj.report(
            Rule::Size,
            &["spec", "encryptedData"],
            format!(
                "the items hold {total} bytes, more than the {MAX_SECRET_SIZE} a Secret may hold"
            ),
        );
    }
}

fn rsa_block_len(blob: &[u8]) -> usize {
    usize::from(u16::from_be_bytes([blob[0], blob[1]]))
}

/// The decoded item when its framing is sound; a finding otherwise.
fn framing(obj: &mut Object<'_>, field: &[&str], key: &str, text: &str) -> Option<Vec<u8>> {
    let blob = match b64::decode(text.as_bytes()) {
        Ok(b) => b,
        Err(e) => {
            obj.report(
                Rule::Base64,
                field,
                format!("item {key:?} is not valid base64: {e}"),
            );
            return None;
        }
    };
    let problem = if blob.len() < PREFIX_LEN {
        Some(format!("is {} bytes, too short to be sealed", blob.len()))
    } else {
        let rsa_len = rsa_block_len(&blob);
        let after = blob.len() - PREFIX_LEN;
        if rsa_len < MIN_RSA_BLOCK {
            Some(format!(
                "declares a {rsa_len}-byte RSA block, too small for RSA-OAEP with SHA-256"
            ))
        } else if after < rsa_len {
            Some(format!(
                "declares a {rsa_len}-byte RSA block, but only {after} bytes follow"
            ))
        } else if after - rsa_len < TAG_LEN {
            Some(format!(
                "has an AES-GCM part of {} bytes, shorter than its {TAG_LEN}-byte tag",
                after - rsa_len
            ))
        } else {
            None
        }
    };
    match problem {
        Some(p) => {
            obj.report(Rule::Ciphertext, field, format!("item {key:?} {p}"));
            None
        }
        None => Some(blob),
    }
}

/// The OAEP label and its description, or a finding when it cannot be known offline.
fn label(obj: &mut Object<'_>, scope: Scope, against: &Against<'_>) -> Option<(Vec<u8>, String)> {
    let name = obj.str(&["metadata", "name"]).unwrap_or_default();
    let namespace = obj
        .str(&["metadata", "namespace"])
        .filter(|s| !s.is_empty())
        .or(against.default_namespace);
    let described = match (scope, namespace) {
        (Scope::ClusterWide, _) => "scope cluster-wide".to_string(),
        (Scope::NamespaceWide, Some(ns)) => format!("scope namespace-wide, namespace {ns:?}"),
        (Scope::Strict, Some(ns)) => {
            format!("scope strict, namespace {ns:?}, name {name:?}")
        }
        (_, None) => {
            obj.report(
                Rule::Decrypt,
                &["metadata"],
                format!(
                    "cannot check that the items open: scope {scope} needs a namespace and metadata.namespace is not set (pass --namespace)"
                ),
            );
            return None;
        }
    };
    let label = scope::label(namespace.unwrap_or_default(), name, scope);
    Some((label, described))
}
