//! What a pass works with: the client, the runtime pieces it reads and feeds, and the flags that
//! shape it.

use std::sync::Arc;

use kube::Client;

use crate::http::metrics::Metrics;
use crate::logic::drift;
use crate::runtime::cache::{Cache, ObjKey};
use crate::runtime::drift_guard::DriftGuard;
use crate::runtime::events::Recorder;
use crate::runtime::keystore::KeyStore;
use crate::runtime::secret_index::SecretIndex;
use crate::runtime::unsealer::Unsealer;
use crate::runtime::workqueue::WorkQueue;

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub update_status: bool,
    pub old_gc_behavior: bool,
    pub accept_v1_data: bool,
    /// `--secret-drift`: what to do about Secrets changed by someone else.
    pub secret_drift: drift::Mode,
}

#[derive(Clone)]
pub struct Context {
    pub client: Client,
    pub keys: Arc<KeyStore>,
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
    pub cache: Cache,
    /// Fed by the Secret watch; empty with `--skip-recreate` (then every pass GETs).
    pub secrets: SecretIndex,
    /// Unseals on the blocking pool within a deadline per object.
    pub unsealer: Arc<Unsealer>,
    /// What passes settled on, and the backoff of repairs (see `drift_guard`).
    pub drift: DriftGuard,
    /// The work queue, for passes that must come back later (a paused repair).
    pub queue: Arc<WorkQueue<ObjKey>>,
    pub options: Options,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}
