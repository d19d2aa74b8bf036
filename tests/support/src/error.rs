//! Errors of the test support. Messages carry paths and log tails, never secrets.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum TestenvError {
    #[error(
        "SEALWRIGHT_TESTENV is not set. The cluster tests need the local control plane: run \
         `scripts/test.sh`, or start one with `tests/testenv/up.sh`, export SEALWRIGHT_TESTENV=<the \
         env file it prints> and run the tests inside its network namespace \
         (`ip netns exec <SEALWRIGHT_TESTENV_NETNS> cargo test ...`)"
    )]
    NotConfigured,
    #[error("cannot read the testenv env file {path}: {source}")]
    EnvFile {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the testenv env file {path} has no {key}")]
    MissingKey { path: PathBuf, key: String },
    #[error("the testenv env file {path} has a bad {key}: {value:?}")]
    BadValue {
        path: PathBuf,
        key: String,
        value: String,
    },
    #[error(
        "cannot reach kube-apiserver at {addr} ({source}); env file {env_file}. Are the tests running \
         inside the testenv network namespace, and is the control plane still up?\n{logs}"
    )]
    Unreachable {
        addr: String,
        env_file: PathBuf,
        source: std::io::Error,
        logs: String,
    },
    #[error("kubeconfig {path}: {message}")]
    Kubeconfig { path: PathBuf, message: String },
    #[error("Kubernetes API call `{what}` failed: {source}")]
    Kube { what: String, source: kube::Error },
    #[error("I/O on {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("every pod address in {range} is taken (locks in {locks})")]
    PoolExhausted { range: String, locks: PathBuf },
    #[error("cannot parse {what}: {message}")]
    Parse { what: String, message: String },
    #[error("cannot start {binary}: {source}")]
    Spawn {
        binary: PathBuf,
        source: std::io::Error,
    },
    #[error("controller binary not found: {message}")]
    BinaryMissing { message: String },
    #[error("controller {name} exited early ({status}); last lines of {log}:\n{tail}")]
    ControllerExited {
        name: String,
        status: String,
        log: PathBuf,
        tail: String,
    },
    #[error("timed out after {secs}s waiting for {what}\n{tail}")]
    Timeout {
        what: String,
        secs: u64,
        tail: String,
    },
}

impl TestenvError {
    /// A stable identifier per variant, for matching in tests and logs.
    pub fn name(&self) -> &'static str {
        match self {
            Self::NotConfigured => "not_configured",
            Self::EnvFile { .. } => "env_file",
            Self::MissingKey { .. } => "missing_key",
            Self::BadValue { .. } => "bad_value",
            Self::Unreachable { .. } => "unreachable",
            Self::Kubeconfig { .. } => "kubeconfig",
            Self::Kube { .. } => "kube",
            Self::Io { .. } => "io",
            Self::PoolExhausted { .. } => "pool_exhausted",
            Self::Parse { .. } => "parse",
            Self::Spawn { .. } => "spawn",
            Self::BinaryMissing { .. } => "binary_missing",
            Self::ControllerExited { .. } => "controller_exited",
            Self::Timeout { .. } => "timeout",
        }
    }

    /// The status code of an API error, if this is one (e.g. 403, 422).
    pub fn api_code(&self) -> Option<u16> {
        match self {
            Self::Kube {
                source: kube::Error::Api(status),
                ..
            } => Some(status.code),
            _ => None,
        }
    }

    pub(crate) fn kube(what: impl Into<String>) -> impl FnOnce(kube::Error) -> Self {
        let what = what.into();
        move |source| Self::Kube { what, source }
    }

    pub(crate) fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.into();
        move |source| Self::Io { path, source }
    }
}
