//! End to end on the local control plane: the shipped `manifests/sealed-secrets` base, applied
//! for real (CRD, ServiceAccount, RBAC, Services, Deployment), with the controller binary taken
//! out of our controller image and run as that Deployment's pod (its args, its ServiceAccount and
//! only the RBAC the base grants, its user). `scripts/seal-stack-secrets.sh` then seals the
//! stack's credentials against that controller's certificate, fetched by kubeseal through the
//! service proxy as a user with no rights beyond `system:authenticated`; applied with their
//! namespaces, they must become the Secrets the stack's workloads reference, names, keys and
//! values included.
//!
//! The controller lives where the manifests put it, `kube-system/sealed-secrets-controller`; no
//! other `cargo test` uses that name (the demo and upstream's suite do, but never during this
//! run), and this test removes its key, certificate, Pod and routing afterwards. Two departures
//! from the Deployment's args, both because the control plane's network namespace and API server
//! are shared with tests running at the same time: `:PORT` binds the pod's address only, and
//! `--all-namespaces=false --additional-namespaces=crowdsec,cloudflared` keeps the controller
//! away from other tests' SealedSecrets.
//!
//! The image is built from this run's controller binary (seconds); set
//! `SEALWRIGHT_CONTROLLER_IMAGE=target/image/sealed-secrets-controller-v<version>.oci.tar` to
//! run the release image `manifests/image/build.sh` wrote instead.

#[path = "../manifests/cluster.rs"]
mod cluster;
#[path = "../manifests/support.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use cluster::*;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{Secret, Service};
use kube::api::Api;
use kube::{Client, ResourceExt};
use sealwright_crypto::SealedSecret;
use sealwright_tests::oci::OciImage;
use sealwright_tests::proxy::{proxy_get, proxy_path};
use sealwright_tests::{DeployedPod, Testenv, eventually};
use serde_json::Value;
use support::*;

/// kubeseal's message when it falls back from the service proxy to the certificate ConfigMap.
const PROXY_FALLBACK: &str = "cannot reach the controller through the API server proxy";

/// The controller image tarball: `$SEALWRIGHT_CONTROLLER_IMAGE`, else one built now with
/// `manifests/image/build.sh` from this run's controller binary.
fn controller_image(scratch: &Path) -> PathBuf {
    if let Some(path) = std::env::var_os("SEALWRIGHT_CONTROLLER_IMAGE") {
        return PathBuf::from(path);
    }
    let binary = workspace_binary("sealwright-controller", NAME);
    let out = scratch.join("image");
    let run = Command::new("bash")
        .arg(repo_root().join("manifests/image/build.sh"))
        .arg("--binary")
        .arg(&binary)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run manifests/image/build.sh");
    assert!(
        run.status.success(),
        "build.sh failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    out.join(format!("{NAME}-v{}.oci.tar", workspace_version()))
}

/// Every (namespace, Secret, key) the rendered stack reads: `secretKeyRef`s in workloads and in
/// the Applications' chart values (namespace: the Application's destination), and the crowdsec
/// chart's `externalSecret` (its `*Key` fields name keys of the Secret `name`).
fn secret_references(docs: &[Value]) -> BTreeSet<(String, String, String)> {
    fn walk(v: &Value, ns: &str, out: &mut BTreeSet<(String, String, String)>) {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("secretKeyRef")
                    && let (Some(n), Some(k)) = (r["name"].as_str(), r["key"].as_str())
                {
                    out.insert((ns.into(), n.into(), k.into()));
                }
                if let Some(ext) = map.get("externalSecret").and_then(Value::as_object)
                    && let Some(n) = ext.get("name").and_then(Value::as_str)
                {
                    for (field, key) in ext {
                        if let (true, Some(k)) = (field.ends_with("Key"), key.as_str()) {
                            out.insert((ns.into(), n.into(), k.into()));
                        }
                    }
                }
                map.values().for_each(|x| walk(x, ns, out));
            }
            Value::Array(items) => items.iter().for_each(|x| walk(x, ns, out)),
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    for doc in docs {
        let ns = match kind(doc) {
            "Application" => doc["spec"]["destination"]["namespace"]
                .as_str()
                .unwrap_or(""),
            _ => namespace(doc),
        };
        walk(doc, ns, &mut out);
    }
    out
}

/// The stack's SealedSecrets, unsealed into the referenced Secrets by the deployed base.
async fn run(env: &'static Testenv, admin: Client, scratch: PathBuf) {
    // 1. The base, applied for real, and the namespaces of the stack's credentials.
    let base = yaml_documents(&render_yaml("sealed-secrets"));
    for doc in &base {
        apply(&admin, doc).await;
    }
    // The stack namespaces the controller watches: like upstream's, it skips an additional
    // namespace that does not exist when it starts.
    for ns in STACK_NAMESPACES {
        apply(&admin, find(rendered(), "Namespace", "", ns)).await;
    }
    let deployment: Deployment =
        serde_json::from_value(find(&base, "Deployment", NS, NAME).clone()).expect("Deployment");
    let services: Vec<Service> = [NAME, METRICS]
        .iter()
        .map(|s| serde_json::from_value(find(&base, "Service", NS, s).clone()).expect("Service"))
        .collect();

    // 2. The image's binary, run as the Deployment's pod.
    let tarball = controller_image(&scratch);
    let image = OciImage::unpack(&tarball, &scratch.join("unpacked")).expect("unpack the image");
    let rootfs = scratch.join("rootfs");
    image.extract_rootfs(&rootfs).expect("extract the image");
    // The pod runs as an unprivileged user: it must be able to reach the binary.
    for dir in [scratch.as_path(), rootfs.as_path()] {
        let status = Command::new("chmod").arg("0755").arg(dir).status();
        assert!(status.is_ok_and(|s| s.success()), "chmod {}", dir.display());
    }
    let command = deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .map(|p| p.containers[0].command.clone().unwrap_or_default());
    let command0 = command.as_ref().and_then(|c| c.first()).expect("a command");
    let binary = image
        .resolve_command(&rootfs, command0)
        .unwrap_or_else(|| panic!("{command0} is not in the image {}", tarball.display()));
    eprintln!("controller: {} from {}", command0, tarball.display());
    let extra = [
        "--all-namespaces=false".to_string(),
        format!("--additional-namespaces={}", STACK_NAMESPACES.join(",")),
    ];
    let mut pod = DeployedPod::start(env, &admin, &deployment, &binary, &extra, &services)
        .await
        .unwrap_or_else(|e| panic!("start the Deployment's pod: {e}"));
    eprintln!("controller pod {} runs {:?}", pod.pod, pod.argv);
    // The process runs as the pod's user and group, unable to gain privileges.
    let proc_status = std::fs::read_to_string(format!("/proc/{}/status", pod.pid()))
        .expect("the controller's /proc status");
    let field = |name: &str| {
        proc_status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.split_whitespace().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let security = deployment
        .spec
        .as_ref()
        .and_then(|s| s.template.spec.as_ref())
        .and_then(|p| p.security_context.clone())
        .expect("pod securityContext");
    let uid = security.run_as_user.expect("runAsUser").to_string();
    let gid = security.run_as_group.expect("runAsGroup").to_string();
    assert_eq!(field("Uid:"), [uid.as_str(); 4], "{proc_status}");
    assert_eq!(field("Gid:"), [gid.as_str(); 4], "{proc_status}");
    assert_eq!(field("NoNewPrivs:"), ["1"], "{proc_status}");

    // 3. The certificate through the service proxy, as a user with no extra rights.
    let alice_config = env
        .kubeconfig("alice")
        .expect("alice's kubeconfig")
        .to_path_buf();
    let alice = env.client_as("alice").await.expect("alice's client");
    let via_proxy = proxy_get(&alice, &proxy_path(NS, NAME, None, "/v1/cert.pem"))
        .await
        .unwrap_or_else(|e| panic!("cert through the proxy: {e}\n{}", pod.log_tail(40)));
    assert!(
        via_proxy.starts_with("-----BEGIN CERTIFICATE-----"),
        "{via_proxy}"
    );
    // Only the API Service is open to every user (upstream RBAC); metrics are for admins.
    let metrics = proxy_get(&admin, &proxy_path(NS, METRICS, None, "/metrics"))
        .await
        .expect("metrics through the proxy (sealed-secrets-controller-metrics)");
    assert!(
        metrics.contains("# EOF") || metrics.contains("# TYPE"),
        "{metrics}"
    );
    let kubeseal = workspace_binary("sealwright-cli", "kubeseal");
    let fetched = Command::new(&kubeseal)
        .arg("--fetch-cert")
        .env("KUBECONFIG", &alice_config)
        .output()
        .expect("run kubeseal --fetch-cert");
    let fetched_err = String::from_utf8_lossy(&fetched.stderr);
    assert!(
        fetched.status.success(),
        "kubeseal --fetch-cert: {fetched_err}"
    );
    assert!(!fetched_err.contains(PROXY_FALLBACK), "{fetched_err}");
    assert_eq!(String::from_utf8_lossy(&fetched.stdout), via_proxy);

    // 4. The user's values, sealed by the script for this controller (it fetches the
    // certificate itself: no --cert).
    let values: BTreeMap<String, String> = [
        ("CLOUDFLARE_TUNNEL_TOKEN", random_value(40)),
        ("CROWDSEC_BOUNCER_API_KEY", random_value(48)),
        ("CROWDSEC_LAPI_SECRET", random_value(80)),
        ("CROWDSEC_REGISTRATION_TOKEN", random_value(64)),
    ]
    .map(|(k, v)| (k.to_string(), v))
    .into();
    let values_file = scratch.join("stack.env");
    let text: String = values.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(&values_file, text).expect("write the values file");
    let out = scratch.join("sealed");
    let script = Command::new("bash")
        .arg(repo_root().join("scripts/seal-stack-secrets.sh"))
        .arg("--values")
        .arg(&values_file)
        .arg("--out-dir")
        .arg(&out)
        .env("KUBESEAL", &kubeseal)
        .env("KUBECONFIG", &alice_config)
        .output()
        .expect("run scripts/seal-stack-secrets.sh");
    let script_err = String::from_utf8_lossy(&script.stderr);
    assert!(script.status.success(), "seal script: {script_err}");
    assert!(!script_err.contains(PROXY_FALLBACK), "{script_err}");

    // 5. The SealedSecrets (their namespaces exist since step 1).
    let mut sealed_docs = Vec::new();
    for file in ["crowdsec/sealed", "cloudflared/sealed"]
        .iter()
        .flat_map(|d| std::fs::read_dir(out.join("manifests").join(d)).expect("sealed dir"))
    {
        let text = std::fs::read_to_string(file.expect("entry").path()).expect("read");
        sealed_docs.extend(yaml_documents(&text));
    }
    assert_eq!(sealed_docs.len(), SEALED.len(), "sealed files");
    for doc in &sealed_docs {
        assert_eq!(kind(doc), "SealedSecret");
        for value in values.values() {
            assert!(
                !doc.to_string().contains(value.as_str()),
                "plaintext in {}",
                id(doc)
            );
        }
        apply(&admin, doc).await;
    }

    // 6. The Secrets, with the values given, owned by their SealedSecrets, which report Synced.
    let mut unsealed: BTreeMap<(String, String), Secret> = BTreeMap::new();
    for sealed_secret in SEALED {
        let (ns, secret_name, _) = sealed_secret;
        let secret = wait_for_unsealed(&admin, sealed_secret, &values, &pod).await;
        assert_eq!(
            secret.type_.as_deref(),
            Some("Opaque"),
            "{ns}/{secret_name}"
        );
        let owner = secret
            .owner_references()
            .first()
            .cloned()
            .expect("an owner");
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str(), owner.controller),
            ("SealedSecret", secret_name, Some(true))
        );
        let sealed = Api::<SealedSecret>::namespaced(admin.clone(), ns);
        let what = format!("SealedSecret {ns}/{secret_name} Synced");
        eventually(Duration::from_secs(60), &what, || {
            let sealed = sealed.clone();
            async move {
                let s = sealed.get_opt(secret_name).await.ok().flatten()?;
                let conditions = s.status?.conditions?;
                conditions
                    .iter()
                    .any(|c| c.type_ == "Synced" && c.status == "True")
                    .then_some(())
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", pod.log_tail(60)));
        unsealed.insert((ns.into(), secret_name.into()), secret);
    }

    // 7. Every Secret the stack's workloads and charts reference resolves, by name and key.
    let references = secret_references(rendered());
    assert!(!references.is_empty(), "the stack references no Secret");
    for (ns, secret_name, key) in &references {
        let secret = unsealed
            .get(&(ns.clone(), secret_name.clone()))
            .unwrap_or_else(|| panic!("{ns}/{secret_name} is referenced but not sealed"));
        let data = secret.data.as_ref().expect("data");
        assert!(
            data.get(key).is_some_and(|v| !v.0.is_empty()),
            "{ns}/{secret_name} has no key {key}"
        );
    }
    eprintln!("references resolved: {references:?}");

    pod.remove(&admin).await.expect("remove the controller pod");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sealed_secrets_base_unseals_the_stack_secrets() {
    run_cleaned(run).await;
}
