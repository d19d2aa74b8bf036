//! The SealedSecret watch: feeds the cache and queues what changed.

use std::sync::Arc;

use futures::StreamExt;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::Api;
use kube::core::DeserializeGuard;
use kube::runtime::WatchStreamExt;
use kube::runtime::watcher::{self, Event};
use sealwright_crypto::SealedSecret;

use super::{WatchContext, WatchScope, next_event, watcher_config};
use crate::logic::drift;
use crate::runtime::cache::{Cached, ObjKey};

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
    while let Some(event) = next_event(&mut stream, "SealedSecret").await {
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
