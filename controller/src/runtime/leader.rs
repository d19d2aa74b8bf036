//! Beyond upstream: leader election on a `coordination.k8s.io/v1` Lease, so that several replicas
//! can run and only one reconciles and renews keys (`--leader-elect`). Follows client-go's
//! rules: a Lease is free when its holder is empty or it was not renewed for its duration, as
//! seen on this replica's clock since the record last changed (no trust in other clocks); the
//! holder renews every retry period and gives up when it could not renew within the renew
//! deadline; on shutdown it releases the Lease so that the next replica takes over at once.

use std::time::{Duration, Instant};

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{MicroTime, ObjectMeta};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, PostParams};
use tokio::sync::watch;

use crate::error::{api_code, api_message, is_not_found};

pub const LEASE_NAME: &str = "sealed-secrets-controller";

#[derive(Debug, Clone)]
pub struct Settings {
    pub namespace: String,
    pub identity: String,
    pub lease_duration: Duration,
    pub renew_deadline: Duration,
    pub retry_period: Duration,
}

/// This replica's identity: the pod name when set (downward API), else hostname and PID.
pub fn identity(env: &dyn Fn(&str) -> Option<String>) -> String {
    if let Some(pod) = env("POD_NAME").filter(|p| !p.is_empty()) {
        return pod;
    }
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| env("HOSTNAME"))
        .unwrap_or_else(|| "unknown".to_string());
    format!("{host}_{}", std::process::id())
}

/// What this replica last saw of the Lease, and when (its own clock).
#[derive(Debug, Clone, PartialEq)]
struct Observed {
    holder: String,
    renew: Option<Timestamp>,
    duration: Option<i32>,
}

fn observed(lease: &Lease) -> Observed {
    let spec = lease.spec.clone().unwrap_or_default();
    Observed {
        holder: spec.holder_identity.unwrap_or_default(),
        renew: spec.renew_time.map(|t| t.0),
        duration: spec.lease_duration_seconds,
    }
}

/// Pure decision: may `me` take or keep the Lease, given what was seen and since when?
pub fn may_acquire(holder: &str, me: &str, unchanged_for: Duration, duration: Duration) -> bool {
    holder.is_empty() || holder == me || unchanged_for >= duration
}

fn seconds(d: Duration) -> i32 {
    i32::try_from(d.as_secs().max(1)).unwrap_or(i32::MAX)
}

#[derive(Debug)]
pub struct Elector {
    api: Api<Lease>,
    settings: Settings,
    seen: Option<(Observed, Instant)>,
}

impl Elector {
    pub fn new(client: Client, settings: Settings) -> Self {
        Self {
            api: Api::namespaced(client, &settings.namespace),
            settings,
            seen: None,
        }
    }

    /// One attempt to take or renew the Lease. `Ok(true)`: we hold it now.
    async fn try_acquire_or_renew(&mut self) -> Result<bool, kube::Error> {
        let me = self.settings.identity.clone();
        let now = MicroTime(Timestamp::now());
        let existing = match self.api.get(LEASE_NAME).await {
            Ok(l) => Some(l),
            Err(e) if is_not_found(&e) => None,
            Err(e) => return Err(e),
        };
        let Some(mut lease) = existing else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(LEASE_NAME.to_string()),
                    namespace: Some(self.settings.namespace.clone()),
                    ..Default::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(me),
                    lease_duration_seconds: Some(seconds(self.settings.lease_duration)),
                    acquire_time: Some(now.clone()),
                    renew_time: Some(now),
                    lease_transitions: Some(0),
                    ..Default::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(true),
                Err(e) if api_code(&e) == Some(409) => Ok(false),
                Err(e) => Err(e),
            };
        };
        let obs = observed(&lease);
        let since = match &self.seen {
            Some((prev, at)) if *prev == obs => *at,
            _ => {
                let at = Instant::now();
                self.seen = Some((obs.clone(), at));
                at
            }
        };
        let duration = obs
            .duration
            .and_then(|s| u64::try_from(s).ok())
            .map(Duration::from_secs)
            .unwrap_or(self.settings.lease_duration);
        if !may_acquire(&obs.holder, &me, since.elapsed(), duration) {
            return Ok(false);
        }
        let spec = lease.spec.get_or_insert_with(Default::default);
        if obs.holder != me {
            spec.acquire_time = Some(now.clone());
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0).saturating_add(1));
        }
        spec.holder_identity = Some(me);
        spec.lease_duration_seconds = Some(seconds(self.settings.lease_duration));
        spec.renew_time = Some(now);
        // The resourceVersion from the GET makes this a compare-and-swap: a 409 means another
        // replica wrote first.
        match self
            .api
            .replace(LEASE_NAME, &PostParams::default(), &lease)
            .await
        {
            Ok(l) => {
                self.seen = Some((observed(&l), Instant::now()));
                Ok(true)
            }
            Err(e) if api_code(&e) == Some(409) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Waits until this replica holds the Lease.
    pub async fn acquire(&mut self) {
        loop {
            match self.try_acquire_or_renew().await {
                Ok(true) => {
                    tracing::info!(identity = %self.settings.identity, lease = LEASE_NAME, "became leader");
                    return;
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(error = %api_message(&e), "cannot get or take the leader Lease")
                }
            }
            tokio::time::sleep(self.settings.retry_period).await;
        }
    }

    /// Renews every retry period; returns when a renewal did not succeed within the renew
    /// deadline (leadership lost) or when `stop` fires.
    pub async fn hold(&mut self, mut stop: watch::Receiver<bool>) -> bool {
        let mut last_ok = Instant::now();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(self.settings.retry_period) => {}
                _ = stop.changed() => return true,
            }
            if *stop.borrow() {
                return true;
            }
            let attempt =
                tokio::time::timeout(self.settings.renew_deadline, self.try_acquire_or_renew())
                    .await;
            match attempt {
                Ok(Ok(true)) => last_ok = Instant::now(),
                Ok(Ok(false)) => {
                    tracing::error!("another replica took the leader Lease");
                    return false;
                }
                Ok(Err(e)) => {
                    tracing::warn!(error = %api_message(&e), "cannot renew the leader Lease")
                }
                Err(_) => tracing::warn!("renewing the leader Lease timed out"),
            }
            if last_ok.elapsed() >= self.settings.renew_deadline {
                tracing::error!("could not renew the leader Lease within the renew deadline");
                return false;
            }
        }
    }

    /// Gives the Lease up (empty holder, 1 s duration) so that another replica takes it at once.
    pub async fn release(&mut self) {
        let Ok(mut lease) = self.api.get(LEASE_NAME).await else {
            return;
        };
        let spec = lease.spec.get_or_insert_with(Default::default);
        if spec.holder_identity.as_deref() != Some(self.settings.identity.as_str()) {
            return;
        }
        spec.holder_identity = Some(String::new());
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        match self
            .api
            .replace(LEASE_NAME, &PostParams::default(), &lease)
            .await
        {
            Ok(_) => tracing::info!("released the leader Lease"),
            Err(e) => tracing::warn!(error = %api_message(&e), "cannot release the leader Lease"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn acquire_rules() {
        let d = Duration::from_secs(15);
        assert!(may_acquire("", "me", Duration::ZERO, d));
        assert!(may_acquire("me", "me", Duration::ZERO, d));
        assert!(!may_acquire("other", "me", Duration::from_secs(14), d));
        assert!(may_acquire("other", "me", Duration::from_secs(15), d));
    }

    #[test]
    fn identity_prefers_pod_name() {
        assert_eq!(
            identity(&|k| (k == "POD_NAME").then(|| "pod-1".to_string())),
            "pod-1"
        );
        let id = identity(&|_| None);
        assert!(id.ends_with(&format!("_{}", std::process::id())), "{id}");
    }
}
