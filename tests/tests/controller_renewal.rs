//! Key renewal on the real control plane: SIGUSR1, the renewal period, extra labels and
//! annotations on new keys, and the `sealed-secrets-cert` ConfigMap following the current key.

mod controller_common;

use controller_common::*;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, ListParams};
use sealwright_tests::{TestContext, eventually};

const KEY_SELECTOR: &str = "sealedsecrets.bitnami.com/sealed-secrets-key=active";

async fn key_count(ctx: &TestContext) -> usize {
    Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .list(&ListParams::default().labels(KEY_SELECTOR))
        .await
        .map(|l| l.items.len())
        .unwrap_or(0)
}

async fn wait_configmap(ctx: &TestContext, pem: &str) {
    let api = Api::<ConfigMap>::namespaced(ctx.admin.clone(), &ctx.namespace);
    eventually(
        WAIT,
        "sealed-secrets-cert ConfigMap with the current certificate",
        || {
            let api = api.clone();
            async move {
                let cm = api.get_opt("sealed-secrets-cert").await.ok().flatten()?;
                (cm.data?.get("cert.pem")? == pem).then_some(())
            }
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigusr1_renews_and_configmap_follows() {
    let ctx = TestContext::new("ctl-usr1").await;
    let controller = start_ours(&ctx, &[]).await;
    let first = cert(&controller).await;
    wait_configmap(&ctx, &first).await;
    create_sealed(&ctx, &seal(&first, &ctx.namespace, "before", &[("k", "v")])).await;
    wait_secret(&ctx, &controller, "before", &[("k", "v")]).await;

    let status = std::process::Command::new("kill")
        .args(["-USR1", &controller.pid().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success());
    let addr = controller.addr();
    let second = eventually(WAIT, "a new certificate after SIGUSR1", || {
        let first = first.clone();
        async move {
            let (code, body) = sealwright_tests::wire::get(addr, "/v1/cert.pem")
                .await
                .ok()?;
            (code == 200 && body != first).then_some(body)
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", controller.log_tail(40)));
    assert_eq!(key_count(&ctx).await, 2, "old keys are kept");
    wait_configmap(&ctx, &second).await;
    // Both keys unseal.
    create_sealed(
        &ctx,
        &seal(&first, &ctx.namespace, "old-key", &[("k", "1")]),
    )
    .await;
    create_sealed(
        &ctx,
        &seal(&second, &ctx.namespace, "new-key", &[("k", "2")]),
    )
    .await;
    wait_secret(&ctx, &controller, "old-key", &[("k", "1")]).await;
    wait_secret(&ctx, &controller, "new-key", &[("k", "2")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewal_period_and_key_metadata() {
    let ctx = TestContext::new("ctl-renew").await;
    let controller = start_ours(
        &ctx,
        &[
            "--key-renew-period=3s",
            "--privatekey-labels=team=a,sealedsecrets.bitnami.com/sealed-secrets-key=nope",
            "--privatekey-annotations=note=x",
        ],
    )
    .await;
    let c = ctx.clone();
    eventually(WAIT, "a second key after the renewal period", || {
        let c = c.clone();
        async move { (key_count(&c).await >= 2).then_some(()) }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", controller.log_tail(40)));
    let keys = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .list(&ListParams::default().labels(KEY_SELECTOR))
        .await
        .expect("list");
    for key in keys.items {
        let labels = key.metadata.labels.unwrap_or_default();
        assert_eq!(labels.get("team").map(String::as_str), Some("a"));
        assert_eq!(
            labels
                .get("sealedsecrets.bitnami.com/sealed-secrets-key")
                .map(String::as_str),
            Some("active")
        );
        assert_eq!(
            key.metadata
                .annotations
                .unwrap_or_default()
                .get("note")
                .map(String::as_str),
            Some("x")
        );
        assert_eq!(
            key.metadata.generate_name.as_deref(),
            Some("sealed-secrets-key")
        );
        assert_eq!(key.type_.as_deref(), Some("kubernetes.io/tls"));
    }
}
