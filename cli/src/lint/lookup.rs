//! What a file is checked against: the certificate's key and the recovery keys, loaded once.
//! The certificate for a file is `--cert`, else the `cert` of its cluster in the rules file
//! (`.sealed-secrets.yaml`); a cluster reached through a kube context is not asked, since lint
//! stays offline.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use sealwright_crypto::{KeySet, cert};

use crate::args::LintGlobals;
use crate::certsource;
use crate::error::CliError;
use crate::modes::unseal;

#[derive(Default)]
pub struct Lookup {
    cert: Option<rsa::PublicKey>,
    keys: Option<KeySet>,
    namespace: Option<String>,
    timeout: Option<std::time::Duration>,
    /// Rules file and cluster → its certificate's key (or why it cannot be had), read once.
    by_cluster: RefCell<HashMap<(PathBuf, String), Result<rsa::PublicKey, String>>>,
}

impl Lookup {
    pub fn load(a: &LintGlobals) -> Result<Lookup, CliError> {
        let timeout = crate::kubeconfig::parse_timeout(&a.request_timeout)?;
        let cert = if a.cert.is_empty() {
            None
        } else {
            // Only the key's size is used, so an expired certificate still serves.
            let info = cert::parse_pem(&certsource::open_local(&a.cert, timeout)?)?;
            Some(info.public_key)
        };
        let keys = if a.recovery_private_key.is_empty() {
            None
        } else {
            Some(unseal::read_keys(&a.recovery_private_key)?)
        };
        Ok(Lookup {
            cert,
            keys,
            namespace: a.namespace.clone().filter(|s| !s.is_empty()),
            timeout,
            by_cluster: RefCell::default(),
        })
    }

    /// The certificate key the SealedSecrets of `file` are meant for, if one is known offline;
    /// an error is a rules file or a rule's certificate that cannot be read.
    pub fn cert_for(&self, file: &Path) -> Result<Option<rsa::PublicKey>, String> {
        if let Some(cert) = &self.cert {
            return Ok(Some(cert.clone()));
        }
        let Some(target) = crate::rules::target_for(file).map_err(|e| e.to_string())? else {
            return Ok(None);
        };
        let Some(cert) = &target.settings.cert else {
            return Ok(None);
        };
        let key = (target.rules_file.clone(), target.cluster.clone());
        let mut cache = self.by_cluster.borrow_mut();
        let found = cache.entry(key).or_insert_with(|| {
            let pem = certsource::open_local(cert.as_ref(), self.timeout)
                .map_err(|e| format!("cluster {:?}: {e}", target.cluster))?;
            cert::parse_pem(&pem)
                .map(|info| info.public_key)
                .map_err(|e| format!("cluster {:?}: {cert}: {e}", target.cluster))
        });
        found.clone().map(Some)
    }

    pub fn keys(&self) -> Option<&KeySet> {
        self.keys.as_ref()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
}
