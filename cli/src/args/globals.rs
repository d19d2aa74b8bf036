//! What `set`, `edit` and `lint` take from the global flags, so they need not see the whole
//! command line.

use std::ffi::OsString;
use std::path::PathBuf;

use super::{Cli, Connection};

/// Where a file's certificate comes from: `--cert`, else a rules target, else the controller
/// `connection` reaches.
#[derive(Debug, Clone)]
pub struct CertGlobals {
    pub connection: Connection,
    pub cert: OsString,
}

/// What `lint` takes: it stays offline, so only local certificates, keys and the namespace.
#[derive(Debug, Clone)]
pub struct LintGlobals {
    pub cert: OsString,
    pub recovery_private_key: Vec<PathBuf>,
    pub request_timeout: String,
    pub namespace: Option<String>,
}

impl Cli {
    pub fn cert_globals(&self) -> CertGlobals {
        CertGlobals {
            connection: self.connection(),
            cert: self.seal.cert.clone(),
        }
    }

    pub fn lint_globals(&self) -> LintGlobals {
        LintGlobals {
            cert: self.seal.cert.clone(),
            recovery_private_key: self.seal.recovery_private_key.clone(),
            request_timeout: self.kube.request_timeout.clone(),
            namespace: self.kube.namespace.clone(),
        }
    }
}
