//! Online mode: the controller knows the newest key. A SealedSecret whose twin in the cluster
//! has the same items and was last opened with only the newest key is current; any other goes
//! through the controller's `/v1/rotate` (through the API server's service proxy, with the
//! caller's credentials) and its items take the new ciphertexts from the answer.

use kube::Api;
use sealwright_crypto::model::SYNCED;
use sealwright_crypto::{SealedSecret, cert};

use super::reseal::{Failure, LEGACY_DATA, Reseal, Resealed, missing_namespace_hint};
use crate::args::Connection;
use crate::certsource;
use crate::error::CliError;
use crate::input;
use crate::kubeconfig;
use crate::output::objects;
use crate::proxy::{self, Controller};

pub struct Online {
    rt: tokio::runtime::Runtime,
    client: kube::Client,
    controller: Controller,
    port: String,
    /// Fingerprint of the controller's current certificate.
    newest: String,
}

impl std::fmt::Debug for Online {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Online")
            .field("controller", &self.controller)
            .field("newest", &self.newest)
            .finish_non_exhaustive()
    }
}

impl Online {
    /// Connects, learns the newest certificate (proxy, else the published ConfigMap) and the
    /// controller Service's port.
    pub fn connect(conn: &Connection) -> Result<Self, CliError> {
        let controller = Controller {
            namespace: conn.controller_namespace.clone(),
            name: conn.controller_name.clone(),
        };
        Self::connect_to(conn.kubeconfig.as_deref(), &conn.kube, controller)
    }

    /// The same for a given kubeconfig, connection flags and controller (a rules target).
    pub fn connect_to(
        config: Option<&std::path::Path>,
        kube: &crate::args::KubeArgs,
        controller: Controller,
    ) -> Result<Self, CliError> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))?;
        let source = kubeconfig::load(config)?;
        // The client's background tasks live on `rt`, so every later call runs on it too.
        let (client, pem, port) = rt.block_on(async {
            let client = kubeconfig::client(source, kube).await?;
            let pem = certsource::open_cluster(&client, &controller).await?;
            let port = certsource::service_port(&client, &controller).await?;
            Ok::<_, CliError>((client, pem, port))
        })?;
        let newest = cert::parse_pem(&pem)?.fingerprint();
        Ok(Self {
            rt,
            client,
            controller,
            port,
            newest,
        })
    }

    /// The cluster's copy is proof only when nothing about it is stale.
    fn is_current(&self, ss: &SealedSecret) -> bool {
        let (Some(ns), Some(name)) = (
            ss.metadata.namespace.as_deref(),
            ss.metadata.name.as_deref(),
        ) else {
            return false;
        };
        let api = Api::<SealedSecret>::namespaced(self.client.clone(), ns);
        // Any failure (not found, no permission) only means "cannot tell": ask the controller.
        match self.rt.block_on(api.get_opt(name)) {
            Ok(Some(live)) => proves_current(ss, &live, &self.newest),
            _ => false,
        }
    }

    fn rotate(&self, ss: &SealedSecret) -> Result<SealedSecret, Failure> {
        let body = serde_json::to_vec(&objects::sealed_secret(ss))
            .map_err(|e| Failure::object(format!("cannot encode the request: {e}")))?;
        // The controller rate-limits `/v1/rotate` per client (upstream v0.40) and answers 503
        // while its work pool is full: a tree of many objects waits its turn instead of failing.
        let mut waited = std::time::Duration::ZERO;
        let text = loop {
            let req = self
                .controller
                .rotate_request(&self.port, body.clone())
                .map_err(|e| Failure::object(e.to_string()))?;
            match self.rt.block_on(self.client.request_text(req)) {
                Ok(text) => break text,
                Err(e)
                    if matches!(proxy::status_code(&e), Some(429 | 503))
                        && waited < ROTATE_PATIENCE =>
                {
                    std::thread::sleep(ROTATE_PAUSE);
                    waited += ROTATE_PAUSE;
                }
                Err(e) => return Err(Failure::object(rotate_failure(&e))),
            }
        };
        let doc: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Failure::object(format!("cannot read the controller's answer: {e}")))?;
        input::sealed_secret_lenient(doc).map_err(|e| Failure::object(e.to_string()))
    }
}

/// How long one object waits, in all, for the controller's rate limit or busy pool.
const ROTATE_PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);
const ROTATE_PAUSE: std::time::Duration = std::time::Duration::from_millis(500);

fn rotate_failure(e: &kube::Error) -> String {
    match proxy::status_code(e) {
        // The controller answers 500 with an empty body whatever went wrong; by far the most
        // common cause is that none of its keys opens the object.
        Some(500) => "the controller cannot re-encrypt it (HTTP 500): most likely no key of the controller could decrypt it; its log has the reason".into(),
        _ => format!("cannot re-encrypt through the controller: {}", proxy::describe(e)),
    }
}

/// Same items, synced at the current generation, opened with exactly the newest key.
pub fn proves_current(file: &SealedSecret, live: &SealedSecret, newest: &str) -> bool {
    let Some(status) = live.status.as_ref() else {
        return false;
    };
    let synced = status
        .conditions
        .iter()
        .flatten()
        .any(|c| c.type_ == SYNCED && c.status == "True");
    live.spec.encrypted_data == file.spec.encrypted_data
        && live.spec.data == file.spec.data
        && synced
        && status.observed_generation.is_some()
        && status.observed_generation == live.metadata.generation
        && status.key_fingerprints.as_deref() == Some(&[newest.to_string()][..])
}

impl Reseal for Online {
    fn reseal(&mut self, ss: &SealedSecret) -> Result<Resealed, Vec<Failure>> {
        if ss.spec.data.is_some() {
            return Err(vec![Failure::object(LEGACY_DATA)]);
        }
        // `/v1/rotate` seals the unsealed Secret, where a template item overrides the item of
        // the same name: its answer would hold the rendered value, not the sealed one.
        let templated: Vec<Failure> = ss
            .spec
            .encrypted_data
            .keys()
            .filter(|k| ss.spec.template.data.as_ref().is_some_and(|d| d.contains_key(*k)))
            .map(|k| {
                Failure::item(
                    k,
                    "also defined in spec.template.data; re-encrypt this file offline (--recovery-private-key and --cert)",
                )
            })
            .collect();
        if !templated.is_empty() {
            return Err(templated);
        }
        if ss.spec.encrypted_data.is_empty() {
            return Ok(Resealed::default());
        }
        if self.is_current(ss) {
            return Ok(Resealed {
                current: ss.spec.encrypted_data.len(),
                changed: Vec::new(),
            });
        }
        let answer = self.rotate(ss).map_err(|mut f| {
            f.reason.push_str(missing_namespace_hint(ss));
            vec![f]
        })?;
        let mut out = Resealed::default();
        let mut failures = Vec::new();
        for item in ss.spec.encrypted_data.keys() {
            match answer.spec.encrypted_data.get(item) {
                Some(new) => out.changed.push((item.clone(), new.clone())),
                None => failures.push(Failure::item(item, "missing from the controller's answer")),
            }
        }
        if failures.is_empty() {
            Ok(out)
        } else {
            Err(failures)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sealwright_crypto::{SealedSecretCondition, SealedSecretSpec, SealedSecretStatus};

    fn object(items: &[(&str, &str)]) -> SealedSecret {
        let mut ss = SealedSecret::new(
            "s",
            SealedSecretSpec {
                encrypted_data: items
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
                ..Default::default()
            },
        );
        ss.metadata.namespace = Some("n".into());
        ss
    }

    fn live(items: &[(&str, &str)], status: &str, observed: i64, fps: &[&str]) -> SealedSecret {
        let mut ss = object(items);
        ss.metadata.generation = Some(2);
        ss.status = Some(SealedSecretStatus {
            observed_generation: Some(observed),
            conditions: Some(vec![SealedSecretCondition {
                type_: "Synced".into(),
                status: status.into(),
                ..Default::default()
            }]),
            key_fingerprints: Some(fps.iter().map(|s| s.to_string()).collect()),
            ..Default::default()
        });
        ss
    }

    #[test]
    fn current_only_with_every_condition() {
        let file = object(&[("k", "AgA")]);
        assert!(proves_current(
            &file,
            &live(&[("k", "AgA")], "True", 2, &["SHA256:new"]),
            "SHA256:new"
        ));
        for stale in [
            live(&[("k", "AgB")], "True", 2, &["SHA256:new"]),
            live(&[("k", "AgA")], "False", 2, &["SHA256:new"]),
            live(&[("k", "AgA")], "True", 1, &["SHA256:new"]),
            live(&[("k", "AgA")], "True", 2, &["SHA256:old"]),
            live(&[("k", "AgA")], "True", 2, &["SHA256:new", "SHA256:old"]),
            object(&[("k", "AgA")]),
        ] {
            assert!(!proves_current(&file, &stale, "SHA256:new"), "{stale:?}");
        }
    }
}
