//! Our kubeseal's online paths on the real control plane, against our controller in the test's
//! namespace, as the restricted user `alice` (only what `system:authenticated` gets from the
//! shipped RBAC) unless a step needs more: the certificate through the service proxy,
//! `--validate` (good and tampered, with upstream's message and exit code, compared with the
//! upstream binary), `--re-encrypt` to stdout and in place, the fallback to the
//! `sealed-secrets-cert` ConfigMap when the proxy path fails, and the error when neither works.

mod controller_common;
#[path = "cli_support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use controller_common::*;
use k8s_openapi::api::core::v1::{ConfigMap, Secret, Service};
use kube::api::{Api, DeleteParams, ListParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{TestContext, eventually};

const KEY_LABEL: &str = "sealedsecrets.bitnami.com/sealed-secrets-key";
const CERT_CONFIGMAP: &str = "sealed-secrets-cert";

/// Runs `bin` (ours or upstream's) as `user` against the test namespace's controller.
fn kubeseal_as(bin: &Path, ctx: &TestContext, user: &str, args: &[&str], stdin: &[u8]) -> Output {
    let kubeconfig = ctx.env.kubeconfig(user).expect("kubeconfig");
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend([
        "--kubeconfig".into(),
        kubeconfig.display().to_string(),
        "--controller-namespace".into(),
        ctx.namespace.clone(),
    ]);
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    support::run(bin, &refs, stdin, &[])
}

fn ours(ctx: &TestContext, user: &str, args: &[&str], stdin: &[u8]) -> Output {
    kubeseal_as(&support::ours(), ctx, user, args, stdin)
}

fn upstream(ctx: &TestContext, user: &str, args: &[&str], stdin: &[u8]) -> Output {
    kubeseal_as(&support::upstream(), ctx, user, args, stdin)
}

fn secret_yaml(ns: &str, name: &str, data: &[(&str, &str)]) -> String {
    let mut s = format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: {ns}\nstringData:\n"
    );
    for (k, v) in data {
        s.push_str(&format!("  {k}: {v:?}\n"));
    }
    s
}

/// The controller's key Secrets as a file `--recovery-private-key` reads (a v1 List).
async fn key_file(ctx: &TestContext, dir: &support::Scratch) -> std::path::PathBuf {
    let keys = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .list(&ListParams::default().labels(KEY_LABEL))
        .await
        .expect("list key Secrets")
        .items;
    assert!(!keys.is_empty(), "the controller made a key");
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": keys});
    dir.write("keys.json", &serde_json::to_vec(&list).expect("json"))
}

/// Opens sealed output offline with the controller's keys; the Secret's data as text.
fn unseal(ctx: &TestContext, keys: &Path, sealed: &[u8]) -> BTreeMap<String, String> {
    let out = ours(
        ctx,
        "admin",
        &[
            "--recovery-unseal",
            "--recovery-private-key",
            support::s(keys),
            "-o",
            "json",
        ],
        sealed,
    );
    assert!(out.status.success(), "{}", support::text(&out.stderr));
    let secret: Secret = serde_json::from_slice(&out.stdout).expect("Secret");
    secret_data(&secret)
}

fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn online_paths_on_the_control_plane() {
    let ctx = TestContext::new("cli-online").await;
    // /v1/verify is rate limited (2/s by default); this test calls it back to back.
    let mut controller = start_ours(&ctx, &["--rate-limit=50", "--rate-limit-burst=50"]).await;
    let pem = cert(&controller).await;
    let scratch = support::Scratch::new("cli-online-cluster");
    let keys = key_file(&ctx, &scratch).await;
    let ns = ctx.namespace.clone();

    // The certificate through the service proxy, as alice.
    let out = ours(&ctx, "alice", &["--fetch-cert"], b"");
    assert!(
        out.status.success(),
        "{}\n{}",
        support::text(&out.stderr),
        controller.log_tail(20)
    );
    assert_eq!(support::text(&out.stdout), pem);

    // Seal online as alice; the controller's key opens it.
    let input = secret_yaml(&ns, "web", &[("user", "admin"), ("pass", "s3cret")]);
    let sealed = ours(&ctx, "alice", &["-o", "yaml"], input.as_bytes());
    assert!(sealed.status.success(), "{}", support::text(&sealed.stderr));
    assert!(
        sealed.stderr.is_empty(),
        "{}",
        support::text(&sealed.stderr)
    );
    assert_eq!(
        unseal(&ctx, &keys, &sealed.stdout),
        data(&[("user", "admin"), ("pass", "s3cret")])
    );

    // --validate: a good SealedSecret passes (exit 0, nothing printed).
    let out = ours(&ctx, "alice", &["--validate"], &sealed.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "validate: {}",
        support::text(&out.stderr)
    );
    assert!(out.stdout.is_empty() && out.stderr.is_empty());

    // A tampered one (sealed for another name, renamed): upstream's message and exit code.
    let other = secret_yaml(&ns, "elsewhere", &[("user", "admin")]);
    let other = ours(&ctx, "alice", &["-o", "json"], other.as_bytes());
    assert!(other.status.success(), "{}", support::text(&other.stderr));
    let mut tampered: SealedSecret = serde_json::from_slice(&other.stdout).expect("json");
    tampered.metadata.name = Some("web".into());
    if let Some(t) = tampered.spec.template.metadata.as_mut() {
        t.name = Some("web".into());
    }
    let tampered = serde_json::to_vec(&tampered).expect("json");
    let o = ours(&ctx, "alice", &["--validate"], &tampered);
    let u = upstream(&ctx, "alice", &["--validate"], &tampered);
    assert_eq!(o.status.code(), Some(1), "{}", support::text(&o.stderr));
    assert_eq!(u.status.code(), Some(1), "{}", support::text(&u.stderr));
    assert_eq!(
        support::text(&o.stderr),
        "error: unable to decrypt sealed secret: web\n"
    );
    assert_eq!(support::text(&o.stderr), support::text(&u.stderr));

    // A flipped ciphertext byte: the same answer.
    let mut flipped: SealedSecret = serde_json::from_slice(&other.stdout).expect("json");
    for v in flipped.spec.encrypted_data.values_mut() {
        let replacement = if v.ends_with('A') { "B" } else { "A" };
        v.replace_range(v.len() - 2..v.len() - 1, replacement);
    }
    let flipped = serde_json::to_vec(&flipped).expect("json");
    let o = ours(&ctx, "alice", &["--validate"], &flipped);
    let u = upstream(&ctx, "alice", &["--validate"], &flipped);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(support::text(&o.stderr), support::text(&u.stderr));

    // --re-encrypt online to stdout: fresh ciphertexts that the controller's key opens.
    let out = ours(
        &ctx,
        "alice",
        &["--re-encrypt", "-o", "yaml"],
        &sealed.stdout,
    );
    assert!(
        out.status.success(),
        "re-encrypt: {}\n{}",
        support::text(&out.stderr),
        controller.log_tail(20)
    );
    assert_ne!(out.stdout, sealed.stdout);
    assert_eq!(
        unseal(&ctx, &keys, &out.stdout),
        data(&[("user", "admin"), ("pass", "s3cret")])
    );

    // --re-encrypt in place: `-f FILE` without `-w` rewrites FILE (YAML stays YAML).
    let file = scratch.write("web.yaml", &sealed.stdout);
    let out = ours(
        &ctx,
        "alice",
        &["--re-encrypt", "-f", support::s(&file)],
        b"",
    );
    assert!(out.status.success(), "{}", support::text(&out.stderr));
    assert!(out.stdout.is_empty());
    let rewritten = std::fs::read(&file).expect("read rewritten file");
    assert!(rewritten.starts_with(b"---\n"), "YAML in place");
    assert_ne!(rewritten, sealed.stdout);
    assert_eq!(
        unseal(&ctx, &keys, &rewritten),
        data(&[("user", "admin"), ("pass", "s3cret")])
    );
    let out = ours(&ctx, "alice", &["--validate", "-f", support::s(&file)], b"");
    assert_eq!(out.status.code(), Some(0), "{}", support::text(&out.stderr));

    // The controller publishes its certificate; alice can read it (shipped RBAC).
    let configmaps = Api::<ConfigMap>::namespaced(ctx.admin.clone(), &ns);
    let published = eventually(WAIT, "the sealed-secrets-cert ConfigMap", || {
        let configmaps = configmaps.clone();
        async move {
            let cm = configmaps.get_opt(CERT_CONFIGMAP).await.ok().flatten()?;
            cm.data?.get("cert.pem").cloned()
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", controller.log_tail(40)));
    assert_eq!(published, pem);
    let alice = ctx.client_as("alice").await;
    Api::<ConfigMap>::namespaced(alice, &ns)
        .get(CERT_CONFIGMAP)
        .await
        .expect("alice reads the certificate ConfigMap");

    // The proxy path fails (the Service stays, nothing answers behind it): kubeseal seals with
    // the published certificate and says so on stderr.
    controller.stop();
    let input = secret_yaml(&ns, "fallback", &[("k", "v")]);
    for user in ["alice", "admin"] {
        let out = ours(&ctx, user, &["-o", "json"], input.as_bytes());
        let stderr = support::text(&out.stderr);
        assert!(out.status.success(), "{user}: {stderr}");
        assert!(
            stderr
                .starts_with("warning: cannot reach the controller through the API server proxy (")
                && stderr.ends_with(&format!(
                    "); using the certificate published in ConfigMap {ns}/{CERT_CONFIGMAP}\n"
                )),
            "{user}: {stderr}"
        );
        assert_eq!(unseal(&ctx, &keys, &out.stdout), data(&[("k", "v")]));
    }
    let out = ours(&ctx, "alice", &["--fetch-cert"], b"");
    assert!(out.status.success(), "{}", support::text(&out.stderr));
    assert_eq!(support::text(&out.stdout), pem);

    // No ConfigMap either: upstream's `cannot fetch certificate` error, exit 1, no output.
    configmaps
        .delete(CERT_CONFIGMAP, &DeleteParams::default())
        .await
        .expect("delete the ConfigMap");
    let o = ours(&ctx, "alice", &["-o", "json"], input.as_bytes());
    let u = upstream(&ctx, "alice", &["-o", "json"], input.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(u.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    let (o_err, u_err) = (support::text(&o.stderr), support::text(&u.stderr));
    assert!(
        o_err.starts_with("error: cannot fetch certificate: "),
        "{o_err}"
    );
    assert!(
        u_err.starts_with("error: cannot fetch certificate: "),
        "{u_err}"
    );

    // Neither a Service nor a ConfigMap: upstream's text, byte for byte.
    Api::<Service>::namespaced(ctx.admin.clone(), &ns)
        .delete("sealed-secrets-controller", &DeleteParams::default())
        .await
        .expect("delete the Service");
    let o = ours(&ctx, "alice", &["-o", "json"], input.as_bytes());
    let u = upstream(&ctx, "alice", &["-o", "json"], input.as_bytes());
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(u.status.code(), Some(1));
    assert!(o.stdout.is_empty());
    assert_eq!(support::text(&o.stderr), support::text(&u.stderr));
    assert!(
        support::text(&o.stderr).starts_with(
            "error: cannot get sealed secret service: services \"sealed-secrets-controller\" not found.\nPlease, use the flag --controller-name and --controller-namespace"
        ),
        "{}",
        support::text(&o.stderr)
    );
}
