//! The workers (upstream `Run` in [controller.go]): each takes keys off the queue and runs a pass
//! over them, retrying as the pass's error says. Also what the watches hand up to this level.
//!
//! [controller.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/controller.go

use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use crate::logic::plan;
use crate::reconcile::{self, Context};
use crate::runtime::cache::ObjKey;
use crate::runtime::watchers::{Hooks, Queue, WatchContext};

/// One worker: takes keys off the queue until it shuts down.
pub async fn worker(
    ctx: Context,
    queue: Queue,
    max_retries: u32,
    mut leading: tokio::sync::watch::Receiver<bool>,
) {
    // With leader election only the leader works the queue; followers just keep it filled.
    if leading.wait_for(|l| *l).await.is_err() {
        return;
    }
    while let Some(key) = queue.get().await {
        match reconcile::reconcile(&ctx, &key).await {
            Ok(()) => queue.forget(&key),
            Err(e) if !e.retry() => queue.forget(&key),
            Err(e) if e.transient() => {
                // An unreachable API server is not the object's fault: it backs off on its own
                // count and never gives up (see `WorkQueue::add_unavailable`).
                queue.add_unavailable(key.clone());
            }
            Err(e) => {
                if queue.num_requeues(&key) < max_retries {
                    queue.add_rate_limited(key.clone());
                } else {
                    tracing::warn!(key = %key, error = %e, "giving up on SealedSecret after too many retries");
                    queue.forget(&key);
                }
            }
        }
        queue.done(&key);
    }
}

/// What the watches of `ctx` feed and read; what they report goes back to `ctx`.
pub fn watch_context(ctx: &Context) -> WatchContext {
    WatchContext {
        client: ctx.client.clone(),
        keys: ctx.keys.clone(),
        cache: ctx.cache.clone(),
        secrets: ctx.secrets.clone(),
        drift: ctx.drift.clone(),
        queue: ctx.queue.clone(),
        hooks: Arc::new(ctx.clone()),
    }
}

impl Hooks for Context {
    fn sealed_secret_deleted(&self, key: &ObjKey, meta: &ObjectMeta) {
        let instance = plan::instance_label(meta);
        self.metrics
            .remove_conditions(&key.namespace, &key.name, &instance);
    }

    fn drift_paused(&self, meta: &ObjectMeta, wait: Duration, repairs: u32) {
        reconcile::drift_paused(self, meta, wait, repairs);
    }
}
