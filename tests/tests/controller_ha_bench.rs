//! Benchmark (ignored by default; `tests/bench/controller.sh` runs it): our controller against
//! upstream's on the same control plane, one after the other, each in a namespace of its own
//! with the same 4096-bit key, plus one shared namespace of unrelated Secrets both watch.
//!
//! Sizes come from the environment: `N` SealedSecrets (1000) of `ITEMS` items (3), `NOISE`
//! unrelated Secrets (10000) of `NOISE_KIB` KiB (64). Sealing happens here, offline, before
//! any clock starts. Prints one table: ours, upstream, ours/upstream.

mod controller_common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use controller_common::*;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{
    ControllerBinary, ControllerOptions, RunningController, TestContext, eventually,
};

const LONG: Duration = Duration::from_secs(3 * 3600);
const BENCH_LABEL: &str = "sealwright-bench";

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Debug, Default, Clone, Copy)]
struct Numbers {
    /// a) apply N at once → every Secret exists, seconds.
    catch_up: f64,
    /// b) restart over the unchanged N: CPU seconds until caught up.
    restart_cpu: f64,
    /// b) the same, wall-clock seconds.
    restart_wall: f64,
    /// c) peak RSS (VmHWM) of the restarted process, MiB.
    peak_rss: f64,
    /// d) process start → `/v1/cert.pem` answers, seconds (first start).
    cert_ready: f64,
}

fn proc_cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("read /proc stat");
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 =
        fields[11].parse::<f64>().unwrap_or(0.0) + fields[12].parse::<f64>().unwrap_or(0.0);
    // USER_HZ is 100 on Linux.
    ticks / 100.0
}

fn proc_hwm_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("read /proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

async fn metric(controller: &RunningController, name: &str) -> Option<f64> {
    let (code, body) = sealwright_tests::wire::get(controller.metrics_addr(), "/metrics")
        .await
        .ok()?;
    if code != 200 {
        return None;
    }
    body.lines().filter(|l| !l.starts_with('#')).find_map(|l| {
        let (m, v) = l.rsplit_once(' ')?;
        (m == name).then(|| v.parse().ok()).flatten()
    })
}

/// Creates objects with at most 16 requests in flight.
async fn create_all<K>(api: Api<K>, objects: Vec<K>)
where
    K: kube::Resource + Clone + serde::Serialize + serde::de::DeserializeOwned + std::fmt::Debug,
    K: Send + Sync + 'static,
{
    let mut set = tokio::task::JoinSet::new();
    for obj in objects {
        if set.len() >= 16 {
            set.join_next().await;
        }
        let api = api.clone();
        set.spawn(async move {
            for _ in 0..5 {
                match api.create(&PostParams::default(), &obj).await {
                    Ok(_) => return,
                    Err(kube::Error::Api(s)) if s.code == 409 => return,
                    Err(_) => tokio::time::sleep(Duration::from_millis(500)).await,
                }
            }
            panic!("cannot create a bench object");
        });
    }
    while set.join_next().await.is_some() {}
}

fn key_secret(namespace: &str) -> Secret {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/upstream/keys");
    let key_pem = std::fs::read(dir.join("rsa-4096.key")).expect("fixture key");
    let cert_pem = std::fs::read_to_string(dir.join("rsa-4096.crt")).expect("fixture cert");
    let key = sealwright_crypto::keys::private_key_from_pem(&key_pem).expect("parse fixture key");
    let mut s = sealwright_crypto::keys::to_secret(
        &key,
        &cert_pem,
        namespace,
        "sealed-secrets-key",
        &BTreeMap::new(),
        &BTreeMap::new(),
    );
    s.metadata.generate_name = None;
    s.metadata.name = Some("sealed-secrets-key-bench".into());
    s
}

fn sealed_objects(namespace: &str, n: usize, items: usize) -> Vec<SealedSecret> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/upstream/keys");
    let cert_pem = std::fs::read_to_string(dir.join("rsa-4096.crt")).expect("fixture cert");
    let info = sealwright_crypto::cert::parse_pem(cert_pem.as_bytes()).expect("parse cert");
    (0..n)
        .map(|i| {
            let secret = Secret {
                metadata: ObjectMeta {
                    name: Some(format!("bench-{i}")),
                    namespace: Some(namespace.into()),
                    labels: Some([(BENCH_LABEL.to_string(), "1".to_string())].into()),
                    ..Default::default()
                },
                data: Some(
                    (0..items)
                        .map(|k| {
                            (
                                format!("key{k}"),
                                ByteString(format!("value-{i}-{k}-0123456789abcdef").into_bytes()),
                            )
                        })
                        .collect(),
                ),
                ..Default::default()
            };
            sealwright_crypto::seal::seal_secret(&secret, &info.public_key).expect("seal")
        })
        .collect()
}

async fn count_unsealed(ctx: &TestContext) -> usize {
    let api = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let lp = ListParams::default().labels(&format!("{BENCH_LABEL}=1"));
    api.list_metadata(&lp)
        .await
        .map(|l| l.items.len())
        .unwrap_or(0)
}

async fn start(
    ctx: &TestContext,
    binary: &ControllerBinary,
    service: &str,
    noise_ns: &str,
) -> RunningController {
    let mut options = ControllerOptions::in_namespace(&ctx.namespace);
    options.service = service.into();
    options
        .args
        .push(format!("--additional-namespaces={noise_ns}"));
    options.startup_timeout = Duration::from_secs(600);
    RunningController::start(ctx.env, &ctx.admin, binary, options)
        .await
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.label))
}

async fn run_one(binary: &ControllerBinary, noise_ns: &str, n: usize, items: usize) -> Numbers {
    let ctx = TestContext::new(&format!("bench-{}", binary.label)).await;
    Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .create(&PostParams::default(), &key_secret(&ctx.namespace))
        .await
        .expect("create key Secret");
    let objects = sealed_objects(&ctx.namespace, n, items);
    let mut out = Numbers::default();

    // d) and a).
    let t = Instant::now();
    let mut first = start(&ctx, binary, "bench-first", noise_ns).await;
    cert(&first).await;
    out.cert_ready = t.elapsed().as_secs_f64();
    let t = Instant::now();
    create_all(
        Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace),
        objects,
    )
    .await;
    eventually(LONG, "every Secret unsealed", || {
        let ctx = &ctx;
        async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            (count_unsealed(ctx).await >= n).then_some(())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", first.log_tail(30)));
    out.catch_up = t.elapsed().as_secs_f64();
    // Let status writes of the last objects finish before the restart.
    tokio::time::sleep(Duration::from_secs(3)).await;
    first.stop();
    drop(first);

    // b) and c).
    let t = Instant::now();
    let second = start(&ctx, binary, "bench-second", noise_ns).await;
    let pid = second.pid();
    eventually(LONG, "restart handled every object", || {
        let second = &second;
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let seen = metric(second, "sealed_secrets_controller_unseal_requests_total").await?;
            (seen >= n as f64).then_some(())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", second.log_tail(30)));
    // The last counted pass still has its writes to do; wait until the CPU time settles.
    let mut cpu = proc_cpu_seconds(pid);
    loop {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = proc_cpu_seconds(pid);
        if now - cpu < 0.02 {
            break;
        }
        cpu = now;
    }
    out.restart_wall = t.elapsed().as_secs_f64();
    out.restart_cpu = cpu;
    out.peak_rss = proc_hwm_mib(pid);
    eprintln!(
        "bench: {} done: {out:?}; last log lines:\n{}",
        binary.label,
        second.log_tail(3)
    );
    out
}

async fn noise(ctx: &TestContext, count: usize, kib: usize) {
    let payload = ByteString(vec![b'x'; kib * 1024]);
    let objects: Vec<Secret> = (0..count)
        .map(|i| Secret {
            metadata: ObjectMeta {
                name: Some(format!("noise-{i}")),
                ..Default::default()
            },
            data: Some([("blob".to_string(), payload.clone())].into()),
            ..Default::default()
        })
        .collect();
    create_all(
        Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace),
        objects,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run through tests/bench/controller.sh"]
async fn controller_bench() {
    let n = env_usize("N", 1000);
    let items = env_usize("ITEMS", 3);
    let noise_count = env_usize("NOISE", 10_000);
    let noise_kib = env_usize("NOISE_KIB", 64);
    let noise_ctx = TestContext::new("bench-noise").await;
    let t = Instant::now();
    noise(&noise_ctx, noise_count, noise_kib).await;
    eprintln!(
        "bench: {noise_count} Secrets of {noise_kib} KiB in {} ({:.0} s)",
        noise_ctx.namespace,
        t.elapsed().as_secs_f64()
    );

    let ours_bin = ControllerBinary::ours().expect("our controller");
    let upstream_bin = ControllerBinary::upstream(noise_ctx.env).expect("upstream controller");
    let ours = run_one(&ours_bin, &noise_ctx.namespace, n, items).await;
    let upstream = run_one(&upstream_bin, &noise_ctx.namespace, n, items).await;

    let rows = [
        (
            format!(
                "a) {n} SealedSecrets x {items} items applied at once: s until all Secrets exist"
            ),
            ours.catch_up,
            upstream.catch_up,
            "<= 0.333",
        ),
        (
            format!("b) restart over {n} unchanged: CPU s until caught up"),
            ours.restart_cpu,
            upstream.restart_cpu,
            "<= 0.1",
        ),
        (
            "b) restart: wall s until caught up".to_string(),
            ours.restart_wall,
            upstream.restart_wall,
            "",
        ),
        (
            format!("c) peak RSS MiB (VmHWM), {noise_count} x {noise_kib} KiB Secrets watched"),
            ours.peak_rss,
            upstream.peak_rss,
            "<= 0.25",
        ),
        (
            "d) s from start to serving /v1/cert.pem".to_string(),
            ours.cert_ready,
            upstream.cert_ready,
            "",
        ),
    ];
    println!(
        "\n{:<78} {:>10} {:>10} {:>8} {:>9}",
        "measure", "ours", "upstream", "ratio", "goal"
    );
    for (what, o, u, goal) in rows {
        let ratio = if u > 0.0 { o / u } else { f64::NAN };
        println!("{what:<78} {o:>10.2} {u:>10.2} {ratio:>8.3} {goal:>9}");
    }
}
