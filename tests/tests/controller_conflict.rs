//! Beyond upstream, on the real control plane: a Secret update refused with 409 Conflict is
//! retried on a fresh read instead of failing the pass. Another writer keeps rewriting the
//! Secret's labels (each write bumps its resourceVersion) while the SealedSecret's data changes
//! again and again; the controller must end with the newest data, without `ErrUpdateFailed`, and
//! its conflict counter shows that conflicts really happened.

mod controller_common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use controller_common::*;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, Patch, PatchParams, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_crypto::model::MANAGED_ANNOTATION;
use sealwright_tests::{RunningController, TestContext};

const NAME: &str = "contested";
const CONFLICTS_METRIC: &str = "sealwright_secret_update_conflicts_total";
/// Data changes at least this many, and at most `MAX_ROUNDS` while no conflict has shown.
const MIN_ROUNDS: usize = 5;
const MAX_ROUNDS: usize = 40;
/// Pause between the other writer's updates: often enough that the controller's first write of a
/// pass (read, decrypt, write) loses the race, rarely enough that its retries win.
const WRITER_PAUSE: Duration = Duration::from_millis(25);

async fn metrics_text(controller: &RunningController) -> Option<String> {
    let (code, body) = sealwright_tests::wire::get(controller.metrics_addr(), "/metrics")
        .await
        .ok()?;
    (code == 200).then_some(body)
}

/// The value of `name` (a metric without labels) in the controller's metrics.
async fn metric(controller: &RunningController, name: &str) -> Option<f64> {
    metrics_text(controller)
        .await?
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

/// Rewrites the Secret's labels until told to stop. A merge patch without a resourceVersion
/// never conflicts itself; every write it makes is one the controller did not read.
fn spawn_writer(ctx: &TestContext, stop: Arc<AtomicBool>, writes: Arc<AtomicU64>) {
    let api = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    tokio::spawn(async move {
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            n += 1;
            let patch =
                serde_json::json!({"metadata": {"labels": {"other-writer": n.to_string()}}});
            if api
                .patch(NAME, &PatchParams::default(), &Patch::Merge(&patch))
                .await
                .is_ok()
            {
                writes.fetch_add(1, Ordering::Relaxed);
            }
            tokio::time::sleep(WRITER_PAUSE).await;
        }
    });
}

/// The SealedSecret with its spec replaced by a fresh sealing of `value`.
async fn reseal(ctx: &TestContext, pem: &str, value: &str) {
    let api = Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let fresh = seal(pem, &ctx.namespace, NAME, &[("v", value)]);
    // Retry our own conflicts: the controller writes status meanwhile.
    for _ in 0..20 {
        let mut current = api.get(NAME).await.expect("get SealedSecret");
        current.spec = fresh.spec.clone();
        match api.replace(NAME, &PostParams::default(), &current).await {
            Ok(_) => return,
            Err(kube::Error::Api(s)) if s.code == 409 => continue,
            Err(e) => panic!("update SealedSecret: {e}"),
        }
    }
    panic!("could not update the SealedSecret in 20 attempts");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secret_update_conflicts_are_retried() {
    let ctx = TestContext::new("ctl-conflict").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;

    // A Secret the SealedSecret may take over (`managed`), then the SealedSecret.
    let secrets = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let existing = Secret {
        metadata: ObjectMeta {
            name: Some(NAME.into()),
            annotations: Some([(MANAGED_ANNOTATION.to_string(), "true".to_string())].into()),
            ..Default::default()
        },
        data: Some([("v".to_string(), ByteString(b"before".to_vec()))].into()),
        ..Default::default()
    };
    secrets
        .create(&PostParams::default(), &existing)
        .await
        .expect("create the managed Secret");
    create_sealed(&ctx, &seal(&pem, &ctx.namespace, NAME, &[("v", "v0")])).await;
    wait_secret(&ctx, &controller, NAME, &[("v", "v0")]).await;

    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicU64::new(0));
    spawn_writer(&ctx, stop.clone(), writes.clone());
    let mut rounds = 0;
    let mut newest = String::from("v0");
    while rounds < MIN_ROUNDS
        || (rounds < MAX_ROUNDS
            && metric(&controller, CONFLICTS_METRIC).await.unwrap_or(0.0) == 0.0)
    {
        rounds += 1;
        newest = format!("v{rounds}");
        reseal(&ctx, &pem, &newest).await;
        wait_secret(&ctx, &controller, NAME, &[("v", &newest)]).await;
    }
    stop.store(true, Ordering::Relaxed);

    let conflicts = metric(&controller, CONFLICTS_METRIC)
        .await
        .expect("the conflict counter is exported");
    eprintln!(
        "{rounds} data changes against {} writes by the other writer: {conflicts} conflicts retried",
        writes.load(Ordering::Relaxed)
    );
    assert!(
        conflicts > 0.0,
        "no conflict in {rounds} rounds; the other writer is too slow\n{}",
        controller.log_tail(40)
    );
    let s = secrets.get(NAME).await.expect("get Secret");
    assert_eq!(
        secret_data(&s).get("v").map(String::as_str),
        Some(newest.as_str())
    );
    wait_synced(&ctx, &controller, NAME, "True", (rounds + 1) as i64).await;

    let events =
        Api::<k8s_openapi::api::core::v1::Event>::namespaced(ctx.admin.clone(), &ctx.namespace)
            .list(&Default::default())
            .await
            .expect("list events");
    let failed: Vec<_> = events
        .items
        .iter()
        .filter(|e| e.reason.as_deref() == Some("ErrUpdateFailed"))
        .map(|e| e.message.clone().unwrap_or_default())
        .collect();
    assert!(failed.is_empty(), "ErrUpdateFailed events: {failed:?}");
    let text = metrics_text(&controller).await.expect("metrics");
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("sealed_secrets_controller_unseal_errors_total{"))
        .collect();
    assert!(errors.is_empty(), "unseal errors: {errors:?}");
}
