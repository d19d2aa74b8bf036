//! The Secret watch (metadata only): feeds the Secret index, queues the SealedSecret of a Secret
//! someone else changed, and re-creates deleted Secrets.

use futures::StreamExt;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::Api;
use kube::core::PartialObjectMeta;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use sealwright_crypto::SealedSecret;

use super::{WatchContext, WatchScope, next_event, watcher_config};
use crate::error::{api_message, is_not_found};
use crate::logic::desired;
use crate::logic::last_known::UnownedDeletion;
use crate::runtime::cache::{Cached, ObjKey};
use crate::runtime::drift_guard::Pause;

/// Re-creates Secrets deleted from under their SealedSecret (upstream's Secret delete handler).
/// Watches metadata only, so Secret values are never held in memory.
pub async fn watch_secret_deletions(ctx: WatchContext, scope: WatchScope, label_selector: String) {
    let api: Api<PartialObjectMeta<Secret>> = scope.api(ctx.client.clone());
    let mut stream = watcher::watcher(api, watcher_config(&label_selector))
        .default_backoff()
        .boxed();
    while let Some(event) = next_event(&mut stream, "Secret").await {
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
