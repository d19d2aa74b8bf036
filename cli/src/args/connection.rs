//! What the commands that talk to a cluster take from the global flags, so they need not see the
//! whole command line.

use std::ffi::OsString;
use std::path::PathBuf;

use super::{Cli, KubeArgs};

/// How to reach the controller: `--kubeconfig`, kubectl's connection flags, and
/// `--controller-namespace`/`--controller-name`.
#[derive(Debug, Clone)]
pub struct Connection {
    pub kubeconfig: Option<PathBuf>,
    pub kube: KubeArgs,
    pub controller_namespace: String,
    pub controller_name: String,
}

/// What `reencrypt` takes from the global flags: offline with both `--recovery-private-key`
/// and `--cert`, otherwise online through `connection`.
#[derive(Debug, Clone)]
pub struct ReencryptGlobals {
    pub connection: Connection,
    pub cert: OsString,
    pub recovery_private_key: Vec<PathBuf>,
}

impl Cli {
    pub fn connection(&self) -> Connection {
        Connection {
            kubeconfig: self.seal.kubeconfig.clone(),
            kube: self.kube.clone(),
            controller_namespace: self.seal.controller_namespace.clone(),
            controller_name: self.seal.controller_name.clone(),
        }
    }

    pub fn reencrypt_globals(&self) -> ReencryptGlobals {
        ReencryptGlobals {
            connection: self.connection(),
            cert: self.seal.cert.clone(),
            recovery_private_key: self.seal.recovery_private_key.clone(),
        }
    }
}
