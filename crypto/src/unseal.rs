//! SealedSecret → Secret (upstream `Unseal`): v1 `spec.data` blobs, per-item `encryptedData`,
//! templates, owner reference, and upstream's error aggregation.

use k8s_openapi::api::core::v1::Secret;

use crate::hybrid::KeySet;
use crate::model::SealedSecret;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsealOptions {
    /// Accept the deprecated v1 `spec.data` blob (controller default true, kubeseal false).
    pub accept_v1_data: bool,
}

impl Default for UnsealOptions {
    fn default() -> Self {
        Self { accept_v1_data: true }
    }
}

/// Why unsealing failed. `Display` is upstream's text (per-item errors tagged `msg (a, b)`,
/// distinct messages joined with `\n`); `name()` is stable.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum UnsealError {
    #[error("using deprecated 'data' field, use 'encryptedData' or flip the feature flag")]
    V1DataRejected,
    #[error("cannot use the field 'encryptedData' and the deprecated field 'data' at the same time")]
    BothDataFields,
    /// One message per distinct error, items sorted for stable output.
    #[error("{}", format_items(.0))]
    Items(Vec<ItemError>),
    #[error("{0}")]
    V1(String),
}

/// One item's failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemError {
    pub item: String,
    pub message: String,
}

fn format_items(items: &[ItemError]) -> String {
    todo!()
}

impl UnsealError {
    pub fn name(&self) -> &'static str {
        todo!()
    }
}

/// The result of unsealing.
#[derive(Clone)]
pub struct Unsealed {
    /// Name, namespace, ownerReference, type, immutable, labels, annotations and data set.
    pub secret: Secret,
    /// Index (into the KeySet) of each key that opened at least one item, ascending, deduplicated.
    pub keys_used: Vec<usize>,
}

impl std::fmt::Debug for Unsealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unsealed")
            .field("name", &self.secret.metadata.name)
            .field("items", &self.secret.data.as_ref().map(|d| d.keys().cloned().collect::<Vec<_>>()))
            .field("keys_used", &self.keys_used)
            .finish()
    }
}

/// Unseals with the label from the SealedSecret's top-level metadata.
pub fn unseal(sealed: &SealedSecret, keys: &KeySet, options: UnsealOptions) -> Result<Unsealed, UnsealError> {
    todo!()
}
