//! Watchers (upstream `NewController` in [controller.go]): SealedSecret changes feed a work queue;
//! deleted Secrets are re-created; key Secrets are followed live. What a watch must report beyond
//! the runtime (metrics, drift Events) it hands up through `Hooks`.
//!
//! [controller.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/controller.go

use std::sync::Arc;
use std::time::Duration;

use futures::{Stream, TryStreamExt};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::api::Api;
use kube::runtime::watcher::{self, Event};

use crate::runtime::cache::{Cache, ObjKey};
use crate::runtime::drift_guard::DriftGuard;
use crate::runtime::keystore::KeyStore;
use crate::runtime::secret_index::SecretIndex;
use crate::runtime::workqueue::WorkQueue;

mod key_secrets;
mod sealed_secrets;
mod secrets;

pub use key_secrets::{retry_failing_on_new_keys, watch_key_secrets};
pub use sealed_secrets::watch_sealed_secrets;
pub use secrets::watch_secret_deletions;

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

/// Objects per page of a watch's initial list. Each page is held whole while it is decoded (the
/// body, then every object twice inside kube's `DeserializeGuard`), so the page, not the cache,
/// set the peak memory of a start over thousands of objects; 50 keeps that peak small for a few
/// more list requests (one per 50 objects).
const LIST_PAGE_SIZE: u32 = 50;

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
    let cfg = watcher::Config::default().page_size(LIST_PAGE_SIZE);
    if label_selector.is_empty() {
        cfg
    } else {
        cfg.labels(label_selector)
    }
}

/// The next event of a watch, `None` once it ends. A failed request is logged and skipped: the
/// watcher backs off and retries on its own.
async fn next_event<K, S>(stream: &mut S, what: &str) -> Option<Event<K>>
where
    S: Stream<Item = Result<Event<K>, watcher::Error>> + Unpin,
{
    loop {
        match stream.try_next().await {
            Ok(event) => return event,
            Err(e) => tracing::warn!(error = %e, "{what} watch failed; retrying"),
        }
    }
}
