//! A second, empty control plane beside the one of this run: its own etcd (new data directory)
//! and its own kube-apiserver, started from the same binaries, PKI and users, on other ports in
//! the same network namespace. Disaster-recovery tests restore into it as into a new cluster.
//!
//! The command lines are taken from the running components (`/proc/<pid>/cmdline` of the PIDs
//! `up.sh` recorded), with only the ports and the data directory changed, so the two planes
//! cannot drift apart. No kube-controller-manager: nothing here needs GC or namespace deletion.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::env::{Testenv, tail_file};
use crate::error::TestenvError;

/// Ports of the second plane; the first uses etcd 2379/2380 and the API server 6443.
const ETCD_CLIENT_PORT: u16 = 12379;
const ETCD_PEER_PORT: u16 = 12380;
const APISERVER_PORT: u16 = 16443;

/// A running second control plane; stopped and removed when dropped.
#[derive(Debug)]
pub struct FreshControlPlane {
    /// Describes the new plane the way the env file describes the first one; pod addresses
    /// still come from the shared pool, so controllers of both planes never collide.
    pub env: Testenv,
    dir: PathBuf,
    children: Vec<Child>,
}

impl FreshControlPlane {
    /// Starts etcd and kube-apiserver, applies the SealedSecret CRD and waits until it is served.
    pub async fn start(base: &Testenv) -> Result<FreshControlPlane, TestenvError> {
        let dir = base.dir.join(format!("fresh-plane-{}", std::process::id()));
        if dir.exists() {
            std::fs::remove_dir_all(&dir).map_err(TestenvError::io(&dir))?;
        }
        let logs = dir.join("log");
        let data = dir.join("etcd");
        for d in [&logs, &data] {
            std::fs::create_dir_all(d).map_err(TestenvError::io(d))?;
        }
        restrict(&data)?;

        let base_port = base.apiserver_port.to_string();
        let etcd_args = component_args(base, "etcd")?
            .into_iter()
            .map(|a| {
                if a.starts_with("--data-dir=") {
                    format!("--data-dir={}", data.display())
                } else {
                    a.replace(":2379", &format!(":{ETCD_CLIENT_PORT}"))
                        .replace(":2380", &format!(":{ETCD_PEER_PORT}"))
                }
            })
            .collect::<Vec<_>>();
        let apiserver_args = component_args(base, "kube-apiserver")?
            .into_iter()
            .map(|a| {
                if a.starts_with("--secure-port=") {
                    format!("--secure-port={APISERVER_PORT}")
                } else {
                    a.replace(":2379", &format!(":{ETCD_CLIENT_PORT}"))
                }
            })
            .collect::<Vec<_>>();

        let mut plane = FreshControlPlane {
            env: base.clone(),
            dir: dir.clone(),
            children: Vec::new(),
        };
        plane.spawn("etcd", &etcd_args, &logs)?;
        let etcd = std::net::SocketAddr::from(([127, 0, 0, 1], ETCD_CLIENT_PORT));
        wait(
            Duration::from_secs(30),
            "the second etcd",
            &logs,
            || async move { matches!(crate::wire::get(etcd, "/readyz").await, Ok((200, _))) },
        )
        .await?;
        plane.spawn("kube-apiserver", &apiserver_args, &logs)?;

        let env_file = write_env(base, &dir, &base_port)?;
        plane.env = Testenv::from_file(&env_file)?;
        let admin_env = plane.env.clone();
        wait(
            Duration::from_secs(120),
            "the second kube-apiserver",
            &logs,
            || {
                let env = admin_env.clone();
                async move {
                    let Ok(client) = env.admin().await else {
                        return false;
                    };
                    let req = http::Request::get("/readyz").body(Vec::new());
                    match req {
                        Ok(req) => client.request_text(req).await.is_ok(),
                        Err(_) => false,
                    }
                }
            },
        )
        .await?;
        plane.apply_crd(base)?;
        // `Established` comes before the CRD's storage answers lists (429 "storage is
        // (re)initializing"); wait for a real list.
        let crd_env = plane.env.clone();
        wait(
            Duration::from_secs(60),
            "the SealedSecret CRD's storage",
            &logs,
            || {
                let env = crd_env.clone();
                async move {
                    let Ok(client) = env.admin().await else {
                        return false;
                    };
                    let req =
                        http::Request::get("/apis/bitnami.com/v1alpha1/sealedsecrets?limit=1")
                            .body(Vec::new());
                    match req {
                        Ok(req) => client.request_text(req).await.is_ok(),
                        Err(_) => false,
                    }
                }
            },
        )
        .await?;
        Ok(plane)
    }

    fn spawn(&mut self, name: &str, args: &[String], logs: &Path) -> Result<(), TestenvError> {
        let (program, rest) = args.split_first().ok_or_else(|| TestenvError::Parse {
            what: format!("the command line of {name}"),
            message: "empty".into(),
        })?;
        let log = logs.join(format!("{name}.log"));
        let out = std::fs::File::create(&log).map_err(TestenvError::io(&log))?;
        let err = out.try_clone().map_err(TestenvError::io(&log))?;
        let child = Command::new(program)
            .args(rest)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .map_err(|source| TestenvError::Spawn {
                binary: PathBuf::from(program),
                source,
            })?;
        self.children.push(child);
        Ok(())
    }

    /// The CRD file `up.sh` applied to the first plane.
    fn apply_crd(&self, base: &Testenv) -> Result<(), TestenvError> {
        let crd = base.dir.join("crd.yaml");
        let kubeconfig = self.env.kubeconfig("admin")?.to_path_buf();
        for args in [
            vec!["apply".to_string(), "-f".into(), crd.display().to_string()],
            vec![
                "wait".into(),
                "--for=condition=Established".into(),
                "--timeout=60s".into(),
                "crd/sealedsecrets.bitnami.com".into(),
            ],
        ] {
            let out = Command::new(&self.env.kubectl)
                .arg("--kubeconfig")
                .arg(&kubeconfig)
                .args(&args)
                .output()
                .map_err(|source| TestenvError::Spawn {
                    binary: self.env.kubectl.clone(),
                    source,
                })?;
            if !out.status.success() {
                return Err(TestenvError::Parse {
                    what: format!("kubectl {} on the second plane", args[0]),
                    message: String::from_utf8_lossy(&out.stderr).into_owned(),
                });
            }
        }
        Ok(())
    }

    /// The last lines of the second plane's component logs.
    pub fn log_tails(&self, lines: usize) -> String {
        ["etcd", "kube-apiserver"]
            .iter()
            .map(|n| {
                let p = self.dir.join("log").join(format!("{n}.log"));
                format!("----- {} -----\n{}", p.display(), tail_file(&p, lines))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for FreshControlPlane {
    fn drop(&mut self) {
        // The API server first, so it does not log a storm of etcd errors.
        for child in self.children.iter_mut().rev() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The argv of a running component of the first plane, from the PID `up.sh` recorded.
fn component_args(base: &Testenv, name: &str) -> Result<Vec<String>, TestenvError> {
    let pids = base.dir.join("pids");
    let text = std::fs::read_to_string(&pids).map_err(TestenvError::io(&pids))?;
    let pid = text
        .lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(n, _)| *n == name)
        .map(|(_, p)| p.trim().to_string())
        .next_back()
        .ok_or_else(|| TestenvError::Parse {
            what: pids.display().to_string(),
            message: format!("no PID for {name}"),
        })?;
    let path = PathBuf::from(format!("/proc/{pid}/cmdline"));
    let raw = std::fs::read(&path).map_err(TestenvError::io(&path))?;
    let mut args: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect();
    // `ip netns exec NS CMD...` execs CMD, but be tolerant of a wrapper left in the argv.
    if let Some(i) = args.iter().position(|a| a.ends_with(&format!("/{name}"))) {
        args.drain(..i);
    }
    Ok(args)
}

/// The env file of the second plane: the first one's, with the API server port, the
/// kubeconfigs and the state directories replaced.
fn write_env(base: &Testenv, dir: &Path, base_port: &str) -> Result<PathBuf, TestenvError> {
    let new_port = APISERVER_PORT.to_string();
    let from_port = format!(":{base_port}");
    let to_port = format!(":{new_port}");
    let text = std::fs::read_to_string(&base.env_file).map_err(TestenvError::io(&base.env_file))?;
    let mut out = String::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            out.push_str(line);
            out.push('\n');
            continue;
        };
        let value = match key {
            "SEALWRIGHT_TESTENV" => dir.join("env").display().to_string(),
            "SEALWRIGHT_TESTENV_DIR" => dir.display().to_string(),
            "SEALWRIGHT_TESTENV_LOGS" => dir.join("log").display().to_string(),
            "SEALWRIGHT_TESTENV_SERVER" => value.replace(&from_port, &to_port),
            "SEALWRIGHT_TESTENV_APISERVER_PORT" => new_port.clone(),
            "KUBECONFIG" => dir.join("admin.kubeconfig").display().to_string(),
            k if k.starts_with("SEALWRIGHT_TESTENV_KUBECONFIG_") => {
                let src = PathBuf::from(value);
                let file = src.file_name().map(PathBuf::from).unwrap_or_default();
                let dst = dir.join(file);
                let kc = std::fs::read_to_string(&src).map_err(TestenvError::io(&src))?;
                let rewritten = kc.replace(&from_port, &to_port);
                std::fs::write(&dst, rewritten).map_err(TestenvError::io(&dst))?;
                restrict(&dst)?;
                dst.display().to_string()
            }
            _ => value.to_string(),
        };
        out.push_str(&format!("{key}={value}\n"));
    }
    let path = dir.join("env");
    std::fs::write(&path, out).map_err(TestenvError::io(&path))?;
    restrict(&path)?;
    Ok(path)
}

fn restrict(path: &Path) -> Result<(), TestenvError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = if path.is_dir() { 0o700 } else { 0o600 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(TestenvError::io(path))
}

async fn wait<F, Fut>(
    timeout: Duration,
    what: &str,
    logs: &Path,
    mut ready: F,
) -> Result<(), TestenvError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + timeout;
    while !ready().await {
        if Instant::now() >= deadline {
            let name = if what.contains("etcd") {
                "etcd"
            } else {
                "kube-apiserver"
            };
            return Err(TestenvError::Timeout {
                what: what.to_string(),
                secs: timeout.as_secs(),
                tail: tail_file(&logs.join(format!("{name}.log")), 40),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    Ok(())
}
