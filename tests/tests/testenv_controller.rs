//! A controller deployed the way a cluster runs it (ServiceAccount token and in-cluster
//! environment, shipped RBAC, Service/Pod/Endpoints) serves its certificate through the API
//! server's proxy and keeps its key in its namespace. Run for upstream's controller (proving
//! the harness) and for ours.

use k8s_openapi::api::core::v1::Secret;
use kube::Api;
use kube::api::ListParams;
use sealwright_tests::proxy::proxy_get;
use sealwright_tests::{ControllerBinary, ControllerOptions, RunningController, TestContext};

const KEY_LABEL: &str = "sealedsecrets.bitnami.com/sealed-secrets-key=active";

async fn serves_cert_through_proxy(ctx: &TestContext, binary: ControllerBinary) {
    let controller = RunningController::start(
        ctx.env,
        &ctx.admin,
        &binary,
        ControllerOptions::in_namespace(&ctx.namespace),
    )
    .await
    .unwrap_or_else(|e| panic!("start {} controller: {e}", binary.label));

    let pem = proxy_get(&ctx.admin, &controller.exposed.proxy_path("/v1/cert.pem"))
        .await
        .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", controller.log_tail(40)));
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"), "{pem}");
    assert!(pem.ends_with("-----END CERTIFICATE-----\n"), "{pem}");

    // Any authenticated user may fetch it (the proxier Role bound to system:authenticated).
    let alice = ctx.client_as("alice").await;
    let via_alice = proxy_get(&alice, &controller.exposed.proxy_path("/v1/cert.pem"))
        .await
        .expect("alice fetches");
    assert_eq!(via_alice, pem);

    let keys = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .list(&ListParams::default().labels(KEY_LABEL))
        .await
        .expect("list key secrets");
    assert_eq!(
        keys.items.len(),
        1,
        "one active key in the controller namespace"
    );
    let key = &keys.items[0];
    assert_eq!(key.type_.as_deref(), Some("kubernetes.io/tls"));
    let crt = key
        .data
        .as_ref()
        .and_then(|d| d.get("tls.crt"))
        .expect("tls.crt");
    assert_eq!(
        String::from_utf8_lossy(&crt.0),
        pem,
        "the served certificate is the key Secret's"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstream_controller_in_cluster() {
    let ctx = TestContext::new("ctl-upstream").await;
    let binary =
        ControllerBinary::upstream(ctx.env).expect("upstream controller (tests/upstream/build.sh)");
    serves_cert_through_proxy(&ctx, binary).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn our_controller_in_cluster() {
    let ctx = TestContext::new("ctl-ours").await;
    let binary = ControllerBinary::ours().expect("our controller (cargo build --workspace)");
    serves_cert_through_proxy(&ctx, binary).await;
}
