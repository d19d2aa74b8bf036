//! The SealedSecret CRD on the real API server: it is served, its schema rejects a bad object,
//! and its status subresource behaves as the controller relies on.

use kube::Api;
use kube::api::{DynamicObject, Patch, PatchParams, PostParams};
use kube::core::ApiResource;
use sealwright_crypto::SealedSecret;
use sealwright_tests::TestContext;
use serde_json::json;

fn sealed_secret(name: &str) -> serde_json::Value {
    json!({
        "apiVersion": "bitnami.com/v1alpha1",
        "kind": "SealedSecret",
        "metadata": {"name": name},
        "spec": {"encryptedData": {"password": "AgBy8hCi..."}, "template": {"type": "Opaque"}},
    })
}

fn dynamic(ctx: &TestContext) -> Api<DynamicObject> {
    Api::namespaced_with(
        ctx.admin.clone(),
        &ctx.namespace,
        &ApiResource::erase::<SealedSecret>(&()),
    )
}

fn object(value: serde_json::Value) -> DynamicObject {
    serde_json::from_value(value).expect("a DynamicObject literal")
}

#[tokio::test]
async fn crd_is_served_and_round_trips_a_sealed_secret() {
    let ctx = TestContext::new("crd").await;
    let api: Api<SealedSecret> = Api::namespaced(ctx.admin.clone(), &ctx.namespace);
    let created = api
        .create(
            &PostParams::default(),
            &serde_json::from_value(sealed_secret("ok")).expect("SealedSecret literal"),
        )
        .await
        .expect("the API server accepts a valid SealedSecret");
    assert_eq!(
        created
            .spec
            .encrypted_data
            .get("password")
            .map(String::as_str),
        Some("AgBy8hCi...")
    );
    assert_eq!(created.metadata.generation, Some(1));
    let listed = api
        .list(&Default::default())
        .await
        .expect("list SealedSecrets");
    assert_eq!(listed.items.len(), 1);
}

#[tokio::test]
async fn schema_rejects_a_bad_object() {
    let ctx = TestContext::new("crd-bad").await;
    let mut bad = sealed_secret("bad");
    bad["spec"]["template"]["immutable"] = json!("yes");
    let err = dynamic(&ctx)
        .create(&PostParams::default(), &object(bad))
        .await
        .expect_err("a non-boolean spec.template.immutable must be rejected");
    match err {
        kube::Error::Api(status) => {
            assert_eq!(status.code, 422, "{status:?}");
            assert!(status.message.contains("immutable"), "{}", status.message);
        }
        other => panic!("expected an API error, got {other}"),
    }
}

#[tokio::test]
async fn status_is_a_subresource() {
    let ctx = TestContext::new("crd-status").await;
    let api = dynamic(&ctx);
    api.create(&PostParams::default(), &object(sealed_secret("s")))
        .await
        .expect("create");

    let status = json!({"status": {"observedGeneration": 1, "conditions": [
        {"type": "Synced", "status": "True", "lastUpdateTime": "2026-01-01T00:00:00Z",
         "lastTransitionTime": "2026-01-01T00:00:00Z"}]}});
    let updated = api
        .patch_status("s", &PatchParams::default(), &Patch::Merge(&status))
        .await
        .expect("patch the status subresource");
    assert_eq!(updated.data["status"]["conditions"][0]["type"], "Synced");
    // A status write does not bump the generation: the controller's observedGeneration relies on it.
    assert_eq!(updated.metadata.generation, Some(1));

    // Through the main resource, status is ignored and the spec change bumps the generation.
    let mut whole = updated.clone();
    whole.data["status"] = json!({"observedGeneration": 99});
    whole.data["spec"]["encryptedData"]["other"] = json!("AgAA");
    let replaced = api
        .replace("s", &PostParams::default(), &whole)
        .await
        .expect("replace");
    assert_eq!(replaced.data["status"]["observedGeneration"], 1);
    assert_eq!(replaced.metadata.generation, Some(2));
}
