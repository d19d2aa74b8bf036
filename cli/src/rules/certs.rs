//! The certificate each file is sealed with, fetched once per cluster per run.
//!
//! Order: `--cert`; else the file's rules target, unless a controller was named explicitly
//! (`--controller-name/-namespace`, `--context` or their environment variables); else the
//! controller the flags name (upstream's defaults).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches};
use sealwright_crypto::{RsaPublicKey, cert};

use super::Target;
use crate::args::{Cli, KubeArgs};
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
        cli: &Cli,
    ) -> Result<(RsaPublicKey, Option<Target>), CliError> {
        let target = if cli.seal.cert.is_empty() && !controller_flags_given() {
            super::target_for(file)?
        } else {
            None
        };
        let pem = match &target {
            Some(t) => self.pem_for(t, cli)?,
            None => self.pem_from_flags(cli)?,
        };
        let info = cert::parse_pem(&pem)?;
        info.check_not_expired(time::OffsetDateTime::now_utc())?;
        Ok((info.public_key, target))
    }

    /// The certificate of a rules target.
    pub fn pem_for(&mut self, target: &Target, cli: &Cli) -> Result<Vec<u8>, CliError> {
        let key = (target.rules_file.clone(), target.cluster.clone());
        if let Some(pem) = self.cache.get(&key) {
            return Ok(pem.clone());
        }
        let s = &target.settings;
        let pem = match &s.cert {
            Some(c) => certsource::open_local(c.as_ref(), timeout(cli))?,
            None => {
                let mut kube = cli.kube.clone();
                if s.context.is_some() {
                    kube.context.clone_from(&s.context);
                }
                let controller = Controller {
                    namespace: s
                        .controller_namespace
                        .clone()
                        .unwrap_or_else(|| cli.seal.controller_namespace.clone()),
                    name: s
                        .controller_name
                        .clone()
                        .unwrap_or_else(|| cli.seal.controller_name.clone()),
                };
                let config = s
                    .kubeconfig
                    .as_ref()
                    .map(PathBuf::from)
                    .or_else(|| cli.seal.kubeconfig.clone());
                from_cluster(config.as_deref(), &kube, &controller)?
            }
        };
        self.cache.insert(key, pem.clone());
        Ok(pem)
    }

    fn pem_from_flags(&mut self, cli: &Cli) -> Result<Vec<u8>, CliError> {
        let key = (PathBuf::new(), String::new());
        if let Some(pem) = self.cache.get(&key) {
            return Ok(pem.clone());
        }
        let a = &cli.seal;
        let pem = if a.cert.is_empty() {
            let controller = Controller {
                namespace: a.controller_namespace.clone(),
                name: a.controller_name.clone(),
            };
            from_cluster(a.kubeconfig.as_deref(), &cli.kube, &controller)?
        } else {
            certsource::open_local(&a.cert, timeout(cli))?
        };
        self.cache.insert(key, pem.clone());
        Ok(pem)
    }
}

fn timeout(cli: &Cli) -> Option<std::time::Duration> {
    kubeconfig::parse_timeout(&cli.kube.request_timeout).unwrap_or(None)
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

/// Whether the command line or the environment names a certificate or controller: then the
/// rules file is not consulted, so that upstream's flags mean what they always meant.
pub fn controller_flags_given() -> bool {
    flags_given(&["cert", "controller_name", "controller_namespace", "context"])
}

/// Whether any of the arguments `ids` was set on the command line or in the environment.
pub fn flags_given(ids: &[&str]) -> bool {
    let Ok(matches) = Cli::command().try_get_matches_from(std::env::args_os()) else {
        return false;
    };
    // The derive parse already succeeded on the same arguments; this only checks they agree.
    debug_assert!(Cli::from_arg_matches(&matches).is_ok());
    let explicit = |m: &clap::ArgMatches| {
        ids.iter().any(|id| {
            matches!(
                m.value_source(id),
                Some(ValueSource::CommandLine | ValueSource::EnvVariable)
            )
        })
    };
    explicit(&matches) || matches.subcommand().is_some_and(|(_, sub)| explicit(sub))
}
