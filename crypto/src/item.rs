//! One sealed item (the base64 text of an `encryptedData` value), opened by trying every key.

use zeroize::Zeroizing;

use crate::b64::{self, Base64Error};
use crate::hybrid::{self, KeySet, SealError};

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum OpenItemError {
    #[error(transparent)]
    Base64(#[from] Base64Error),
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// The plaintext of `text` under `label`, and the index in `keys` of the key that opened it
/// (the first that can).
pub fn open_item(
    keys: &KeySet,
    label: &[u8],
    text: &str,
) -> Result<(Zeroizing<Vec<u8>>, usize), OpenItemError> {
    let blob = b64::decode(text.as_bytes())?;
    Ok(hybrid::unseal_with_index(keys, label, &blob)?)
}
