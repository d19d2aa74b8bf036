//! SealedSecret → Secret (upstream `Unseal`): v1 `spec.data` blobs, per-item `encryptedData`,
//! templates, owner reference, and upstream's error aggregation.

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;

use crate::hybrid::{self, KeySet};
use crate::model::{API_VERSION, KIND, SKIP_SET_OWNER_REFERENCES_ANNOTATION, SealedSecret};
use crate::{b64, scope, template};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnsealOptions {
    /// Accept the deprecated v1 `spec.data` blob (controller default true, kubeseal false).
    pub accept_v1_data: bool,
}

impl Default for UnsealOptions {
    fn default() -> Self {
        Self {
            accept_v1_data: true,
        }
    }
}

/// Why unsealing failed. `Display` is upstream's text (per-item errors tagged `msg (a, b)`,
/// distinct messages joined with `\n`); `name()` is stable.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum UnsealError {
    #[error("using deprecated 'data' field, use 'encryptedData' or flip the feature flag")]
    V1DataRejected,
    #[error(
        "cannot use the field 'encryptedData' and the deprecated field 'data' at the same time"
    )]
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
    // Identical messages merge into one line tagged with every item (sorted); distinct
    // messages go on separate lines, ordered by their first item.
    let mut groups: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for e in items {
        groups
            .entry(e.message.as_str())
            .or_default()
            .push(e.item.as_str());
    }
    let mut lines: Vec<(Vec<&str>, &str)> = groups
        .into_iter()
        .map(|(message, mut names)| {
            names.sort_unstable();
            names.dedup();
            (names, message)
        })
        .collect();
    lines.sort();
    lines
        .iter()
        .map(|(names, message)| format!("{message} ({})", names.join(", ")))
        .collect::<Vec<_>>()
        .join("\n")
}

impl UnsealError {
    pub fn name(&self) -> &'static str {
        match self {
            UnsealError::V1DataRejected => "V1DataRejected",
            UnsealError::BothDataFields => "BothDataFields",
            UnsealError::Items(_) => "Items",
            UnsealError::V1(_) => "V1",
        }
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
            .field(
                "items",
                &self
                    .secret
                    .data
                    .as_ref()
                    .map(|d| d.keys().cloned().collect::<Vec<_>>()),
            )
            .field("keys_used", &self.keys_used)
            .finish()
    }
}

/// Unseals with the label from the SealedSecret's top-level metadata.
pub fn unseal(
    sealed: &SealedSecret,
    keys: &KeySet,
    options: UnsealOptions,
) -> Result<Unsealed, UnsealError> {
    unseal_with(sealed, keys, options, false)
}

/// As [`unseal`], but a template error that depends on decrypted values is reported without
/// them (see [`crate::redact`]): for messages that reach people who may not read the Secret.
pub fn unseal_redacted(
    sealed: &SealedSecret,
    keys: &KeySet,
    options: UnsealOptions,
) -> Result<Unsealed, UnsealError> {
    unseal_with(sealed, keys, options, true)
}

fn unseal_with(
    sealed: &SealedSecret,
    keys: &KeySet,
    options: UnsealOptions,
    redact: bool,
) -> Result<Unsealed, UnsealError> {
    let label = scope::label_for(&sealed.metadata);
    let (mut secret, keys_used) = match &sealed.spec.data {
        None => unseal_items(sealed, keys, &label, redact)?,
        Some(_) if !options.accept_v1_data => return Err(UnsealError::V1DataRejected),
        Some(_) if !sealed.spec.encrypted_data.is_empty() => {
            return Err(UnsealError::BothDataFields);
        }
        Some(blob) => unseal_v1(&blob.0, keys, &label)?,
    };

    secret.metadata.name = sealed.metadata.name.clone();
    secret.metadata.namespace = sealed.metadata.namespace.clone();
    let skip_owner = sealed
        .spec
        .template
        .metadata
        .as_ref()
        .and_then(|m| m.annotations.as_ref())
        .and_then(|a| a.get(SKIP_SET_OWNER_REFERENCES_ANNOTATION))
        .is_some_and(|v| v == "true");
    if !skip_owner {
        secret.metadata.owner_references = Some(vec![OwnerReference {
            api_version: API_VERSION.to_owned(),
            kind: KIND.to_owned(),
            name: sealed.metadata.name.clone().unwrap_or_default(),
            uid: sealed.metadata.uid.clone().unwrap_or_default(),
            controller: Some(true),
            block_owner_deletion: None,
        }]);
    }
    Ok(Unsealed { secret, keys_used })
}

/// The deprecated single blob: a whole Secret as JSON (or YAML), sealed as one value.
fn unseal_v1(
    blob: &[u8],
    keys: &KeySet,
    label: &[u8],
) -> Result<(Secret, Vec<usize>), UnsealError> {
    let (plain, index) =
        hybrid::unseal_with_index(keys, label, blob).map_err(|e| UnsealError::V1(e.to_string()))?;
    let secret = match serde_json::from_slice::<Secret>(&plain) {
        Ok(secret) => secret,
        Err(json_err) => crate::yaml::from_slice::<Secret>(&plain)
            // Only the position: serde's text can quote the (secret) input.
            .map_err(|_| {
                UnsealError::V1(format!(
                    "cannot decode the sealed Secret (line {}, column {})",
                    json_err.line(),
                    json_err.column()
                ))
            })?,
    };
    Ok((secret, vec![index]))
}

/// Per-item `encryptedData` plus `spec.template` (upstream's current format).
fn unseal_items(
    sealed: &SealedSecret,
    keys: &KeySet,
    label: &[u8],
    redact: bool,
) -> Result<(Secret, Vec<usize>), UnsealError> {
    let template = &sealed.spec.template;
    let mut secret = Secret {
        metadata: template.metadata.clone().unwrap_or_default(),
        type_: template.type_.clone(),
        immutable: template.immutable,
        ..Default::default()
    };
    let mut data: BTreeMap<String, ByteString> = BTreeMap::new();
    // Template dot: item → plaintext bytes (Go strings are bytes, so non-UTF-8 stays as is).
    let mut values = TemplateValues::default();
    let mut errors = Vec::new();
    let mut keys_used = Vec::new();

    for (item, text) in &sealed.spec.encrypted_data {
        let blob = match b64::decode(text.as_bytes()) {
            Ok(blob) => blob,
            Err(e) => {
                errors.push(ItemError {
                    item: item.clone(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        match hybrid::unseal_with_index(keys, label, &blob) {
            Ok((plain, index)) => {
                keys_used.push(index);
                values.0.insert(item.clone(), plain.to_vec());
                data.insert(item.clone(), ByteString(plain.to_vec()));
            }
            Err(e) => errors.push(ItemError {
                item: item.clone(),
                message: e.to_string(),
            }),
        }
    }

    // Plain keys are in the context too (upstream v0.37+), as their raw source text; an
    // encrypted item of the same name wins, so a plain key can never shadow a secret.
    let plain = template.data.as_ref();
    for (item, source) in plain.into_iter().flatten() {
        if let Some(source) = source {
            values
                .0
                .entry(item.clone())
                .or_insert_with(|| source.clone().into_bytes());
        }
    }

    // One budget for every template of the object bounds its time and memory as a whole.
    let mut allowance = template::Budget::default().allowance();
    for (item, source) in plain.into_iter().flatten() {
        // `null` removes the key from the Secret, encrypted items included (upstream v0.40).
        let Some(source) = source else {
            if let Some(mut removed) = data.remove(item) {
                zeroize::Zeroize::zeroize(&mut removed.0);
            }
            continue;
        };
        // A key that is also an encrypted item still renders (its errors count), but the
        // decrypted value stays in the Secret.
        let keep_output = !sealed.spec.encrypted_data.contains_key(item);
        match template::render_within(item, source, &values.0, &mut allowance) {
            Ok(rendered) => {
                if keep_output {
                    data.insert(item.clone(), ByteString(rendered));
                }
            }
            Err(e) => {
                // Upstream still sets an item to what executed before the error.
                if let (true, Some(partial)) = (keep_output, e.partial.clone()) {
                    data.insert(item.clone(), ByteString(partial));
                }
                let message = if redact {
                    crate::redact::template_error(item, source, &values.0, &e)
                } else {
                    e.message.clone()
                };
                errors.push(ItemError {
                    item: item.clone(),
                    message,
                });
            }
        }
    }

    if !errors.is_empty() {
        wipe(&mut data);
        return Err(UnsealError::Items(errors));
    }
    keys_used.sort_unstable();
    keys_used.dedup();
    secret.data = Some(data);
    Ok((secret, keys_used))
}

/// The decrypted items as template input, wiped on drop.
#[derive(Default)]
struct TemplateValues(BTreeMap<String, Vec<u8>>);

impl Drop for TemplateValues {
    fn drop(&mut self) {
        for value in self.0.values_mut() {
            zeroize::Zeroize::zeroize(value);
        }
    }
}

/// Plaintext never outlives a failed unseal.
fn wipe(data: &mut BTreeMap<String, ByteString>) {
    for value in data.values_mut() {
        zeroize::Zeroize::zeroize(&mut value.0);
    }
}
