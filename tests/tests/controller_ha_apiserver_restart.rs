//! Beyond upstream, on the real control plane: etcd and kube-apiserver go away in the middle of a
//! batch of 200 SealedSecrets and come back. The controller must stay up, reconnect, end with
//! every Secret holding the right data, and not storm: a few `Unsealed` events per object at
//! most, no `ErrUnsealFailed`.
//!
//! Then the tail of a batch: twenty objects in flight while kube-apiserver alone crashes and
//! stays down long enough for each of them to fail more often than `--max-unseal-retries`
//! allows. Those failures say nothing about the objects: the controller must not give up on them.
//!
//! Alone in its test binary on purpose: it stops the control plane every other test of a binary
//! would be using at the same time. The [`Outage`] guard starts the components again even when
//! the test fails.

mod controller_common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use controller_common::*;
use k8s_openapi::api::core::v1::{Event, Secret};
use kube::Client;
use kube::api::{Api, DeleteParams, ListParams, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::components::{Component, Outage, log_tail};
use sealwright_tests::{RunningController, TestContext, eventually};

const OBJECTS: usize = 200;
/// Secrets written before the control plane goes away.
const OUTAGE_AFTER: usize = 30;
/// etcd alone down (the API server answers with storage errors), then both down.
const ETCD_ONLY_DOWN: Duration = Duration::from_secs(2);
const BOTH_DOWN: Duration = Duration::from_secs(4);
const RESTART_TIMEOUT: Duration = Duration::from_secs(120);
/// From the API server's return until every Secret is right.
const CATCH_UP: Duration = Duration::from_secs(180);
/// An object unsealed before the outage, once more when its pass was cut off: more is a storm.
const MAX_UNSEALED_EVENTS: i32 = 3;
/// The tail: few objects, so each is retried often while the API server is away.
const TAIL: usize = 20;
const TAIL_DOWN: Duration = Duration::from_secs(12);

type Want = BTreeMap<String, BTreeMap<String, String>>;

fn items(i: usize) -> BTreeMap<String, String> {
    [
        ("username".to_string(), format!("user-{i}")),
        (
            "password".to_string(),
            format!("pw-{i}-{:08x}", rand::random::<u32>()),
        ),
        (
            "url".to_string(),
            format!("https://db-{i}.example:5432/app"),
        ),
    ]
    .into()
}

/// Creates every object, retrying through the outage; an AlreadyExists after a lost response
/// counts as created. Returns how many attempts failed.
async fn create_all(client: Client, namespace: String, objects: Vec<SealedSecret>) -> usize {
    let api = Api::<SealedSecret>::namespaced(client, &namespace);
    let deadline = Instant::now() + RESTART_TIMEOUT + CATCH_UP;
    let mut failures = 0;
    for ss in objects {
        loop {
            match api.create(&PostParams::default(), &ss).await {
                Ok(_) => break,
                Err(kube::Error::Api(s)) if s.code == 409 => break,
                Err(e) => {
                    failures += 1;
                    assert!(
                        Instant::now() < deadline,
                        "cannot create SealedSecret {:?}: {e}",
                        ss.metadata.name
                    );
                    tokio::time::sleep(Duration::from_millis(300)).await;
                }
            }
        }
    }
    failures
}

async fn secrets_now(ctx: &TestContext) -> Option<BTreeMap<String, Secret>> {
    let list = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .list(&ListParams::default())
        .await
        .ok()?;
    Some(
        list.items
            .into_iter()
            .filter_map(|s| Some((s.metadata.name.clone()?, s)))
            .collect(),
    )
}

/// Names whose Secret is missing or holds other data.
fn wrong(want: &Want, have: &BTreeMap<String, Secret>) -> Vec<String> {
    want.iter()
        .filter(|(name, data)| have.get(*name).map(secret_data).as_ref() != Some(*data))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Sum of `count` per involved object, for events with `reason`.
async fn event_counts(ctx: &TestContext, reason: &str) -> BTreeMap<String, i32> {
    let list = Api::<Event>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .list(&ListParams::default())
        .await
        .expect("list events");
    let mut out = BTreeMap::new();
    for e in list.items {
        if e.reason.as_deref() == Some(reason)
            && let Some(name) = e.involved_object.name.clone()
        {
            *out.entry(name).or_insert(0) += e.count.unwrap_or(1).max(1);
        }
    }
    out
}

fn controller_log(controller: &RunningController) -> String {
    std::fs::read_to_string(&controller.log).unwrap_or_default()
}

#[derive(Debug, Clone, Copy)]
enum Stop {
    /// SIGTERM: a graceful shutdown, as in a rolling upgrade.
    Term,
    /// SIGKILL: a crash.
    Kill,
}

/// Stops each component in turn, waiting after each, then starts again whatever is down (a
/// guard does it even if this panics). Returns the components started again and how long the
/// control plane was incomplete.
async fn outage(
    env: &'static sealwright_tests::Testenv,
    steps: &[(Component, Stop, Duration)],
) -> (Vec<Component>, Duration) {
    let began = Instant::now();
    let mut guard: Option<Outage> = None;
    for &(component, how, wait) in steps {
        let current = guard.take();
        guard = Some(
            tokio::task::spawn_blocking(move || {
                let mut o = match current {
                    Some(o) => o,
                    None => Outage::begin(env, &[])?,
                };
                match how {
                    Stop::Term => o.stop(component),
                    Stop::Kill => o.kill(component),
                }
                .map(|()| o)
            })
            .await
            .expect("join")
            .unwrap_or_else(|e| panic!("stop {}: {e}", component.name())),
        );
        tokio::time::sleep(wait).await;
    }
    let started = match guard {
        Some(o) => o
            .end(RESTART_TIMEOUT)
            .await
            .unwrap_or_else(|e| panic!("restart the control plane: {e}")),
        None => Vec::new(),
    };
    (started, began.elapsed())
}

/// Waits until every Secret of `want` holds its data; panics with the missing ones.
async fn wait_all(ctx: &TestContext, controller: &RunningController, want: &Want) {
    let result = eventually(
        CATCH_UP,
        "every Secret with the right data",
        || async move {
            let have = secrets_now(ctx).await?;
            wrong(want, &have).is_empty().then_some(())
        },
    )
    .await;
    if let Err(e) = result {
        let missing = match secrets_now(ctx).await {
            Some(have) => wrong(want, &have),
            None => vec!["(cannot list Secrets)".into()],
        };
        panic!(
            "{e}\n{} Secrets missing or wrong: {:?}\ncontroller log:\n{}",
            missing.len(),
            missing.iter().take(20).collect::<Vec<_>>(),
            controller.log_tail(80)
        );
    }
}

/// Seals `count` objects named `prefix-NNN`; returns them and the data each must unseal to.
fn batch(pem: &str, namespace: &str, prefix: &str, count: usize) -> (Vec<SealedSecret>, Want) {
    let mut want: Want = BTreeMap::new();
    let mut objects = Vec::with_capacity(count);
    for i in 0..count {
        let name = format!("{prefix}-{i:03}");
        let data = items(i);
        let pairs: Vec<(&str, &str)> = data.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        objects.push(seal(pem, namespace, &name, &pairs));
        want.insert(name, data);
    }
    (objects, want)
}

/// Waits until at least `n` Secrets of `want` exist; returns how many do.
async fn at_least(
    ctx: &TestContext,
    controller: &RunningController,
    want: &Want,
    n: usize,
) -> usize {
    eventually(
        Duration::from_secs(120),
        &format!("{n} Secrets before the outage"),
        || async move {
            let have = secrets_now(ctx).await?;
            let done = want.keys().filter(|k| have.contains_key(*k)).count();
            (done >= n).then_some(done)
        },
    )
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", controller.log_tail(40)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn survives_apiserver_and_etcd_restart_mid_batch() {
    let ctx = TestContext::new("ctl-ha-apiserver").await;
    let mut controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;

    let (objects, want) = batch(&pem, &ctx.namespace, "batch", OBJECTS);
    let creator = tokio::spawn(create_all(
        ctx.admin.clone(),
        ctx.namespace.clone(),
        objects,
    ));

    // The control plane goes away while the controller is in the middle of the batch: etcd
    // first (the API server answers with storage errors), then the API server too.
    let written = at_least(&ctx, &controller, &want, OUTAGE_AFTER).await;
    assert!(
        written < OBJECTS,
        "the controller finished the batch before the outage; start it sooner"
    );
    let env = ctx.env;
    let steps = [
        (Component::Etcd, Stop::Term, ETCD_ONLY_DOWN),
        (Component::KubeApiserver, Stop::Term, BOTH_DOWN),
    ];
    let (restarted, down_for) = outage(env, &steps).await;
    let back = Instant::now();
    eprintln!(
        "{written}/{OBJECTS} Secrets before the outage; control plane down {down_for:?}, restarted {:?}",
        restarted.iter().map(|c| c.name()).collect::<Vec<_>>()
    );
    assert!(
        controller.is_running(),
        "the controller exited while the API server was down\n{}",
        controller.log_tail(60)
    );
    assert_eq!(
        restarted,
        vec![Component::Etcd, Component::KubeApiserver],
        "only the stopped components needed a restart (kube-controller-manager must survive)\n{}",
        log_tail(env, Component::KubeControllerManager, 40)
    );

    let failed_creates = creator.await.expect("creator task");
    wait_all(&ctx, &controller, &want).await;
    eprintln!(
        "every Secret right {:?} after the API server was back ({failed_creates} creates retried)",
        back.elapsed()
    );
    assert!(
        controller.is_running(),
        "the controller exited ({:?})\n{}",
        controller.exit_status(),
        controller.log_tail(60)
    );

    // No storm: each object unsealed about once, never reported as undecryptable.
    let unsealed = event_counts(&ctx, "Unsealed").await;
    let total: i32 = unsealed.values().sum();
    let most = unsealed.iter().max_by_key(|(_, n)| **n);
    eprintln!(
        "Unsealed events: {total} for {} objects, most {most:?}",
        unsealed.len()
    );
    let storming: Vec<_> = unsealed
        .iter()
        .filter(|(_, n)| **n > MAX_UNSEALED_EVENTS)
        .collect();
    assert!(
        storming.is_empty(),
        "objects with more than {MAX_UNSEALED_EVENTS} Unsealed events: {storming:?}"
    );
    let unseal_failed = event_counts(&ctx, "ErrUnsealFailed").await;
    assert!(
        unseal_failed.is_empty(),
        "ErrUnsealFailed events: {unseal_failed:?}"
    );
    let update_failed = event_counts(&ctx, "ErrUpdateFailed").await;
    eprintln!(
        "ErrUpdateFailed (passes cut off by the outage): {} objects",
        update_failed.len()
    );

    // The tail of a batch: few objects in flight, the API server away for longer than the
    // retries of a failing object last. None may be given up on.
    let (objects, tail_want) = batch(&pem, &ctx.namespace, "tail", TAIL);
    for ss in &objects {
        create_sealed(&ctx, ss).await;
    }
    let tail_written = at_least(&ctx, &controller, &tail_want, 1).await;
    assert!(tail_written < TAIL, "the tail was done before the outage");
    let steps = [(Component::KubeApiserver, Stop::Kill, TAIL_DOWN)];
    let (restarted, down_for) = outage(env, &steps).await;
    let back = Instant::now();
    assert_eq!(restarted, vec![Component::KubeApiserver]);
    wait_all(&ctx, &controller, &tail_want).await;
    eprintln!(
        "tail: {tail_written}/{TAIL} before kube-apiserver went away for {down_for:?}; all right {:?} after",
        back.elapsed()
    );
    assert!(
        !controller_log(&controller).contains("giving up"),
        "gave up on objects because the API server was away\n{}",
        controller.log_tail(60)
    );

    // Reconnected: it saw the watches fail, and both watches work again. A new SealedSecret is
    // unsealed (SealedSecret watch), a deleted Secret is re-created (Secret watch).
    let log = controller_log(&controller);
    assert!(
        log.contains("watch failed"),
        "no watch failure logged during the outage\n{}",
        controller.log_tail(60)
    );
    create_sealed(
        &ctx,
        &seal(&pem, &ctx.namespace, "after-outage", &[("k", "v")]),
    )
    .await;
    wait_secret(&ctx, &controller, "after-outage", &[("k", "v")]).await;
    let victim = "batch-000";
    Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .delete(victim, &DeleteParams::default())
        .await
        .expect("delete a Secret");
    let victim_data = &want[victim];
    let pairs: Vec<(&str, &str)> = victim_data
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    wait_secret(&ctx, &controller, victim, &pairs).await;
    assert!(controller.is_running(), "{}", controller.log_tail(40));

    // Every stopped component is back under the PID the pids file names.
    for c in Component::ALL {
        let pid = sealwright_tests::components::recorded_pid(env, c).expect("pid");
        assert!(
            sealwright_tests::components::is_alive(pid),
            "{} (PID {pid}) is not running",
            c.name()
        );
    }
}
