//! The bounded pool `/v1/verify` and `/v1/rotate` do their work in: RSA and body parsing are
//! CPU work that must not run on the async threads (they also serve probes, the watches and the
//! workers' API calls), and an HTTP client must not be able to queue more of it than the pod
//! can hold.
//!
//! Two limits: `running` requests do CPU work at once, on blocking threads; at most `admitted`
//! requests are inside the pool at all (running, waiting for a turn, or reading their body, which
//! is read only once admitted so that waiting bodies are bounded too). A request that finds the
//! pool full is refused at once with 503 and `Retry-After`, which client-go based clients
//! (kubeseal included) retry.

use std::sync::Arc;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

#[derive(Debug, Clone)]
pub struct WorkPool {
    admitted: Arc<Semaphore>,
    running: Arc<Semaphore>,
}

/// The pool is full.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the controller is busy")]
pub struct Busy;

/// A request's place in the pool; dropping it leaves the pool.
#[derive(Debug)]
pub struct Admission {
    _permit: OwnedSemaphorePermit,
    running: Arc<Semaphore>,
}

/// Why pooled work gave no result.
#[derive(Debug, thiserror::Error)]
pub enum PoolError {
    #[error("pool closed")]
    Closed,
    #[error("pooled work panicked: {0}")]
    Panicked(String),
}

impl PoolError {
    pub fn name(&self) -> &'static str {
        match self {
            PoolError::Closed => "Closed",
            PoolError::Panicked(_) => "Panicked",
        }
    }
}

impl WorkPool {
    /// `running` CPU jobs at once, `admitted` requests in all (at least `running`).
    pub fn new(running: usize, admitted: usize) -> Self {
        let running = running.max(1);
        Self {
            admitted: Arc::new(Semaphore::new(admitted.max(running))),
            running: Arc::new(Semaphore::new(running)),
        }
    }

    /// Sized to the machine: one job per core (at most 4: the pod's CPU limit is small), and as
    /// many again waiting.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let running = cores.clamp(1, 4);
        Self::new(running, running * 2)
    }

    /// A place in the pool, or `Busy` at once.
    pub fn admit(&self) -> Result<Admission, Busy> {
        let permit = self
            .admitted
            .clone()
            .try_acquire_owned()
            .map_err(|_| Busy)?;
        Ok(Admission {
            _permit: permit,
            running: self.running.clone(),
        })
    }
}

impl Admission {
    /// Runs `job` on a blocking thread once a running slot is free.
    pub async fn run<T, F>(&self, job: F) -> Result<T, PoolError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let slot = self
            .running
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| PoolError::Closed)?;
        tokio::task::spawn_blocking(move || {
            let _slot = slot;
            job()
        })
        .await
        .map_err(|e| PoolError::Panicked(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn full_pool_refuses_at_once() {
        let pool = WorkPool::new(1, 2);
        let a = pool.admit().expect("first");
        let b = pool.admit().expect("second");
        assert_eq!(pool.admit().unwrap_err(), Busy);
        drop(a);
        let c = pool.admit().expect("a place was freed");
        drop((b, c));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn at_most_running_jobs_at_once() {
        let pool = WorkPool::new(2, 8);
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let admission = pool.admit().expect("room for 8");
            let (now, peak) = (now.clone(), peak.clone());
            tasks.push(tokio::spawn(async move {
                admission
                    .run(move || {
                        let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(n, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(20));
                        now.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
            }));
        }
        for t in tasks {
            t.await.expect("join").expect("ran");
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_panicking_job_is_an_error_not_a_crash() {
        let pool = WorkPool::new(1, 1);
        let admission = pool.admit().expect("room");
        let r: Result<(), _> = admission.run(|| panic!("boom")).await;
        assert!(matches!(r, Err(PoolError::Panicked(_))));
        drop(admission);
        assert!(pool.admit().is_ok());
    }
}
