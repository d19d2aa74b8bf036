//! What our controller watches: `--label-selector`, and `--additional-namespaces` (a missing one
//! is skipped) with the controller namespace only otherwise.

mod controller_common;

use std::time::Duration;

use controller_common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{TestContext, create_namespace};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn label_selector_filters() {
    let ctx = TestContext::new("ctl-labels").await;
    let controller = start_ours(&ctx, &["--label-selector=team=a"]).await;
    let pem = cert(&controller).await;
    let mut mine = seal(&pem, &ctx.namespace, "mine", &[("k", "v")]);
    mine.metadata.labels = Some([("team".to_string(), "a".to_string())].into());
    create_sealed(&ctx, &mine).await;
    create_sealed(&ctx, &seal(&pem, &ctx.namespace, "theirs", &[("k", "v")])).await;
    wait_secret(&ctx, &controller, "mine", &[("k", "v")]).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let secrets = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    assert!(
        secrets.get_opt("theirs").await.expect("get").is_none(),
        "unlabelled SealedSecret ignored"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn additional_namespaces() {
    let ctx = TestContext::new("ctl-addns").await;
    let other = create_namespace(&ctx.admin, "ctl-addns-other")
        .await
        .expect("second namespace");
    let unwatched = create_namespace(&ctx.admin, "ctl-addns-unwatched")
        .await
        .expect("third namespace");
    let arg = format!("--additional-namespaces={other},does-not-exist-ns");
    let controller = start_ours(&ctx, &[&arg]).await;
    let pem = cert(&controller).await;

    let create_in = |ns: String, name: &'static str| {
        let admin = ctx.admin.clone();
        let ss = seal(&pem, &ns, name, &[("k", "v")]);
        async move {
            Api::<SealedSecret>::namespaced(admin, &ns)
                .create(&PostParams::default(), &ss)
                .await
                .expect("create");
        }
    };
    create_in(ctx.namespace.clone(), "home").await;
    create_in(other.clone(), "extra").await;
    create_in(unwatched.clone(), "ignored").await;
    wait_secret(&ctx, &controller, "home", &[("k", "v")]).await;
    let in_other = Api::<Secret>::namespaced(ctx.admin.clone(), &other);
    sealwright_tests::eventually(WAIT, "Secret in the additional namespace", || {
        let api = in_other.clone();
        async move { api.get_opt("extra").await.ok().flatten() }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", controller.log_tail(40)));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let in_unwatched = Api::<Secret>::namespaced(ctx.admin.clone(), &unwatched);
    assert!(
        in_unwatched
            .get_opt("ignored")
            .await
            .expect("get")
            .is_none()
    );
}
