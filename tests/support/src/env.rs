//! The running control plane, as described by the env file `tests/testenv/up.sh` wrote.

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use kube::Client;
use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::error::TestenvError;

/// Names the env file; set by `scripts/test.sh`.
pub const ENV_VAR: &str = "SEALWRIGHT_TESTENV";

/// Everything a test needs to know about the control plane of this run.
#[derive(Debug, Clone)]
pub struct Testenv {
    pub env_file: PathBuf,
    /// State directory: PKI, kubeconfigs, logs, IP locks.
    pub dir: PathBuf,
    pub netns: String,
    /// Directory with etcd, kube-apiserver, kube-controller-manager and kubectl.
    pub bin_dir: PathBuf,
    pub kubectl: PathBuf,
    /// Root of the repository the control plane was started from.
    pub repo: PathBuf,
    pub server: String,
    pub apiserver_host: Ipv4Addr,
    pub apiserver_port: u16,
    pub ca: PathBuf,
    pub pod_ip_first: Ipv4Addr,
    pub pod_ip_last: Ipv4Addr,
    pub ip_locks: PathBuf,
    pub logs: PathBuf,
    kubeconfigs: BTreeMap<String, PathBuf>,
}

impl Testenv {
    /// The control plane of this run. Panics with the reason (and the component log tails when the
    /// API server does not answer): a test that needs the cluster must fail, not skip, without it.
    pub fn get() -> &'static Testenv {
        static ENV: OnceLock<Result<Testenv, String>> = OnceLock::new();
        let loaded = ENV.get_or_init(|| {
            let env = Testenv::load().map_err(|e| e.to_string())?;
            env.check_reachable().map_err(|e| e.to_string())?;
            Ok(env)
        });
        match loaded {
            Ok(env) => env,
            Err(message) => panic!("testenv: {message}"),
        }
    }

    /// Reads the env file named by `SEALWRIGHT_TESTENV`.
    pub fn load() -> Result<Testenv, TestenvError> {
        let path = std::env::var_os(ENV_VAR).ok_or(TestenvError::NotConfigured)?;
        Self::from_file(Path::new(&path))
    }

    pub fn from_file(path: &Path) -> Result<Testenv, TestenvError> {
        let text = std::fs::read_to_string(path).map_err(|source| TestenvError::EnvFile {
            path: path.to_path_buf(),
            source,
        })?;
        let vars = parse_env(&text);
        let get = |key: &str| -> Result<String, TestenvError> {
            vars.get(key)
                .cloned()
                .ok_or_else(|| TestenvError::MissingKey {
                    path: path.to_path_buf(),
                    key: key.to_string(),
                })
        };
        let bad = |key: &str, value: &str| TestenvError::BadValue {
            path: path.to_path_buf(),
            key: key.to_string(),
            value: value.to_string(),
        };
        let host = get("SEALWRIGHT_TESTENV_APISERVER_HOST")?;
        let port = get("SEALWRIGHT_TESTENV_APISERVER_PORT")?;
        let range = get("SEALWRIGHT_TESTENV_POD_IPS")?;
        let (first, last) = range
            .split_once('-')
            .ok_or_else(|| bad("SEALWRIGHT_TESTENV_POD_IPS", &range))?;
        let kubeconfigs = vars
            .iter()
            .filter_map(|(k, v)| {
                let user = k.strip_prefix("SEALWRIGHT_TESTENV_KUBECONFIG_")?;
                Some((user.to_ascii_lowercase(), PathBuf::from(v)))
            })
            .collect();
        Ok(Testenv {
            env_file: path.to_path_buf(),
            dir: get("SEALWRIGHT_TESTENV_DIR")?.into(),
            netns: get("SEALWRIGHT_TESTENV_NETNS")?,
            bin_dir: get("SEALWRIGHT_TESTENV_BIN")?.into(),
            kubectl: get("SEALWRIGHT_TESTENV_KUBECTL")?.into(),
            repo: get("SEALWRIGHT_TESTENV_REPO")?.into(),
            server: get("SEALWRIGHT_TESTENV_SERVER")?,
            apiserver_host: host
                .parse()
                .map_err(|_| bad("SEALWRIGHT_TESTENV_APISERVER_HOST", &host))?,
            apiserver_port: port
                .parse()
                .map_err(|_| bad("SEALWRIGHT_TESTENV_APISERVER_PORT", &port))?,
            ca: get("SEALWRIGHT_TESTENV_CA")?.into(),
            pod_ip_first: first
                .parse()
                .map_err(|_| bad("SEALWRIGHT_TESTENV_POD_IPS", &range))?,
            pod_ip_last: last
                .parse()
                .map_err(|_| bad("SEALWRIGHT_TESTENV_POD_IPS", &range))?,
            ip_locks: get("SEALWRIGHT_TESTENV_IP_LOCKS")?.into(),
            logs: get("SEALWRIGHT_TESTENV_LOGS")?.into(),
            kubeconfigs,
        })
    }

    /// A plain TCP connect to the API server: fails fast outside the network namespace.
    pub fn check_reachable(&self) -> Result<(), TestenvError> {
        let addr = SocketAddr::from((self.apiserver_host, self.apiserver_port));
        TcpStream::connect_timeout(&addr, Duration::from_secs(5))
            .map(drop)
            .map_err(|source| TestenvError::Unreachable {
                addr: addr.to_string(),
                env_file: self.env_file.clone(),
                source,
                logs: self.component_log_tails(40),
            })
    }

    /// The kubeconfig of a user from up.sh (`admin`, `alice`, `bob`).
    pub fn kubeconfig(&self, user: &str) -> Result<&Path, TestenvError> {
        self.kubeconfigs
            .get(user)
            .map(PathBuf::as_path)
            .ok_or_else(|| TestenvError::MissingKey {
                path: self.env_file.clone(),
                key: format!(
                    "SEALWRIGHT_TESTENV_KUBECONFIG_{}",
                    user.to_ascii_uppercase()
                ),
            })
    }

    /// A client acting as `user`.
    pub async fn client_as(&self, user: &str) -> Result<Client, TestenvError> {
        let path = self.kubeconfig(user)?;
        let fail = |message: String| TestenvError::Kubeconfig {
            path: path.to_path_buf(),
            message,
        };
        let kubeconfig = Kubeconfig::read_from(path).map_err(|e| fail(e.to_string()))?;
        let mut config =
            kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
                .await
                .map_err(|e| fail(e.to_string()))?;
        // kube 5 retries 429/503/504 for minutes by default; tests want the answer itself.
        config.default_retry = false;
        Client::try_from(config).map_err(|e| fail(e.to_string()))
    }

    /// A cluster-admin client (`system:masters`).
    pub async fn admin(&self) -> Result<Client, TestenvError> {
        self.client_as("admin").await
    }

    /// The last `lines` lines of each control-plane log, for failure messages.
    pub fn component_log_tails(&self, lines: usize) -> String {
        ["etcd", "kube-apiserver", "kube-controller-manager"]
            .iter()
            .map(|name| {
                let path = self.logs.join(format!("{name}.log"));
                format!(
                    "----- last {lines} lines of {} -----\n{}",
                    path.display(),
                    tail_file(&path, lines)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// `KEY=VALUE` lines; blank lines and `#` comments ignored; one pair of surrounding quotes removed.
pub fn parse_env(text: &str) -> BTreeMap<String, String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| {
            let v = v.trim();
            let v = v
                .strip_prefix('\'')
                .and_then(|s| s.strip_suffix('\''))
                .or_else(|| v.strip_prefix('"').and_then(|s| s.strip_suffix('"')))
                .unwrap_or(v);
            (k.trim().to_string(), v.to_string())
        })
        .collect()
}

/// The last `lines` lines of a file, or a note saying why there are none.
pub fn tail_file(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            all[all.len().saturating_sub(lines)..].join("\n")
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_env_lines() {
        let vars = parse_env("# c\nA=1\n\nB='x y'\nC=\"q\"\nD=a=b\n");
        assert_eq!(vars.get("A").map(String::as_str), Some("1"));
        assert_eq!(vars.get("B").map(String::as_str), Some("x y"));
        assert_eq!(vars.get("C").map(String::as_str), Some("q"));
        assert_eq!(vars.get("D").map(String::as_str), Some("a=b"));
    }
}
