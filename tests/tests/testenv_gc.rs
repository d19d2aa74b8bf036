//! kube-controller-manager's garbage collector deletes a Secret once the SealedSecret that owns
//! it is gone: the default (non `--old-gc-behavior`) cleanup the controller relies on.

use std::time::Duration;

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use kube::Api;
use kube::api::{DeleteParams, ObjectMeta, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{TestContext, eventually};

#[tokio::test]
async fn deleting_the_owner_collects_the_secret() {
    let ctx = TestContext::new("gc").await;
    let sealed: Api<SealedSecret> = Api::namespaced(ctx.admin.clone(), &ctx.namespace);
    let owner = sealed
        .create(
            &PostParams::default(),
            &serde_json::from_value(serde_json::json!({
                "apiVersion": "bitnami.com/v1alpha1", "kind": "SealedSecret",
                "metadata": {"name": "owner"}, "spec": {"encryptedData": {}}
            }))
            .expect("literal"),
        )
        .await
        .expect("create the owner");
    let secrets: Api<Secret> = Api::namespaced(ctx.admin.clone(), &ctx.namespace);
    let secret = Secret {
        metadata: ObjectMeta {
            name: Some("owner".into()),
            owner_references: Some(vec![OwnerReference {
                api_version: "bitnami.com/v1alpha1".into(),
                kind: "SealedSecret".into(),
                name: "owner".into(),
                uid: owner.metadata.uid.clone().expect("uid"),
                controller: Some(true),
                ..OwnerReference::default()
            }]),
            ..ObjectMeta::default()
        },
        string_data: Some([("k".to_string(), "v".to_string())].into()),
        ..Secret::default()
    };
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .expect("create the owned secret");

    sealed
        .delete("owner", &DeleteParams::background())
        .await
        .expect("delete the owner");
    eventually(
        Duration::from_secs(90),
        "the GC to delete the owned Secret",
        || async {
            match secrets.get_opt("owner").await {
                Ok(None) => Some(()),
                _ => None,
            }
        },
    )
    .await
    .expect("garbage collection");
}
