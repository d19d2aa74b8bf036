//! Unsealing off the async threads, within a deadline per object.
//!
//! RSA and template work runs on the blocking pool, where it cannot be cancelled: what ends a
//! hostile render is the template engine's budget. The deadline only bounds how long a worker
//! waits for it, so that one slow object hands its worker back to the queue. A render still
//! running after its deadline keeps the object marked busy, and the object's next pass fails
//! at once instead of starting a second render beside it: one object never holds more than one
//! blocking thread.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sealwright_crypto::SealedSecret;
use sealwright_crypto::unseal::{self, UnsealOptions, Unsealed};

use crate::logic::keyring::Snapshot;
use crate::logic::outcome::UnsealFailure;
use crate::runtime::cache::ObjKey;

/// How long a pass waits for its object's unseal (all items and templates).
pub const DEADLINE: Duration = Duration::from_secs(10);

/// The objects whose unseal is running on the blocking pool.
#[derive(Debug)]
pub struct Unsealer {
    running: Arc<Mutex<HashSet<ObjKey>>>,
    deadline: Duration,
}

impl Default for Unsealer {
    fn default() -> Self {
        Self::with_deadline(DEADLINE)
    }
}

/// Clears the object's busy mark when its blocking task ends, however it ends.
struct Running {
    set: Arc<Mutex<HashSet<ObjKey>>>,
    key: ObjKey,
}

impl Drop for Running {
    fn drop(&mut self) {
        lock(&self.set).remove(&self.key);
    }
}

fn lock(set: &Mutex<HashSet<ObjKey>>) -> std::sync::MutexGuard<'_, HashSet<ObjKey>> {
    // A poisoned lock only means a task panicked; the set itself stays usable.
    set.lock().unwrap_or_else(|e| e.into_inner())
}

impl Unsealer {
    pub fn with_deadline(deadline: Duration) -> Self {
        Self {
            running: Arc::default(),
            deadline,
        }
    }

    /// Whether an unseal of `key` is still running.
    pub fn is_busy(&self, key: &ObjKey) -> bool {
        lock(&self.running).contains(key)
    }

    /// Unseals `ss` with redacted template errors on the blocking pool.
    pub async fn unseal(
        &self,
        key: &ObjKey,
        ss: Arc<SealedSecret>,
        snapshot: Arc<Snapshot>,
        options: UnsealOptions,
    ) -> Result<Unsealed, UnsealFailure> {
        self.run(key, move || {
            unseal::unseal_redacted(&ss, &snapshot.keys, options).map_err(UnsealFailure::from)
        })
        .await
    }

    /// Runs `work` for `key` on the blocking pool and waits at most the deadline for it.
    async fn run<F>(&self, key: &ObjKey, work: F) -> Result<Unsealed, UnsealFailure>
    where
        F: FnOnce() -> Result<Unsealed, UnsealFailure> + Send + 'static,
    {
        if !lock(&self.running).insert(key.clone()) {
            return Err(UnsealFailure::Busy);
        }
        let running = Running {
            set: self.running.clone(),
            key: key.clone(),
        };
        let task = tokio::task::spawn_blocking(move || {
            let _running = running;
            work()
        });
        match tokio::time::timeout(self.deadline, task).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(UnsealFailure::Panicked(e.to_string())),
            Err(_) => {
                tracing::warn!(key = %key, deadline = ?self.deadline, "unseal exceeded its deadline; leaving it to finish in the background");
                Err(UnsealFailure::Deadline(self.deadline))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::Secret;

    fn key(name: &str) -> ObjKey {
        ObjKey {
            namespace: "ns".into(),
            name: name.into(),
        }
    }

    fn unsealed() -> Unsealed {
        Unsealed {
            secret: Secret::default(),
            keys_used: Vec::new(),
        }
    }

    #[tokio::test]
    async fn a_slow_object_is_left_behind_and_not_started_twice() {
        let u = Unsealer::with_deadline(Duration::from_millis(50));
        let (release, wait) = std::sync::mpsc::channel::<()>();
        let slow_key = key("slow");
        let slow = u.run(&slow_key, move || {
            let _ = wait.recv();
            Ok(unsealed())
        });
        assert_eq!(slow.await.err(), Some(UnsealFailure::Deadline(u.deadline)));
        assert!(u.is_busy(&key("slow")));
        let again = u.run(&key("slow"), || Ok(unsealed())).await;
        assert_eq!(again.err(), Some(UnsealFailure::Busy));
        // Others are not held up by it.
        assert!(u.run(&key("other"), || Ok(unsealed())).await.is_ok());
        // Once the slow render ends, the object may be unsealed again.
        let _ = release.send(());
        for _ in 0..100 {
            if !u.is_busy(&key("slow")) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(u.run(&key("slow"), || Ok(unsealed())).await.is_ok());
    }

    #[tokio::test]
    async fn a_panic_is_an_error_and_frees_the_object() {
        let u = Unsealer::default();
        let r = u.run(&key("p"), || panic!("boom")).await;
        assert!(matches!(r, Err(UnsealFailure::Panicked(_))));
        assert!(!u.is_busy(&key("p")));
    }
}
