//! Runs the pod of a Deployment that was applied from the shipped manifests, as a process: the
//! Deployment's own command, args, env, ServiceAccount (no RBAC of ours: whatever the manifests
//! granted is all it has), user and group, in-cluster configuration with a TokenRequest token,
//! a Pod object made from the Deployment's pod template, and Endpoints/EndpointSlices that route
//! the manifests' own Services to the process, so the API server's service proxy reaches it.
//!
//! No kubelet runs, so a few things a node does are done here instead:
//! - `command[0]` names the image's binary: it becomes the file given by the caller;
//! - an address argument `--flag=:PORT` (every address of the pod) binds the pod's address;
//! - `runAsUser`/`runAsGroup` and `allowPrivilegeEscalation: false` go through `setpriv`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{
    Container, EndpointAddress, EndpointPort, EndpointSubset, Endpoints, ObjectReference, Pod,
    PodSpec, Service,
};
use k8s_openapi::api::discovery::v1::{Endpoint, EndpointConditions, EndpointSlice};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use kube::api::{DeleteParams, ObjectMeta, Patch, PatchParams};
use kube::{Api, Client};

use crate::controller::{IN_CLUSTER_WRAPPER, service_account_dir};
use crate::env::{Testenv, tail_file};
use crate::error::TestenvError;
use crate::pool::PodIp;
use crate::proxy::create_running_pod;
use crate::token;

const FIELD_MANAGER: &str = "sealwright-testenv";

/// The process standing for one pod of a Deployment; killed when dropped. Its Pod, Endpoints and
/// EndpointSlices stay until [`DeployedPod::remove`].
#[derive(Debug)]
pub struct DeployedPod {
    child: Child,
    pub namespace: String,
    /// The Pod object (from the Deployment's template) whose status carries the address.
    pub pod: String,
    pub ip: PodIp,
    /// The Services routed to this process.
    pub services: Vec<String>,
    pub log: PathBuf,
    /// The command line the process got (binary first), for messages.
    pub argv: Vec<String>,
}

fn parse_error(what: &str, message: impl Into<String>) -> TestenvError {
    TestenvError::Parse {
        what: what.to_string(),
        message: message.into(),
    }
}

/// The container's numeric port for `port` (a number or a container port name).
fn container_port(container: &Container, port: &IntOrString) -> Option<u16> {
    match port {
        IntOrString::Int(n) => u16::try_from(*n).ok(),
        IntOrString::String(name) => container
            .ports
            .iter()
            .flatten()
            .find(|p| p.name.as_deref() == Some(name.as_str()))
            .and_then(|p| u16::try_from(p.container_port).ok()),
    }
}

/// `--flag=:PORT` listens on every address of the pod; here the pod's address is `ip`.
fn bind_pod_address(arg: &str, ip: Ipv4Addr) -> String {
    match arg.split_once("=:") {
        Some((flag, port))
            if flag.starts_with("--") && !port.is_empty() && port.parse::<u16>().is_ok() =>
        {
            format!("{flag}={ip}:{port}")
        }
        _ => arg.to_string(),
    }
}

impl DeployedPod {
    /// Starts the first container of `deployment`'s pod template with `binary` as its image's
    /// `command[0]`, plus `extra_args` after the Deployment's own, and routes `services` (objects
    /// already applied from the manifests) to it. Waits until the readiness probe answers 200.
    pub async fn start(
        env: &Testenv,
        admin: &Client,
        deployment: &Deployment,
        binary: &Path,
        extra_args: &[String],
        services: &[Service],
    ) -> Result<DeployedPod, TestenvError> {
        Self::launch(env, admin, deployment, None, binary, extra_args, services).await
    }

    /// As [`DeployedPod::start`], but the process is `pod`, a Pod of the Deployment that exists
    /// already (its ReplicaSet's). Once the readiness probe answers, the Pod's status gets the
    /// address, phase Running and condition Ready, as a kubelet reports them; the Ready
    /// transition time is now, which the Deployment's `minReadySeconds` counts from.
    pub async fn start_as(
        env: &Testenv,
        admin: &Client,
        deployment: &Deployment,
        pod: &str,
        binary: &Path,
        extra_args: &[String],
        services: &[Service],
    ) -> Result<DeployedPod, TestenvError> {
        Self::launch(
            env,
            admin,
            deployment,
            Some(pod),
            binary,
            extra_args,
            services,
        )
        .await
    }

    /// Runs the process as `existing` or, without one, as a Pod made here from the template.
    async fn launch(
        env: &Testenv,
        admin: &Client,
        deployment: &Deployment,
        existing: Option<&str>,
        binary: &Path,
        extra_args: &[String],
        services: &[Service],
    ) -> Result<DeployedPod, TestenvError> {
        let name = deployment.metadata.name.clone().unwrap_or_default();
        let what = format!("Deployment {name}");
        let namespace = deployment
            .metadata
            .namespace
            .clone()
            .ok_or_else(|| parse_error(&what, "no namespace"))?;
        let template = deployment
            .spec
            .as_ref()
            .map(|s| &s.template)
            .ok_or_else(|| parse_error(&what, "no spec"))?;
        let pod_spec = template
            .spec
            .clone()
            .ok_or_else(|| parse_error(&what, "no pod spec"))?;
        let container = pod_spec
            .containers
            .first()
            .cloned()
            .ok_or_else(|| parse_error(&what, "no container"))?;
        let service_account = pod_spec
            .service_account_name
            .clone()
            .unwrap_or_else(|| "default".into());

        let ip = PodIp::allocate(env)?;
        let argv = command_line(&container, binary, ip.ip(), extra_args, &what)?;
        let container_env = container_env(&container, &what)?;

        let token =
            token::service_account_token(admin, &namespace, &service_account, 24 * 3600).await?;
        let pod_name = existing.map_or_else(
            || format!("{name}-{:08x}", rand::random::<u32>()),
            str::to_string,
        );
        let sa_dir = service_account_dir(env, &pod_name, &token, &namespace)?;

        let log = env
            .logs
            .join(format!("deployed-{namespace}-{pod_name}.log"));
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
        .args(privileges(&pod_spec, &container))
        .args(&argv)
        .env_clear()
        .env(
            "PATH",
            "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        )
        .env("HOME", "/")
        .env("KUBERNETES_SERVICE_HOST", env.apiserver_host.to_string())
        .env("KUBERNETES_SERVICE_PORT", env.apiserver_port.to_string())
        .envs(container_env)
        .stdin(Stdio::null())
        .stdout(log_file)
        .stderr(log_err);
        let child = cmd.spawn().map_err(|source| TestenvError::Spawn {
            binary: binary.to_path_buf(),
            source,
        })?;
        let mut running = DeployedPod {
            child,
            namespace: namespace.clone(),
            pod: pod_name.clone(),
            ip,
            services: Vec::new(),
            log,
            argv,
        };

        let pods = Api::<Pod>::namespaced(admin.clone(), &namespace);
        let (path, port) = readiness(&container)
            .ok_or_else(|| parse_error(&what, "no httpGet readiness probe"))?;
        if existing.is_some() {
            let target = existing_pod(&pods, &pod_name).await?;
            running
                .wait_ready(SocketAddr::from((running.ip.ip(), port)), &path)
                .await?;
            report_ready(&pods, &pod_name, running.ip.ip()).await?;
            for service in services {
                route(admin, service, &container, &target, running.ip.ip()).await?;
                running
                    .services
                    .push(service.metadata.name.clone().unwrap_or_default());
            }
            return Ok(running);
        }
        let pod = Pod {
            metadata: ObjectMeta {
                name: Some(pod_name.clone()),
                namespace: Some(namespace.clone()),
                labels: template.metadata.as_ref().and_then(|m| m.labels.clone()),
                annotations: template
                    .metadata
                    .as_ref()
                    .and_then(|m| m.annotations.clone()),
                ..ObjectMeta::default()
            },
            spec: Some(pod_spec),
            ..Pod::default()
        };
        let target = create_running_pod(&pods, &pod, running.ip.ip()).await?;
        for service in services {
            route(admin, service, &container, &target, running.ip.ip()).await?;
            running
                .services
                .push(service.metadata.name.clone().unwrap_or_default());
        }
        running
            .wait_ready(SocketAddr::from((running.ip.ip(), port)), &path)
            .await?;
        Ok(running)
    }

    /// The process id (the wrappers exec, so this is the controller itself once it runs).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The last `lines` lines of the process's log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail_file(&self.log, lines)
    }

    async fn wait_ready(&mut self, addr: SocketAddr, path: &str) -> Result<(), TestenvError> {
        let timeout = Duration::from_secs(180);
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(TestenvError::ControllerExited {
                    name: self.pod.clone(),
                    status: status.to_string(),
                    log: self.log.clone(),
                    tail: self.log_tail(60),
                });
            }
            if let Ok((200, _)) = crate::wire::get(addr, path).await {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(TestenvError::Timeout {
                    what: format!("{} to answer {path} on {addr}", self.pod),
                    secs: timeout.as_secs(),
                    tail: self.log_tail(60),
                });
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
    }

    /// Stops the process and deletes its Pod, Endpoints and EndpointSlices.
    pub async fn remove(&mut self, admin: &Client) -> Result<(), TestenvError> {
        self.stop();
        let ns = &self.namespace;
        let dp = DeleteParams::default();
        let gone = |r: Result<(), kube::Error>, what: String| match r {
            Err(kube::Error::Api(s)) if s.code == 404 => Ok(()),
            other => other.map_err(TestenvError::kube(what)),
        };
        for service in &self.services {
            let slice = slice_name(service, &self.pod);
            gone(
                Api::<EndpointSlice>::namespaced(admin.clone(), ns)
                    .delete(&slice, &dp)
                    .await
                    .map(drop),
                format!("delete endpointslice {ns}/{slice}"),
            )?;
            gone(
                Api::<Endpoints>::namespaced(admin.clone(), ns)
                    .delete(service, &dp)
                    .await
                    .map(drop),
                format!("delete endpoints {ns}/{service}"),
            )?;
        }
        gone(
            Api::<Pod>::namespaced(admin.clone(), ns)
                .delete(&self.pod, &dp)
                .await
                .map(drop),
            format!("delete pod {ns}/{}", self.pod),
        )
    }

    /// Stops the process now (SIGKILL) and waits for it.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for DeployedPod {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A reference to the existing Pod `name` (with its uid, for the routes' `targetRef`).
async fn existing_pod(pods: &Api<Pod>, name: &str) -> Result<ObjectReference, TestenvError> {
    let namespace = pods.namespace().unwrap_or_default().to_string();
    let pod = pods
        .get(name)
        .await
        .map_err(TestenvError::kube(format!("get pod {namespace}/{name}")))?;
    Ok(ObjectReference {
        kind: Some("Pod".into()),
        namespace: Some(namespace),
        name: Some(name.to_string()),
        uid: pod.metadata.uid,
        ..ObjectReference::default()
    })
}

/// The status a kubelet reports for a started, ready pod at `ip`.
async fn report_ready(pods: &Api<Pod>, name: &str, ip: Ipv4Addr) -> Result<(), TestenvError> {
    let namespace = pods.namespace().unwrap_or_default().to_string();
    let now = Time(k8s_openapi::jiff::Timestamp::now());
    let status = serde_json::json!({"status": {
        "phase": "Running",
        "podIP": ip.to_string(),
        "podIPs": [{"ip": ip.to_string()}],
        "startTime": now,
        "conditions": [
            {"type": "ContainersReady", "status": "True", "lastTransitionTime": now},
            {"type": "Ready", "status": "True", "lastTransitionTime": now},
        ],
    }});
    pods.patch_status(name, &PatchParams::default(), &Patch::Merge(&status))
        .await
        .map_err(TestenvError::kube(format!(
            "set status of pod {namespace}/{name}"
        )))?;
    Ok(())
}

/// `command` (its first word replaced by `binary`) then `args`, then `extra_args`.
fn command_line(
    container: &Container,
    binary: &Path,
    ip: Ipv4Addr,
    extra_args: &[String],
    what: &str,
) -> Result<Vec<String>, TestenvError> {
    let command = container.command.clone().unwrap_or_default();
    let (_image_binary, command_rest) = command
        .split_first()
        .ok_or_else(|| parse_error(what, "the container sets no command"))?;
    let mut argv = vec![binary.display().to_string()];
    argv.extend(command_rest.iter().cloned());
    argv.extend(
        container
            .args
            .iter()
            .flatten()
            .map(|a| bind_pod_address(a, ip)),
    );
    argv.extend(extra_args.iter().cloned());
    Ok(argv)
}

/// The container's literal env values; anything taken from elsewhere is not supported here.
fn container_env(container: &Container, what: &str) -> Result<Vec<(String, String)>, TestenvError> {
    container
        .env
        .iter()
        .flatten()
        .map(|e| match (&e.value, &e.value_from) {
            (_, Some(_)) => Err(parse_error(
                what,
                format!(
                    "env {} uses valueFrom, which this runner does not resolve",
                    e.name
                ),
            )),
            (value, None) => Ok((e.name.clone(), value.clone().unwrap_or_default())),
        })
        .collect()
}

/// `setpriv` arguments for the pod's user, group and privilege escalation settings.
fn privileges(pod: &PodSpec, container: &Container) -> Vec<String> {
    let pod_sc = pod.security_context.as_ref();
    let sc = container.security_context.as_ref();
    let user = sc
        .and_then(|s| s.run_as_user)
        .or_else(|| pod_sc.and_then(|s| s.run_as_user));
    let group = sc
        .and_then(|s| s.run_as_group)
        .or_else(|| pod_sc.and_then(|s| s.run_as_group));
    let no_new_privs = sc.and_then(|s| s.allow_privilege_escalation) == Some(false);
    if user.is_none() && group.is_none() && !no_new_privs {
        return Vec::new();
    }
    let mut args = vec!["setpriv".to_string()];
    if let Some(u) = user {
        args.push(format!("--reuid={u}"));
    }
    if let Some(g) = group {
        args.push(format!("--regid={g}"));
        args.push("--clear-groups".into());
    }
    if no_new_privs {
        args.push("--no-new-privs".into());
    }
    args.push("--".into());
    args
}

/// The readiness probe's HTTP path and port.
fn readiness(container: &Container) -> Option<(String, u16)> {
    let get = container.readiness_probe.as_ref()?.http_get.as_ref()?;
    let port = container_port(container, &get.port)?;
    Some((get.path.clone().unwrap_or_else(|| "/".into()), port))
}

fn slice_name(service: &str, pod: &str) -> String {
    format!("{service}-{pod}")
}

/// Endpoints and an EndpointSlice for `service` (as the manifests define it: port names and
/// target ports) pointing at `ip`, with `targetRef` to the Pod.
async fn route(
    admin: &Client,
    service: &Service,
    container: &Container,
    target: &ObjectReference,
    ip: Ipv4Addr,
) -> Result<(), TestenvError> {
    let name = service.metadata.name.clone().unwrap_or_default();
    let ns = target.namespace.clone().unwrap_or_default();
    let what = format!("Service {ns}/{name}");
    let mut ports = Vec::new();
    for p in service.spec.iter().flat_map(|s| s.ports.iter().flatten()) {
        let target_port = p.target_port.clone().unwrap_or(IntOrString::Int(p.port));
        let port = container_port(container, &target_port)
            .ok_or_else(|| parse_error(&what, format!("target port {target_port:?} unknown")))?;
        ports.push((
            p.name.clone(),
            port,
            p.protocol.clone().unwrap_or_else(|| "TCP".into()),
        ));
    }
    let endpoints = Endpoints {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: Some(ns.clone()),
            ..ObjectMeta::default()
        },
        subsets: Some(vec![EndpointSubset {
            addresses: Some(vec![EndpointAddress {
                ip: ip.to_string(),
                target_ref: Some(target.clone()),
                ..EndpointAddress::default()
            }]),
            ports: Some(
                ports
                    .iter()
                    .map(|(n, port, proto)| EndpointPort {
                        name: n.clone(),
                        port: (*port).into(),
                        protocol: Some(proto.clone()),
                        ..EndpointPort::default()
                    })
                    .collect(),
            ),
            ..EndpointSubset::default()
        }]),
    };
    let apply = PatchParams::apply(FIELD_MANAGER).force();
    Api::<Endpoints>::namespaced(admin.clone(), &ns)
        .patch(&name, &apply, &Patch::Apply(&endpoints))
        .await
        .map_err(TestenvError::kube(format!("apply endpoints {ns}/{name}")))?;

    let pod = target.name.clone().unwrap_or_default();
    let slice_name = slice_name(&name, &pod);
    let slice = EndpointSlice {
        metadata: ObjectMeta {
            name: Some(slice_name.clone()),
            namespace: Some(ns.clone()),
            labels: Some(
                [
                    ("kubernetes.io/service-name".to_string(), name.clone()),
                    (
                        "endpointslice.kubernetes.io/managed-by".to_string(),
                        FIELD_MANAGER.to_string(),
                    ),
                ]
                .into(),
            ),
            ..ObjectMeta::default()
        },
        address_type: "IPv4".into(),
        endpoints: vec![Endpoint {
            addresses: vec![ip.to_string()],
            conditions: Some(EndpointConditions {
                ready: Some(true),
                ..EndpointConditions::default()
            }),
            target_ref: Some(target.clone()),
            ..Endpoint::default()
        }],
        ports: Some(
            ports
                .iter()
                .map(
                    |(n, port, proto)| k8s_openapi::api::discovery::v1::EndpointPort {
                        name: n.clone(),
                        port: Some((*port).into()),
                        protocol: Some(proto.clone()),
                        ..Default::default()
                    },
                )
                .collect(),
        ),
    };
    Api::<EndpointSlice>::namespaced(admin.clone(), &ns)
        .patch(&slice_name, &apply, &Patch::Apply(&slice))
        .await
        .map_err(TestenvError::kube(format!(
            "apply endpointslice {ns}/{slice_name}"
        )))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_address_binds_the_pod_address() {
        let ip = Ipv4Addr::new(10, 213, 0, 12);
        assert_eq!(
            bind_pod_address("--listen-addr=:8080", ip),
            "--listen-addr=10.213.0.12:8080"
        );
        assert_eq!(bind_pod_address("--key-prefix=x", ip), "--key-prefix=x");
        assert_eq!(bind_pod_address("--update-status", ip), "--update-status");
        assert_eq!(bind_pod_address("--x=:abc", ip), "--x=:abc");
    }
}
