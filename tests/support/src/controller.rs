//! Runs a sealed-secrets controller (ours or upstream's) against the control plane the way a
//! cluster would: its own ServiceAccount with the shipped RBAC, a TokenRequest token, the
//! in-cluster environment (`KUBERNETES_SERVICE_HOST/PORT` and
//! `/var/run/secrets/kubernetes.io/serviceaccount/{token,ca.crt,namespace}`, the paths
//! client-go's `InClusterConfig` and kube-rs' `Config::incluster` read), a pool address, and
//! the Service/Pod/Endpoints that make the API server's proxy reach it.
//!
//! Each process gets a private mount namespace (`unshare --mount`) with a tmpfs over `/run`
//! holding only its own token, so controllers started in parallel never see each other's.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use kube::Client;

use crate::env::{Testenv, tail_file};
use crate::error::TestenvError;
use crate::pool::PodIp;
use crate::proxy::{Exposed, expose};
use crate::{rbac, token};

/// Writes the in-cluster files into a fresh tmpfs over `/var/run`'s target, then execs the
/// controller. `$1` is the directory holding token, ca.crt and namespace.
pub(crate) const IN_CLUSTER_WRAPPER: &str = r#"set -e
run=$(readlink -f /var/run)
mount -t tmpfs -o mode=0755,size=1m sealwright-run "$run"
sa="$run/secrets/kubernetes.io/serviceaccount"
mkdir -p "$sa"
cp "$1/token" "$1/ca.crt" "$1/namespace" "$sa/"
shift
exec "$@""#;

/// Writes what a pod's ServiceAccount volume holds (token, ca.crt, namespace) into
/// `<state>/serviceaccounts/<name>/`, for `IN_CLUSTER_WRAPPER` to mount.
pub(crate) fn service_account_dir(
    env: &Testenv,
    name: &str,
    token: &str,
    namespace: &str,
) -> Result<PathBuf, TestenvError> {
    let sa_dir = env.dir.join("serviceaccounts").join(name);
    std::fs::create_dir_all(&sa_dir).map_err(TestenvError::io(&sa_dir))?;
    let write = |file: &str, data: &[u8]| {
        let path = sa_dir.join(file);
        std::fs::write(&path, data).map_err(TestenvError::io(path))
    };
    write("token", token.as_bytes())?;
    let ca = std::fs::read(&env.ca).map_err(TestenvError::io(&env.ca))?;
    write("ca.crt", &ca)?;
    write("namespace", namespace.as_bytes())?;
    Ok(sa_dir)
}

/// Which controller binary to run.
#[derive(Debug, Clone)]
pub struct ControllerBinary {
    pub path: PathBuf,
    /// For log file names and messages.
    pub label: String,
}

impl ControllerBinary {
    /// Ours: `$SEALWRIGHT_CONTROLLER_BIN`, else `sealed-secrets-controller` next to the running
    /// test's target directory (`target/<profile>/`). Cargo builds it with `--workspace`.
    pub fn ours() -> Result<ControllerBinary, TestenvError> {
        let path = match std::env::var_os("SEALWRIGHT_CONTROLLER_BIN") {
            Some(p) => PathBuf::from(p),
            None => target_profile_dir()?.join("sealed-secrets-controller"),
        };
        Self::checked(path, "ours")
    }

    /// Upstream's `controller`: `$SEALWRIGHT_UPSTREAM_BIN/controller`, else the directory
    /// `tests/upstream/build.sh` prints (it builds only when its cache is cold, which needs the
    /// Go module proxy: `scripts/test.sh` runs it before entering the network namespace).
    pub fn upstream(env: &Testenv) -> Result<ControllerBinary, TestenvError> {
        let dir = match std::env::var_os("SEALWRIGHT_UPSTREAM_BIN") {
            Some(p) => PathBuf::from(p),
            None => {
                let script = env.repo.join("tests/upstream/build.sh");
                let out = Command::new("bash")
                    .arg(&script)
                    .stderr(Stdio::inherit())
                    .output()
                    .map_err(|source| TestenvError::Spawn {
                        binary: script.clone(),
                        source,
                    })?;
                let stdout = String::from_utf8_lossy(&out.stdout);
                match (out.status.success(), stdout.lines().last()) {
                    (true, Some(dir)) => PathBuf::from(dir.trim()),
                    _ => {
                        return Err(TestenvError::BinaryMissing {
                            message: format!("{} failed ({})", script.display(), out.status),
                        });
                    }
                }
            }
        };
        Self::checked(dir.join("controller"), "upstream")
    }

    pub fn at(path: impl Into<PathBuf>, label: &str) -> Result<ControllerBinary, TestenvError> {
        Self::checked(path.into(), label)
    }

    fn checked(path: PathBuf, label: &str) -> Result<ControllerBinary, TestenvError> {
        if path.is_file() {
            Ok(ControllerBinary {
                path,
                label: label.to_string(),
            })
        } else {
            Err(TestenvError::BinaryMissing {
                message: format!(
                    "{} does not exist (build it with `cargo build --workspace`)",
                    path.display()
                ),
            })
        }
    }
}

/// `target/<profile>/`, found from the running test binary (`target/<profile>/deps/<test>`).
pub fn target_profile_dir() -> Result<PathBuf, TestenvError> {
    let exe = std::env::current_exe().map_err(TestenvError::io("current_exe"))?;
    let deps = exe.parent().ok_or_else(|| TestenvError::BinaryMissing {
        message: "no parent dir".into(),
    })?;
    let dir = if deps.file_name().is_some_and(|n| n == "deps") {
        deps.parent()
    } else {
        Some(deps)
    };
    dir.map(Path::to_path_buf)
        .ok_or_else(|| TestenvError::BinaryMissing {
            message: format!("no target dir above {}", exe.display()),
        })
}

/// How to deploy one controller instance.
#[derive(Debug, Clone)]
pub struct ControllerOptions {
    /// Controller namespace (its keys live here). Usually the test's own namespace.
    pub namespace: String,
    pub service_account: String,
    pub service: String,
    /// `None` like upstream's controller.yaml (proxy path `http:NAME:`), or e.g. `Some("http")`.
    pub port_name: Option<String>,
    pub port: u16,
    pub metrics_port: u16,
    /// Arguments besides `--listen-addr` / `--listen-metrics-addr`.
    pub args: Vec<String>,
    /// Extra environment variables.
    pub env: Vec<(String, String)>,
    pub startup_timeout: Duration,
}

impl ControllerOptions {
    /// Upstream's names in `namespace`, watching only that namespace so that controllers of
    /// tests running at once do not fight over each other's SealedSecrets.
    pub fn in_namespace(namespace: &str) -> ControllerOptions {
        ControllerOptions {
            namespace: namespace.to_string(),
            service_account: "sealed-secrets-controller".into(),
            service: "sealed-secrets-controller".into(),
            port_name: None,
            port: 8080,
            metrics_port: 8081,
            args: vec!["--all-namespaces=false".into()],
            env: Vec::new(),
            startup_timeout: Duration::from_secs(120),
        }
    }
}

/// A controller process; killed when dropped.
#[derive(Debug)]
pub struct RunningController {
    child: Child,
    pub name: String,
    pub ip: PodIp,
    pub exposed: Exposed,
    pub log: PathBuf,
    pub options: ControllerOptions,
}

impl RunningController {
    /// Creates the ServiceAccount and RBAC, the token, starts the process, exposes it through
    /// the service proxy and waits until `/healthz` answers.
    pub async fn start(
        env: &Testenv,
        admin: &Client,
        binary: &ControllerBinary,
        options: ControllerOptions,
    ) -> Result<RunningController, TestenvError> {
        let ns = &options.namespace;
        rbac::install_controller_rbac(
            admin,
            &env.repo,
            ns,
            &options.service_account,
            &options.service,
        )
        .await?;
        let token =
            token::service_account_token(admin, ns, &options.service_account, 24 * 3600).await?;

        let name = format!("{}-{}-{}", binary.label, ns, options.service);
        let sa_dir = service_account_dir(env, &name, &token, ns)?;

        let ip = PodIp::allocate(env)?;
        let log = env.logs.join(format!("controller-{name}.log"));
        let log_file = std::fs::File::create(&log).map_err(TestenvError::io(&log))?;
        let log_err = log_file.try_clone().map_err(TestenvError::io(&log))?;
        let mut cmd = Command::new("unshare");
        cmd.args([
            "--mount",
            "--propagation",
            "private",
            "--",
            "sh",
            "-c",
            IN_CLUSTER_WRAPPER,
            "sh",
        ])
        .arg(&sa_dir)
        .arg(&binary.path)
        .arg(format!("--listen-addr={}:{}", ip.ip(), options.port))
        .arg(format!(
            "--listen-metrics-addr={}:{}",
            ip.ip(),
            options.metrics_port
        ))
        .args(&options.args)
        .env_remove("KUBECONFIG")
        .env("HOME", &sa_dir)
        .env("KUBERNETES_SERVICE_HOST", env.apiserver_host.to_string())
        .env("KUBERNETES_SERVICE_PORT", env.apiserver_port.to_string())
        .envs(options.env.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err);
        let child = cmd.spawn().map_err(|source| TestenvError::Spawn {
            binary: binary.path.clone(),
            source,
        })?;

        let exposed = expose(
            admin,
            ns,
            &options.service,
            options.port_name.as_deref(),
            ip.ip(),
            options.port,
        )
        .await;
        let mut running = RunningController {
            child,
            name,
            ip,
            // Filled below; a failed expose still kills the child through Drop.
            exposed: Exposed {
                namespace: ns.clone(),
                service: options.service.clone(),
                pod: String::new(),
                port_name: options.port_name.clone(),
                ip: std::net::Ipv4Addr::UNSPECIFIED,
                port: options.port,
            },
            log,
            options,
        };
        running.exposed = exposed?;
        running.wait_healthy().await?;
        Ok(running)
    }

    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from((self.ip.ip(), self.options.port))
    }

    pub fn metrics_addr(&self) -> SocketAddr {
        SocketAddr::from((self.ip.ip(), self.options.metrics_port))
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last `lines` lines of the controller's log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail_file(&self.log, lines)
    }

    /// The exit status once the process has exited (`None` while it runs).
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// Still running? (`false` after it exited.)
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    async fn wait_healthy(&mut self) -> Result<(), TestenvError> {
        let deadline = Instant::now() + self.options.startup_timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(TestenvError::ControllerExited {
                    name: self.name.clone(),
                    status: status.to_string(),
                    log: self.log.clone(),
                    tail: self.log_tail(60),
                });
            }
            if let Ok((200, _)) = crate::wire::get(self.addr(), "/healthz").await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(TestenvError::Timeout {
                    what: format!("{} to answer /healthz on {}", self.name, self.addr()),
                    secs: self.options.startup_timeout.as_secs(),
                    tail: self.log_tail(60),
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Stops the process now (SIGKILL) and waits for it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for RunningController {
    fn drop(&mut self) {
        self.stop();
    }
}
