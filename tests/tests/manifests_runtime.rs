//! The controller image, run by a real container runtime (podman with runc, Debian's packages;
//! `tests/manifests/prepare.sh` installs them) as the Deployment's container, unseals a
//! SealedSecret on the local control plane.
//!
//! - The image is the release image `manifests/image/build.sh` writes (static binary; built
//!   here if `target/image/` lacks it, which takes minutes), or `$SEALWRIGHT_CONTROLLER_IMAGE`.
//! - `podman load` reads the tarball; the container runs the Deployment's `command` and `args`
//!   (the command resolves through the image's `PATH`), with the Deployment's securityContext:
//!   read-only root filesystem without any writable tmpfs, user and group 1001, every capability
//!   dropped, no new privileges, the runtime's default seccomp profile.
//! - It gets what a kubelet gives a pod: the ServiceAccount's token, CA and namespace mounted
//!   read-only at the in-cluster path, `KUBERNETES_SERVICE_HOST/PORT`, and the network namespace
//!   the control plane runs in (host networking of the runtime inside that namespace), where it
//!   binds a pod address of the pool.
//! - Only the RBAC the shipped base grants applies: the base is applied for real.
//!
//! Two departures from the Deployment, as in `manifests_e2e`: `:PORT` binds the pod's address,
//! and the controller watches only the test's namespace. The runtime gets explicit file and
//! process limits (4096): podman's defaults raise them, which needs `CAP_SYS_RESOURCE`.
//!
//! The tests run under `ip netns exec`, which gives them a fresh `/sys` without the cgroup
//! hierarchies the runtime needs; each podman call therefore runs in a private mount namespace
//! where they are mounted again, as the kernel lists them in `/proc/cgroups`.

#[path = "../manifests/cluster.rs"]
mod cluster;
#[path = "../manifests/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use cluster::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::Api;
use sealwright_crypto::SealedSecret;
use sealwright_tests::token::service_account_token;
use sealwright_tests::wire;
use sealwright_tests::{PodIp, Testenv, create_namespace, eventually};
use support::*;

/// runc: crun refuses a hybrid (cgroup v1 and v2) layout.
const RUNTIME: [&str; 2] = ["--runtime", "runc"];
const SERVICE_ACCOUNT_PATH: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// Mounts the cgroup hierarchies under /sys/fs/cgroup when they are missing, then runs `$@`:
/// each v1 hierarchy with its controllers (those sharing a hierarchy id mount together) and the
/// v2 hierarchy at `unified`, or, on a v2-only kernel, the v2 hierarchy alone.
const CGROUPS_WRAPPER: &str = r#"set -e
if ! grep -q ' /sys/fs/cgroup ' /proc/self/mountinfo; then
  v1=$(awk 'NR > 1 && $2 > 0 && $4 == 1 {h[$2] = h[$2] ? h[$2] "," $1 : $1} END {for (i in h) print h[i]}' /proc/cgroups)
  if [ -z "$v1" ]; then
    mount -t cgroup2 none /sys/fs/cgroup
  else
    mount -t tmpfs -o mode=755 cgroup_root /sys/fs/cgroup
    for c in $v1; do
      mkdir -p "/sys/fs/cgroup/$c"
      mount -t cgroup -o "$c" cgroup "/sys/fs/cgroup/$c"
    done
    mkdir -p /sys/fs/cgroup/unified
    mount -t cgroup2 none /sys/fs/cgroup/unified
  fi
fi
exec "$@""#;

fn podman(args: &[&str]) -> Output {
    Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            CGROUPS_WRAPPER,
        ])
        .args(["sh", "podman"])
        .args(RUNTIME)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run podman (tests/manifests/prepare.sh installs it): {e}")
        })
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The release image tarball, built now if it is not there yet.
fn release_image() -> PathBuf {
    if let Some(path) = std::env::var_os("SEALWRIGHT_CONTROLLER_IMAGE") {
        return PathBuf::from(path);
    }
    let tarball = repo_root()
        .join("target/image")
        .join(format!("{NAME}-v{}.oci.tar", workspace_version()));
    if !tarball.is_file() {
        let out = Command::new("bash")
            .arg(repo_root().join("manifests/image/build.sh"))
            .output()
            .expect("run manifests/image/build.sh");
        assert!(out.status.success(), "build.sh failed: {}", text(&out));
    }
    tarball
}

/// `--flag=:PORT` (every address) binds the pod address instead, as in the pod's network.
fn bind_pod_address(arg: &str, ip: std::net::Ipv4Addr) -> String {
    match arg.split_once("=:") {
        Some((flag, port)) if flag.starts_with("--") && port.parse::<u16>().is_ok() => {
            format!("{flag}={ip}:{port}")
        }
        _ => arg.to_string(),
    }
}

/// A container of the image, removed when dropped.
struct Container(String);

impl Drop for Container {
    fn drop(&mut self) {
        let _ = podman(&["rm", "--force", "--time", "0", self.0.as_str()]);
    }
}

/// What the kernel says about the container's main process: `/proc/<pid>/status` fields.
fn process_status(container: &str) -> BTreeMap<String, String> {
    let out = podman(&["inspect", "--format", "{{.State.Pid}}", container]);
    let pid = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_else(|e| panic!("/proc/{pid}/status of {container}: {e}"));
    status
        .lines()
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| {
            (
                k.to_string(),
                v.split_whitespace().collect::<Vec<_>>().join(" "),
            )
        })
        .collect()
}

async fn run(env: &'static Testenv, admin: Client, scratch: PathBuf) {
    let scratch = scratch.as_path();
    let info = podman(&[
        "info",
        "--format",
        "{{.Host.OCIRuntime.Name}} {{.Host.CgroupsVersion}}",
    ]);
    assert!(
        info.status.success(),
        "the container runtime does not start:\n{}",
        text(&info)
    );
    eprintln!("runtime: {}", text(&info).trim());

    // 1. The shipped base, for real, and the namespace the controller watches.
    let base = yaml_documents(&render_yaml("sealed-secrets"));
    for doc in &base {
        apply(&admin, doc).await;
    }
    let deployment: Deployment =
        serde_json::from_value(find(&base, "Deployment", NS, NAME).clone()).expect("Deployment");
    let pod_spec = deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.clone())
        .expect("pod spec");
    let container = &pod_spec.containers[0];
    let test_ns = create_namespace(&admin, "runtime")
        .await
        .unwrap_or_else(|e| panic!("namespace: {e}"));

    // 2. The image, loaded under the name the Deployment uses.
    let tarball = release_image();
    let input = tarball.display().to_string();
    let loaded = podman(&["load", "--input", input.as_str()]);
    assert!(loaded.status.success(), "podman load: {}", text(&loaded));
    let image = container.image.clone().expect("image");
    assert!(
        text(&loaded).contains(&format!("Loaded image: {image}")),
        "the tarball is not named {image}: {}",
        text(&loaded)
    );

    // 3. What the kubelet would mount: the ServiceAccount's token, CA and namespace.
    let service_account = pod_spec
        .service_account_name
        .clone()
        .expect("serviceAccountName");
    let token = service_account_token(&admin, NS, &service_account, 3600)
        .await
        .unwrap_or_else(|e| panic!("token: {e}"));
    let sa_dir = scratch.join("serviceaccount");
    std::fs::create_dir_all(&sa_dir).expect("mkdir");
    std::fs::write(sa_dir.join("token"), token).expect("token");
    std::fs::copy(&env.ca, sa_dir.join("ca.crt")).expect("ca.crt");
    std::fs::write(sa_dir.join("namespace"), NS).expect("namespace");
    for path in [scratch.to_path_buf(), sa_dir.clone()] {
        let status = Command::new("chmod")
            .arg("a+rX")
            .arg("-R")
            .arg(&path)
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "chmod {}",
            path.display()
        );
    }

    // 4. The container, with the Deployment's command, args and securityContext.
    let ip = PodIp::allocate(env).unwrap_or_else(|e| panic!("pod address: {e}"));
    let security = pod_spec
        .security_context
        .clone()
        .expect("pod securityContext");
    let container_security = container.security_context.clone().expect("securityContext");
    assert_eq!(container_security.read_only_root_filesystem, Some(true));
    assert_eq!(container_security.allow_privilege_escalation, Some(false));
    let dropped = container_security
        .capabilities
        .and_then(|c| c.drop)
        .unwrap_or_default();
    assert_eq!(dropped, ["ALL"]);
    let user = format!(
        "{}:{}",
        security.run_as_user.expect("runAsUser"),
        security.run_as_group.expect("runAsGroup")
    );
    let command =
        serde_json::to_string(&container.command.clone().expect("command")).expect("json");
    let name = format!("sealwright-runtime-{:08x}", rand::random::<u32>());
    let mount = format!("{}:{SERVICE_ACCOUNT_PATH}:ro", sa_dir.display());
    let host = format!("KUBERNETES_SERVICE_HOST={}", env.apiserver_host);
    let port = format!("KUBERNETES_SERVICE_PORT={}", env.apiserver_port);
    let mut args: Vec<String> = [
        "run",
        "--detach",
        "--name",
        name.as_str(),
        "--network",
        "host",
        "--read-only",
        "--read-only-tmpfs=false",
        "--user",
        user.as_str(),
        "--cap-drop",
        "ALL",
        "--security-opt",
        "no-new-privileges",
        "--ulimit",
        "nofile=4096:4096",
        "--ulimit",
        "nproc=4096:4096",
        "--env",
        host.as_str(),
        "--env",
        port.as_str(),
        "--volume",
        mount.as_str(),
        "--entrypoint",
        command.as_str(),
        image.as_str(),
    ]
    .map(String::from)
    .to_vec();
    args.extend(
        container
            .args
            .iter()
            .flatten()
            .map(|a| bind_pod_address(a, ip.ip())),
    );
    args.extend([
        "--all-namespaces=false".to_string(),
        format!("--additional-namespaces={test_ns}"),
    ]);
    let started = podman(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert!(started.status.success(), "podman run:\n{}", text(&started));
    let container_name = Container(name);
    let logs = || text(&podman(&["logs", container_name.0.as_str()]));

    // 5. It comes up as the Deployment's readiness probe expects, as the pod's user.
    let http = SocketAddr::from((ip.ip(), 8080));
    eventually(
        Duration::from_secs(120),
        "the controller's /healthz",
        || async move { matches!(wire::get(http, "/healthz").await, Ok((200, _))).then_some(()) },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontainer log:\n{}", logs()));
    let status = process_status(&container_name.0);
    let uid = security.run_as_user.expect("runAsUser").to_string();
    let gid = security.run_as_group.expect("runAsGroup").to_string();
    assert_eq!(status["Uid"], [uid.as_str(); 4].join(" "), "{status:?}");
    assert_eq!(status["Gid"], [gid.as_str(); 4].join(" "), "{status:?}");
    assert_eq!(status["CapEff"], "0000000000000000", "{status:?}");
    assert_eq!(status["CapBnd"], "0000000000000000", "{status:?}");
    assert_eq!(status["NoNewPrivs"], "1", "{status:?}");
    assert_eq!(status["Seccomp"], "2", "seccomp filter mode: {status:?}");
    // The Deployment's command resolves through the image's PATH in the runtime as well.
    let version = podman(&[
        "exec",
        container_name.0.as_str(),
        "sealed-secrets-controller",
        "--version",
    ]);
    assert!(
        version.status.success(),
        "exec --version: {}",
        text(&version)
    );

    // 6. A SealedSecret sealed for its certificate becomes a Secret.
    let (code, cert) = wire::get(http, "/v1/cert.pem")
        .await
        .expect("GET /v1/cert.pem");
    assert_eq!(code, 200, "{cert}");
    let cert_file = scratch.join("cert.pem");
    std::fs::write(&cert_file, &cert).expect("write cert");
    let value = random_value(32);
    let secret = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "runtime-check", "namespace": test_ns},
        "data": {"value": base64_encode(value.as_bytes())},
    });
    let kubeseal = workspace_binary("sealwright-cli", "kubeseal");
    let mut seal = Command::new(&kubeseal)
        .args(["--format", "json", "--cert"])
        .arg(&cert_file)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run kubeseal");
    use std::io::Write as _;
    seal.stdin
        .take()
        .expect("stdin")
        .write_all(secret.to_string().as_bytes())
        .expect("write the Secret");
    let sealed = seal.wait_with_output().expect("kubeseal");
    assert!(sealed.status.success(), "kubeseal: {}", text(&sealed));
    let sealed: serde_json::Value =
        serde_json::from_slice(&sealed.stdout).expect("SealedSecret JSON");
    apply(&admin, &sealed).await;
    let secrets = Api::<Secret>::namespaced(admin.clone(), &test_ns);
    eventually(Duration::from_secs(60), "the unsealed Secret", || {
        let secrets = secrets.clone();
        let value = value.clone();
        async move {
            let s = secrets.get_opt("runtime-check").await.ok().flatten()?;
            (s.data?.get("value")?.0 == value.as_bytes()).then_some(())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontainer log:\n{}", logs()));
    let synced = Api::<SealedSecret>::namespaced(admin.clone(), &test_ns)
        .get("runtime-check")
        .await
        .expect("SealedSecret");
    eprintln!(
        "unsealed in the container: {:?}",
        synced.status.map(|s| s.conditions)
    );
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn controller_image_unseals_in_a_container_runtime() {
    run_cleaned(run).await;
}
