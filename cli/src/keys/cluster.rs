//! Cluster reads shared by the subcommands: the key Secrets of the controller namespace and
//! every SealedSecret in the cluster.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, ListParams};
use sealwright_crypto::SealedSecret;
use sealwright_crypto::keys::{DEFAULT_KEY_PREFIX, KEY_LABEL, KEY_LABEL_ACTIVE};

use super::error::KeysError;
use super::inventory::{self, KeyEntry, Usage};

/// Page size of list requests (large clusters have thousands of SealedSecrets).
const PAGE: u32 = 500;

/// The key Secrets the controller would load: the labelled ones plus the legacy Secret named
/// `sealed-secrets-key`, in creation order.
pub async fn key_secrets(client: &Client, namespace: &str) -> Result<Vec<Secret>, KeysError> {
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let selector = format!("{KEY_LABEL}={KEY_LABEL_ACTIVE}");
    let mut secrets = api
        .list(&ListParams::default().labels(&selector))
        .await
        .map_err(|e| KeysError::kube(format!("list key Secrets in namespace {namespace}"), &e))?
        .items;
    let legacy = api
        .get_opt(DEFAULT_KEY_PREFIX)
        .await
        .map_err(|e| KeysError::kube(format!("get Secret {namespace}/{DEFAULT_KEY_PREFIX}"), &e))?;
    if let Some(legacy) = legacy
        && !secrets
            .iter()
            .any(|s| s.metadata.name.as_deref() == Some(DEFAULT_KEY_PREFIX))
    {
        secrets.push(legacy);
    }
    secrets.sort_by_key(|s| s.metadata.creation_timestamp.as_ref().map(|t| t.0));
    Ok(secrets)
}

/// The readable keys of `namespace`; unreadable key Secrets are reported on stderr (the
/// controller skips them too).
pub async fn keys(client: &Client, namespace: &str) -> Result<Vec<KeyEntry>, KeysError> {
    let secrets = key_secrets(client, namespace).await?;
    let (entries, problems) = inventory::read_entries(&secrets);
    for p in problems {
        eprintln!("warning: {namespace}: {p} (the controller skips it)");
    }
    Ok(entries)
}

/// Every SealedSecret in the cluster; none when the CRD is not installed.
pub async fn sealed_secrets(client: &Client) -> Result<Vec<SealedSecret>, KeysError> {
    let api: Api<SealedSecret> = Api::all(client.clone());
    let mut out = Vec::new();
    let mut params = ListParams::default().limit(PAGE);
    loop {
        let page = match api.list(&params).await {
            Ok(p) => p,
            Err(e) if crate::proxy::status_code(&e) == Some(404) => return Ok(Vec::new()),
            Err(e) => {
                return Err(KeysError::kube(
                    "list SealedSecrets in all namespaces (needed to know which keys are in use)",
                    &e,
                ));
            }
        };
        out.extend(page.items);
        match page.metadata.continue_ {
            Some(token) if !token.is_empty() => params = params.continue_token(&token),
            _ => return Ok(out),
        }
    }
}

/// The usage of `entries` by every SealedSecret, with progress on stderr when trial
/// decryption takes a while.
pub async fn usage(client: &Client, entries: &[KeyEntry]) -> Result<Usage, KeysError> {
    let sealed = sealed_secrets(client).await?;
    let started = Instant::now();
    let mut last = started;
    let mut shown = false;
    let mut progress = |done: usize, total: usize| {
        let now = Instant::now();
        if now.duration_since(started) > Duration::from_secs(2)
            && (now.duration_since(last) > Duration::from_secs(2) || done == total)
        {
            last = now;
            shown = true;
            eprint!(
                "\rchecking which keys open {total} SealedSecrets without a current status: {done}/{total}"
            );
        }
    };
    let usage = inventory::usage(entries, &sealed, &mut progress);
    if shown {
        eprintln!();
    }
    Ok(usage)
}
