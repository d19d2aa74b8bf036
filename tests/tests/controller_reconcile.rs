//! Our controller on the real control plane: SealedSecret → Secret, status, events, updates,
//! re-creation, garbage collection, and objects it cannot handle.

mod controller_common;

use controller_common::*;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{TestContext, eventually};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn create_update_recreate_and_gc() {
    let ctx = TestContext::new("ctl-reconcile").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;

    // Create → Secret, owner reference, status, event.
    let created = create_sealed(
        &ctx,
        &seal(&pem, &ctx.namespace, "db", &[("password", "hunter2")]),
    )
    .await;
    let secret = wait_secret(&ctx, &controller, "db", &[("password", "hunter2")]).await;
    let owners = secret.metadata.owner_references.clone().unwrap_or_default();
    assert_eq!(owners.len(), 1);
    assert_eq!(owners[0].kind, "SealedSecret");
    assert_eq!(owners[0].controller, Some(true));
    assert_eq!(Some(&owners[0].uid), created.metadata.uid.as_ref());
    let ss = wait_synced(&ctx, &controller, "db", "True", 1).await;
    let status = ss.status.clone().expect("status");
    let cond = &status.conditions.as_ref().expect("conditions")[0];
    assert_eq!(cond.message, None);
    assert_eq!(
        cond.last_transition_time, cond.last_update_time,
        "first sync: transition == update"
    );
    let fps = status.key_fingerprints.expect("keyFingerprints");
    assert_eq!(fps.len(), 1);
    assert!(fps[0].starts_with("SHA256:"), "{fps:?}");
    let ev = wait_event(&ctx, &controller, "db", "Unsealed").await;
    assert_eq!(ev.type_.as_deref(), Some("Normal"));
    assert_eq!(
        ev.message.as_deref(),
        Some("SealedSecret unsealed successfully")
    );
    assert_eq!(
        ev.source.as_ref().and_then(|s| s.component.as_deref()),
        Some("sealed-secrets")
    );

    // Spec update → Secret updated, observedGeneration follows.
    let api = Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let newer = seal(&pem, &ctx.namespace, "db", &[("password", "correct horse")]);
    let patch = serde_json::json!({ "spec": { "encryptedData": newer.spec.encrypted_data } });
    api.patch("db", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch spec");
    wait_secret(&ctx, &controller, "db", &[("password", "correct horse")]).await;
    wait_synced(&ctx, &controller, "db", "True", 2).await;

    // Secret deleted → re-created.
    let secrets = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let old_uid = secrets.get("db").await.expect("get").metadata.uid;
    secrets
        .delete("db", &DeleteParams::default())
        .await
        .expect("delete Secret");
    let recreated = eventually(WAIT, "Secret db re-created", || {
        let secrets = secrets.clone();
        let old_uid = old_uid.clone();
        async move {
            secrets
                .get_opt("db")
                .await
                .ok()
                .flatten()
                .filter(|s| s.metadata.uid != old_uid)
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", controller.log_tail(40)));
    assert_eq!(
        secret_data(&recreated).get("password").map(String::as_str),
        Some("correct horse")
    );

    // SealedSecret deleted → Secret garbage-collected through the owner reference.
    api.delete("db", &DeleteParams::background())
        .await
        .expect("delete SealedSecret");
    eventually(WAIT, "Secret db garbage-collected", || {
        let secrets = secrets.clone();
        async move {
            secrets
                .get_opt("db")
                .await
                .ok()
                .and_then(|s| s.is_none().then_some(()))
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", controller.log_tail(40)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_objects_get_a_false_status_and_do_not_stop_the_controller() {
    let ctx = TestContext::new("ctl-bad").await;
    let mut controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;

    // Garbage ciphertext.
    let mut garbage = seal(&pem, &ctx.namespace, "garbage", &[("k", "v")]);
    garbage
        .spec
        .encrypted_data
        .insert("k".into(), "not-base64!!".into());
    create_sealed(&ctx, &garbage).await;
    // Sealed for another name: strict scope makes the label differ.
    let mut renamed = seal(&pem, &ctx.namespace, "elsewhere", &[("k", "v")]);
    renamed.metadata.name = Some("renamed".into());
    create_sealed(&ctx, &renamed).await;
    // A Secret that is not ours.
    let secrets = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let foreign = Secret {
        metadata: kube::api::ObjectMeta {
            name: Some("taken".into()),
            ..Default::default()
        },
        string_data: Some([("k".to_string(), "mine".to_string())].into()),
        ..Default::default()
    };
    secrets
        .create(&PostParams::default(), &foreign)
        .await
        .expect("create foreign Secret");
    create_sealed(
        &ctx,
        &seal(&pem, &ctx.namespace, "taken", &[("k", "theirs")]),
    )
    .await;
    // And a good one after all of them.
    create_sealed(&ctx, &seal(&pem, &ctx.namespace, "good", &[("k", "v")])).await;

    wait_secret(&ctx, &controller, "good", &[("k", "v")]).await;
    wait_synced(&ctx, &controller, "good", "True", 1).await;

    let g = wait_synced(&ctx, &controller, "garbage", "False", 1).await;
    assert_eq!(
        synced_message(&g).as_deref(),
        Some("illegal base64 data at input byte 3 (k)")
    );
    let r = wait_synced(&ctx, &controller, "renamed", "False", 1).await;
    assert_eq!(
        synced_message(&r).as_deref(),
        Some("no key could decrypt secret (k)")
    );
    let ev = wait_event(&ctx, &controller, "renamed", "ErrUnsealFailed").await;
    assert_eq!(
        ev.message.as_deref(),
        Some("Failed to unseal: no key could decrypt secret (k)")
    );
    let t = wait_synced(&ctx, &controller, "taken", "False", 1).await;
    assert_eq!(
        synced_message(&t).as_deref(),
        Some("failed update: Resource \"taken\" already exists and is not managed by SealedSecret")
    );
    let ev = wait_event(&ctx, &controller, "taken", "ErrUpdateFailed").await;
    assert_eq!(
        ev.message.as_deref(),
        Some("Resource \"taken\" already exists and is not managed by SealedSecret")
    );
    let kept = secrets.get("taken").await.expect("foreign Secret");
    assert_eq!(
        secret_data(&kept).get("k").map(String::as_str),
        Some("mine"),
        "a foreign Secret is left alone"
    );

    assert!(
        controller.is_running(),
        "controller exited:\n{}",
        controller.log_tail(40)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_message_follows_spec_changes() {
    // Upstream #853: a new error with the same status value and generation was not persisted.
    let ctx = TestContext::new("ctl-msg").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    let mut ss = seal(&pem, &ctx.namespace, "other-name", &[("a", "1")]);
    ss.metadata.name = Some("msg".into());
    create_sealed(&ctx, &ss).await;
    let s = wait_synced(&ctx, &controller, "msg", "False", 1).await;
    assert_eq!(
        synced_message(&s).as_deref(),
        Some("no key could decrypt secret (a)")
    );
    // Same status value (False) at generation 2, different message.
    let api = Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let patch = serde_json::json!({ "spec": { "encryptedData": { "a": null, "b": "!!" } } });
    api.patch("msg", &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .expect("patch");
    let s = wait_synced(&ctx, &controller, "msg", "False", 2).await;
    assert_eq!(
        synced_message(&s).as_deref(),
        Some("illegal base64 data at input byte 0 (b)")
    );
}
