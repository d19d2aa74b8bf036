//! The second control plane (disaster-recovery tests restore into it): its own empty etcd, an
//! API server that serves the SealedSecret CRD, the same users; the first plane is untouched.

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, ListParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{FreshControlPlane, TestContext};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_plane_is_empty_and_separate() {
    let ctx = TestContext::new("fresh-plane").await;
    let plane = FreshControlPlane::start(ctx.env)
        .await
        .unwrap_or_else(|e| panic!("second control plane: {e}"));
    assert_ne!(plane.env.apiserver_port, ctx.env.apiserver_port);
    let admin = plane.env.admin().await.expect("admin client");
    let namespaces: Vec<String> = Api::<Namespace>::all(admin.clone())
        .list(&ListParams::default())
        .await
        .unwrap_or_else(|e| panic!("list namespaces: {e}\n{}", plane.log_tails(30)))
        .items
        .into_iter()
        .filter_map(|n| n.metadata.name)
        .collect();
    assert!(
        !namespaces.contains(&ctx.namespace),
        "the second plane must not see the first one's namespace {}",
        ctx.namespace
    );
    let sealed = Api::<SealedSecret>::all(admin)
        .list(&ListParams::default())
        .await
        .expect("the CRD is served");
    assert!(sealed.items.is_empty());
    let alice = plane.env.client_as("alice").await.expect("alice");
    let denied = Api::<SealedSecret>::all(alice)
        .list(&ListParams::default())
        .await;
    assert!(denied.is_err(), "RBAC applies on the second plane too");
}
