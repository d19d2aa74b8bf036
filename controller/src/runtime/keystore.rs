//! Sealing keys in the cluster ([keys.go], [keyregistry.go]): loading key Secrets into the
//! registry, writing new keys, and publishing the current certificate in a ConfigMap.
//!
//! [keys.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/keys.go
//! [keyregistry.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/keyregistry.go

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::Client;
use kube::api::{Api, ListParams, Patch, PatchParams, PostParams};
use sealwright_crypto::keys::{self, KEY_LABEL, KEY_LABEL_ACTIVE, SealingKey};
use sealwright_crypto::{cert, keys::KeyError};
use time::OffsetDateTime;
use tokio::sync::watch;

use crate::error::{Error, is_not_found};
use crate::logic::keyring::KeyOrderPriority;
use crate::logic::keyring::{Change, Registry, Snapshot, sort_by_creation};

/// Beyond upstream: the current certificate, readable by every authenticated user.
pub const CERT_CONFIGMAP: &str = "sealed-secrets-cert";
pub const CERT_CONFIGMAP_KEY: &str = "cert.pem";
pub const FIELD_MANAGER: &str = "sealed-secrets-controller";

/// How new keys are made.
#[derive(Debug, Clone)]
pub struct KeyParams {
    pub prefix: String,
    pub bits: usize,
    pub common_name: String,
    pub ttl: Duration,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

pub struct KeyStore {
    client: Client,
    namespace: String,
    params: KeyParams,
    registry: Mutex<Registry>,
    tx: watch::Sender<Arc<Snapshot>>,
}

impl std::fmt::Debug for KeyStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyStore")
            .field("namespace", &self.namespace)
            .finish_non_exhaustive()
    }
}

fn creation(secret: &Secret) -> Option<OffsetDateTime> {
    let ts = secret.metadata.creation_timestamp.as_ref()?;
    OffsetDateTime::from_unix_timestamp(ts.0.as_second()).ok()
}

impl KeyStore {
    pub fn new(
        client: Client,
        namespace: String,
        order: KeyOrderPriority,
        params: KeyParams,
    ) -> Arc<Self> {
        let (tx, _) = watch::channel(Arc::new(Snapshot::default()));
        Arc::new(Self {
            client,
            namespace,
            params,
            registry: Mutex::new(Registry::new(order)),
            tx,
        })
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn registry(&self) -> MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.tx.borrow().clone()
    }

    pub fn subscribe(&self) -> watch::Receiver<Arc<Snapshot>> {
        self.tx.subscribe()
    }

    pub fn most_recent_ordering(&self) -> Option<OffsetDateTime> {
        self.registry().most_recent_ordering()
    }

    fn publish(&self, registry: &Registry) {
        self.tx.send_replace(registry.snapshot());
    }

    /// Startup load: labelled key Secrets, then the legacy Secret named exactly `prefix`.
    pub async fn load(&self) -> Result<usize, Error> {
        let api: Api<Secret> = Api::namespaced(self.client.clone(), &self.namespace);
        let selector = format!("{KEY_LABEL}={KEY_LABEL_ACTIVE}");
        let mut secrets: Vec<(Secret, bool)> = api
            .list(&ListParams::default().labels(&selector))
            .await?
            .items
            .into_iter()
            .map(|s| (s, false))
            .collect();
        match api.get(&self.params.prefix).await {
            // A legacy Secret that carries the label too is already in the list.
            Ok(legacy)
                if !secrets
                    .iter()
                    .any(|(s, _)| s.metadata.name == legacy.metadata.name) =>
            {
                secrets.push((legacy, true))
            }
            Ok(_) => {}
            Err(e) if is_not_found(&e) => {}
            Err(e) => return Err(e.into()),
        }
        sort_by_creation(&mut secrets, |(s, _)| creation(s));
        let mut loaded = 0;
        for (s, legacy) in &secrets {
            if self.apply(s, *legacy).keys {
                loaded += 1;
            }
        }
        let registry = self.registry();
        tracing::info!(keys = registry.len(), namespace = %self.namespace, "key registry loaded");
        Ok(loaded)
    }

    /// A key Secret added or changed (startup or watch): its key is registered, replacing the
    /// one the Secret held before. A Secret that is malformed or fails the load checks (short
    /// key, certificate of another key) is logged and its key, if it had one, is dropped.
    pub fn apply_secret(&self, secret: &Secret) -> Change {
        self.apply(secret, false)
    }

    fn apply(&self, secret: &Secret, legacy: bool) -> Change {
        let name = secret.metadata.name.clone().unwrap_or_default();
        let resource_version = secret.metadata.resource_version.clone();
        if self
            .registry()
            .is_current(&name, resource_version.as_deref())
        {
            return Change::default();
        }
        let change = match keys::load_secret(secret) {
            Ok(key) => {
                let fingerprint = key.fingerprint.clone();
                let change = self.registry().apply_secret(key, resource_version, legacy);
                if change.keys {
                    tracing::info!(secret = %name, fingerprint = %fingerprint, "registered sealing key");
                }
                change
            }
            Err(e) => {
                tracing::error!(
                    secret = %name,
                    namespace = %self.namespace,
                    reason = %e,
                    kind = e.name(),
                    "refusing key Secret: {e}; its key is not used"
                );
                self.registry().remove_secret(&name)
            }
        };
        self.after(change, &name);
        change
    }

    /// A key Secret deleted or relabelled (no longer `active`): its key stops being used at once.
    pub fn remove_secret(&self, name: &str) -> Change {
        let change = self.registry().remove_secret(name);
        if change.keys {
            tracing::info!(secret = %name, "key Secret removed; its key is no longer used");
        }
        self.after(change, name);
        change
    }

    /// The registration counter before a re-list of the key Secrets (see `retain_listed`).
    pub fn mark(&self) -> u64 {
        self.registry().mark()
    }

    /// After a re-list: forgets the labelled key Secrets registered before `mark` that the list
    /// no longer has (deleted or relabelled while the watch was down).
    pub fn retain_listed(&self, listed: &BTreeSet<String>, mark: u64) -> Change {
        let change = self.registry().retain_listed(listed, mark);
        if change.keys {
            tracing::info!(
                "key Secrets gone while the watch was down; their keys are no longer used"
            );
        }
        self.after(change, "");
        change
    }

    /// Publishes a changed key set to every reader, and says which key seals now.
    fn after(&self, change: Change, name: &str) {
        if change == Change::default() {
            return;
        }
        let registry = self.registry();
        self.publish(&registry);
        if change.sealing {
            match registry.most_recent() {
                Some(key) => tracing::info!(
                    secret = key.secret_name.as_deref().unwrap_or(name),
                    fingerprint = %key.fingerprint,
                    "sealing key is now the most recent"
                ),
                None => tracing::warn!("no sealing key left"),
            }
        }
    }

    /// Generates, writes and registers a new key (upstream `generateKey`).
    pub async fn generate(&self) -> Result<SealingKey, Error> {
        let params = self.params.clone();
        let namespace = self.namespace.clone();
        let now = OffsetDateTime::now_utc();
        // RSA generation is CPU-bound for seconds; keep it off the async workers.
        let built = tokio::task::spawn_blocking(move || -> Result<Secret, KeyError> {
            // Refused before writing: the key would be skipped on every load.
            if params.bits < keys::MIN_KEY_BITS {
                return Err(KeyError::WeakKey { bits: params.bits });
            }
            let key = keys::generate(params.bits)?;
            let ttl = time::Duration::try_from(params.ttl).unwrap_or(time::Duration::MAX);
            let cert_pem = cert::self_signed(&key, &params.common_name, now, ttl)?;
            Ok(keys::to_secret(
                &key,
                &cert_pem,
                &namespace,
                &params.prefix,
                &params.labels,
                &params.annotations,
            ))
        })
        .await
        .map_err(|e| Error::Join(e.to_string()))??;
        let api: Api<Secret> = Api::namespaced(self.client.clone(), &self.namespace);
        let created = api.create(&PostParams::default(), &built).await?;
        let key = keys::load_secret(&created)?;
        tracing::info!(
            secret = created.metadata.name.as_deref().unwrap_or_default(),
            fingerprint = %key.fingerprint,
            "New key written"
        );
        tracing::info!(certificate = %key.cert_pem, "Certificate generated");
        let change = self
            .registry()
            .apply_generated(key.clone(), created.metadata.resource_version.clone());
        self.after(change, created.metadata.name.as_deref().unwrap_or_default());
        Ok(key)
    }

    /// Writes the current certificate to the `sealed-secrets-cert` ConfigMap (server-side apply).
    pub async fn publish_cert_configmap(&self, cert_pem: &str) -> Result<(), kube::Error> {
        let api: Api<ConfigMap> = Api::namespaced(self.client.clone(), &self.namespace);
        let cm = serde_json::json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": { "name": CERT_CONFIGMAP, "namespace": self.namespace },
            "data": { CERT_CONFIGMAP_KEY: cert_pem },
        });
        api.patch(
            CERT_CONFIGMAP,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&cm),
        )
        .await?;
        Ok(())
    }
}
