//! Secret → SealedSecret (upstream `NewSealedSecret`).

use std::collections::BTreeMap;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::RsaPublicKey;
use crate::hybrid::{self, SealError};
use crate::model::{LAST_APPLIED_ANNOTATIONS, SealedSecret, SealedSecretSpec, SecretTemplateSpec};
use crate::scope::{self, Scope};

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
        match self {
            SealSecretError::MissingNamespace => "MissingNamespace",
            SealSecretError::MissingName => "MissingName",
            SealSecretError::Seal(e) => e.name(),
        }
    }
}

/// Seals a prepared Secret (name, namespace and scope annotations already final) exactly as
/// upstream `NewSealedSecret`: the scope comes from the Secret's annotations; the top level gets
/// name, namespace and only the scope annotation; the template is the Secret's metadata with
/// server fields, last-applied annotations and ownerReferences stripped, plus type and immutable;
/// every `data` item, then every `stringData` item, sealed with a fresh session key.
/// A Secret without a name is refused, as kubeseal refuses it.
pub fn seal_secret(secret: &Secret, key: &RsaPublicKey) -> Result<SealedSecret, SealSecretError> {
    if secret.metadata.name.as_deref().is_none_or(str::is_empty) {
        return Err(SealSecretError::MissingName);
    }
    new_sealed_secret(secret, key)
}

/// [`seal_secret`] without the name check: upstream's `NewSealedSecret` itself seals a Secret
/// without a name (the controller's rotate does, for a posted object without one).
pub fn new_sealed_secret(
    secret: &Secret,
    key: &RsaPublicKey,
) -> Result<SealedSecret, SealSecretError> {
    let meta = &secret.metadata;
    let name = meta.name.as_deref().unwrap_or_default();
    let namespace = meta.namespace.as_deref().unwrap_or_default();
    let scope = Scope::of(meta);
    if namespace.is_empty() && scope != Scope::ClusterWide {
        return Err(SealSecretError::MissingNamespace);
    }
    let label = scope::label(namespace, name, scope);

    let mut encrypted_data = BTreeMap::new();
    let items = secret
        .data
        .iter()
        .flatten()
        .map(|(k, v)| (k, v.0.as_slice()));
    let string_items = secret
        .string_data
        .iter()
        .flatten()
        .map(|(k, v)| (k, v.as_bytes()));
    // stringData is sealed second so that it wins over a data item of the same name.
    for (item, value) in items.chain(string_items) {
        encrypted_data.insert(item.clone(), hybrid::seal_base64(key, &label, value)?);
    }

    let mut top_annotations = BTreeMap::new();
    scope.apply_to(&mut top_annotations);
    let mut sealed = SealedSecret::new(
        name,
        SealedSecretSpec {
            template: SecretTemplateSpec {
                metadata: Some(template_metadata(meta)),
                type_: secret.type_.clone(),
                immutable: secret.immutable,
                data: None,
            },
            data: None,
            encrypted_data,
        },
    );
    sealed.metadata.namespace = Some(namespace.to_owned());
    sealed.metadata.annotations = (!top_annotations.is_empty()).then_some(top_annotations);
    Ok(sealed)
}

/// The Secret's metadata minus what the server owns, the last-applied annotations (they hold
/// the plaintext) and ownerReferences.
fn template_metadata(meta: &ObjectMeta) -> ObjectMeta {
    let mut out = meta.clone();
    out.self_link = None;
    out.uid = None;
    out.resource_version = None;
    out.generation = None;
    out.creation_timestamp = None;
    out.deletion_timestamp = None;
    out.deletion_grace_period_seconds = None;
    out.owner_references = None;
    if let Some(annotations) = out.annotations.as_mut() {
        for key in LAST_APPLIED_ANNOTATIONS {
            annotations.remove(key);
        }
    }
    // Go's `omitempty` drops empty maps; do the same so outputs match.
    out.annotations = out.annotations.filter(|a| !a.is_empty());
    out.labels = out.labels.filter(|l| !l.is_empty());
    out
}
