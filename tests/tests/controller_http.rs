//! Our controller's HTTP API and metrics on the real control plane: rate limiting of
//! `/v1/verify`, status codes, 404 text, and upstream's metric names on a scrape.

mod controller_common;

use controller_common::*;
use sealwright_tests::TestContext;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_is_rate_limited_like_upstream() {
    let ctx = TestContext::new("ctl-verify").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    let ss = seal(&pem, &ctx.namespace, "v", &[("k", "v")]);
    let body = serde_json::to_vec(&ss).expect("json");
    let xff = [("X-Forwarded-For", "192.0.2.7")];

    let mut replies = Vec::new();
    for _ in 0..4 {
        replies.push(request(controller.addr(), "POST", "/v1/verify", &xff, &body).await);
    }
    let codes: Vec<u16> = replies.iter().map(|r| r.code).collect();
    assert_eq!(codes, vec![200, 200, 200, 429], "{replies:#?}");
    for (i, r) in replies.iter().enumerate() {
        assert_eq!(
            r.headers.get("x-ratelimit-limit").map(String::as_str),
            Some("3"),
            "{r:?}"
        );
        assert_eq!(
            r.headers.get("x-ratelimit-remaining").map(String::as_str),
            Some(["2", "1", "0", "0"][i]),
            "{r:?}"
        );
        assert!(r.headers.contains_key("x-ratelimit-reset"), "{r:?}");
        assert_eq!(r.headers.contains_key("retry-after"), i == 3, "{r:?}");
    }
    assert_eq!(replies[3].body, "limit exceeded\n");

    // Another client address has its own bucket; a wrong-key object is a 409; garbage is a 500.
    let other = [("X-Forwarded-For", "192.0.2.8")];
    let mut wrong = seal(&pem, &ctx.namespace, "elsewhere", &[("k", "v")]);
    wrong.metadata.name = Some("v".into());
    let r = request(
        controller.addr(),
        "POST",
        "/v1/verify",
        &other,
        &serde_json::to_vec(&wrong).expect("json"),
    )
    .await;
    assert_eq!(r.code, 409, "{r:?}");
    let r = request(
        controller.addr(),
        "POST",
        "/v1/verify",
        &other,
        b"{\"kind\":\"Secret\",\"apiVersion\":\"v1\"}",
    )
    .await;
    assert_eq!(r.code, 500, "{r:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paths_and_metrics() {
    let ctx = TestContext::new("ctl-metrics").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    assert!(pem.starts_with("-----BEGIN CERTIFICATE-----\n"));

    let r = request(controller.addr(), "GET", "/healthz", &[], b"").await;
    assert_eq!((r.code, r.body.as_str()), (200, "ok\n"));
    let r = request(controller.addr(), "GET", "/nope", &[], b"").await;
    assert_eq!((r.code, r.body.as_str()), (404, "404 page not found\n"));
    // Methods are not checked.
    let r = request(controller.addr(), "DELETE", "/v1/cert.pem", &[], b"").await;
    assert_eq!(r.code, 200);

    // Rotate re-seals with the current key: compact JSON without apiVersion/kind.
    let ss = seal(&pem, &ctx.namespace, "r", &[("k", "v")]);
    let r = request(
        controller.addr(),
        "POST",
        "/v1/rotate",
        &[],
        &serde_json::to_vec(&ss).expect("json"),
    )
    .await;
    assert_eq!(r.code, 200, "{r:?}");
    let json: serde_json::Value = serde_json::from_str(&r.body).expect("rotate JSON");
    let keys: Vec<&String> = json.as_object().expect("object").keys().collect();
    assert_eq!(keys, vec!["metadata", "spec"]);

    create_sealed(&ctx, &ss).await;
    wait_synced(&ctx, &controller, "r", "True", 1).await;

    let scrape = request(controller.metrics_addr(), "GET", "/metrics", &[], b"").await;
    assert_eq!(scrape.code, 200);
    for line in [
        "# TYPE sealed_secrets_controller_build_info gauge",
        "# TYPE sealed_secrets_controller_unseal_requests_total counter",
        "# TYPE sealed_secrets_controller_condition_info gauge",
        "# TYPE sealed_secrets_controller_http_requests_total counter",
        "# TYPE sealed_secrets_controller_http_request_duration_seconds histogram",
        "# TYPE process_resident_memory_bytes gauge",
    ] {
        assert!(
            scrape.body.lines().any(|l| l == line),
            "missing {line:?}:\n{}",
            scrape.body
        );
    }
    // Label sets with no sample yet are not listed (as with the Go client), so make an error.
    let mut wrong = seal(&pem, &ctx.namespace, "elsewhere", &[("k", "v")]);
    wrong.metadata.name = Some("bad".into());
    create_sealed(&ctx, &wrong).await;
    wait_synced(&ctx, &controller, "bad", "False", 1).await;
    let scrape = request(controller.metrics_addr(), "GET", "/metrics", &[], b"").await;
    let errors = format!(
        "sealed_secrets_controller_unseal_errors_total{{namespace=\"{}\",reason=\"unseal\"}}",
        ctx.namespace
    );
    assert!(
        scrape
            .body
            .contains("# TYPE sealed_secrets_controller_unseal_errors_total counter"),
        "{}",
        scrape.body
    );
    assert!(
        scrape.body.contains(&errors),
        "missing {errors:?}:\n{}",
        scrape.body
    );
    let condition = format!(
        "sealed_secrets_controller_condition_info{{condition=\"Synced\",name=\"r\",namespace=\"{}\",ss_app_kubernetes_io_instance=\"\"}} 1",
        ctx.namespace
    );
    assert!(
        scrape.body.lines().any(|l| l == condition),
        "missing {condition:?}:\n{}",
        scrape.body
    );
    assert!(
        scrape.body.contains("sealed_secrets_controller_http_requests_total{code=\"200\",method=\"get\",path=\"/v1/cert.pem\"}"),
        "{}",
        scrape.body
    );
}
