//! The one operation the file walk needs from a mode: give a SealedSecret's items new
//! ciphertexts for the newest key, or say which are already current, or why it cannot.

use sealwright_crypto::{Scope, SealedSecret};

/// What re-encrypting one SealedSecret gives.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Resealed {
    /// Items already sealed for the newest key (left as they are).
    pub current: usize,
    /// Item name → new ciphertext (base64), for the items that need one.
    pub changed: Vec<(String, String)>,
}

/// Why (part of) a SealedSecret cannot be re-encrypted; `item` is `None` for the whole object.
/// The reason never holds plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub item: Option<String>,
    pub reason: String,
}

impl Failure {
    pub fn object(reason: impl Into<String>) -> Self {
        Self {
            item: None,
            reason: reason.into(),
        }
    }
    pub fn item(item: &str, reason: impl Into<String>) -> Self {
        Self {
            item: Some(item.to_string()),
            reason: reason.into(),
        }
    }
}

/// The legacy single-blob format is not an item map; there is nothing to rewrite in place.
pub const LEGACY_DATA: &str =
    "uses the deprecated spec.data field; convert it with kubeseal --re-encrypt first";

pub trait Reseal {
    fn reseal(&mut self, ss: &SealedSecret) -> Result<Resealed, Vec<Failure>>;
}

/// Added to "cannot open" reasons when the object cannot carry the label it was sealed with:
/// a strict or namespace-wide SealedSecret without a namespace (left to kustomize or `-n`).
pub fn missing_namespace_hint(ss: &SealedSecret) -> &'static str {
    let ns_missing = ss
        .metadata
        .namespace
        .as_deref()
        .unwrap_or_default()
        .is_empty();
    if ns_missing && Scope::of(&ss.metadata) != Scope::ClusterWide {
        " (the object has no metadata.namespace, and its scope needs the namespace it was sealed for)"
    } else {
        ""
    }
}
