//! What a file is checked against: the certificate's key and the recovery keys, loaded once.
//! The certificate for a file comes from [`Against::cert_for`] alone, so a per-directory
//! source of certificates can answer there without touching the checks.

use std::path::Path;

use sealwright_crypto::{KeySet, cert};

use crate::certsource;
use crate::cli::Cli;
use crate::error::CliError;
use crate::modes::unseal;

#[derive(Default)]
pub struct Lookup {
    cert: Option<rsa::PublicKey>,
    keys: Option<KeySet>,
    namespace: Option<String>,
}

impl Lookup {
    pub fn load(cli: &Cli) -> Result<Lookup, CliError> {
        let a = &cli.seal;
        let cert = if a.cert.is_empty() {
            None
        } else {
            let timeout = crate::kubeconfig::parse_timeout(&cli.kube.request_timeout)?;
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
            namespace: cli.kube.namespace.clone().filter(|s| !s.is_empty()),
        })
    }

    /// The certificate key the SealedSecrets of `file` are meant for: `--cert`, if given.
    pub fn cert_for(&self, _file: &Path) -> Option<&rsa::PublicKey> {
        self.cert.as_ref()
    }

    pub fn keys(&self) -> Option<&KeySet> {
        self.keys.as_ref()
    }

    pub fn namespace(&self) -> Option<&str> {
        self.namespace.as_deref()
    }
}
