//! Startup and runtime errors of the controller process.

use sealwright_crypto::cert::CertError;
use sealwright_crypto::keys::KeyError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("kubernetes API: {0}")]
    Kube(#[source] kube::Error),
    #[error("kubernetes client configuration: {0}")]
    Config(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Cert(#[from] CertError),
    #[error(transparent)]
    KeyPrefix(#[from] crate::flags::KeyPrefixError),
    #[error(transparent)]
    Cutoff(#[from] crate::logic::renewal::CutoffError),
    #[error("invalid --{flag}: {reason}")]
    Flag { flag: &'static str, reason: String },
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("server on {addr} failed: {source}")]
    Serve {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot get namespace {namespace}: {source}")]
    Namespace {
        namespace: String,
        #[source]
        source: kube::Error,
    },
    #[error("key generation task failed: {0}")]
    Join(String),
    #[error("lost the leader Lease")]
    LostLease,
}

impl Error {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Kube(_) => "kube",
            Self::Config(_) => "config",
            Self::Key(_) => "key",
            Self::Cert(_) => "cert",
            Self::KeyPrefix(_) => "key_prefix",
            Self::Cutoff(_) => "cutoff",
            Self::Flag { .. } => "flag",
            Self::Listen { .. } => "listen",
            Self::Serve { .. } => "serve",
            Self::Namespace { .. } => "namespace",
            Self::Join(_) => "join",
            Self::LostLease => "lost_lease",
        }
    }
}

impl From<kube::Error> for Error {
    fn from(e: kube::Error) -> Self {
        Self::Kube(e)
    }
}

/// The API server's message for an API error (what client-go's `err.Error()` shows), else the
/// client error text.
pub fn api_message(e: &kube::Error) -> String {
    match e {
        kube::Error::Api(status) if !status.message.is_empty() => status.message.clone(),
        other => other.to_string(),
    }
}

/// HTTP code of an API error.
pub fn api_code(e: &kube::Error) -> Option<u16> {
    match e {
        kube::Error::Api(status) => Some(status.code),
        _ => None,
    }
}

pub fn is_not_found(e: &kube::Error) -> bool {
    api_code(e) == Some(404)
}

/// The API server could not be reached, timed out or shed load: says nothing about the object,
/// so worth retrying however often (kube-apiserver or etcd restarting, a network blip).
pub fn is_transient(e: &kube::Error) -> bool {
    match e {
        kube::Error::Api(status) => matches!(status.code, 429 | 500 | 502 | 503 | 504),
        kube::Error::HyperError(_) | kube::Error::Service(_) => true,
        _ => false,
    }
}

/// An API error with HTTP `code` and the message `m`, for tests.
#[cfg(test)]
pub fn status(code: u16) -> kube::Error {
    kube::Error::Api(Box::new(
        kube::core::Status::failure("m", "r").with_code(code),
    ))
}

#[cfg(test)]
mod transient_tests {
    use super::*;

    #[test]
    fn only_an_absent_or_overloaded_api_server_is_transient() {
        for code in [429, 500, 502, 503, 504] {
            assert!(is_transient(&status(code)), "{code}");
        }
        for code in [400, 403, 404, 409, 422] {
            assert!(!is_transient(&status(code)), "{code}");
        }
        let refused = std::io::Error::from(std::io::ErrorKind::ConnectionRefused);
        assert!(is_transient(&kube::Error::Service(Box::new(refused))));
        let bad_json = serde_json::from_str::<u8>("x").err();
        if let Some(e) = bad_json {
            assert!(!is_transient(&kube::Error::SerdeError(e)));
        }
    }
}
