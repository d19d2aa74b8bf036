//! Watchers (upstream `NewController` in [controller.go]): SealedSecret changes feed a work queue;
//! deleted Secrets are re-created; key Secrets are followed live. What a watch must report beyond
//! the runtime (metrics, drift Events) it hands up through `Hooks`.
//!
//! [controller.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/controller.go

use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::api::Api;
use kube::core::DeserializeGuard;
use kube::core::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use sealwright_crypto::SealedSecret;
use sealwright_crypto::keys::{KEY_LABEL, KEY_LABEL_ACTIVE};

use crate::error::{api_message, is_not_found};
use crate::logic::desired;
use crate::logic::drift;
use crate::logic::last_known::UnownedDeletion;
use crate::runtime::cache::{Cache, Cached, ObjKey};
use crate::runtime::drift_guard::{DriftGuard, Pause};
use crate::runtime::keystore::KeyStore;
use crate::runtime::secret_index::SecretIndex;
use crate::runtime::workqueue::WorkQueue;

/// Which namespaces one watcher covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WatchScope {
    All,
    Namespace(String),
}

impl WatchScope {
    pub fn covers(&self, namespace: &str) -> bool {
        match self {
            Self::All => true,
            Self::Namespace(n) => n == namespace,
        }
    }

    fn api<K>(&self, client: Client) -> Api<K>
    where
        K: kube::Resource<Scope = kube::core::NamespaceResourceScope>,
        K::DynamicType: Default,
    {
        match self {
            Self::All => Api::all(client),
            Self::Namespace(n) => Api::namespaced(client, n),
        }
    }
}

pub type Queue = Arc<WorkQueue<ObjKey>>;

/// What the watches report beyond the runtime: the level above owns the metrics and the Events.
pub trait Hooks: Send + Sync {
    /// The SealedSecret `key`, last seen as `meta`, was deleted.
    fn sealed_secret_deleted(&self, key: &ObjKey, meta: &ObjectMeta);
    /// Repairs of the Secret of `meta` are paused for `wait` after `repairs` in a row: report it
    /// and schedule the pass that ends the pause.
    fn drift_paused(&self, meta: &ObjectMeta, wait: Duration, repairs: u32);
}

/// The runtime pieces the watches feed and read.
#[derive(Clone)]
pub struct WatchContext {
    pub client: Client,
    pub keys: Arc<KeyStore>,
    pub cache: Cache,
    pub secrets: SecretIndex,
    pub drift: DriftGuard,
    pub queue: Queue,
    pub hooks: Arc<dyn Hooks>,
}

impl std::fmt::Debug for WatchContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WatchContext").finish_non_exhaustive()
    }
}

fn watcher_config(label_selector: &str) -> watcher::Config {
    let cfg = watcher::Config::default();
    if label_selector.is_empty() {
        cfg
    } else {
        cfg.labels(label_selector)
    }
}

fn to_cached(obj: DeserializeGuard<SealedSecret>) -> Cached {
    match obj.0 {
        Ok(mut ss) => {
            slim(&mut ss.metadata);
            Cached::Valid(Arc::new(ss))
        }
        Err(mut invalid) => {
            slim(&mut invalid.metadata);
            Cached::Invalid {
                metadata: Box::new(invalid.metadata),
                error: invalid.error,
            }
        }
    }
}

/// Drops what no pass reads before an object is cached: managedFields, and the last-applied
/// annotations, which hold a second copy of the whole object when it was applied with kubectl.
/// Status is written with a bare metadata (name, uid, resourceVersion), so nothing is lost.
fn slim(meta: &mut ObjectMeta) {
    meta.managed_fields = None;
    if let Some(annotations) = meta.annotations.as_mut() {
        for key in sealwright_crypto::model::LAST_APPLIED_ANNOTATIONS {
            annotations.remove(key);
        }
    }
}

/// Feeds the cache and the queue from one SealedSecret watch.
pub async fn watch_sealed_secrets(ctx: WatchContext, scope: WatchScope, label_selector: String) {
    let api: Api<DeserializeGuard<SealedSecret>> = scope.api(ctx.client.clone());
    let mut stream = watcher::watcher(api, watcher_config(&label_selector))
        .default_backoff()
        .boxed();
    let mut seen: Option<std::collections::HashSet<ObjKey>> = None;
    loop {
        let event = match stream.try_next().await {
            Ok(Some(ev)) => ev,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "SealedSecret watch failed; retrying");
                continue;
            }
        };
        match event {
            Event::Init => seen = Some(std::collections::HashSet::new()),
            Event::InitApply(obj) => on_applied(&ctx, seen.as_mut(), obj, true),
            Event::Apply(obj) => on_applied(&ctx, seen.as_mut(), obj, false),
            Event::InitDone => {
                // Objects deleted while the watch was down.
                if let Some(seen) = seen.take() {
                    let gone = ctx
                        .cache
                        .keys_where(|k| scope.covers(&k.namespace) && !seen.contains(k));
                    for key in gone {
                        deleted(&ctx, &key);
                    }
                }
            }
            Event::Delete(obj) => {
                let key = ObjKey::of(to_cached(obj).metadata());
                deleted(&ctx, &key);
            }
        }
    }
}

/// Caches a SealedSecret the watch saw and queues it when its spec is new or changed: in the
/// backlog lane when it came from an initial list, so live changes are served first.
fn on_applied(
    ctx: &WatchContext,
    seen: Option<&mut std::collections::HashSet<ObjKey>>,
    obj: DeserializeGuard<SealedSecret>,
    listed: bool,
) {
    let cached = to_cached(obj);
    let key = ObjKey::of(cached.metadata());
    if let Some(seen) = seen {
        seen.insert(key.clone());
    }
    let previous = ctx.cache.insert(key.clone(), cached.clone());
    // A changed drift annotation gets a pass too, so that switching an object back to repair
    // restores its Secret.
    let requeue = previous.is_none_or(|p| {
        p.spec_changed(&cached)
            || drift::annotation(p.metadata()) != drift::annotation(cached.metadata())
    });
    if requeue {
        if listed {
            ctx.queue.add_backlog(key);
        } else {
            ctx.queue.add(key);
        }
    }
}

fn deleted(ctx: &WatchContext, key: &ObjKey) {
    if let Some(old) = ctx.cache.remove(key) {
        ctx.hooks.sealed_secret_deleted(key, old.metadata());
    }
    ctx.queue.add(key.clone());
}

/// Re-creates Secrets deleted from under their SealedSecret (upstream's Secret delete handler).
/// Watches metadata only, so Secret values are never held in memory.
pub async fn watch_secret_deletions(ctx: WatchContext, scope: WatchScope, label_selector: String) {
    let api: Api<PartialObjectMeta<Secret>> = scope.api(ctx.client.clone());
    let mut stream = watcher::watcher(api, watcher_config(&label_selector))
        .default_backoff()
        .boxed();
    loop {
        let event = match stream.try_next().await {
            Ok(Some(ev)) => ev,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "Secret watch failed; retrying");
                continue;
            }
        };
        match event {
            Event::Init => ctx.secrets.list_started(),
            Event::InitApply(m) | Event::Apply(m) => {
                ctx.secrets.upsert(&m.metadata);
                check_drift(&ctx, &m.metadata);
            }
            Event::InitDone => {
                // A label selector hides Secrets: then a missing entry proves nothing.
                if label_selector.is_empty() {
                    ctx.secrets.mark_complete(match &scope {
                        WatchScope::All => None,
                        WatchScope::Namespace(ns) => Some(ns.as_str()),
                    });
                }
                // Deleted while the watch was down: no delete event will come for these.
                let vanished = ctx.secrets.list_done(|k| scope.covers(&k.namespace));
                for (key, entry) in vanished {
                    let mut meta = entry.to_meta();
                    meta.namespace = Some(key.namespace.clone());
                    meta.name = Some(key.name.clone());
                    tracing::debug!(key = %key, "Secret gone after a re-list");
                    on_secret_deleted(&ctx, meta).await;
                }
            }
            Event::Delete(m) => {
                forget_deleted_secret(&ctx, &m.metadata);
                on_secret_deleted(&ctx, m.metadata).await;
            }
        }
    }
}

/// Beyond upstream: queues the SealedSecret of a Secret it owns (or that is `managed`) seen at
/// a resourceVersion other than the one its last pass settled on (or, before any pass of this
/// process, the one its status records): someone else changed it, and the pass compares and
/// repairs. Our own writes are the settled versions, so they queue nothing, bar a write whose
/// event outruns the pass that made it: that extra pass finds nothing to do.
fn check_drift(ctx: &WatchContext, meta: &ObjectMeta) {
    let key = ObjKey::of(meta);
    let Some(Cached::Valid(ss)) = ctx.cache.get(&key) else {
        return;
    };
    let uid = ss.metadata.uid.as_deref().unwrap_or_default();
    if !(desired::is_controlled_by(meta, uid) || desired::is_managed(meta)) {
        return;
    }
    let baseline = ctx.drift.settled(&key).or_else(|| {
        ss.status
            .as_ref()
            .and_then(|s| s.secret_resource_version.clone())
    });
    let Some(baseline) = baseline else {
        return;
    };
    if meta.resource_version.as_deref() == Some(baseline.as_str()) {
        return;
    }
    match ctx.drift.defer(&key, std::time::Instant::now()) {
        Pause::No => {
            tracing::debug!(key = %key, "owned Secret changed; queueing its SealedSecret");
            ctx.queue.add(key);
        }
        Pause::Scheduled => {}
        Pause::Schedule { wait, repairs } => {
            ctx.hooks.drift_paused(&ss.metadata, wait, repairs);
        }
    }
}

/// Queues the SealedSecret of a deleted Secret when it should be re-created: it owned the
/// Secret, or the Secret was `managed` (upstream's delete handler).
async fn on_secret_deleted(ctx: &WatchContext, meta: ObjectMeta) {
    let key = ObjKey::of(&meta);
    // Upstream asks the API server, not the cache.
    let ss_api: Api<SealedSecret> = Api::namespaced(ctx.client.clone(), &key.namespace);
    let ss = match ss_api.get_metadata(&key.name).await {
        Ok(ss) => ss,
        Err(e) if is_not_found(&e) => return,
        Err(e) => {
            tracing::warn!(key = %key, error = %api_message(&e), "cannot get SealedSecret of deleted Secret");
            return;
        }
    };
    let uid = ss.metadata.uid.clone().unwrap_or_default();
    if desired::should_recreate(&meta, &uid) {
        tracing::info!(key = %key, "Secret deleted; re-creating it");
        ctx.queue.add(key);
    }
}

/// Drops a deleted Secret from the index; when its SealedSecret is cached and the Secret had no
/// controlling owner and was not `managed`, remembers that, so a pass racing this deletion does
/// not re-create it (upstream's delete handler does not re-create such a Secret).
fn forget_deleted_secret(ctx: &WatchContext, meta: &ObjectMeta) {
    let key = ObjKey::of(meta);
    let sealed = ctx.cache.get(&key).map(|c| c.metadata().clone());
    match sealed {
        Some(ss) if desired::left_deleted(meta) => {
            let deletion = UnownedDeletion {
                sealed_uid: ss.uid.unwrap_or_default(),
                generation: ss.generation,
            };
            ctx.secrets.remove_unowned(meta, deletion);
        }
        _ => ctx.secrets.remove(meta),
    }
}

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
    loop {
        let event = match stream.try_next().await {
            Ok(Some(event)) => event,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "key Secret watch failed; retrying");
                continue;
            }
        };
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use k8s_openapi::apimachinery::pkg::apis::meta::v1::ManagedFieldsEntry;

    use super::*;

    #[test]
    fn the_cache_keeps_no_managed_fields_or_last_applied_copy() {
        let mut meta = ObjectMeta {
            managed_fields: Some(vec![ManagedFieldsEntry::default()]),
            annotations: Some(BTreeMap::from([
                (
                    "kubectl.kubernetes.io/last-applied-configuration".to_string(),
                    "{\"big\":true}".to_string(),
                ),
                (
                    "sealedsecrets.bitnami.com/managed".to_string(),
                    "true".to_string(),
                ),
            ])),
            ..ObjectMeta::default()
        };
        slim(&mut meta);
        assert_eq!(meta.managed_fields, None);
        let kept: Vec<&String> = meta.annotations.iter().flatten().map(|(k, _)| k).collect();
        assert_eq!(kept, ["sealedsecrets.bitnami.com/managed"]);
    }
}
