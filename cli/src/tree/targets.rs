//! Which controller re-encrypts each file online: the cluster its `.sealed-secrets.yaml` rule
//! names, else the one the flags name. One connection per cluster per run, made when a file of
//! that cluster first holds a SealedSecret.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sealwright_crypto::SealedSecret;

use super::online::Online;
use super::reseal::{Failure, Reseal, Resealed};
use crate::args::{Connection, KubeArgs};
use crate::error::CliError;
use crate::proxy::Controller;
use crate::rules;

pub struct Targets {
    /// The resealer for files without a rule (the flags' controller, or offline mode).
    default: Box<dyn Reseal>,
    by_cluster: HashMap<(PathBuf, String), Box<dyn Reseal>>,
    use_rules: bool,
    kubeconfig: Option<PathBuf>,
    kube: KubeArgs,
    controller: Controller,
}

impl Targets {
    /// `default` is the flags' resealer when it is set up front; `None`: rules decide, and
    /// files without a rule go to the flags' controller, connected when first needed.
    pub fn new(conn: &Connection, default: Option<Box<dyn Reseal>>) -> Self {
        let controller = Controller {
            namespace: conn.controller_namespace.clone(),
            name: conn.controller_name.clone(),
        };
        let use_rules = default.is_none();
        let default = default.unwrap_or_else(|| {
            Box::new(Lazy::new(
                conn.kubeconfig.clone(),
                conn.kube.clone(),
                controller.clone(),
            ))
        });
        Self {
            default,
            by_cluster: HashMap::new(),
            use_rules,
            kubeconfig: conn.kubeconfig.clone(),
            kube: conn.kube.clone(),
            controller,
        }
    }

    pub fn for_file(&mut self, path: &Path) -> Result<&mut (dyn Reseal + 'static), CliError> {
        let target = if self.use_rules {
            rules::target_for(path)?
        } else {
            None
        };
        let Some(t) = target else {
            return Ok(self.default.as_mut());
        };
        let key = (t.rules_file.clone(), t.cluster.clone());
        let s = &t.settings;
        let mut kube = self.kube.clone();
        if s.context.is_some() {
            kube.context.clone_from(&s.context);
        }
        let controller = Controller {
            namespace: s
                .controller_namespace
                .clone()
                .unwrap_or_else(|| self.controller.namespace.clone()),
            name: s
                .controller_name
                .clone()
                .unwrap_or_else(|| self.controller.name.clone()),
        };
        let config = s
            .kubeconfig
            .as_ref()
            .map(PathBuf::from)
            .or_else(|| self.kubeconfig.clone());
        Ok(self
            .by_cluster
            .entry(key)
            .or_insert_with(|| Box::new(Lazy::new(config, kube, controller)))
            .as_mut())
    }
}

/// An online resealer that connects on its first SealedSecret (and remembers a failure).
struct Lazy {
    kubeconfig: Option<PathBuf>,
    kube: KubeArgs,
    controller: Controller,
    online: Option<Online>,
    failed: Option<String>,
}

impl Lazy {
    fn new(kubeconfig: Option<PathBuf>, kube: KubeArgs, controller: Controller) -> Self {
        Self {
            kubeconfig,
            kube,
            controller,
            online: None,
            failed: None,
        }
    }
}

impl Reseal for Lazy {
    fn reseal(&mut self, ss: &SealedSecret) -> Result<Resealed, Vec<Failure>> {
        if let Some(reason) = &self.failed {
            return Err(vec![Failure::object(reason.clone())]);
        }
        if self.online.is_none() {
            match Online::connect_to(
                self.kubeconfig.as_deref(),
                &self.kube,
                self.controller.clone(),
            ) {
                Ok(o) => self.online = Some(o),
                Err(e) => {
                    let reason = e.to_string().replace('\n', " ");
                    self.failed = Some(reason.clone());
                    return Err(vec![Failure::object(reason)]);
                }
            }
        }
        match self.online.as_mut() {
            Some(o) => o.reseal(ss),
            None => Err(vec![Failure::object("not connected")]),
        }
    }
}
