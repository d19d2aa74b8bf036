//! Secret → SealedSecret (upstream `NewSealedSecret`).

use k8s_openapi::api::core::v1::Secret;
use rsa::RsaPublicKey;

use crate::hybrid::SealError;
use crate::model::SealedSecret;

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum SealSecretError {
    #[error("secret must declare a namespace")]
    MissingNamespace,
    #[error("missing metadata.name in input Secret")]
    MissingName,
    #[error(transparent)]
    Seal(#[from] SealError),
}

impl SealSecretError {
    pub fn name(&self) -> &'static str {
        todo!()
    }
}

/// Seals a prepared Secret (name, namespace and scope annotations already final) exactly as
/// upstream `NewSealedSecret`: the scope comes from the Secret's annotations; the top level gets
/// name, namespace and only the scope annotation; the template is the Secret's metadata with
/// server fields, last-applied annotations and ownerReferences stripped, plus type and immutable;
/// every `data` item, then every `stringData` item, sealed with a fresh session key.
pub fn seal_secret(secret: &Secret, key: &RsaPublicKey) -> Result<SealedSecret, SealSecretError> {
    todo!()
}
