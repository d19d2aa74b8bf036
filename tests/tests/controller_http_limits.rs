//! The HTTP server's limits on the real control plane: per-client rate limits that a client
//! cannot dodge through the API server's service proxy, `/v1/rotate` limited like `/v1/verify`,
//! a full work pool answering 503, the body size limit, the header-read timeout and a bounded
//! `method` metric label.

mod controller_common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use controller_common::*;
use sealwright_tests::TestContext;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// POST through the API server's service proxy with extra headers; the status code.
async fn post_via_proxy(
    ctx: &TestContext,
    controller: &sealwright_tests::RunningController,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> u16 {
    let mut request = http::Request::post(controller.exposed.proxy_path(path))
        .header(http::header::CONTENT_TYPE, "application/json");
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    let request = request.body(body.to_vec()).expect("request");
    let response = ctx
        .admin
        .send(request.map(kube::client::Body::from))
        .await
        .expect("proxy request");
    response.status().as_u16()
}

/// Through the service proxy, a client that invents a new `X-Forwarded-For` for each request
/// still gets one bucket: the proxy appends the hop the controller keys on. Upstream keys on the
/// raw header, so the same requests would all pass there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proxied_clients_cannot_pick_their_bucket() {
    let ctx = TestContext::new("ctl-http-rl").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    let body = serde_json::to_vec(&seal(&pem, &ctx.namespace, "s", &[("k", "v")])).expect("json");

    for path in ["/v1/verify", "/v1/rotate"] {
        let mut codes = Vec::new();
        for i in 0..6 {
            let forged = format!("203.0.113.{i}");
            codes.push(
                post_via_proxy(
                    &ctx,
                    &controller,
                    path,
                    &[("X-Forwarded-For", &forged)],
                    &body,
                )
                .await,
            );
        }
        // Burst 2 lets 3 through at once; the rest of a quick run is refused (one more may pass
        // if the run took over 500 ms).
        assert_eq!(&codes[..3], &[200, 200, 200], "{path}: {codes:?}");
        let refused = codes.iter().filter(|c| **c == 429).count();
        assert!(
            refused >= 2,
            "{path}: forged headers dodged the limit: {codes:?}"
        );
        assert!(
            codes.iter().all(|c| *c == 200 || *c == 429),
            "{path}: {codes:?}"
        );
    }
}

/// Many expensive requests at once: the pool takes what it can hold and refuses the rest with
/// 503 and `Retry-After` (client-go, hence kubeseal, retries those); probes stay fast and the
/// refused work is not done.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_pool_answers_503() {
    let ctx = TestContext::new("ctl-http-pool").await;
    let controller = start_ours(&ctx, &["--rate-limit=100000", "--rate-limit-burst=100000"]).await;
    let pem = cert(&controller).await;
    let items: Vec<(String, String)> = (0..300)
        .map(|i| (format!("k{i}"), format!("v{i}")))
        .collect();
    let items: Vec<(&str, &str)> = items
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let body = serde_json::to_vec(&seal(&pem, &ctx.namespace, "big", &items)).expect("json");
    let addr = controller.addr();

    let mut flood = Vec::new();
    for _ in 0..24 {
        let body = body.clone();
        flood.push(tokio::spawn(async move {
            request(addr, "POST", "/v1/rotate", &[], &body).await
        }));
    }
    // Probes are served outside the pool.
    tokio::time::sleep(Duration::from_millis(50)).await;
    let started = Instant::now();
    let r = request(addr, "GET", "/healthz", &[], b"").await;
    assert_eq!(r.code, 200);
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "healthz took {:?}",
        started.elapsed()
    );

    let mut by_code: BTreeMap<u16, usize> = BTreeMap::new();
    for task in flood {
        let r = task.await.expect("join");
        if r.code == 503 {
            assert_eq!(
                r.headers.get("retry-after").map(String::as_str),
                Some("1"),
                "{r:?}"
            );
        }
        *by_code.entry(r.code).or_default() += 1;
    }
    assert!(by_code.get(&503).copied().unwrap_or(0) > 0, "{by_code:?}");
    assert!(by_code.get(&200).copied().unwrap_or(0) > 0, "{by_code:?}");
    assert_eq!(
        by_code.keys().filter(|c| **c != 200 && **c != 503).count(),
        0,
        "{by_code:?}"
    );
}

/// A body the size of the largest object etcd stores is read; a bigger one is refused with 413
/// before it is parsed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn body_limit_fits_a_real_object() {
    let ctx = TestContext::new("ctl-http-body").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    let mut ss = seal(&pem, &ctx.namespace, "s", &[("k", "v")]);
    let padding = "x".repeat(1536 * 1024);
    ss.metadata.labels = None;
    ss.metadata.annotations = Some(BTreeMap::from([("padding".to_string(), padding)]));
    let mut template = ss.spec.template.metadata.clone().unwrap_or_default();
    template.annotations = ss.metadata.annotations.clone();
    ss.spec.template.metadata = Some(template);
    // Sealed before the padding annotation was added; the scope annotations are unchanged.
    let body = serde_json::to_vec(&ss).expect("json");
    assert!(
        body.len() > 3 << 20,
        "both copies of the padding: {}",
        body.len()
    );
    let xff = [("X-Forwarded-For", "192.0.2.1")];
    let r = request(controller.addr(), "POST", "/v1/verify", &xff, &body).await;
    assert_eq!(r.code, 413, "{r:?}");

    ss.spec.template.metadata = None;
    let body = serde_json::to_vec(&ss).expect("json");
    assert!(
        body.len() > 1536 * 1024 && body.len() < 2 << 20,
        "{}",
        body.len()
    );
    let r = request(controller.addr(), "POST", "/v1/verify", &xff, &body).await;
    assert_eq!(r.code, 200, "{r:?}");
}

/// A client that never finishes its headers is disconnected (upstream waits 2 minutes).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_headers_are_disconnected() {
    let ctx = TestContext::new("ctl-http-slow").await;
    let controller = start_ours(&ctx, &[]).await;
    let mut stream = TcpStream::connect(controller.addr())
        .await
        .expect("connect");
    let started = Instant::now();
    stream
        .write_all(b"POST /v1/verify HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(30), stream.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "still connected after 30 s");
    let took = started.elapsed();
    assert!(
        took >= Duration::from_secs(9) && took < Duration::from_secs(20),
        "closed after {took:?}"
    );
    // The server itself is fine.
    let r = request(controller.addr(), "GET", "/healthz", &[], b"").await;
    assert_eq!(r.code, 200);
}

/// Made-up methods all count as one `method="other"` series.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_label_is_bounded() {
    let ctx = TestContext::new("ctl-http-method").await;
    let controller = start_ours(&ctx, &[]).await;
    for i in 0..20 {
        let r = request(
            controller.addr(),
            &format!("MADEUP{i}"),
            "/v1/cert.pem",
            &[],
            b"",
        )
        .await;
        assert_eq!(r.code, 200, "{r:?}");
    }
    let r = request(controller.addr(), "GET", "/v1/cert.pem", &[], b"").await;
    assert_eq!(r.code, 200);
    let scrape = request(controller.metrics_addr(), "GET", "/metrics", &[], b"").await;
    let series: Vec<&str> = scrape
        .body
        .lines()
        .filter(|l| l.starts_with("sealed_secrets_controller_http_requests_total{"))
        .collect();
    assert_eq!(
        series
            .iter()
            .map(|l| l.rsplit_once(' ').map_or(*l, |(s, _)| s))
            .collect::<Vec<_>>(),
        vec![
            "sealed_secrets_controller_http_requests_total{code=\"200\",method=\"get\",path=\"/v1/cert.pem\"}",
            "sealed_secrets_controller_http_requests_total{code=\"200\",method=\"other\",path=\"/v1/cert.pem\"}",
        ],
        "{}",
        scrape.body
    );
}
