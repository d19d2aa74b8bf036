//! Kubernetes Events on SealedSecrets, as upstream's client-go recorder writes them: core/v1
//! Events with source component `sealed-secrets`, repeats folded into `count`.

use std::collections::HashMap;
use std::sync::Arc;

use k8s_openapi::api::core::v1::{Event, EventSource, ObjectReference};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::Client;
use kube::api::{Api, Patch, PatchParams, PostParams};
use tokio::sync::Mutex;

pub const COMPONENT: &str = "sealed-secrets";

pub const REASON_UNSEALED: &str = "Unsealed";
pub const REASON_UNSEAL_FAILED: &str = "ErrUnsealFailed";
pub const REASON_UPDATE_FAILED: &str = "ErrUpdateFailed";
pub const MESSAGE_UNSEALED: &str = "SealedSecret unsealed successfully";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Normal,
    Warning,
}

impl EventType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Normal => "Normal",
            Self::Warning => "Warning",
        }
    }
}

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

#[derive(Clone)]
pub struct Recorder {
    client: Client,
    seen: Arc<Mutex<HashMap<Key, (String, i32)>>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder").finish_non_exhaustive()
    }
}

impl Recorder {
    pub fn new(client: Client) -> Self {
        Self {
            client,
            seen: Arc::default(),
        }
    }

    /// Records an event; failures are logged, never returned (events are best effort).
    pub async fn record(
        &self,
        regarding: &ObjectReference,
        type_: EventType,
        reason: &str,
        message: &str,
    ) {
        let ns = regarding
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string());
        let api: Api<Event> = Api::namespaced(self.client.clone(), &ns);
        let key = Key {
            uid: regarding.uid.clone().unwrap_or_default(),
            type_,
            reason: reason.to_string(),
            message: message.to_string(),
        };
        let now = Timestamp::now();
        let mut seen = self.seen.lock().await;
        if seen.len() > 4096 {
            seen.clear();
        }
        if let Some((name, count)) = seen.get(&key).cloned() {
            let patch = serde_json::json!({ "count": count + 1, "lastTimestamp": Time(now) });
            if api
                .patch(&name, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .is_ok()
            {
                seen.insert(key, (name, count + 1));
                return;
            }
        }
        let event = build(regarding, type_, reason, message, now);
        match api.create(&PostParams::default(), &event).await {
            Ok(created) => {
                if let Some(name) = created.metadata.name {
                    seen.insert(key, (name, 1));
                }
            }
            Err(e) => tracing::warn!(reason, namespace = %ns, error = %e, "cannot record event"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
