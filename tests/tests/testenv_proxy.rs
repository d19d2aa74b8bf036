//! The API server's service proxy reaches a process listening on a pool address inside the
//! network namespace: the path kubeseal uses for `/v1/cert.pem`.

use std::net::SocketAddr;

use sealwright_tests::proxy::{expose, proxy_get, proxy_path};
use sealwright_tests::wire::FixedServer;
use sealwright_tests::{PodIp, TestContext, rbac};

const PEM: &str = "-----BEGIN CERTIFICATE-----\nMIIBtestenv\n-----END CERTIFICATE-----\n";

#[tokio::test]
async fn cert_pem_through_the_service_proxy() {
    let ctx = TestContext::new("proxy").await;
    let ip = PodIp::allocate(ctx.env).expect("a pod address");
    let server = FixedServer::start(
        SocketAddr::from((ip.ip(), 8080)),
        "application/x-pem-file",
        PEM.into(),
    )
    .await
    .expect("listen on the pod address");
    let exposed = expose(
        &ctx.admin,
        &ctx.namespace,
        "sealed-secrets-controller",
        None,
        ip.ip(),
        8080,
    )
    .await
    .expect("service, pod, endpoints");
    let path = exposed.proxy_path("/v1/cert.pem");
    assert_eq!(
        path,
        format!(
            "/api/v1/namespaces/{}/services/http:sealed-secrets-controller:/proxy/v1/cert.pem",
            ctx.namespace
        )
    );

    let body = proxy_get(&ctx.admin, &path)
        .await
        .expect("GET through the proxy");
    assert_eq!(body, PEM);
    let requests = server.requests();
    let head = requests.first().expect("the server saw the request");
    assert!(head.starts_with("GET /v1/cert.pem "), "{head}");
    // The controller's rate limiter keys on this header.
    assert!(
        head.to_ascii_lowercase().contains("x-forwarded-for:"),
        "{head}"
    );

    // alice may not use the proxy until the upstream proxier Role is bound to system:authenticated...
    let alice = ctx.client_as("alice").await;
    let err = proxy_get(&alice, &path)
        .await
        .expect_err("no proxy access without the binding");
    assert_eq!(err.api_code(), Some(403), "{err}");
    rbac::install_controller_rbac(
        &ctx.admin,
        &ctx.env.repo,
        &ctx.namespace,
        "sealed-secrets-controller",
        "sealed-secrets-controller",
    )
    .await
    .expect("install controller RBAC");
    let body = sealwright_tests::eventually(
        std::time::Duration::from_secs(30),
        "alice's proxy access",
        || async { proxy_get(&alice, &path).await.ok() },
    )
    .await
    .expect("alice reaches the controller through the proxy");
    assert_eq!(body, PEM);
    // ...and only for the controller's Service.
    expose(&ctx.admin, &ctx.namespace, "other", None, ip.ip(), 8080)
        .await
        .expect("second service");
    let other = proxy_path(&ctx.namespace, "other", None, "/v1/cert.pem");
    assert_eq!(
        proxy_get(&alice, &other)
            .await
            .expect_err("not granted")
            .api_code(),
        Some(403)
    );
}

#[tokio::test]
async fn named_port_and_no_endpoints() {
    let ctx = TestContext::new("proxy-named").await;
    let ip = PodIp::allocate(ctx.env).expect("a pod address");
    let _server = FixedServer::start(
        SocketAddr::from((ip.ip(), 8080)),
        "text/plain",
        "ok\n".into(),
    )
    .await
    .expect("listen");
    let exposed = expose(
        &ctx.admin,
        &ctx.namespace,
        "named",
        Some("http"),
        ip.ip(),
        8080,
    )
    .await
    .expect("expose");
    assert_eq!(
        proxy_get(&ctx.admin, &exposed.proxy_path("/healthz"))
            .await
            .expect("GET"),
        "ok\n"
    );
    // Asking for a port name the Service does not have finds no endpoints.
    let wrong = proxy_path(&ctx.namespace, "named", Some("nope"), "/healthz");
    let err = proxy_get(&ctx.admin, &wrong)
        .await
        .expect_err("unknown port name");
    assert!(matches!(err.api_code(), Some(503 | 404)), "{err}");
}
