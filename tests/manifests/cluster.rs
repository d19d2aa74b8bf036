//! Shared by the cluster tests of the shipped manifests (`manifests_e2e`, `manifests_runtime`,
//! `manifests_seal_apply`, `manifests_dry_run`): the controller's names in kube-system, the
//! stack's sealed credentials, server-side apply of rendered objects, the wait for an unsealed
//! Secret, and the cleanup that leaves kube-system as the control plane had it. Test binaries run one after another, so these never overlap.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Endpoints, Pod, Secret, Service};
use k8s_openapi::api::discovery::v1::EndpointSlice;
use k8s_openapi::api::networking::v1::NetworkPolicy;
use kube::Client;
use kube::api::{
    Api, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use kube::discovery::{Scope, pinned_kind};
use sealwright_crypto::SealedSecret;
use serde_json::{Value, json};

use sealwright_tests::{DeployedPod, Testenv, eventually};

use crate::support::{id, kind, manifests_dir, name, namespace, schema_source};

pub const NS: &str = "kube-system";
pub const NAME: &str = "sealed-secrets-controller";
pub const METRICS: &str = "sealed-secrets-controller-metrics";
pub const STACK_NAMESPACES: [&str; 2] = ["crowdsec", "cloudflared"];
pub const KEY_LABEL: &str = "sealedsecrets.bitnami.com/sealed-secrets-key";
pub const FIELD_MANAGER: &str = "sealwright-e2e";

/// (Secret key, values-file variable).
pub type Items = &'static [(&'static str, &'static str)];

/// The Secrets the script seals: (namespace, name, items).
pub const SEALED: [(&str, &str, Items); 3] = [
    (
        "crowdsec",
        "crowdsec-bouncer-key",
        &[("api-key", "CROWDSEC_BOUNCER_API_KEY")],
    ),
    (
        "crowdsec",
        "crowdsec-lapi-secrets",
        &[
            ("csLapiSecret", "CROWDSEC_LAPI_SECRET"),
            ("registrationToken", "CROWDSEC_REGISTRATION_TOKEN"),
        ],
    ),
    (
        "cloudflared",
        "cloudflared-token",
        &[("token", "CLOUDFLARE_TUNNEL_TOKEN")],
    ),
];

/// Server-side apply of one rendered document, whatever its kind.
pub async fn apply(client: &Client, doc: &Value) {
    let api_version = doc["apiVersion"].as_str().unwrap_or_default();
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    let gvk = GroupVersionKind::gvk(group, version, kind(doc));
    let (resource, caps) = pinned_kind(client, &gvk)
        .await
        .unwrap_or_else(|e| panic!("discover {}: {e}", id(doc)));
    let api: Api<DynamicObject> = match caps.scope {
        Scope::Namespaced => Api::namespaced_with(client.clone(), namespace(doc), &resource),
        Scope::Cluster => Api::all_with(client.clone(), &resource),
    };
    api.patch(
        name(doc),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(doc),
    )
    .await
    .unwrap_or_else(|e| panic!("apply {}: {e}", id(doc)));
}

/// Ignores "not found": cleanup runs before and after, whatever is left.
pub fn ignore_missing<T>(result: Result<T, kube::Error>, what: &str) {
    match result {
        Ok(_) => {}
        Err(kube::Error::Api(s)) if s.code == 404 => {}
        Err(e) => panic!("{what}: {e}"),
    }
}

/// Removes what a test leaves in kube-system and in the stack namespaces, so a rerun and the
/// upstream suite (which deploys its own controller under the same name) start clean.
pub async fn clean_up(admin: &Client, also_base: bool) {
    let dp = DeleteParams::default();
    let by_label = |selector: &str| ListParams::default().labels(selector);
    ignore_missing(
        Api::<Pod>::namespaced(admin.clone(), NS)
            .delete_collection(&dp, &by_label(&format!("name={NAME}")))
            .await,
        "delete controller pods",
    );
    ignore_missing(
        Api::<EndpointSlice>::namespaced(admin.clone(), NS)
            .delete_collection(
                &dp,
                &by_label(&format!("kubernetes.io/service-name in ({NAME},{METRICS})")),
            )
            .await,
        "delete endpoint slices",
    );
    for service in [NAME, METRICS] {
        ignore_missing(
            Api::<Endpoints>::namespaced(admin.clone(), NS)
                .delete(service, &dp)
                .await,
            "delete endpoints",
        );
    }
    ignore_missing(
        Api::<Secret>::namespaced(admin.clone(), NS)
            .delete_collection(&dp, &by_label(KEY_LABEL))
            .await,
        "delete key secrets",
    );
    ignore_missing(
        Api::<ConfigMap>::namespaced(admin.clone(), NS)
            .delete("sealed-secrets-cert", &dp)
            .await,
        "delete the certificate ConfigMap",
    );
    ignore_missing(
        Api::<Lease>::namespaced(admin.clone(), NS)
            .delete(NAME, &dp)
            .await,
        "delete the Lease",
    );
    for ns in STACK_NAMESPACES {
        ignore_missing(
            Api::<SealedSecret>::namespaced(admin.clone(), ns)
                .delete_collection(&dp, &ListParams::default())
                .await,
            "delete stack SealedSecrets",
        );
    }
    if also_base {
        ignore_missing(
            Api::<Deployment>::namespaced(admin.clone(), NS)
                .delete(NAME, &dp)
                .await,
            "delete the Deployment",
        );
        for service in [NAME, METRICS] {
            ignore_missing(
                Api::<Service>::namespaced(admin.clone(), NS)
                    .delete(service, &dp)
                    .await,
                "delete a Service",
            );
        }
        ignore_missing(
            Api::<NetworkPolicy>::namespaced(admin.clone(), NS)
                .delete(NAME, &dp)
                .await,
            "delete the NetworkPolicy",
        );
    }
}

/// A random credential of `len` hex digits.
pub fn random_value(len: usize) -> String {
    let mut s = String::new();
    while s.len() < len {
        s.push_str(&format!("{:016x}", rand::random::<u64>()));
    }
    s.truncate(len);
    s
}

/// `kubectl` as the control plane's admin, with `-f file` when given: stdout and stderr together,
/// `Err` when it fails.
pub fn kubectl(env: &Testenv, args: &[&str], file: Option<&Path>) -> Result<String, String> {
    let kubeconfig = env.kubeconfig("admin").map_err(|e| e.to_string())?;
    let mut cmd = Command::new(&env.kubectl);
    cmd.arg("--kubeconfig").arg(kubeconfig).args(args);
    if let Some(f) = file {
        cmd.arg("-f").arg(f);
    }
    let out = cmd
        .output()
        .map_err(|e| format!("cannot run kubectl: {e}"))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if out.status.success() {
        Ok(text)
    } else {
        Err(text)
    }
}

/// A Namespace with nothing but its name.
pub fn namespace_doc(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
}

/// `kubectl apply --server-side -f file` (plus `extra` flags) as the manifests tests' field
/// manager, taking over fields other managers set (the tests apply some of the same objects in
/// turn).
pub fn kubectl_apply(env: &Testenv, file: &Path, extra: &[&str]) -> Result<String, String> {
    let mut args = vec![
        "apply",
        "--server-side",
        "--force-conflicts",
        "--field-manager=manifests-test",
    ];
    args.extend(extra);
    kubectl(env, &args, Some(file))
}

/// Writes `docs` to `file` as one multi-document YAML stream and applies it with
/// [`kubectl_apply`].
pub fn kubectl_apply_docs(env: &Testenv, file: &Path, docs: &[Value]) -> Result<String, String> {
    let yaml: Vec<String> = docs
        .iter()
        .map(|d| serde_yaml::to_string(d).map_err(|e| format!("serialise {}: {e}", id(d))))
        .collect::<Result<_, _>>()?;
    std::fs::write(file, yaml.join("---\n"))
        .map_err(|e| format!("write {}: {e}", file.display()))?;
    kubectl_apply(env, file, &[])
}

/// Waits up to 120 s for the Secret `ns/name` to hold exactly `items`, each key with the bytes
/// of its variable in `values`, and returns it; on timeout the panic carries the tail of the
/// controller's log.
pub async fn wait_for_unsealed(
    admin: &Client,
    (ns, name, items): (&str, &str, Items),
    values: &BTreeMap<String, String>,
    controller: &DeployedPod,
) -> Secret {
    let secrets = Api::<Secret>::namespaced(admin.clone(), ns);
    let expected: BTreeMap<String, Vec<u8>> = items
        .iter()
        .map(|(key, var)| {
            let value = values
                .get(*var)
                .unwrap_or_else(|| panic!("no value for {var}"));
            (key.to_string(), value.as_bytes().to_vec())
        })
        .collect();
    let what = format!("Secret {ns}/{name} with the sealed values");
    eventually(Duration::from_secs(120), &what, || {
        let secrets = secrets.clone();
        let expected = expected.clone();
        async move {
            let s = secrets.get_opt(name).await.ok().flatten()?;
            let data: BTreeMap<String, Vec<u8>> = s
                .data
                .clone()
                .unwrap_or_default()
                .into_iter()
                .map(|(k, v)| (k, v.0))
                .collect();
            (data == expected).then_some(s)
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", controller.log_tail(60)))
}

/// Installs every CRD the stack's custom resources need (ours and the upstream ones in
/// schema-sources.tsv) and waits until the API serves them.
pub fn install_stack_crds(env: &Testenv) {
    let mut crd_files = vec![manifests_dir().join("sealed-secrets/crd.yaml")];
    crd_files.extend(
        [
            "traefik",
            "prometheus-operator",
            "argocd",
            "helm-controller",
        ]
        .map(|n| schema_source(n).to_path_buf()),
    );
    for f in &crd_files {
        kubectl_apply(env, f, &[]).unwrap_or_else(|e| panic!("installing {}: {e}", f.display()));
    }
    let crds = [
        "crd/sealedsecrets.bitnami.com",
        "crd/middlewares.traefik.io",
        "crd/ingressroutes.traefik.io",
        "crd/servicemonitors.monitoring.coreos.com",
        "crd/applications.argoproj.io",
        "crd/helmchartconfigs.helm.cattle.io",
    ];
    let mut wait = vec!["wait", "--for=condition=Established", "--timeout=60s"];
    wait.extend(crds);
    kubectl(env, &wait, None).unwrap_or_else(|e| panic!("CRDs not established: {e}"));
}

/// Runs `test` against the control plane with the controller's objects cleaned out of
/// kube-system before and after; the cleanup runs even when the test panics.
pub async fn run_cleaned<F, Fut>(test: F)
where
    F: FnOnce(&'static Testenv, Client, PathBuf) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let env = Testenv::get();
    let admin = env
        .admin()
        .await
        .unwrap_or_else(|e| panic!("testenv: {e}\n{}", env.component_log_tails(40)));
    let scratch = tempfile::tempdir().expect("temp dir");
    clean_up(&admin, false).await;
    let outcome = tokio::spawn(test(env, admin.clone(), scratch.path().to_path_buf())).await;
    clean_up(&admin, true).await;
    if let Err(e) = outcome {
        std::panic::resume_unwind(e.into_panic());
    }
}
