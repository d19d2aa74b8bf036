//! Sealing keys on the real control plane: key Secrets move between upstream's controller and
//! ours in both directions; malformed key Secrets are skipped; the legacy key and keys added
//! while running are picked up.

mod controller_common;

use controller_common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ObjectMeta, PostParams};
use sealwright_tests::{
    ControllerBinary, ControllerOptions, RunningController, TestContext, eventually,
};

fn tls_crt(secret: &Secret) -> String {
    String::from_utf8_lossy(
        &secret
            .data
            .as_ref()
            .and_then(|d| d.get("tls.crt"))
            .expect("tls.crt")
            .0,
    )
    .into_owned()
}

async fn start_upstream(ctx: &TestContext) -> RunningController {
    let binary =
        ControllerBinary::upstream(ctx.env).expect("upstream controller (tests/upstream/build.sh)");
    let mut options = ControllerOptions::in_namespace(&ctx.namespace);
    options.args.push("--key-size=2048".into());
    RunningController::start(ctx.env, &ctx.admin, &binary, options)
        .await
        .unwrap_or_else(|e| panic!("start upstream controller: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_key_secret_loads_in_ours() {
    let up_ctx = TestContext::new("ctl-key-up").await;
    let upstream = start_upstream(&up_ctx).await;
    let up_pem = cert(&upstream).await;
    let keys = key_secrets(&up_ctx).await;
    assert_eq!(keys.len(), 1);
    drop(upstream);

    let ctx = TestContext::new("ctl-key-up2ours").await;
    copy_key(&keys[0], &ctx, "from-upstream", true).await;
    let ours = start_ours(&ctx, &[]).await;
    assert_eq!(
        cert(&ours).await,
        up_pem,
        "ours serves upstream's certificate"
    );
    assert_eq!(key_secrets(&ctx).await.len(), 1, "no new key generated");
    create_sealed(&ctx, &seal(&up_pem, &ctx.namespace, "s", &[("k", "v")])).await;
    wait_secret(&ctx, &ours, "s", &[("k", "v")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_key_secret_loads_in_upstream() {
    let ours_ctx = TestContext::new("ctl-key-ours").await;
    let ours = start_ours(&ours_ctx, &[]).await;
    let pem = cert(&ours).await;
    let keys = key_secrets(&ours_ctx).await;
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0].type_.as_deref(), Some("kubernetes.io/tls"));
    assert_eq!(tls_crt(&keys[0]), pem);
    drop(ours);

    let ctx = TestContext::new("ctl-key-ours2up").await;
    copy_key(&keys[0], &ctx, "from-ours", true).await;
    let upstream = start_upstream(&ctx).await;
    assert_eq!(
        cert(&upstream).await,
        pem,
        "upstream serves our certificate"
    );
    create_sealed(&ctx, &seal(&pem, &ctx.namespace, "s", &[("k", "v")])).await;
    wait_secret(&ctx, &upstream, "s", &[("k", "v")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_and_legacy_and_runtime_keys() {
    // Two donor keys made by our controller elsewhere; the second has the later NotBefore
    // (whole seconds, hence the pause).
    let donor_ctx = TestContext::new("ctl-key-donor").await;
    let donor = start_ours(&donor_ctx, &[]).await;
    let donor_pem = cert(&donor).await;
    let donor_key = key_secrets(&donor_ctx).await.remove(0);
    drop(donor);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let later_ctx = TestContext::new("ctl-key-later").await;
    let later = start_ours(&later_ctx, &[]).await;
    let new_pem = cert(&later).await;
    let later_key = key_secrets(&later_ctx).await.remove(0);
    drop(later);

    let ctx = TestContext::new("ctl-key-mixed").await;
    // A labelled key Secret that cannot be read, and the legacy unlabelled key.
    let broken = Secret {
        metadata: ObjectMeta {
            name: Some("broken-key".into()),
            labels: Some([(KEY_LABEL.to_string(), "active".to_string())].into()),
            ..Default::default()
        },
        type_: Some("kubernetes.io/tls".into()),
        string_data: Some(
            [
                ("tls.key".to_string(), "garbage".to_string()),
                ("tls.crt".to_string(), "garbage".to_string()),
            ]
            .into(),
        ),
        ..Default::default()
    };
    Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .create(&PostParams::default(), &broken)
        .await
        .expect("create broken key");
    copy_key(&donor_key, &ctx, "sealed-secrets-key", false).await;

    let mut ours = start_ours(&ctx, &[]).await;
    assert_eq!(
        cert(&ours).await,
        donor_pem,
        "the legacy key is loaded and is the only valid one"
    );
    assert!(ours.is_running());
    assert!(
        ours.log_tail(200).contains("broken-key"),
        "the malformed key Secret is named in the log"
    );

    // A key added while running, with a later NotBefore, becomes the sealing key.
    copy_key(&later_key, &ctx, "added-at-runtime", true).await;
    let addr = ours.addr();
    eventually(WAIT, "the runtime key to be served", || {
        let new_pem = new_pem.clone();
        async move {
            let (code, body) = sealwright_tests::wire::get(addr, "/v1/cert.pem")
                .await
                .ok()?;
            (code == 200 && body == new_pem).then_some(())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", ours.log_tail(40)));
    // Objects sealed for the older key still unseal.
    create_sealed(
        &ctx,
        &seal(&donor_pem, &ctx.namespace, "old", &[("k", "v")]),
    )
    .await;
    wait_secret(&ctx, &ours, "old", &[("k", "v")]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restored_key_heals_failed_objects() {
    // A key from elsewhere, and an object sealed for it that our controller cannot open yet.
    let donor_ctx = TestContext::new("ctl-key-restore-donor").await;
    let donor = start_ours(&donor_ctx, &[]).await;
    let donor_pem = cert(&donor).await;
    let donor_key = key_secrets(&donor_ctx).await.remove(0);
    drop(donor);

    let ctx = TestContext::new("ctl-key-restore").await;
    let ours = start_ours(&ctx, &[]).await;
    create_sealed(
        &ctx,
        &seal(&donor_pem, &ctx.namespace, "waiting", &[("k", "v")]),
    )
    .await;
    wait_synced(&ctx, &ours, "waiting", "False", 1).await;

    // Restoring the key (as from a backup) retries the object without a spec change or restart.
    copy_key(&donor_key, &ctx, "restored", true).await;
    wait_secret(&ctx, &ours, "waiting", &[("k", "v")]).await;
    wait_synced(&ctx, &ours, "waiting", "True", 1).await;
}
