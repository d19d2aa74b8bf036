//! The key Secrets, followed live, and the retry of failed objects when a key is added.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::Api;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use sealwright_crypto::keys::{KEY_LABEL, KEY_LABEL_ACTIVE};

use super::{WatchContext, next_event};
use crate::runtime::keystore::KeyStore;

/// Follows the key Secrets live (upstream v0.41; always on here): a key Secret added, changed or
/// relabelled back to `active` is registered, and one deleted or relabelled away from `active`
/// (e.g. to `compromised`) stops being used at once. The label-selected watch reports a Secret
/// that stops matching as deleted.
pub async fn watch_key_secrets(client: Client, keys: Arc<KeyStore>) {
    let api: Api<Secret> = Api::namespaced(client, keys.namespace());
    let cfg = watcher::Config::default().labels(&format!("{KEY_LABEL}={KEY_LABEL_ACTIVE}"));
    let mut stream = watcher::watcher(api, cfg).default_backoff().boxed();
    // Names seen by the re-list in progress, and the registry's counter when it began.
    let mut listing: Option<(std::collections::BTreeSet<String>, u64)> = None;
    while let Some(event) = next_event(&mut stream, "key Secret").await {
        match event {
            Event::Init => listing = Some((Default::default(), keys.mark())),
            Event::InitApply(s) => {
                if let (Some((listed, _)), Some(name)) = (listing.as_mut(), &s.metadata.name) {
                    listed.insert(name.clone());
                }
                keys.apply_secret(&s);
            }
            Event::InitDone => {
                if let Some((listed, mark)) = listing.take() {
                    keys.retain_listed(&listed, mark);
                }
            }
            Event::Apply(s) => {
                keys.apply_secret(&s);
            }
            Event::Delete(s) => {
                if let Some(name) = &s.metadata.name {
                    keys.remove_secret(name);
                }
            }
        }
    }
}

/// Beyond upstream: when a key is added (restored from a backup, or a new key Secret applied),
/// objects that failed get another pass instead of waiting for a spec change or a restart.
pub async fn retry_failing_on_new_keys(ctx: WatchContext) {
    let mut rx = ctx.keys.subscribe();
    let mut known: std::collections::BTreeSet<String> = rx
        .borrow_and_update()
        .fingerprints
        .iter()
        .cloned()
        .collect();
    while rx.changed().await.is_ok() {
        let now: std::collections::BTreeSet<String> = rx
            .borrow_and_update()
            .fingerprints
            .iter()
            .cloned()
            .collect();
        if now.iter().any(|fp| !known.contains(fp)) {
            let failing = ctx.cache.failing();
            if !failing.is_empty() {
                tracing::info!(
                    objects = failing.len(),
                    "new key registered; retrying failed SealedSecrets"
                );
            }
            for key in failing {
                ctx.queue.forget(&key);
                ctx.queue.add(key);
            }
        }
        known = now;
    }
}
