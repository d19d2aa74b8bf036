//! Beyond upstream, on the real control plane: a restart over unchanged SealedSecrets costs a list
//! and a compare, not RSA. The second controller must decrypt nothing and leave every Secret as it
//! was (same data, same resourceVersion), while still bringing status up to date. What lets it
//! skip lives on the SealedSecret's status; the Secret carries nothing beyond upstream's.

mod controller_common;

use std::collections::BTreeMap;

use controller_common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::api::Api;
use sealwright_tests::{
    ControllerBinary, ControllerOptions, RunningController, TestContext, eventually,
};

const OBJECTS: usize = 12;

/// The value of the first sample of `name` in the controller's metrics.
async fn metric(controller: &RunningController, name: &str) -> Option<f64> {
    let (code, body) = sealwright_tests::wire::get(controller.metrics_addr(), "/metrics")
        .await
        .ok()?;
    if code != 200 {
        return None;
    }
    body.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (metric, value) = l.rsplit_once(' ')?;
        (metric == name || metric.starts_with(&format!("{name}{{")))
            .then(|| value.parse().ok())
            .flatten()
    })
}

/// The same controller again (same namespace, so the same keys) behind a new Service name: the
/// support code exposes each process through a Service of its own.
async fn start_again(ctx: &TestContext) -> RunningController {
    let binary = ControllerBinary::ours().expect("our controller (cargo build --workspace)");
    let mut options = ControllerOptions::in_namespace(&ctx.namespace);
    options.service = "sealed-secrets-controller-again".into();
    options.args.push("--key-size=2048".into());
    RunningController::start(ctx.env, &ctx.admin, &binary, options)
        .await
        .unwrap_or_else(|e| panic!("start our controller again: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unchanged_restart_decrypts_nothing() {
    let ctx = TestContext::new("ctl-ha-restart").await;
    let mut first = start_ours(&ctx, &[]).await;
    let pem = cert(&first).await;

    let mut want: BTreeMap<String, String> = BTreeMap::new();
    for i in 0..OBJECTS {
        let name = format!("s{i}");
        let value = format!("value-{i}");
        create_sealed(
            &ctx,
            &seal(&pem, &ctx.namespace, &name, &[("a", &value), ("b", "bee")]),
        )
        .await;
        want.insert(name, value);
    }
    let mut versions: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &want {
        let s = wait_secret(&ctx, &first, name, &[("a", value), ("b", "bee")]).await;
        assert!(
            s.metadata.annotations.unwrap_or_default().is_empty(),
            "{name}: nothing of ours on the Secret"
        );
        assert!(s.metadata.labels.unwrap_or_default().is_empty(), "{name}");
        let version = s.metadata.resource_version.unwrap_or_default();
        let ss = wait_synced(&ctx, &first, name, "True", 1).await;
        let status = ss.status.unwrap_or_default();
        let digest = status.spec_digest.unwrap_or_default();
        assert!(digest.starts_with("sha256:"), "{name}: {digest}");
        assert_eq!(
            status.secret_resource_version.as_ref(),
            Some(&version),
            "{name}: status vouches for the Secret as written"
        );
        versions.insert(name.clone(), version);
    }
    let decrypted = metric(&first, "sealwright_unseal_decryptions_total")
        .await
        .expect("decryption counter");
    assert!(
        decrypted >= OBJECTS as f64,
        "first controller decrypted {decrypted}"
    );
    first.stop();
    drop(first);

    let second = start_again(&ctx).await;
    // Caught up: one pass per object after the initial list.
    eventually(WAIT, "second controller handled every object", || {
        let second = &second;
        async move {
            let n = metric(second, "sealed_secrets_controller_unseal_requests_total").await?;
            (n >= OBJECTS as f64).then_some(())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", second.log_tail(40)));
    // Let a pass counted just now finish before reading the counter.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    let decrypted = metric(&second, "sealwright_unseal_decryptions_total").await;
    assert_eq!(
        decrypted,
        Some(0.0),
        "an unchanged restart must not decrypt\n{}",
        second.log_tail(40)
    );

    let secrets = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    for (name, value) in &want {
        let s = secrets.get(name).await.expect("get Secret");
        let data = secret_data(&s);
        assert_eq!(data.get("a"), Some(value), "{name}");
        assert_eq!(data.get("b").map(String::as_str), Some("bee"), "{name}");
        assert_eq!(
            s.metadata.resource_version.as_ref(),
            versions.get(name),
            "{name} was rewritten"
        );
        wait_synced(&ctx, &second, name, "True", 1).await;
    }

    // A changed spec is still unsealed (the digest no longer matches).
    create_sealed(&ctx, &seal(&pem, &ctx.namespace, "fresh", &[("a", "new")])).await;
    wait_secret(&ctx, &second, "fresh", &[("a", "new")]).await;
    let decrypted = metric(&second, "sealwright_unseal_decryptions_total").await;
    assert_eq!(decrypted, Some(1.0));
}
