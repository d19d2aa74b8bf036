//! Stops and restarts components of the running control plane (etcd, kube-apiserver,
//! kube-controller-manager), for tests of what a controller does when the cluster goes away.
//!
//! `up.sh` records each component as a `name pid` line in `<state>/pids`. A restart takes the
//! command line, environment and working directory of that PID from `/proc`, stops it (TERM,
//! KILL after a grace period), starts the same command again detached in a process group of
//! its own (stdin `/dev/null`, output appended to the same `<state>/log/<name>.log`) and
//! replaces the PID in the pids file, so `down.sh` stops the new process. etcd keeps its data
//! directory: the cluster state survives. The test process already runs inside the testenv's
//! network namespace, so the new processes land there too.
//!
//! [`Outage`] stops several components and, even when the test panics, starts again any of
//! them that is down when it is dropped.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::env::{Testenv, tail_file};
use crate::error::TestenvError;

/// How long a component gets to exit on SIGTERM before SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(10);

/// etcd's client URL, as `up.sh` starts it.
const ETCD_CLIENT: ([u8; 4], u16) = ([127, 0, 0, 1], 2379);

/// A control-plane component `up.sh` started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    Etcd,
    KubeApiserver,
    KubeControllerManager,
}

impl Component {
    /// Its name in the pids file and its log file's stem.
    pub fn name(self) -> &'static str {
        match self {
            Self::Etcd => "etcd",
            Self::KubeApiserver => "kube-apiserver",
            Self::KubeControllerManager => "kube-controller-manager",
        }
    }

    /// In the order they must start (each needs the previous one).
    pub const ALL: [Component; 3] = [
        Component::Etcd,
        Component::KubeApiserver,
        Component::KubeControllerManager,
    ];

    pub fn log(self, env: &Testenv) -> PathBuf {
        env.logs.join(format!("{}.log", self.name()))
    }
}

/// What it takes to start a component again: taken from `/proc` while it runs.
#[derive(Debug, Clone)]
pub struct Recipe {
    pub component: Component,
    argv: Vec<OsString>,
    /// `None` when `/proc/<pid>/environ` was unreadable: the new process inherits ours then.
    environ: Option<Vec<(OsString, OsString)>>,
    cwd: Option<PathBuf>,
}

impl Recipe {
    /// Reads the running process of `component`.
    pub fn of_running(env: &Testenv, component: Component) -> Result<Recipe, TestenvError> {
        let pid = recorded_pid(env, component)?;
        Self::of_pid(component, pid)
    }

    fn of_pid(component: Component, pid: u32) -> Result<Recipe, TestenvError> {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        let cmdline = proc_dir.join("cmdline");
        let raw = std::fs::read(&cmdline).map_err(TestenvError::io(&cmdline))?;
        let mut argv = split_nul(&raw);
        // `ip netns exec NS CMD` and `nohup CMD` exec CMD, so argv starts with the binary; be
        // tolerant of a wrapper left in front of it all the same.
        let suffix = format!("/{}", component.name());
        if let Some(i) = argv
            .iter()
            .position(|a| a.to_string_lossy().ends_with(&suffix))
        {
            argv.drain(..i);
        }
        if argv.is_empty() {
            return Err(TestenvError::Parse {
                what: cmdline.display().to_string(),
                message: format!("empty command line for {}", component.name()),
            });
        }
        let environ = std::fs::read(proc_dir.join("environ")).ok().map(|raw| {
            split_nul(&raw)
                .into_iter()
                .filter_map(|kv| {
                    let bytes = kv.into_vec();
                    let eq = bytes.iter().position(|&b| b == b'=')?;
                    let (k, v) = bytes.split_at(eq);
                    Some((
                        OsString::from_vec(k.to_vec()),
                        OsString::from_vec(v[1..].to_vec()),
                    ))
                })
                .collect()
        });
        let cwd = std::fs::read_link(proc_dir.join("cwd")).ok();
        Ok(Recipe {
            component,
            argv,
            environ,
            cwd,
        })
    }

    /// Starts the component detached and records its PID in the pids file. Does not wait for
    /// readiness (see [`wait_ready`]).
    pub fn start(&self, env: &Testenv) -> Result<u32, TestenvError> {
        let log = self.component.log(env);
        let mut out = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .map_err(TestenvError::io(&log))?;
        // A marker, so a reader of the log sees where the restarted process begins.
        let _ = writeln!(
            out,
            "----- sealwright tests: {} started again -----",
            self.component.name()
        );
        let err = out.try_clone().map_err(TestenvError::io(&log))?;
        let program = PathBuf::from(&self.argv[0]);
        let mut cmd = Command::new(&program);
        cmd.args(&self.argv[1..])
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            // A process group of its own: signals meant for the test (Ctrl-C) do not reach it,
            // and it outlives the test process like the original one.
            .process_group(0);
        if let Some(environ) = &self.environ {
            cmd.env_clear().envs(environ.iter().map(|(k, v)| (k, v)));
        }
        if let Some(cwd) = self.cwd.as_ref().filter(|d| d.is_dir()) {
            cmd.current_dir(cwd);
        }
        // The Child is dropped on purpose: the process must keep running after the test (and
        // `down.sh` stops it by the recorded PID).
        let child = cmd.spawn().map_err(|source| TestenvError::Spawn {
            binary: program,
            source,
        })?;
        let pid = child.id();
        record_pid(env, self.component, pid)?;
        Ok(pid)
    }

    fn matches_pid(&self, pid: u32) -> bool {
        std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|raw| split_nul(&raw).first() == self.argv.first())
            .unwrap_or(false)
    }
}

fn split_nul(raw: &[u8]) -> Vec<OsString> {
    raw.split(|&b| b == 0)
        .filter(|a| !a.is_empty())
        .map(|a| OsString::from_vec(a.to_vec()))
        .collect()
}

fn pids_file(env: &Testenv) -> PathBuf {
    env.dir.join("pids")
}

/// The PID the pids file records for `component` (the last line naming it).
pub fn recorded_pid(env: &Testenv, component: Component) -> Result<u32, TestenvError> {
    let path = pids_file(env);
    let text = std::fs::read_to_string(&path).map_err(TestenvError::io(&path))?;
    text.lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(n, _)| *n == component.name())
        .filter_map(|(_, p)| p.trim().parse().ok())
        .next_back()
        .ok_or_else(|| TestenvError::Parse {
            what: path.display().to_string(),
            message: format!("no PID for {}", component.name()),
        })
}

/// Replaces the component's line in the pids file (keeping the order `down.sh` relies on).
fn record_pid(env: &Testenv, component: Component, pid: u32) -> Result<(), TestenvError> {
    let path = pids_file(env);
    let text = std::fs::read_to_string(&path).map_err(TestenvError::io(&path))?;
    let mut replaced = false;
    let mut out = String::with_capacity(text.len() + 32);
    for line in text.lines() {
        if line
            .split_once(' ')
            .is_some_and(|(n, _)| n == component.name())
        {
            if !replaced {
                out.push_str(&format!("{} {pid}\n", component.name()));
                replaced = true;
            }
        } else {
            out.push_str(line);
            out.push('\n');
        }
    }
    if !replaced {
        out.push_str(&format!("{} {pid}\n", component.name()));
    }
    // Write then rename, so `down.sh` never reads half a file.
    let tmp = path.with_extension(format!("tmp.{}", std::process::id()));
    std::fs::write(&tmp, out).map_err(TestenvError::io(&tmp))?;
    std::fs::rename(&tmp, &path).map_err(TestenvError::io(&path))
}

/// Running and not a zombie (a process this test started and that died stays a zombie until the
/// test exits).
pub fn is_alive(pid: u32) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return false;
    };
    // The state follows the command name, which is in parentheses and may contain anything.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state != "Z" && state != "X")
}

fn signal(pid: u32, sig: &str) {
    // Errors mean the process is already gone.
    let _ = Command::new("kill")
        .args([sig, &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// SIGTERM, up to `grace` for it to exit, then SIGKILL (at once for a zero grace). Blocking
/// (short polls).
pub fn stop_pid(pid: u32, grace: Duration) -> Result<(), TestenvError> {
    if !is_alive(pid) {
        return Ok(());
    }
    if !grace.is_zero() {
        signal(pid, "-TERM");
    }
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !is_alive(pid) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    signal(pid, "-KILL");
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if !is_alive(pid) {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(TestenvError::Timeout {
        what: format!("PID {pid} to exit after SIGKILL"),
        secs: grace.as_secs() + 5,
        tail: String::new(),
    })
}

async fn ready_once(env: &Testenv, component: Component) -> bool {
    match component {
        Component::Etcd => matches!(
            crate::wire::get(SocketAddr::from(ETCD_CLIENT), "/readyz").await,
            Ok((200, _))
        ),
        Component::KubeApiserver => {
            let Ok(client) = env.admin().await else {
                return false;
            };
            match http::Request::get("/readyz").body(Vec::new()) {
                Ok(req) => client.request_text(req).await.is_ok(),
                Err(_) => false,
            }
        }
        // It serves nothing (`--secure-port=0`): running is all there is to check.
        Component::KubeControllerManager => recorded_pid(env, component).is_ok_and(is_alive),
    }
}

/// Waits until the component answers its readiness check (etcd and kube-apiserver `/readyz`).
pub async fn wait_ready(
    env: &Testenv,
    component: Component,
    timeout: Duration,
) -> Result<(), TestenvError> {
    let deadline = Instant::now() + timeout;
    loop {
        if ready_once(env, component).await {
            return Ok(());
        }
        if let Ok(pid) = recorded_pid(env, component)
            && !is_alive(pid)
        {
            return Err(TestenvError::ControllerExited {
                name: component.name().to_string(),
                status: format!("PID {pid} is gone"),
                log: component.log(env),
                tail: tail_file(&component.log(env), 40),
            });
        }
        if Instant::now() >= deadline {
            return Err(TestenvError::Timeout {
                what: format!("{} to be ready again", component.name()),
                secs: timeout.as_secs(),
                tail: tail_file(&component.log(env), 40),
            });
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Some components stopped on purpose. [`Outage::end`] starts them again in dependency order
/// and waits for each; if that never happens (a panic), dropping the guard starts every
/// component that is down, so later tests find the control plane whole.
#[derive(Debug)]
pub struct Outage {
    env: Testenv,
    /// Every component, read before anything was stopped: any of them can be revived.
    recipes: Vec<Recipe>,
    stopped: Vec<Component>,
    ended: bool,
}

impl Outage {
    /// Reads how to start every component, then stops `components` in the order given.
    pub fn begin(env: &Testenv, components: &[Component]) -> Result<Outage, TestenvError> {
        let recipes = Component::ALL
            .iter()
            .map(|c| Recipe::of_running(env, *c))
            .collect::<Result<Vec<_>, _>>()?;
        let mut outage = Outage {
            env: env.clone(),
            recipes,
            stopped: Vec::new(),
            ended: false,
        };
        for component in components {
            outage.stop(*component)?;
        }
        Ok(outage)
    }

    /// Stops one more component (SIGTERM: a graceful shutdown).
    pub fn stop(&mut self, component: Component) -> Result<(), TestenvError> {
        self.stop_within(component, STOP_GRACE)
    }

    /// Kills one more component at once (SIGKILL: a crash).
    pub fn kill(&mut self, component: Component) -> Result<(), TestenvError> {
        self.stop_within(component, Duration::ZERO)
    }

    fn stop_within(&mut self, component: Component, grace: Duration) -> Result<(), TestenvError> {
        let pid = recorded_pid(&self.env, component)?;
        if !self.stopped.contains(&component) {
            self.stopped.push(component);
        }
        stop_pid(pid, grace)
    }

    /// The components stopped so far, in the order they were stopped.
    pub fn stopped(&self) -> &[Component] {
        &self.stopped
    }

    /// Components not running now, in start order.
    fn down(&self) -> Vec<&Recipe> {
        self.recipes
            .iter()
            .filter(|r| {
                !recorded_pid(&self.env, r.component)
                    .is_ok_and(|pid| is_alive(pid) && r.matches_pid(pid))
            })
            .collect()
    }

    /// Starts every component that is down (etcd, then kube-apiserver, then
    /// kube-controller-manager) and waits until each is ready before starting the next.
    pub async fn end(mut self, timeout: Duration) -> Result<Vec<Component>, TestenvError> {
        self.ended = true;
        let down: Vec<Recipe> = self.down().into_iter().cloned().collect();
        let mut started = Vec::new();
        for recipe in down {
            recipe.start(&self.env)?;
            wait_ready(&self.env, recipe.component, timeout).await?;
            started.push(recipe.component);
        }
        Ok(started)
    }

    /// What `Drop` does: the same as `end`, on a thread of its own with its own runtime (`Drop`
    /// may run inside the test's runtime, which must not be blocked on).
    fn revive_blocking(&self) {
        let down: Vec<Recipe> = self.down().into_iter().cloned().collect();
        let env = self.env.clone();
        let revive = move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(r) => r,
                Err(e) => return eprintln!("components: no runtime to restart components: {e}"),
            };
            for recipe in down {
                let name = recipe.component.name();
                match recipe.start(&env) {
                    Ok(pid) => eprintln!("components: started {name} again (PID {pid})"),
                    Err(e) => return eprintln!("components: cannot start {name}: {e}"),
                }
                let ready = wait_ready(&env, recipe.component, Duration::from_secs(120));
                if let Err(e) = runtime.block_on(ready) {
                    return eprintln!("components: {name} is not ready: {e}");
                }
            }
        };
        if std::thread::spawn(revive).join().is_err() {
            eprintln!("components: restarting the control plane panicked");
        }
    }
}

impl Drop for Outage {
    fn drop(&mut self) {
        if !self.ended || !self.down().is_empty() {
            self.revive_blocking();
        }
    }
}

/// The last lines of a component's log.
pub fn log_tail(env: &Testenv, component: Component, lines: usize) -> String {
    tail_file(&component.log(env), lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn zombie_and_missing_are_not_alive() {
        assert!(is_alive(std::process::id()));
        assert!(!is_alive(u32::MAX));
    }

    #[test]
    fn splits_nul_separated_lists() {
        let v = split_nul(b"/bin/etcd\0--a=1\0\0--b\0");
        assert_eq!(v, vec!["/bin/etcd", "--a=1", "--b"]);
    }

    #[test]
    fn pids_line_replaced_in_place() {
        let dir = std::env::temp_dir().join(format!("components-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("tmp dir");
        std::fs::write(
            dir.join("pids"),
            "etcd 1\nkube-apiserver 2\nkube-controller-manager 3\n",
        )
        .expect("write pids");
        let env = fake_env(&dir);
        record_pid(&env, Component::KubeApiserver, 42).expect("record");
        let text = std::fs::read_to_string(dir.join("pids")).expect("read pids");
        assert_eq!(
            text,
            "etcd 1\nkube-apiserver 42\nkube-controller-manager 3\n"
        );
        assert_eq!(recorded_pid(&env, Component::KubeApiserver).ok(), Some(42));
        let _ = std::fs::remove_dir_all(&dir);
    }

    fn fake_env(dir: &Path) -> Testenv {
        let file = dir.join("env");
        std::fs::write(
            &file,
            format!(
                "SEALWRIGHT_TESTENV_DIR={d}\nSEALWRIGHT_TESTENV_NETNS=x\nSEALWRIGHT_TESTENV_BIN={d}\n\
                 SEALWRIGHT_TESTENV_KUBECTL={d}/kubectl\nSEALWRIGHT_TESTENV_REPO={d}\n\
                 SEALWRIGHT_TESTENV_SERVER=https://10.213.0.1:6443\n\
                 SEALWRIGHT_TESTENV_APISERVER_HOST=10.213.0.1\nSEALWRIGHT_TESTENV_APISERVER_PORT=6443\n\
                 SEALWRIGHT_TESTENV_CA={d}/ca.crt\nSEALWRIGHT_TESTENV_POD_IPS=10.213.0.10-10.213.0.60\n\
                 SEALWRIGHT_TESTENV_IP_LOCKS={d}\nSEALWRIGHT_TESTENV_LOGS={d}\n",
                d = dir.display()
            ),
        )
        .expect("write env");
        Testenv::from_file(&file).expect("env")
    }
}
