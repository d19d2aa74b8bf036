//! Our controller's write modes on the real control plane: patch, managed, immutable, and
//! `--old-gc-behavior` with `skip-set-owner-references`.

mod controller_common;

use std::collections::BTreeMap;

use controller_common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, ObjectMeta, Patch, PatchParams, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{TestContext, eventually};

async fn create_secret(
    ctx: &TestContext,
    name: &str,
    annotations: &[(&str, &str)],
    data: &[(&str, &str)],
) {
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            annotations: Some(
                annotations
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            labels: Some([("owner".to_string(), "someone".to_string())].into()),
            ..Default::default()
        },
        string_data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        ),
        ..Default::default()
    };
    Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .create(&PostParams::default(), &secret)
        .await
        .expect("create Secret");
}

fn template_annotations(ss: &mut SealedSecret, pairs: &[(&str, &str)]) {
    let meta = ss
        .spec
        .template
        .metadata
        .get_or_insert_with(Default::default);
    let ann: &mut BTreeMap<String, String> = meta.annotations.get_or_insert_with(BTreeMap::new);
    for (k, v) in pairs {
        ann.insert(k.to_string(), v.to_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn patch_managed_and_immutable() {
    let ctx = TestContext::new("ctl-modes").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;

    // Patch: keys, labels and annotations of the existing Secret are kept; no ownership taken.
    create_secret(
        &ctx,
        "patched",
        &[("sealedsecrets.bitnami.com/patch", "true")],
        &[("foreign", "x")],
    )
    .await;
    create_sealed(&ctx, &seal(&pem, &ctx.namespace, "patched", &[("k", "v")])).await;
    let s = wait_secret(
        &ctx,
        &controller,
        "patched",
        &[("foreign", "x"), ("k", "v")],
    )
    .await;
    assert_eq!(
        s.metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("owner"))
            .map(String::as_str),
        Some("someone")
    );
    assert!(s.metadata.owner_references.unwrap_or_default().is_empty());
    wait_synced(&ctx, &controller, "patched", "True", 1).await;

    // Managed: the SealedSecret takes the Secret over and overwrites it.
    create_secret(
        &ctx,
        "managed",
        &[("sealedsecrets.bitnami.com/managed", "true")],
        &[("old", "x")],
    )
    .await;
    create_sealed(&ctx, &seal(&pem, &ctx.namespace, "managed", &[("k", "v")])).await;
    let s = wait_secret(&ctx, &controller, "managed", &[("k", "v")]).await;
    assert_eq!(s.metadata.owner_references.unwrap_or_default().len(), 1);
    assert!(
        s.metadata.annotations.unwrap_or_default().is_empty(),
        "annotations replaced by the template's"
    );

    // Immutable: created immutable; a later data change fails with upstream's message.
    let mut ss = seal(&pem, &ctx.namespace, "frozen", &[("k", "v1")]);
    ss.spec.template.immutable = Some(true);
    create_sealed(&ctx, &ss).await;
    let s = wait_secret(&ctx, &controller, "frozen", &[("k", "v1")]).await;
    assert_eq!(s.immutable, Some(true));
    let newer = seal(&pem, &ctx.namespace, "frozen", &[("k", "v2")]);
    let patch = serde_json::json!({ "spec": { "encryptedData": newer.spec.encrypted_data } });
    Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .patch("frozen", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch");
    let f = wait_synced(&ctx, &controller, "frozen", "False", 2).await;
    let expected = format!(
        "Error updating {}/frozen: the target Secret is immutable. Once a Secret is marked as immutable, it is not possible to revert this change nor to mutate the contents of the data field. You can only delete and recreate the Secret.",
        ctx.namespace
    );
    assert_eq!(synced_message(&f).as_deref(), Some(expected.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_gc_behavior_deletes_unowned_secret() {
    let ctx = TestContext::new("ctl-oldgc").await;
    let controller = start_ours(&ctx, &["--old-gc-behavior"]).await;
    let pem = cert(&controller).await;
    let mut ss = seal(&pem, &ctx.namespace, "noowner", &[("k", "v")]);
    template_annotations(
        &mut ss,
        &[
            (
                "sealedsecrets.bitnami.com/skip-set-owner-references",
                "true",
            ),
            ("sealedsecrets.bitnami.com/managed", "true"),
        ],
    );
    create_sealed(&ctx, &ss).await;
    let s = wait_secret(&ctx, &controller, "noowner", &[("k", "v")]).await;
    assert!(s.metadata.owner_references.unwrap_or_default().is_empty());
    wait_synced(&ctx, &controller, "noowner", "True", 1).await;

    Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .delete("noowner", &DeleteParams::default())
        .await
        .expect("delete");
    let secrets = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    eventually(WAIT, "Secret deleted by the controller", || {
        let secrets = secrets.clone();
        async move {
            secrets
                .get_opt("noowner")
                .await
                .ok()
                .and_then(|s| s.is_none().then_some(()))
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", controller.log_tail(40)));
}
