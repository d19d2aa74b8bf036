//! The usual start of a cluster test: the control plane, an admin client and a fresh namespace.

use std::future::Future;
use std::time::{Duration, Instant};

use kube::Client;

use crate::env::Testenv;
use crate::error::TestenvError;
use crate::namespace::create_namespace;

#[derive(Clone)]
pub struct TestContext {
    pub env: &'static Testenv,
    pub admin: Client,
    pub namespace: String,
}

impl std::fmt::Debug for TestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestContext")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

impl TestContext {
    /// Panics (fails the test) with the env file and the component logs when the control plane
    /// is missing or broken.
    pub async fn new(prefix: &str) -> TestContext {
        let env = Testenv::get();
        let admin = match env.admin().await {
            Ok(c) => c,
            Err(e) => panic!(
                "testenv ({}): {e}\n{}",
                env.env_file.display(),
                env.component_log_tails(40)
            ),
        };
        let namespace = match create_namespace(&admin, prefix).await {
            Ok(n) => n,
            Err(e) => panic!(
                "testenv ({}): {e}\n{}",
                env.env_file.display(),
                env.component_log_tails(40)
            ),
        };
        TestContext {
            env,
            admin,
            namespace,
        }
    }

    /// A client acting as `alice` or `bob` (no RBAC beyond `system:authenticated`).
    pub async fn client_as(&self, user: &str) -> Client {
        match self.env.client_as(user).await {
            Ok(c) => c,
            Err(e) => panic!("testenv: client for {user}: {e}"),
        }
    }
}

/// Polls `probe` every 200 ms until it yields `Some`, for at most `timeout`.
pub async fn eventually<T, F, Fut>(
    timeout: Duration,
    what: &str,
    mut probe: F,
) -> Result<T, TestenvError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = probe().await {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(TestenvError::Timeout {
                what: what.to_string(),
                secs: timeout.as_secs(),
                tail: Testenv::get().component_log_tails(20),
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
