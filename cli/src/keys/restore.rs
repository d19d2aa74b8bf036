//! `kubeseal keys restore FILE`: puts the keys of a key file into the controller namespace.
//! The whole file is read and checked before the first write; a key already present (same
//! fingerprint) is skipped, so running it twice changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::api::{Api, PostParams};
use sealwright_crypto::keys::{
    DEFAULT_KEY_PREFIX, KEY_LABEL, KEY_LABEL_ACTIVE, SECRET_TYPE_TLS, TLS_CERT, TLS_KEY,
};

use super::cluster;
use super::error::KeysError;
use super::keyfile::{self, FileKey};

/// Validity of the certificate made for a bare PEM key (the controller's default `--key-ttl`).
const NEW_CERT_TTL: time::Duration = time::Duration::hours(87600);

/// What happened to one key of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Restored { secret: String },
    Present { secret: String },
}

pub async fn run(client: &Client, namespace: &str, path: &Path) -> Result<(), KeysError> {
    let file_keys = keyfile::read(path)?;
    let existing = cluster::keys(client, namespace).await?;
    let present: BTreeMap<String, String> = existing
        .iter()
        .map(|e| (e.fingerprint().to_string(), e.secret_name.clone()))
        .collect();
    // Certificates for bare keys are made now, still before anything is written.
    let planned = plan(&file_keys, &present, namespace)?;
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let (mut restored, mut skipped) = (0, 0);
    for (key, secret) in planned {
        let outcome = match secret {
            None => Outcome::Present {
                secret: present.get(&key.fingerprint).cloned().unwrap_or_default(),
            },
            Some(secret) => Outcome::Restored {
                secret: create(&api, namespace, secret).await?,
            },
        };
        match outcome {
            Outcome::Restored { secret } => {
                restored += 1;
                crate::outln!(
                    "restored {} as Secret {namespace}/{secret} (from {} in the file)",
                    key.fingerprint,
                    key.origin
                );
            }
            Outcome::Present { secret } => {
                skipped += 1;
                crate::outln!(
                    "already present {} in Secret {namespace}/{secret} (from {} in the file)",
                    key.fingerprint,
                    key.origin
                );
            }
        }
    }
    crate::outln!("{restored} key(s) restored, {skipped} already present");
    Ok(())
}

/// The Secret to create for each key of the file, or `None` when its fingerprint is already in
/// the namespace.
pub fn plan<'a>(
    file_keys: &'a [FileKey],
    present: &BTreeMap<String, String>,
    namespace: &str,
) -> Result<Vec<(&'a FileKey, Option<Secret>)>, KeysError> {
    let mut seen = BTreeSet::new();
    file_keys
        .iter()
        .map(|k| {
            if present.contains_key(&k.fingerprint) || !seen.insert(k.fingerprint.clone()) {
                return Ok((k, None));
            }
            Ok((k, Some(secret_for(k, namespace)?)))
        })
        .collect()
}

/// The key Secret for `key`: its original name, labels and annotations, the active label, and
/// its certificate (a new self-signed one, valid from now, when the file had none).
pub fn secret_for(key: &FileKey, namespace: &str) -> Result<Secret, KeysError> {
    let cert_pem = match &key.cert_pem {
        Some(c) => c.clone(),
        None => sealwright_crypto::cert::self_signed(
            &key.private_key,
            "",
            time::OffsetDateTime::now_utc(),
            NEW_CERT_TTL,
        )
        .map_err(|e| KeysError::Generate(format!("certificate for {}: {e}", key.origin)))?
        .into_bytes(),
    };
    let mut labels = key.labels.clone();
    labels.insert(KEY_LABEL.to_string(), KEY_LABEL_ACTIVE.to_string());
    let (name, generate_name) = match &key.name {
        Some(n) => (Some(n.clone()), None),
        None => (None, Some(DEFAULT_KEY_PREFIX.to_string())),
    };
    Ok(Secret {
        metadata: ObjectMeta {
            name,
            generate_name,
            namespace: Some(namespace.to_string()),
            labels: Some(labels),
            annotations: (!key.annotations.is_empty()).then(|| key.annotations.clone()),
            ..Default::default()
        },
        type_: Some(SECRET_TYPE_TLS.to_string()),
        data: Some(BTreeMap::from([
            (TLS_KEY.to_string(), ByteString(key.key_pem.to_vec())),
            (TLS_CERT.to_string(), ByteString(cert_pem)),
        ])),
        ..Default::default()
    })
}

/// Creates the Secret under its own name, or under a generated one when that name is taken.
async fn create(
    api: &Api<Secret>,
    namespace: &str,
    mut secret: Secret,
) -> Result<String, KeysError> {
    let what = |s: &Secret| {
        format!(
            "create Secret {namespace}/{}",
            s.metadata
                .name
                .clone()
                .unwrap_or_else(|| format!("{DEFAULT_KEY_PREFIX}*"))
        )
    };
    let result = match api.create(&PostParams::default(), &secret).await {
        Err(e) if crate::proxy::status_code(&e) == Some(409) && secret.metadata.name.is_some() => {
            secret.metadata.name = None;
            secret.metadata.generate_name = Some(DEFAULT_KEY_PREFIX.to_string());
            api.create(&PostParams::default(), &secret).await
        }
        other => other,
    };
    let created = result.map_err(|e| KeysError::kube(what(&secret), &e))?;
    Ok(created.metadata.name.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::super::inventory::tests::{key_secret, test_keys};
    use super::*;
    use time::macros::datetime;

    #[test]
    fn plan_skips_present_keys_and_keeps_names() {
        let a = key_secret(
            0,
            "sealed-secrets-keya",
            datetime!(2025-01-01 0:00 UTC),
            datetime!(2025-01-01 0:00 UTC),
        );
        let b = key_secret(
            1,
            "sealed-secrets-keyb",
            datetime!(2025-06-01 0:00 UTC),
            datetime!(2025-06-01 0:00 UTC),
        );
        let text = format!(
            "{}---\n{}",
            serde_yaml::to_string(&a).unwrap_or_default(),
            serde_yaml::to_string(&b).unwrap_or_default()
        );
        let keys = keyfile::parse("f", text.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let present = BTreeMap::from([(keys[0].fingerprint.clone(), "other-name".to_string())]);
        let plan = plan(&keys, &present, "restore-ns").unwrap_or_else(|e| panic!("{e}"));
        assert!(plan[0].1.is_none());
        let s = plan[1]
            .1
            .as_ref()
            .unwrap_or_else(|| panic!("b is restored"));
        assert_eq!(s.metadata.name.as_deref(), Some("sealed-secrets-keyb"));
        assert_eq!(s.metadata.namespace.as_deref(), Some("restore-ns"));
        assert_eq!(s.type_.as_deref(), Some("kubernetes.io/tls"));
        assert_eq!(
            s.metadata
                .labels
                .as_ref()
                .and_then(|l| l.get(KEY_LABEL))
                .map(String::as_str),
            Some("active")
        );
        // The Secret reads back as the same key with the same certificate.
        let back = sealwright_crypto::keys::from_secret(s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.fingerprint, keys[1].fingerprint);
        assert_eq!(back.cert.not_before, datetime!(2025-06-01 0:00 UTC));
    }

    #[test]
    fn bare_pem_key_gets_a_certificate_and_a_generated_name() {
        let pem = sealwright_crypto::keys::private_key_to_pem(&test_keys()[2]);
        let keys = keyfile::parse("k.pem", pem.as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        let s = secret_for(&keys[0], "ns").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.metadata.name, None);
        assert_eq!(
            s.metadata.generate_name.as_deref(),
            Some("sealed-secrets-key")
        );
        let back = sealwright_crypto::keys::from_secret(&s).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back.fingerprint, keys[0].fingerprint);
        assert!(back.cert.not_after > time::OffsetDateTime::now_utc() + time::Duration::days(3000));
    }
}
