//! Beyond upstream, on the real control plane: `--leader-elect` with two and three replicas.
//! Killing the leader mid-batch hands the work over within the Lease duration and every Secret
//! still appears with the right data; SIGTERM finishes in-flight work, releases the Lease (the
//! next replica takes over at once) and exits 0.

mod controller_common;

use std::time::{Duration, Instant};

use controller_common::*;
use k8s_openapi::api::coordination::v1::Lease;
use kube::api::Api;
use sealwright_tests::{
    ControllerBinary, ControllerOptions, RunningController, TestContext, eventually,
};

const LEASE: &str = "sealed-secrets-controller";
/// The default `--leader-election-lease-duration`.
const LEASE_DURATION: Duration = Duration::from_secs(15);
/// The default retry period: a follower looks at the Lease this often.
const RETRY: Duration = Duration::from_secs(2);

/// One replica, named by `POD_NAME` and exposed through a Service of its own.
async fn replica(ctx: &TestContext, name: &str, extra: &[&str]) -> RunningController {
    let binary = ControllerBinary::ours().expect("our controller (cargo build --workspace)");
    let mut options = ControllerOptions::in_namespace(&ctx.namespace);
    options.service = format!("ctl-{name}");
    options.args.push("--key-size=2048".into());
    options.args.push("--leader-elect".into());
    options.args.extend(extra.iter().map(|s| s.to_string()));
    options.env.push(("POD_NAME".into(), name.into()));
    RunningController::start(ctx.env, &ctx.admin, &binary, options)
        .await
        .unwrap_or_else(|e| panic!("start replica {name}: {e}"))
}

async fn holder(ctx: &TestContext) -> Option<String> {
    let lease = Api::<Lease>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .get_opt(LEASE)
        .await
        .ok()
        .flatten()?;
    lease.spec?.holder_identity
}

async fn wait_holder(ctx: &TestContext, who: &str, within: Duration, log: &RunningController) {
    eventually(within, &format!("Lease held by {who}"), || async move {
        (holder(ctx).await.as_deref() == Some(who)).then_some(())
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\nlog:\n{}", log.log_tail(40)));
}

async fn count_secrets(ctx: &TestContext, names: &[String]) -> usize {
    let api =
        Api::<k8s_openapi::api::core::v1::Secret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let mut n = 0;
    for name in names {
        if api.get_opt(name).await.ok().flatten().is_some() {
            n += 1;
        }
    }
    n
}

fn sigterm(pid: u32) {
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -TERM {pid}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failover_and_graceful_handover() {
    let ctx = TestContext::new("ctl-ha").await;
    // The first leader is slowed down (one worker, 3 API calls a second) so that it is killed
    // in the middle of the batch.
    let mut a = replica(
        &ctx,
        "replica-a",
        &["--workers=1", "--kubeclient-qps=3", "--kubeclient-burst=1"],
    )
    .await;
    wait_holder(&ctx, "replica-a", WAIT, &a).await;
    let mut b = replica(&ctx, "replica-b", &[]).await;
    // Every replica serves the API with the same key, leader or not.
    let pem = eventually(WAIT, "certificate from replica-a", || {
        let a = &a;
        async move {
            let (code, body) = sealwright_tests::wire::get(a.addr(), "/v1/cert.pem")
                .await
                .ok()?;
            (code == 200).then_some(body)
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", a.log_tail(40)));
    let pem_b = eventually(WAIT, "same certificate from follower replica-b", || {
        let (b, pem) = (&b, &pem);
        async move {
            let (code, body) = sealwright_tests::wire::get(b.addr(), "/v1/cert.pem")
                .await
                .ok()?;
            (code == 200 && &body == pem).then_some(body)
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", b.log_tail(40)));
    assert_eq!(pem, pem_b);
    assert_eq!(holder(&ctx).await.as_deref(), Some("replica-a"));

    let names: Vec<String> = (0..30).map(|i| format!("ha{i}")).collect();
    for name in &names {
        create_sealed(
            &ctx,
            &seal(&pem, &ctx.namespace, name, &[("v", &format!("val-{name}"))]),
        )
        .await;
    }
    // Kill the leader once it has written some but not all.
    eventually(WAIT, "replica-a wrote a first Secret", || {
        let (ctx, names) = (&ctx, &names);
        async move { (count_secrets(ctx, names).await >= 1).then_some(()) }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", a.log_tail(40)));
    a.stop();
    let killed = Instant::now();
    let done_by_a = count_secrets(&ctx, &names).await;
    assert!(
        done_by_a < names.len(),
        "replica-a finished the batch before it was killed; slow it down further"
    );

    wait_holder(&ctx, "replica-b", LEASE_DURATION + 2 * RETRY + RETRY, &b).await;
    let takeover = killed.elapsed();
    eprintln!(
        "replica-a wrote {done_by_a}/{} before it was killed; replica-b took over after {takeover:?}",
        names.len()
    );
    assert!(
        takeover <= LEASE_DURATION + 2 * RETRY,
        "takeover took {takeover:?}"
    );
    for name in &names {
        wait_secret(&ctx, &b, name, &[("v", &format!("val-{name}"))]).await;
        wait_synced(&ctx, &b, name, "True", 1).await;
    }

    // Graceful handover: SIGTERM the leader; it exits 0 and releases the Lease, so the third
    // replica leads long before the Lease duration would have run out.
    let mut c = replica(&ctx, "replica-c", &[]).await;
    assert_eq!(holder(&ctx).await.as_deref(), Some("replica-b"));
    sigterm(b.pid());
    let termed = Instant::now();
    let status = eventually(Duration::from_secs(20), "replica-b exited", || {
        let b = &mut b;
        let status = b.exit_status();
        async move { status }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", b.log_tail(40)));
    assert!(status.success(), "exit status {status}\n{}", b.log_tail(40));
    assert!(
        b.log_tail(20).contains("released the leader Lease"),
        "{}",
        b.log_tail(20)
    );
    wait_holder(&ctx, "replica-c", LEASE_DURATION, &c).await;
    let handover = termed.elapsed();
    eprintln!("after SIGTERM replica-c led within {handover:?}");
    assert!(
        handover < LEASE_DURATION / 2,
        "handover after release took {handover:?}"
    );
    // The new leader works: a new object is unsealed.
    create_sealed(&ctx, &seal(&pem, &ctx.namespace, "after", &[("v", "c")])).await;
    wait_secret(&ctx, &c, "after", &[("v", "c")]).await;
    assert!(c.is_running());
}
