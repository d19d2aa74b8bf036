//! Kubernetes Events on SealedSecrets, as upstream's client-go recorder writes them: core/v1
//! Events with source component `sealed-secrets`, repeats folded into `count`, written by one
//! background task from a bounded queue.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use tokio::sync::mpsc;

use crate::logic::outcome::EventType;

pub const COMPONENT: &str = "sealed-secrets";

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    uid: String,
    type_: EventType,
    reason: String,
    message: String,
}

/// Builds a fresh Event (pure; `now` passed in).
pub fn build(
    regarding: &ObjectReference,
    type_: EventType,
    reason: &str,
    message: &str,
    now: Timestamp,
) -> Event {
    let name = format!(
        "{}.{:x}",
        regarding.name.as_deref().unwrap_or("sealedsecret"),
        now.as_nanosecond()
    );
    Event {
        metadata: ObjectMeta {
            name: Some(name),
            namespace: regarding.namespace.clone(),
            ..Default::default()
        },
        involved_object: regarding.clone(),
        reason: Some(reason.to_string()),
        message: Some(message.to_string()),
        type_: Some(type_.as_str().to_string()),
        source: Some(EventSource {
            component: Some(COMPONENT.to_string()),
            host: None,
        }),
        first_timestamp: Some(Time(now)),
        last_timestamp: Some(Time(now)),
        count: Some(1),
        reporting_component: Some(COMPONENT.to_string()),
        reporting_instance: None,
        ..Default::default()
    }
}

/// Events waiting to be written; like client-go's broadcaster, a full queue drops new events
/// rather than holding up the workers that record them.
pub const QUEUE_CAPACITY: usize = 1000;

/// Distinct events remembered for folding repeats into `count`.
const FOLD_MEMORY: usize = 4096;

#[derive(Debug)]
struct Pending {
    regarding: ObjectReference,
    type_: EventType,
    reason: String,
    message: String,
    at: Timestamp,
}

/// Hands events to a writer task: recording never waits for the API server, so Event writes
/// do not serialise the workers.
#[derive(Clone)]
pub struct Recorder {
    queue: mpsc::Sender<Pending>,
    dropped: Arc<AtomicU64>,
    /// Objects whose last failure was the API server being unavailable: its retries write no
    /// further Events until a pass ends otherwise.
    unavailable: Arc<Mutex<HashSet<String>>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    /// Starts the writer task (needs a Tokio runtime); it ends when every `Recorder` is dropped.
    pub fn new(client: Client) -> Self {
        let (recorder, rx) = Self::unstarted(QUEUE_CAPACITY);
        tokio::spawn(write_events(client, rx, recorder.dropped.clone()));
        recorder
    }

    /// A recorder and the receiving end of its queue, with no writer yet.
    fn unstarted(capacity: usize) -> (Self, mpsc::Receiver<Pending>) {
        let (queue, rx) = mpsc::channel(capacity);
        let recorder = Self {
            queue,
            dropped: Arc::new(AtomicU64::new(0)),
            unavailable: Arc::default(),
        };
        (recorder, rx)
    }

    /// Queues an event; never waits. Failures are logged, never returned (events are best
    /// effort).
    pub fn record(
        &self,
        regarding: &ObjectReference,
        type_: EventType,
        reason: &str,
        message: &str,
    ) {
        let pending = Pending {
            regarding: regarding.clone(),
            type_,
            reason: reason.to_string(),
            message: message.to_string(),
            at: Timestamp::now(),
        };
        if self.queue.try_send(pending).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// As `record`, for a failure caused by the API server being unavailable: only the first
    /// of a run of such failures of one object is recorded, so retries under backoff do not
    /// write an Event each.
    pub fn record_unavailable(
        &self,
        regarding: &ObjectReference,
        type_: EventType,
        reason: &str,
        message: &str,
    ) {
        let uid = regarding.uid.clone().unwrap_or_default();
        let first = lock(&self.unavailable).insert(uid);
        if first {
            self.record(regarding, type_, reason, message);
        }
    }

    /// Ends the run of unavailable-API failures of object `uid`.
    pub fn available_again(&self, uid: &str) {
        lock(&self.unavailable).remove(uid);
    }
}

fn lock(set: &Mutex<HashSet<String>>) -> std::sync::MutexGuard<'_, HashSet<String>> {
    // A poisoned lock only means a worker panicked; the set itself stays usable.
    set.lock().unwrap_or_else(|e| e.into_inner())
}

/// Writes queued events one at a time, folding repeats of the same event into `count` as
/// client-go's correlator does.
async fn write_events(client: Client, mut rx: mpsc::Receiver<Pending>, dropped: Arc<AtomicU64>) {
    let mut seen: HashMap<Key, (String, i32)> = HashMap::new();
    while let Some(p) = rx.recv().await {
        let lost = dropped.swap(0, Ordering::Relaxed);
        if lost > 0 {
            tracing::warn!(dropped = lost, "event queue full; events dropped");
        }
        if seen.len() > FOLD_MEMORY {
            seen.clear();
        }
        write_one(&client, &mut seen, p).await;
    }
}

async fn write_one(client: &Client, seen: &mut HashMap<Key, (String, i32)>, p: Pending) {
    let ns = p
        .regarding
        .namespace
        .clone()
        .unwrap_or_else(|| "default".to_string());
    let api: Api<Event> = Api::namespaced(client.clone(), &ns);
    let key = Key {
        uid: p.regarding.uid.clone().unwrap_or_default(),
        type_: p.type_,
        reason: p.reason.clone(),
        message: p.message.clone(),
    };
    if let Some((name, count)) = seen.get(&key).cloned() {
        let patch = serde_json::json!({ "count": count + 1, "lastTimestamp": Time(p.at) });
        if api
            .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
            .await
            .is_ok()
        {
            seen.insert(key, (name, count + 1));
            return;
        }
    }
    let event = build(&p.regarding, p.type_, &p.reason, &p.message, p.at);
    match api.create(&PostParams::default(), &event).await {
        Ok(created) => {
            if let Some(name) = created.metadata.name {
                seen.insert(key, (name, 1));
            }
        }
        Err(e) => {
            tracing::warn!(reason = %p.reason, namespace = %ns, error = %e, "cannot record event")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logic::outcome::REASON_UNSEAL_FAILED;

    fn regarding(uid: &str) -> ObjectReference {
        ObjectReference {
            name: Some("s".into()),
            namespace: Some("ns".into()),
            uid: Some(uid.into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_full_queue_drops_instead_of_waiting() {
        let (r, mut rx) = Recorder::unstarted(4);
        for i in 0..10 {
            r.record(&regarding("u"), EventType::Warning, "R", &format!("m{i}"));
        }
        assert_eq!(r.dropped.load(Ordering::Relaxed), 6);
        let first = rx.try_recv().map(|p| p.message).ok();
        assert_eq!(first.as_deref(), Some("m0"));
    }

    #[test]
    fn unavailable_api_server_records_once_per_run() {
        let (r, mut rx) = Recorder::unstarted(16);
        for _ in 0..5 {
            r.record_unavailable(&regarding("u"), EventType::Warning, "R", "503");
        }
        r.record_unavailable(&regarding("other"), EventType::Warning, "R", "503");
        r.available_again("u");
        r.record_unavailable(&regarding("u"), EventType::Warning, "R", "503");
        let mut uids = Vec::new();
        while let Ok(p) = rx.try_recv() {
            uids.push(p.regarding.uid.unwrap_or_default());
        }
        assert_eq!(uids, ["u", "other", "u"]);
    }

    #[test]
    fn event_shape() {
        let r = ObjectReference {
            api_version: Some("bitnami.com/v1alpha1".into()),
            kind: Some("SealedSecret".into()),
            name: Some("s".into()),
            namespace: Some("ns".into()),
            uid: Some("u".into()),
            ..Default::default()
        };
        let e = build(
            &r,
            EventType::Warning,
            REASON_UNSEAL_FAILED,
            "Failed to unseal: x",
            Timestamp::UNIX_EPOCH,
        );
        assert_eq!(e.metadata.namespace.as_deref(), Some("ns"));
        assert!(e.metadata.name.as_deref().unwrap().starts_with("s."));
        assert_eq!(
            e.source.unwrap().component.as_deref(),
            Some("sealed-secrets")
        );
        assert_eq!(e.type_.as_deref(), Some("Warning"));
        assert_eq!(e.reason.as_deref(), Some("ErrUnsealFailed"));
        assert_eq!(e.count, Some(1));
    }
}
