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
use kube::api::{Api, PostParams};
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
    /// e) API requests during a) per object, not counting the bench's own creates and polls.
    api_per_object: f64,
}

/// `apiserver_request_total` summed over response codes, by "VERB resource[/subresource]".
async fn api_requests(client: &kube::Client) -> BTreeMap<String, f64> {
    let Ok(request) = http::Request::get("/metrics").body(Vec::new()) else {
        return BTreeMap::new();
    };
    let text = client.request_text(request).await.unwrap_or_default();
    let label = |series: &str, name: &str| -> String {
        let needle = format!("{name}=\"");
        series
            .split_once(needle.as_str())
            .and_then(|(_, rest)| rest.split_once('"'))
            .map(|(value, _)| value.to_string())
            .unwrap_or_default()
    };
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(series) = line.strip_prefix("apiserver_request_total{") else {
            continue;
        };
        let Some((series, value)) = series.rsplit_once(' ') else {
            continue;
        };
        let Ok(value) = value.parse::<f64>() else {
            continue;
        };
        let subresource = label(series, "subresource");
        let what = format!(
            "{} {}{}{}",
            label(series, "verb"),
            label(series, "resource"),
            if subresource.is_empty() { "" } else { "/" },
            subresource
        );
        *out.entry(what).or_default() += value;
    }
    out
}

/// The controller's API requests between two `api_requests` readings, per object, leaving out
/// what the bench itself sends (SealedSecret creates, Secret list polls); prints the breakdown.
fn requests_per_object(
    label: &str,
    before: &BTreeMap<String, f64>,
    after: &BTreeMap<String, f64>,
    objects: usize,
) -> f64 {
    let mut deltas: Vec<(String, f64)> = after
        .iter()
        .filter(|(what, _)| {
            !matches!(
                what.as_str(),
                "POST sealedsecrets" | "LIST secrets" | "GET namespaces"
            )
        })
        .map(|(what, v)| (what.clone(), v - before.get(what).copied().unwrap_or(0.0)))
        .filter(|(_, d)| *d > 0.0)
        .collect();
    deltas.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = deltas.iter().map(|(_, d)| d).sum();
    let per = total / objects.max(1) as f64;
    let breakdown: Vec<String> = deltas
        .iter()
        .take(8)
        .map(|(what, d)| format!("{what} {:.2}", d / objects.max(1) as f64))
        .collect();
    eprintln!(
        "bench: {label}: {per:.2} API requests per object ({})",
        breakdown.join(", ")
    );
    per
}

/// The per-item unseal cost the script measured (release build) before any clock started.
fn floor_item_seconds() -> Option<f64> {
    std::env::var("FLOOR_ITEM_S").ok()?.parse().ok()
}

/// The per-item unseal cost measured now, with the command the script names in `FLOOR_CMD`
/// (`unseal_cost KEY RUNS`). This machine's speed drifts (12.6 to 23 ms per item within the hour),
/// so the floor is measured right before and right after our controller's run, not only once at
/// the start.
fn measure_floor() -> Option<f64> {
    let cmd = std::env::var("FLOOR_CMD").ok()?;
    let mut words = cmd.split_whitespace();
    let out = std::process::Command::new(words.next()?)
        .args(words)
        .output()
        .ok()?;
    String::from_utf8(out.stdout).ok()?.trim().parse().ok()
}

/// The mean of the costs measured around our run, else the script's first measurement.
fn floor_around(before: Option<f64>, after: Option<f64>) -> Option<f64> {
    eprintln!(
        "bench: unseal cost per item just before our run: {}, just after: {}",
        before.map_or("-".into(), |v| format!("{v:.6} s")),
        after.map_or("-".into(), |v| format!("{v:.6} s"))
    );
    match (before, after) {
        (Some(b), Some(a)) => Some((b + a) / 2.0),
        (Some(v), None) | (None, Some(v)) => Some(v),
        (None, None) => floor_item_seconds(),
    }
}

fn cores() -> f64 {
    std::thread::available_parallelism().map_or(1.0, |c| c.get() as f64)
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
    sealed_named(namespace, "bench", n, items)
}

fn sealed_named(namespace: &str, prefix: &str, n: usize, items: usize) -> Vec<SealedSecret> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/upstream/keys");
    let cert_pem = std::fs::read_to_string(dir.join("rsa-4096.crt")).expect("fixture cert");
    let info = sealwright_crypto::cert::parse_pem(cert_pem.as_bytes()).expect("parse cert");
    (0..n)
        .map(|i| {
            let secret = Secret {
                metadata: ObjectMeta {
                    name: Some(format!("{prefix}-{i}")),
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

/// Counts the bench's Secrets in the test namespace from a metadata watch, so waiting for them
/// costs the API server one event per Secret rather than a list of all of them every poll (at
/// 10,000 objects those lists took CPU from the controller being measured).
struct UnsealedCount {
    names: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl UnsealedCount {
    fn watch(ctx: &TestContext) -> Self {
        use futures::StreamExt;
        use kube::runtime::watcher::{self, Event};
        let api = Api::<kube::core::PartialObjectMeta<Secret>>::namespaced(
            ctx.admin.clone(),
            &ctx.namespace,
        );
        let config = watcher::Config::default().labels(&format!("{BENCH_LABEL}=1"));
        let names =
            std::sync::Arc::<std::sync::Mutex<std::collections::HashSet<String>>>::default();
        let seen = names.clone();
        let task = tokio::spawn(async move {
            let mut events = watcher::watcher(api, config).boxed();
            while let Some(event) = events.next().await {
                let mut seen = seen.lock().unwrap_or_else(|e| e.into_inner());
                match event {
                    Ok(Event::Apply(m) | Event::InitApply(m)) => {
                        seen.insert(m.metadata.name.unwrap_or_default());
                    }
                    Ok(Event::Delete(m)) => {
                        seen.remove(&m.metadata.name.unwrap_or_default());
                    }
                    Ok(Event::Init | Event::InitDone) | Err(_) => {}
                }
            }
        });
        Self { names, task }
    }

    fn get(&self) -> usize {
        self.names.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

impl Drop for UnsealedCount {
    fn drop(&mut self) {
        self.task.abort();
    }
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
    // `OURS_ARGS="--workers=8"` tries our controller with other flags (upstream's run is left as it is).
    if binary.label == "ours" {
        let extra = std::env::var("OURS_ARGS").unwrap_or_default();
        options
            .args
            .extend(extra.split_whitespace().map(str::to_string));
    }
    options.startup_timeout = Duration::from_secs(600);
    RunningController::start(ctx.env, &ctx.admin, binary, options)
        .await
        .unwrap_or_else(|e| panic!("start {}: {e}", binary.label))
}

/// With `PROFILE=DIR`, samples our controller's CPU with `perf record` while it catches up
/// (stopped by dropping the guard) into `DIR/<label>.perf`; the script prints its top entries.
struct Profile(Option<std::process::Child>);

impl Profile {
    fn start(label: &str, pid: u32) -> Self {
        let Ok(dir) = std::env::var("PROFILE") else {
            return Self(None);
        };
        let out = std::path::Path::new(&dir).join(format!("{label}.perf"));
        // The whole machine: `-p` follows only the threads that exist when perf attaches, so it
        // misses the unsealing threads started later, and the API server's share shows too.
        // The script reports the controller by the pid written beside the data.
        let pid_file = std::path::Path::new(&dir).join(format!("{label}.pid"));
        std::fs::write(&pid_file, pid.to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", pid_file.display()));
        let child = std::process::Command::new("perf")
            .args(["record", "-q", "-a", "-F", "499", "-o"])
            .arg(&out)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("perf record: {e}"));
        Self(Some(child))
    }
}

impl Drop for Profile {
    fn drop(&mut self) {
        if let Some(child) = self.0.as_mut() {
            // perf writes its file on SIGINT.
            let _ = std::process::Command::new("kill")
                .args(["-INT", &child.id().to_string()])
                .status();
            let _ = child.wait();
        }
    }
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
    let before = api_requests(&ctx.admin).await;
    let count = UnsealedCount::watch(&ctx);
    let profile = Profile::start(&binary.label, first.pid());
    let t = Instant::now();
    create_all(
        Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace),
        objects,
    )
    .await;
    eventually(LONG, "every Secret unsealed", || {
        let count = &count;
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            (count.get() >= n).then_some(())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", first.log_tail(30)));
    out.catch_up = t.elapsed().as_secs_f64();
    drop(profile);
    // Let status writes of the last objects finish before the restart.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = api_requests(&ctx.admin).await;
    out.api_per_object = requests_per_object(&binary.label, &before, &after, n);
    first.stop();
    drop(first);

    let (cpu, wall, rss) = restart(&ctx, binary, noise_ns, n).await;
    out.restart_cpu = cpu;
    out.restart_wall = wall;
    out.peak_rss = rss;
    out
}

/// b) and c): starts `binary` again over the `n` unchanged objects; returns the CPU and wall
/// seconds until it has handled them all, and its peak RSS in MiB.
async fn restart(
    ctx: &TestContext,
    binary: &ControllerBinary,
    noise_ns: &str,
    n: usize,
) -> (f64, f64, f64) {
    let t = Instant::now();
    let second = start(ctx, binary, "bench-second", noise_ns).await;
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
    let wall = t.elapsed().as_secs_f64();
    let rss = proc_hwm_mib(pid);
    eprintln!(
        "bench: {} restarted: cpu {cpu:.2} s, wall {wall:.1} s, peak RSS {rss:.1} MiB; last log lines:\n{}",
        binary.label,
        second.log_tail(3)
    );
    (cpu, wall, rss)
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

/// What the scale mode measures of our controller alone.
#[derive(Debug, Default, Clone, Copy)]
struct Scale {
    /// Start over `n` SealedSecrets without Secrets → every Secret exists, seconds.
    catch_up: f64,
    /// One SealedSecret applied during that catch-up → its Secret exists, seconds.
    new_object: f64,
    restart_cpu: f64,
    restart_wall: f64,
    peak_rss: f64,
    api_per_object: f64,
}

/// Scale mode: `n` SealedSecrets created while no controller runs, then ours starts over them
/// (the catch-up after an install, a key change or a long outage); once a tenth of the Secrets
/// exist one more SealedSecret is applied, and the time until its Secret exists shows whether
/// new objects wait behind the backlog. Then the restart over the unchanged objects.
async fn run_scale(binary: &ControllerBinary, noise_ns: &str, n: usize, items: usize) -> Scale {
    let ctx = TestContext::new("bench-scale").await;
    Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .create(&PostParams::default(), &key_secret(&ctx.namespace))
        .await
        .expect("create key Secret");
    let sealed_api = Api::<SealedSecret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let t = Instant::now();
    create_all(sealed_api.clone(), sealed_objects(&ctx.namespace, n, items)).await;
    eprintln!(
        "bench: {n} SealedSecrets created in {:.0} s",
        t.elapsed().as_secs_f64()
    );
    let mut out = Scale::default();
    let count = UnsealedCount::watch(&ctx);
    let before = api_requests(&ctx.admin).await;
    let t = Instant::now();
    let mut first = start(&ctx, binary, "bench-first", noise_ns).await;
    let profile = Profile::start(&format!("{}-scale", binary.label), first.pid());
    eventually(LONG, "a tenth of the Secrets unsealed", || {
        let count = &count;
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            (count.get() >= n / 10).then_some(())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", first.log_tail(30)));
    let probe = sealed_named(&ctx.namespace, "probe", 1, items);
    let secrets = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace);
    let t_probe = Instant::now();
    create_all(sealed_api, probe).await;
    eventually(LONG, "the new SealedSecret unsealed", || {
        let secrets = &secrets;
        async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            secrets.get_metadata_opt("probe-0").await.ok()?.map(|_| ())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", first.log_tail(30)));
    out.new_object = t_probe.elapsed().as_secs_f64();
    eprintln!(
        "bench: new SealedSecret during the catch-up unsealed in {:.2} s",
        out.new_object
    );
    eventually(LONG, "every Secret unsealed", || {
        let count = &count;
        async move {
            tokio::time::sleep(Duration::from_millis(100)).await;
            (count.get() > n).then_some(())
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\n{}", first.log_tail(30)));
    out.catch_up = t.elapsed().as_secs_f64();
    drop(profile);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = api_requests(&ctx.admin).await;
    out.api_per_object = requests_per_object(&binary.label, &before, &after, n + 1);
    first.stop();
    drop(first);
    let (cpu, wall, rss) = restart(&ctx, binary, noise_ns, n + 1).await;
    out.restart_cpu = cpu;
    out.restart_wall = wall;
    out.peak_rss = rss;
    out
}

/// Where the script keeps upstream's numbers of the last full run, for the scale mode's
/// extrapolation.
fn upstream_record() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench/controller-upstream.tsv")
}

fn save_upstream(n: usize, items: usize, u: &Numbers) {
    let path = upstream_record();
    let text = format!(
        "n\t{n}\nitems\t{items}\ncatch_up\t{}\nrestart_cpu\t{}\nrestart_wall\t{}\n",
        u.catch_up, u.restart_cpu, u.restart_wall
    );
    let saved = path
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&path, text));
    if let Err(e) = saved {
        eprintln!(
            "bench: cannot keep upstream's numbers in {}: {e}",
            path.display()
        );
    }
}

/// Upstream's numbers from the last full run, scaled linearly to `n` × `items`.
fn upstream_extrapolated(n: usize, items: usize) -> Option<(usize, Numbers)> {
    let text = std::fs::read_to_string(upstream_record()).ok()?;
    let field = |name: &str| -> Option<f64> {
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix('\t'))?
            .parse()
            .ok()
    };
    let (run_n, run_items) = (field("n")?, field("items")?);
    let per_object = n as f64 / run_n;
    let per_item = per_object * items as f64 / run_items;
    Some((
        run_n as usize,
        Numbers {
            catch_up: field("catch_up")? * per_item,
            restart_cpu: field("restart_cpu")? * per_object,
            restart_wall: field("restart_wall")? * per_object,
            ..Numbers::default()
        },
    ))
}

fn print_rows(rows: &[(String, f64, f64, &str)], other: &str) {
    println!(
        "\n{:<78} {:>10} {:>10} {:>8} {:>9}",
        "measure", "ours", other, "ratio", "goal"
    );
    for (what, o, u, goal) in rows {
        let ratio = if *u > 0.0 { o / u } else { f64::NAN };
        println!("{what:<78} {o:>10.2} {u:>10.2} {ratio:>8.3} {goal:>9}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run through tests/bench/controller.sh"]
async fn controller_bench() {
    let scale = std::env::var("SCALE").is_ok_and(|v| v == "1");
    let n = env_usize("N", if scale { 10_000 } else { 1000 });
    let items = env_usize("ITEMS", 3);
    let noise_count = env_usize("NOISE", if scale { 0 } else { 10_000 });
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
    let floor_before = measure_floor();
    let ours_scale = if scale {
        Some(run_scale(&ours_bin, &noise_ctx.namespace, n, items).await)
    } else {
        None
    };
    let ours_one = if scale {
        None
    } else {
        Some(run_one(&ours_bin, &noise_ctx.namespace, n, items).await)
    };
    let floor_after = measure_floor();
    // The crypto floor: every item's RSA private operation, spread over every core.
    let floor = floor_around(floor_before, floor_after)
        .map(|per_item| per_item * (n * items) as f64 / cores());
    let floor_row = |catch_up: f64| {
        floor.map(|f| {
            (
                format!(
                    "floor: unseal cost x {n} x {items} items / {} cores: s (ours / floor)",
                    cores()
                ),
                catch_up,
                f,
                "<= 1.5",
            )
        })
    };

    if let Some(ours) = ours_scale {
        let upstream = upstream_extrapolated(n, items);
        let u = upstream.map(|(_, u)| u).unwrap_or_default();
        let mut rows: Vec<(String, f64, f64, &str)> = vec![
            (
                format!(
                    "a) start over {n} SealedSecrets x {items} items: s until all Secrets exist"
                ),
                ours.catch_up,
                u.catch_up,
                "",
            ),
            (
                "a) one SealedSecret applied during that catch-up: s until its Secret".into(),
                ours.new_object,
                0.0,
                "<= 5 s",
            ),
            (
                format!("b) restart over {n} unchanged: CPU s until caught up"),
                ours.restart_cpu,
                u.restart_cpu,
                "<= 3 s",
            ),
            (
                "b) restart: wall s until caught up".into(),
                ours.restart_wall,
                u.restart_wall,
                "",
            ),
            (
                "c) peak RSS MiB (VmHWM)".into(),
                ours.peak_rss,
                0.0,
                "<= 64",
            ),
            (
                "e) API requests per object during a)".into(),
                ours.api_per_object,
                0.0,
                "",
            ),
        ];
        rows.extend(floor_row(ours.catch_up));
        let other = match upstream {
            Some((run_n, _)) => format!("upstream*{}", n / run_n.max(1)),
            None => "upstream?".into(),
        };
        print_rows(&rows, &other);
        match upstream {
            Some((run_n, _)) => println!(
                "upstream*: upstream's N={run_n} run of tests/bench/controller.sh scaled linearly (no upstream run at this size)"
            ),
            None => println!(
                "upstream?: no upstream numbers yet; a full run of tests/bench/controller.sh records them"
            ),
        }
        return;
    }

    let upstream_bin = ControllerBinary::upstream(noise_ctx.env).expect("upstream controller");
    let Some(ours) = ours_one else {
        return;
    };
    let upstream = run_one(&upstream_bin, &noise_ctx.namespace, n, items).await;
    save_upstream(n, items, &upstream);

    let mut rows = vec![
        (
            format!(
                "a) {n} SealedSecrets x {items} items applied at once: s until all Secrets exist"
            ),
            ours.catch_up,
            upstream.catch_up,
            "<= 0.06",
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
        (
            "e) API requests per object during a)".to_string(),
            ours.api_per_object,
            upstream.api_per_object,
            "",
        ),
    ];
    rows.extend(floor_row(ours.catch_up));
    print_rows(&rows, "upstream");
}
