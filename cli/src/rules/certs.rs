//! The certificate each file is sealed with, fetched once per cluster per run.
//!
//! Order: `--cert`; else the file's rules target, unless a controller was named explicitly
//! (`--controller-name/-namespace`, `--context` or their environment variables); else the
//! controller the flags name (upstream's defaults).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sealwright_crypto::{RsaPublicKey, cert};

use super::Target;
use crate::args::{CertGlobals, KubeArgs, controller_flags_given};
use crate::certsource;
use crate::error::CliError;
use crate::kubeconfig;
use crate::proxy::Controller;

#[derive(Debug, Default)]
pub struct Certs {
    /// Rules file and cluster name (or the flags, under an empty key) → certificate PEM.
    cache: HashMap<(PathBuf, String), Vec<u8>>,
}

impl Certs {
    /// The key `file` is sealed for, and the target it came from (`None`: the flags).
    pub fn key_for_file(
        &mut self,
        file: &Path,
        g: &CertGlobals,
    ) -> Result<(RsaPublicKey, Option<Target>), CliError> {
        let target = if g.cert.is_empty() && !controller_flags_given() {
            super::target_for(file)?
        } else {
            None
        };
        let pem = match &target {
            Some(t) => self.pem_for(t, g)?,
            None => self.pem_from_flags(g)?,
        };
        let info = cert::parse_pem(&pem)?;
        info.check_not_expired(time::OffsetDateTime::now_utc())?;
        Ok((info.public_key, target))
    }

    /// The certificate of a rules target.
    pub fn pem_for(&mut self, target: &Target, g: &CertGlobals) -> Result<Vec<u8>, CliError> {
        let key = (target.rules_file.clone(), target.cluster.clone());
        if let Some(pem) = self.cache.get(&key) {
            return Ok(pem.clone());
        }
        let s = &target.settings;
        let pem = match &s.cert {
            Some(c) => certsource::open_local(c.as_ref(), timeout(g))?,
            None => {
                let mut kube = g.connection.kube.clone();
                if s.context.is_some() {
                    kube.context.clone_from(&s.context);
                }
                let controller = Controller {
                    namespace: s
                        .controller_namespace
                        .clone()
                        .unwrap_or_else(|| g.connection.controller_namespace.clone()),
                    name: s
                        .controller_name
                        .clone()
                        .unwrap_or_else(|| g.connection.controller_name.clone()),
                };
                let config = s
                    .kubeconfig
                    .as_ref()
                    .map(PathBuf::from)
                    .or_else(|| g.connection.kubeconfig.clone());
                from_cluster(config.as_deref(), &kube, &controller)?
            }
        };
        self.cache.insert(key, pem.clone());
        Ok(pem)
    }

    fn pem_from_flags(&mut self, g: &CertGlobals) -> Result<Vec<u8>, CliError> {
        let key = (PathBuf::new(), String::new());
        if let Some(pem) = self.cache.get(&key) {
            return Ok(pem.clone());
        }
        let c = &g.connection;
        let pem = if g.cert.is_empty() {
            let controller = Controller {
                namespace: c.controller_namespace.clone(),
                name: c.controller_name.clone(),
            };
            from_cluster(c.kubeconfig.as_deref(), &c.kube, &controller)?
        } else {
            certsource::open_local(&g.cert, timeout(g))?
        };
        self.cache.insert(key, pem.clone());
        Ok(pem)
    }
}

fn timeout(g: &CertGlobals) -> Option<std::time::Duration> {
    kubeconfig::parse_timeout(&g.connection.kube.request_timeout).unwrap_or(None)
}

fn from_cluster(
    config: Option<&Path>,
    kube: &KubeArgs,
    controller: &Controller,
) -> Result<Vec<u8>, CliError> {
    let src = kubeconfig::load(config)?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Io(format!("cannot start the async runtime: {e}")))?;
    rt.block_on(async {
        let client = kubeconfig::client(src, kube).await?;
        certsource::open_cluster(&client, controller).await
    })
}
