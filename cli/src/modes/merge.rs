//! `--merge-into FILE`: seal the input under the file's name and namespace and merge the new
//! items and template metadata into the file, rewritten in place in the `-o` format.

use std::path::Path;

use rsa::PublicKey as RsaPublicKey;
use sealwright_crypto::SealedSecret;

use crate::error::{CliError, io_error};
use crate::input;
use crate::modes::seal::{self, SealOptions};
use crate::output::{self, Format, objects};

pub fn run(
    file: &Path,
    input_bytes: &[u8],
    cap: u64,
    key: &RsaPublicKey,
    opts: &SealOptions,
    format: &str,
    namespace: &mut dyn FnMut() -> (String, bool),
) -> Result<(), CliError> {
    // Opened read-write first, as upstream: a read-only file fails before anything else.
    let handle = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(file)
        .map_err(|e| io_error("open", file, &e))?;
    let bytes = crate::input::read_capped(handle, cap, &file.display().to_string())?;
    let mut orig = input::one_sealed_secret(&bytes)?;

    let opts = SealOptions {
        override_name: orig.metadata.name.clone().unwrap_or_default(),
        override_namespace: orig.metadata.namespace.clone().unwrap_or_default(),
        ..opts.clone()
    };
    let secrets = input::read_secrets(input_bytes)?;
    if secrets.is_empty() {
        return Err(CliError::NoSecrets);
    }
    let format = {
        let mut updates = Vec::new();
        for s in secrets {
            updates.push(seal::prepare(s, &opts, namespace)?);
        }
        let mut sealed = Vec::new();
        for r in seal::seal_all(&updates, key) {
            sealed.push(r?);
            Format::parse(format)?;
        }
        for update in &sealed {
            merge(&mut orig, update);
        }
        Format::parse(format)?
    };
    let text = output::render(&objects::sealed_secret(&orig), format)?;
    // Upstream truncates and rewrites: a full disk leaves the file cut short. Ours replaces it
    // whole or not at all.
    crate::sink::write_atomically(file, text.as_bytes())
}

/// Merges items, template annotations, labels and template data (creating missing maps, where
/// upstream would panic). Top-level annotations are left alone, as upstream.
pub fn merge(orig: &mut SealedSecret, update: &SealedSecret) {
    for (k, v) in &update.spec.encrypted_data {
        orig.spec.encrypted_data.insert(k.clone(), v.clone());
    }
    let new_meta = update.spec.template.metadata.clone().unwrap_or_default();
    let meta = orig
        .spec
        .template
        .metadata
        .get_or_insert_with(Default::default);
    if let Some(a) = new_meta.annotations.filter(|a| !a.is_empty()) {
        meta.annotations
            .get_or_insert_with(Default::default)
            .extend(a);
    }
    if let Some(l) = new_meta.labels.filter(|l| !l.is_empty()) {
        meta.labels.get_or_insert_with(Default::default).extend(l);
    }
    if let Some(d) = update.spec.template.data.clone().filter(|d| !d.is_empty()) {
        orig.spec
            .template
            .data
            .get_or_insert_with(Default::default)
            .extend(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn merge_creates_missing_maps() {
        let mut orig = SealedSecret::new("s", Default::default());
        let mut update = SealedSecret::new("s", Default::default());
        update.spec.encrypted_data.insert("k".into(), "v".into());
        let meta = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
            labels: Some(BTreeMap::from([("l".to_string(), "1".to_string())])),
            annotations: Some(BTreeMap::from([("a".to_string(), "2".to_string())])),
            ..Default::default()
        };
        update.spec.template.metadata = Some(meta);
        merge(&mut orig, &update);
        assert_eq!(
            orig.spec.encrypted_data.get("k").map(String::as_str),
            Some("v")
        );
        let m = orig.spec.template.metadata.unwrap_or_default();
        assert_eq!(
            m.labels.unwrap_or_default().get("l").map(String::as_str),
            Some("1")
        );
        assert_eq!(
            m.annotations
                .unwrap_or_default()
                .get("a")
                .map(String::as_str),
            Some("2")
        );
    }
}
