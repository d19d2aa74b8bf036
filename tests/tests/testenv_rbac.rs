//! RBAC on the real API server: the restricted users get nothing they were not granted, and
//! the controller's shipped rules give its ServiceAccount exactly what it needs.

use k8s_openapi::api::authorization::v1::{
    ResourceAttributes, SelfSubjectAccessReview, SelfSubjectAccessReviewSpec,
};
use k8s_openapi::api::core::v1::Secret;
use kube::api::{ListParams, PostParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Api, Client};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{TestContext, rbac, token};

async fn allowed(
    client: &Client,
    ns: &str,
    verb: &str,
    resource: &str,
    sub: Option<&str>,
    group: &str,
) -> bool {
    let review = SelfSubjectAccessReview {
        spec: SelfSubjectAccessReviewSpec {
            resource_attributes: Some(ResourceAttributes {
                namespace: Some(ns.into()),
                verb: Some(verb.into()),
                resource: Some(resource.into()),
                subresource: sub.map(Into::into),
                group: Some(group.into()),
                ..ResourceAttributes::default()
            }),
            ..SelfSubjectAccessReviewSpec::default()
        },
        ..SelfSubjectAccessReview::default()
    };
    let answer = Api::<SelfSubjectAccessReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
        .expect("SelfSubjectAccessReview");
    answer.status.map(|s| s.allowed).unwrap_or(false)
}

#[tokio::test]
async fn restricted_user_is_forbidden() {
    let ctx = TestContext::new("rbac").await;
    let alice = ctx.client_as("alice").await;
    let err = Api::<Secret>::namespaced(alice.clone(), &ctx.namespace)
        .list(&ListParams::default())
        .await
        .expect_err("alice may not list secrets");
    assert!(
        matches!(&err, kube::Error::Api(s) if s.code == 403),
        "{err}"
    );
    let err = Api::<SealedSecret>::namespaced(alice.clone(), &ctx.namespace)
        .list(&ListParams::default())
        .await
        .expect_err("alice may not list sealedsecrets");
    assert!(
        matches!(&err, kube::Error::Api(s) if s.code == 403),
        "{err}"
    );
    assert!(
        !allowed(
            &alice,
            &ctx.namespace,
            "update",
            "sealedsecrets",
            Some("status"),
            "bitnami.com"
        )
        .await
    );
    assert!(!allowed(&alice, &ctx.namespace, "get", "services", Some("proxy"), "").await);
}

#[tokio::test]
async fn controller_service_account_gets_what_the_rules_grant() {
    let ctx = TestContext::new("rbac-sa").await;
    let ns = &ctx.namespace;
    rbac::install_controller_rbac(
        &ctx.admin,
        &ctx.env.repo,
        ns,
        "sealed-secrets-controller",
        "sealed-secrets-controller",
    )
    .await
    .expect("install controller RBAC");
    let token = token::service_account_token(&ctx.admin, ns, "sealed-secrets-controller", 600)
        .await
        .expect("token request");

    // The controller's identity, from its bound token.
    let mut kubeconfig =
        Kubeconfig::read_from(ctx.env.kubeconfig("admin").expect("admin kubeconfig"))
            .expect("read admin kubeconfig");
    for user in &mut kubeconfig.auth_infos {
        if let Some(auth) = user.auth_info.as_mut() {
            auth.token = Some(token.clone().into());
        }
    }
    let mut config =
        kube::Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default())
            .await
            .expect("config");
    config.default_retry = false;
    let sa = Client::try_from(config).expect("client");

    assert!(
        allowed(
            &sa,
            "default",
            "watch",
            "sealedsecrets",
            None,
            "bitnami.com"
        )
        .await
    );
    assert!(
        allowed(
            &sa,
            "default",
            "update",
            "sealedsecrets",
            Some("status"),
            "bitnami.com"
        )
        .await
    );
    assert!(allowed(&sa, "default", "delete", "secrets", None, "").await);
    assert!(allowed(&sa, "default", "create", "events", None, "").await);
    assert!(
        !allowed(
            &sa,
            "default",
            "delete",
            "sealedsecrets",
            None,
            "bitnami.com"
        )
        .await
    );
    assert!(
        !allowed(
            &sa,
            "default",
            "update",
            "sealedsecrets",
            None,
            "bitnami.com"
        )
        .await
    );
    assert!(!allowed(&sa, "default", "delete", "configmaps", None, "").await);
    // Any authenticated user may use the proxy to this namespace's controller Service only.
    let alice = ctx.client_as("alice").await;
    Api::<SealedSecret>::namespaced(sa.clone(), ns)
        .list(&ListParams::default())
        .await
        .expect("SA lists");
    assert!(!allowed(&alice, ns, "list", "secrets", None, "").await);
}
