//! Upstream behaviour from v0.35–v0.40 that a drop-in must keep, on the real control plane and
//! side by side with upstream's v0.40.0 controller: `/readyz`, and key Secrets read only from
//! the controller's own namespace, even with `--watch-for-secrets` and when another watched
//! namespace holds labelled keys.

mod controller_common;

use std::time::Duration;

use controller_common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{
    ControllerBinary, ControllerOptions, RunningController, TestContext, eventually,
};

fn binaries(ctx: &TestContext) -> [ControllerBinary; 2] {
    [
        ControllerBinary::upstream(ctx.env).expect("upstream controller (tests/upstream/build.sh)"),
        ControllerBinary::ours().expect("our controller (cargo build --workspace)"),
    ]
}

async fn start(ctx: &TestContext, binary: &ControllerBinary, extra: &[&str]) -> RunningController {
    let mut options = ControllerOptions::in_namespace(&ctx.namespace);
    options.args.push("--key-size=2048".into());
    options.args.extend(extra.iter().map(|s| s.to_string()));
    RunningController::start(ctx.env, &ctx.admin, binary, options)
        .await
        .unwrap_or_else(|e| panic!("start {} controller: {e}", binary.label))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_like_upstream() {
    let probe = TestContext::new("ctl-readyz").await;
    for binary in binaries(&probe) {
        let ctx = TestContext::new(&format!("ctl-readyz-{}", binary.label)).await;
        let extra = TestContext::new(&format!("ctl-readyz-{}-x", binary.label)).await;
        let additional = format!("--additional-namespaces={}", extra.namespace);
        let controller = start(&ctx, &binary, &[&additional]).await;
        let label = binary.label.clone();

        // Ready once the watches of every namespace are started; before that, only 503.
        let addr = controller.addr();
        let ready = eventually(WAIT, &format!("{label}: /readyz to answer 200"), || {
            let label = label.clone();
            async move {
                let r = request(addr, "GET", "/readyz", &[], b"").await;
                if r.code == 503 {
                    assert_eq!(r.body, "not ready\n", "{label}: {r:?}");
                    return None;
                }
                Some(r)
            }
        })
        .await
        .unwrap_or_else(|e| panic!("{e}\n{}", controller.log_tail(40)));
        assert_eq!(
            (ready.code, ready.body.as_str()),
            (200, "ok\n"),
            "{ready:?}"
        );
        assert_eq!(
            ready.headers.get("content-type").map(String::as_str),
            Some("text/plain; charset=utf-8"),
            "{} {ready:?}",
            binary.label
        );
        // Methods are not checked; /healthz is unchanged.
        let r = request(addr, "POST", "/readyz", &[], b"").await;
        assert_eq!((r.code, r.body.as_str()), (200, "ok\n"), "{r:?}");
        let r = request(addr, "GET", "/healthz", &[], b"").await;
        assert_eq!((r.code, r.body.as_str()), (200, "ok\n"), "{r:?}");
        // Probes are not HTTP API requests: no metric series for them.
        let scrape = request(controller.metrics_addr(), "GET", "/metrics", &[], b"").await;
        assert!(
            !scrape.body.contains("/readyz"),
            "{}: /readyz is not instrumented",
            binary.label
        );
    }
}

/// Waits `for_how_long`, then asserts that no Secret `name` exists in `ctx`'s namespace.
async fn assert_no_secret(ctx: &TestContext, name: &str, for_how_long: Duration, why: &str) {
    tokio::time::sleep(for_how_long).await;
    let found = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .get_opt(name)
        .await
        .expect("get Secret");
    assert!(found.is_none(), "{why}: Secret {name} exists");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_only_from_the_controllers_own_namespace() {
    // A key that belongs to no controller under test, made by one of ours elsewhere.
    let donor_ctx = TestContext::new("ctl-nskeys-donor").await;
    let donor = start_ours(&donor_ctx, &[]).await;
    let foreign_pem = cert(&donor).await;
    let foreign_key = key_secrets(&donor_ctx).await.remove(0);
    drop(donor);

    for binary in binaries(&donor_ctx) {
        let label = binary.label.clone();
        let home = TestContext::new(&format!("ctl-nskeys-{label}")).await;
        let other = TestContext::new(&format!("ctl-nskeys-{label}-x")).await;
        // The watched namespace holds the foreign key twice: labelled, and under the legacy name.
        copy_key(&foreign_key, &other, "labelled-key", true).await;
        copy_key(&foreign_key, &other, "sealed-secrets-key", false).await;

        let additional = format!("--additional-namespaces={}", other.namespace);
        let controller = start(&home, &binary, &[&additional, "--watch-for-secrets"]).await;
        let own_pem = cert(&controller).await;
        assert_ne!(
            own_pem, foreign_pem,
            "{label}: seals with a key from elsewhere"
        );
        assert_eq!(
            key_secrets(&home).await.len(),
            1,
            "{label}: one key, created in its own namespace"
        );

        // The other namespace is watched: a SealedSecret sealed for the controller unseals there…
        create_in(
            &other,
            &seal(&own_pem, &other.namespace, "for-us", &[("k", "v")]),
        )
        .await;
        wait_secret(&other, &controller, "for-us", &[("k", "v")]).await;
        // …and one sealed for the foreign key does not, even though that key sits beside it.
        create_in(
            &other,
            &seal(&foreign_pem, &other.namespace, "foreign", &[("k", "v")]),
        )
        .await;
        wait_synced(&other, &controller, "foreign", "False", 1).await;

        // A labelled key added there while running is not picked up either, with
        // --watch-for-secrets on: an object sealed for it afterwards does not open.
        copy_key(&foreign_key, &other, "added-while-running", true).await;
        create_in(
            &other,
            &seal(
                &foreign_pem,
                &other.namespace,
                "foreign-later",
                &[("k", "v")],
            ),
        )
        .await;
        wait_synced(&other, &controller, "foreign-later", "False", 1).await;
        assert_no_secret(
            &other,
            "foreign-later",
            Duration::from_secs(5),
            &format!("{label}: a key outside its namespace was used"),
        )
        .await;
        assert_eq!(
            cert(&controller).await,
            own_pem,
            "{label}: sealing key changed"
        );
    }
}

async fn create_in(ctx: &TestContext, ss: &SealedSecret) {
    Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .create(&PostParams::default(), ss)
        .await
        .expect("create SealedSecret");
}
