//! `scripts/seal-stack-secrets.sh --values FILE --generate-missing --apply` end to end on the
//! local control plane, as a user runs it on a fresh cluster: it applies the controller, waits
//! for its rollout, fetches the certificate through the API server's service proxy, seals the
//! values (generating the CrowdSec keys), applies the whole stack, and the controller turns the
//! SealedSecrets into the Secrets the stack reads.
//!
//! The script runs from a copy of `scripts/` and `manifests/` in a scratch directory, so the
//! sealed files it writes never touch the checkout. The control plane runs the Deployment and
//! ReplicaSet controllers but no scheduler or kubelet, so the test plays the node: once the
//! ReplicaSet has made the Deployment's Pod, the controller binary runs as that Pod
//! (`DeployedPod::start_as`: the Deployment's args, ServiceAccount token and user), reported
//! Running and Ready at the process's address when its readiness probe answers; the rollout
//! `kubectl rollout status` waits for is then the controllers' own (after `minReadySeconds`).
//! The CRDs ArgoCD and Traefik would bring are installed first, as on a cluster where ArgoCD has
//! synced (the script's wait for them is for that case).

#[path = "../manifests/cluster.rs"]
mod cluster;
#[path = "../manifests/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use cluster::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::Client;
use kube::api::{Api, ListParams};
use sealwright_tests::{DeployedPod, Testenv, eventually};
use support::*;

/// Kinds the test removes afterwards; CRDs, Namespaces, RBAC and the ServiceAccount stay, as the
/// control plane is set up with them and other tests rely on them.
const REMOVED_KINDS: [&str; 10] = [
    "Deployment",
    "Service",
    "SealedSecret",
    "PodDisruptionBudget",
    "NetworkPolicy",
    "Application",
    "Middleware",
    "ServiceMonitor",
    "HelmChartConfig",
    "IngressRoute",
];

fn copy_tree(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("run cp");
    assert!(
        status.success(),
        "copy {} to {}",
        from.display(),
        to.display()
    );
}

/// The CRDs of the stack's custom resources and the namespaces the controller is told to watch
/// (it skips a watched namespace that does not exist when it starts).
fn prepare_cluster(env: &Testenv, scratch: &Path) {
    install_stack_crds(env);
    let namespaces: Vec<_> = STACK_NAMESPACES
        .iter()
        .chain(&["argocd"])
        .map(|ns| namespace_doc(ns))
        .collect();
    kubectl_apply_docs(env, &scratch.join("namespaces.yaml"), &namespaces)
        .unwrap_or_else(|e| panic!("namespaces: {e}"));
}

/// Plays the node for the Deployment the script applied: once its ReplicaSet has made the Pod,
/// the controller binary runs as that Pod (the Deployment's args, ServiceAccount token and user),
/// which is reported Running and Ready at the process's address when its readiness probe answers.
/// The Deployment and ReplicaSet controllers turn that into the rollout status the script waits
/// for.
async fn play_the_node(env: &'static Testenv, admin: &Client) -> DeployedPod {
    let deployments = Api::<Deployment>::namespaced(admin.clone(), NS);
    let deployment = eventually(
        Duration::from_secs(240),
        "the script applies the Deployment",
        || {
            let deployments = deployments.clone();
            async move { deployments.get_opt(NAME).await.ok().flatten() }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let services_api = Api::<Service>::namespaced(admin.clone(), NS);
    let mut services = Vec::new();
    for s in [NAME, METRICS] {
        services.push(
            services_api
                .get(s)
                .await
                .unwrap_or_else(|e| panic!("Service {s}: {e}")),
        );
    }

    let pods = Api::<Pod>::namespaced(admin.clone(), NS);
    let selector = format!("name={NAME},pod-template-hash");
    let replica = eventually(Duration::from_secs(120), "the ReplicaSet's Pod", || {
        let pods = pods.clone();
        let selector = selector.clone();
        async move {
            let list = pods
                .list(&ListParams::default().labels(&selector))
                .await
                .ok()?;
            list.items.into_iter().next()
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}"));
    let replica_name = replica.metadata.name.clone().unwrap_or_default();

    let binary = workspace_binary("sealwright-controller", NAME);
    let extra = [
        "--all-namespaces=false".to_string(),
        format!("--additional-namespaces={}", STACK_NAMESPACES.join(",")),
    ];
    DeployedPod::start_as(
        env,
        admin,
        &deployment,
        &replica_name,
        &binary,
        &extra,
        &services,
    )
    .await
    .unwrap_or_else(|e| panic!("run the controller as {replica_name}: {e}"))
}

/// Removes what the script applied (see `REMOVED_KINDS`) when dropped, even after a panic.
struct RemoveApplied<'a> {
    env: &'a Testenv,
    tree: PathBuf,
}

impl Drop for RemoveApplied<'_> {
    fn drop(&mut self) {
        let docs = yaml_documents(&render_yaml_at(&self.tree));
        let removed: Vec<String> = docs
            .iter()
            .filter(|d| REMOVED_KINDS.contains(&kind(d)))
            .map(|d| serde_yaml::to_string(d).expect("serialise"))
            .collect();
        let file = self.tree.join("applied.yaml");
        if std::fs::write(&file, removed.join("---\n")).is_ok() {
            let _ = kubectl(
                self.env,
                &["delete", "--ignore-not-found", "--wait=false"],
                Some(&file),
            );
        }
    }
}

/// `kustomize build` of a copied `manifests/` tree.
fn render_yaml_at(dir: &Path) -> String {
    let out = Command::new(tools_dir().join("kustomize"))
        .arg("build")
        .arg(dir)
        .output()
        .expect("run kustomize");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

async fn run(env: &'static Testenv, admin: Client, scratch: PathBuf) {
    let scratch = scratch.as_path();
    prepare_cluster(env, scratch);
    let root = scratch.join("checkout");
    std::fs::create_dir_all(root.join("scripts")).expect("mkdir");
    copy_tree(
        &repo_root().join("scripts/seal-stack-secrets.sh"),
        &root.join("scripts"),
    );
    copy_tree(&manifests_dir(), &root);
    let _remove = RemoveApplied {
        env,
        tree: root.join("manifests"),
    };

    // The one credential a user must supply; the script generates the CrowdSec keys.
    let values_file = scratch.join("stack.env");
    let token = random_value(40);
    std::fs::write(&values_file, format!("CLOUDFLARE_TUNNEL_TOKEN={token}\n")).expect("values");

    let kubectl_dir = env
        .kubectl
        .parent()
        .expect("kubectl's directory")
        .to_path_buf();
    let path = format!(
        "{}:{}",
        kubectl_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let kubeseal = workspace_binary("sealwright-cli", "kubeseal");
    let log = scratch.join("script.log");
    let mut script = tokio::process::Command::new("bash")
        .arg(root.join("scripts/seal-stack-secrets.sh"))
        .args(["--values"])
        .arg(&values_file)
        .args(["--generate-missing", "--apply"])
        .env("KUBESEAL", &kubeseal)
        .env(
            "KUBECONFIG",
            env.kubeconfig("admin").expect("admin kubeconfig"),
        )
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&log).expect("log"))
        .stderr(std::fs::File::create(scratch.join("script.err")).expect("log"))
        .kill_on_drop(true)
        .spawn()
        .expect("start scripts/seal-stack-secrets.sh");

    let mut pod = play_the_node(env, &admin).await;
    let status = tokio::time::timeout(Duration::from_secs(420), script.wait())
        .await
        .expect("the script finishes within 7 minutes")
        .expect("wait for the script");
    let output = format!(
        "{}\n{}",
        std::fs::read_to_string(&log).unwrap_or_default(),
        std::fs::read_to_string(scratch.join("script.err")).unwrap_or_default()
    );
    assert!(
        status.success(),
        "the script failed:\n{output}\ncontroller:\n{}",
        pod.log_tail(40)
    );

    // The rollout the script waited for was reported by the Deployment controller.
    let rolled_out = Api::<Deployment>::namespaced(admin.clone(), NS)
        .get(NAME)
        .await
        .expect("the Deployment")
        .status
        .and_then(|s| s.available_replicas);
    assert_eq!(rolled_out, Some(1), "available replicas");

    // The values file now holds the generated keys, and the committed examples were replaced.
    let values: BTreeMap<String, String> = std::fs::read_to_string(&values_file)
        .expect("read values")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(values["CLOUDFLARE_TUNNEL_TOKEN"], token);
    for (_, _, items) in SEALED {
        for (_, var) in items {
            assert!(
                values.contains_key(*var),
                "{var} was not generated:\n{output}"
            );
        }
    }

    // Every object of the stack is in the cluster.
    let tree = root.join("manifests");
    let docs = yaml_documents(&render_yaml_at(&tree));
    for doc in &docs {
        let api_version = doc["apiVersion"].as_str().unwrap_or_default();
        let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
        let resource = if group.is_empty() {
            kind(doc).to_lowercase()
        } else {
            format!("{}.{version}.{group}", kind(doc).to_lowercase())
        };
        let mut args = vec!["get", resource.as_str(), name(doc)];
        if !namespace(doc).is_empty() {
            args.extend(["-n", namespace(doc)]);
        }
        kubectl(env, &args, None)
            .unwrap_or_else(|e| panic!("{} was not applied: {e}\n{output}", id(doc)));
    }

    // The controller unsealed each credential into the Secret the stack reads.
    for sealed_secret in SEALED {
        wait_for_unsealed(&admin, sealed_secret, &values, &pod).await;
    }
    pod.remove(&admin).await.expect("remove the controller pod");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_deploys_the_stack_and_its_secrets_unseal() {
    run_cleaned(run).await;
}
