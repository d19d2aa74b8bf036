//! Startup (upstream `Main` in [main.go]) and the long-running tasks.
//!
//! [main.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/main.go

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use sealwright_crypto::keys;
use time::OffsetDateTime;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::error::{Error, is_not_found};
use crate::flags::{self, Flags};
use crate::http::api::{self, ApiState};
use crate::http::metrics::Metrics;
use crate::http::pool::WorkPool;
use crate::http::readiness::{self, Readiness};
use crate::http::server::{self, ServerLimits};
use crate::logic::ratelimit::Gcra;
use crate::logic::renewal;
use crate::reconcile::{Context, Options};
use crate::runtime::cache::Cache;
use crate::runtime::events::Recorder;
use crate::runtime::keystore::{KeyParams, KeyStore};
use crate::runtime::throttle::ThrottleLayer;
use crate::runtime::watchers::{self, WatchScope};
use crate::runtime::workqueue::WorkQueue;
use crate::runtime::{leader, namespace};

async fn client(flags: &Flags) -> Result<Client, Error> {
    let config = match &flags.kubeconfig {
        Some(path) => {
            let kc = Kubeconfig::read_from(path).map_err(|e| Error::Config(e.to_string()))?;
            Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
                .await
                .map_err(|e| Error::Config(e.to_string()))?
        }
        None => Config::infer()
            .await
            .map_err(|e| Error::Config(e.to_string()))?,
    };
    let builder = kube::client::ClientBuilder::try_from(config).map_err(Error::Kube)?;
    Ok(builder
        .with_layer(&ThrottleLayer::new(
            flags.kubeclient_qps,
            flags.kubeclient_burst,
        ))
        .build())
}

fn key_params(flags: &Flags) -> Result<KeyParams, Error> {
    let labels =
        keys::parse_key_value_list(&flags.privatekey_labels).map_err(|reason| Error::Flag {
            flag: "privatekey-labels",
            reason,
        })?;
    let annotations =
        keys::parse_key_value_list(&flags.privatekey_annotations).map_err(|reason| {
            Error::Flag {
                flag: "privatekey-annotations",
                reason,
            }
        })?;
    Ok(KeyParams {
        prefix: flags.key_prefix.clone(),
        bits: flags.key_size,
        common_name: flags.my_cn.clone(),
        ttl: flags.key_ttl,
        labels,
        annotations,
    })
}

/// The namespaces to watch (as upstream `Main`): all, or the controller's plus the additional ones
/// that exist.
async fn scopes(client: &Client, flags: &Flags, my_ns: &str) -> Result<Vec<WatchScope>, Error> {
    let additional = flags.additional_namespaces();
    if flags.all_namespaces && additional.is_empty() {
        return Ok(vec![WatchScope::All]);
    }
    let mut out = vec![WatchScope::Namespace(my_ns.to_string())];
    let api: Api<Namespace> = Api::all(client.clone());
    for ns in additional {
        if ns == my_ns {
            continue;
        }
        match api.get(&ns).await {
            Ok(_) => out.push(WatchScope::Namespace(ns)),
            Err(e) if is_not_found(&e) => {
                tracing::warn!(namespace = %ns, "additional namespace not found; skipping it")
            }
            Err(source) => {
                return Err(Error::Namespace {
                    namespace: ns,
                    source,
                });
            }
        }
    }
    Ok(out)
}

/// Renewal timer and SIGUSR1 (upstream `initKeyRenewal` in [main.go]). Any renewal restarts the
/// period. The timer follows the key Secrets: it restarts from the newest key whenever the sealing
/// key changes, and when the last key is removed (every key retired or relabelled) a new one is
/// made at once, as at start.
///
/// [main.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/main.go
async fn renew_keys(keys: Arc<KeyStore>, period: std::time::Duration) {
    let mut usr1 = match signal(SignalKind::user_defined1()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGUSR1");
            None
        }
    };
    let mut key_set = keys.subscribe();
    let mut sealing = key_set.borrow_and_update().current_fingerprint();
    let mut delay = renewal::first_delay(
        period,
        keys.most_recent_ordering(),
        OffsetDateTime::now_utc(),
    );
    let mut failures = 0u32;
    loop {
        if sealing.is_none() {
            tracing::warn!("no sealing key left; generating one");
        } else {
            let timer = async {
                match delay {
                    Some(d) => tokio::time::sleep(d).await,
                    None => std::future::pending().await,
                }
            };
            let usr1_recv = async {
                match usr1.as_mut() {
                    Some(s) => s.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = timer => tracing::info!("key renewal period elapsed"),
                _ = usr1_recv => tracing::info!("SIGUSR1: renewing key"),
                changed = key_set.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    let now = key_set.borrow_and_update().current_fingerprint();
                    if now != sealing {
                        sealing = now;
                        delay = renewal::first_delay(
                            period,
                            keys.most_recent_ordering(),
                            OffsetDateTime::now_utc(),
                        );
                    }
                    continue;
                }
            }
        }
        match keys.generate().await {
            Ok(_) => failures = 0,
            Err(e) => {
                tracing::error!(error = %e, kind = e.name(), "key renewal failed; the previous key stays in use");
                if sealing.is_none() {
                    // Nothing to fall back on: try again, backing off up to 5 minutes.
                    failures = failures.saturating_add(1);
                    let pause =
                        Duration::from_secs(5u64 << failures.min(6)).min(Duration::from_secs(300));
                    tokio::time::sleep(pause).await;
                }
            }
        }
        sealing = key_set.borrow_and_update().current_fingerprint();
        delay = if period.is_zero() { None } else { Some(period) };
    }
}

/// Keeps the `sealed-secrets-cert` ConfigMap on the current certificate.
async fn publish_cert(keys: Arc<KeyStore>) {
    let mut rx = keys.subscribe();
    let mut published: Option<String> = None;
    let mut retry = std::time::Duration::from_secs(5);
    loop {
        let pem = rx
            .borrow_and_update()
            .current_cert_pem()
            .map(str::to_string);
        if let Some(pem) = pem
            && published.as_deref() != Some(pem.as_str())
        {
            match keys.publish_cert_configmap(&pem).await {
                Ok(()) => {
                    tracing::info!(
                        configmap = crate::runtime::keystore::CERT_CONFIGMAP,
                        "published certificate"
                    );
                    published = Some(pem);
                    retry = std::time::Duration::from_secs(5);
                }
                Err(e) => {
                    // Without the RBAC for it (e.g. upstream's manifests) this keeps failing:
                    // back off to once every 5 minutes.
                    tracing::warn!(error = %crate::error::api_message(&e), retry_in = ?retry, "cannot publish certificate ConfigMap");
                    tokio::time::sleep(retry).await;
                    retry = (retry * 2).min(std::time::Duration::from_secs(300));
                    continue;
                }
            }
        }
        if rx.changed().await.is_err() {
            return;
        }
    }
}

async fn serve(addr: String, router: axum::Router, limits: ServerLimits) -> Result<(), Error> {
    let listen = api::listen_address(&addr);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|source| Error::Listen {
            addr: addr.clone(),
            source,
        })?;
    tracing::info!(addr = %addr, "HTTP server listening");
    server::serve(listener, router, limits)
        .await
        .map_err(|source| Error::Serve { addr, source })
}

async fn shutdown_signal() {
    let term = async {
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! {
        _ = term => {},
        _ = tokio::signal::ctrl_c() => {},
    }
}

pub async fn run(flags: Flags) -> Result<(), Error> {
    let version = flags::version();
    tracing::info!(version = %version, "Starting sealed-secrets controller");
    let metrics = Arc::new(Metrics::new(&version));
    metrics.set_omit_secret_labels(flags.metrics_omit_secret_labels);

    flags::validate_key_prefix(&flags.key_prefix)?;
    let (order, valid) = flags.key_order();
    if !valid {
        tracing::error!(value = %flags.key_order_priority, "invalid --key-order-priority; using CertNotBefore");
    }
    let cutoff = renewal::parse_cutoff(&flags.key_cutoff_time)?;
    let params = key_params(&flags)?;

    let client = client(&flags).await?;
    let my_ns = namespace::current();
    tracing::info!(namespace = %my_ns, "controller namespace");

    let keys = KeyStore::new(client.clone(), my_ns.clone(), order, params);
    keys.load().await?;
    // Without election this replica leads from the start; with it, only once it holds the Lease.
    let (leading_tx, leading) = watch::channel(!flags.leader_elect);
    let (stop_tx, stop_rx) = watch::channel(false);
    if !flags.leader_elect && renewal::needs_key_at_start(keys.most_recent_ordering(), cutoff) {
        keys.generate().await?;
    }
    let mut leader = flags.leader_elect.then(|| {
        let settings = leader::Settings {
            namespace: my_ns.clone(),
            identity: leader::identity(&|k| std::env::var(k).ok()),
            lease_duration: flags.leader_election_lease_duration,
            renew_deadline: flags.leader_election_renew_deadline,
            retry_period: flags.leader_election_retry_period,
        };
        tracing::info!(identity = %settings.identity, lease = leader::LEASE_NAME, "leader election on");
        let (client, keys, stop) = (client.clone(), keys.clone(), stop_rx.clone());
        tokio::spawn(lead(client, settings, keys, cutoff, leading_tx, stop))
    });

    let mut tasks: JoinSet<Result<(), Error>> = JoinSet::new();
    {
        let keys = keys.clone();
        let period = flags.key_renew_period;
        let mut leading = leading.clone();
        tasks.spawn(async move {
            if leading.wait_for(|l| *l).await.is_ok() {
                renew_keys(keys, period).await;
            }
            Ok(())
        });
    }
    {
        let keys = keys.clone();
        let mut leading = leading.clone();
        tasks.spawn(async move {
            if leading.wait_for(|l| *l).await.is_ok() {
                publish_cert(keys).await;
            }
            Ok(())
        });
    }
    {
        let (client, keys) = (client.clone(), keys.clone());
        tasks.spawn(async move {
            watchers::watch_key_secrets(client, keys).await;
            Ok(())
        });
    }

    // HTTP comes up before the namespaces are probed (upstream v0.39): liveness answers during a
    // long `--additional-namespaces` start, and `/readyz` says when the watches are all started.
    let readiness = Readiness::new();
    let state = Arc::new(ApiState {
        keys: keys.clone(),
        metrics: metrics.clone(),
        limiter: Mutex::new(Gcra::new(flags.rate_limit, flags.rate_limit_burst)),
        pool: WorkPool::for_this_machine(),
        epoch: Instant::now(),
        accept_v1_data: flags.accept_deprecated_v1_data,
    });
    // Go's ReadTimeout + WriteTimeout, as one bound per request.
    let deadline = flags.read_timeout.saturating_add(flags.write_timeout);
    let limits = ServerLimits::from_read_timeout(flags.read_timeout);
    let http = api::router(state).merge(readiness::router(readiness.clone()));
    tasks.spawn(serve(
        flags.listen_addr.clone(),
        api::with_deadline(http, deadline),
        limits,
    ));
    tasks.spawn(serve(
        flags.listen_metrics_addr.clone(),
        api::with_deadline(api::metrics_router(metrics.clone()), deadline),
        limits,
    ));

    let scopes = scopes(&client, &flags, &my_ns).await?;
    let queue = WorkQueue::new();
    let ctx = Context {
        client: client.clone(),
        keys: keys.clone(),
        metrics: metrics.clone(),
        recorder: Recorder::new(client.clone()),
        cache: Cache::default(),
        secrets: Default::default(),
        unsealer: Default::default(),
        drift: Default::default(),
        queue: queue.clone(),
        options: Options {
            update_status: flags.update_status,
            old_gc_behavior: flags.old_gc_behavior,
            accept_v1_data: flags.accept_deprecated_v1_data,
            secret_drift: flags.secret_drift,
        },
    };
    let watched = crate::workers::watch_context(&ctx);
    for scope in scopes {
        tracing::info!(scope = ?scope, "watching SealedSecrets");
        let (w, s, l) = (watched.clone(), scope.clone(), flags.label_selector.clone());
        tasks.spawn(async move {
            watchers::watch_sealed_secrets(w, s, l).await;
            Ok(())
        });
        if !flags.skip_recreate {
            let (w, l) = (watched.clone(), flags.label_selector.clone());
            tasks.spawn(async move {
                watchers::watch_secret_deletions(w, scope, l).await;
                Ok(())
            });
        }
    }
    {
        let w = watched.clone();
        tasks.spawn(async move {
            watchers::retry_failing_on_new_keys(w).await;
            Ok(())
        });
    }
    let mut workers = JoinSet::new();
    for _ in 0..flags.workers {
        let (c, q, max) = (ctx.clone(), queue.clone(), flags.max_unseal_retries);
        workers.spawn(crate::workers::worker(c, q, max, leading.clone()));
    }
    readiness.set_ready();

    let lost_lease = async {
        match leader.as_mut() {
            Some(handle) => match handle.await {
                Ok(r) => r,
                Err(e) => Err(Error::Join(e.to_string())),
            },
            None => std::future::pending().await,
        }
    };
    let result = tokio::select! {
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
            Ok(())
        }
        r = lost_lease => {
            leader = None;
            r
        }
        Some(done) = tasks.join_next() => match done {
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) => Ok(()),
            Err(e) => Err(Error::Join(e.to_string())),
        },
    };
    // Stop taking work, let in-flight passes finish their writes (bounded), then hand the Lease
    // over so the next replica does not wait out its duration.
    queue.shut_down();
    if !*leading.borrow() {
        // A follower's workers never started.
        workers.abort_all();
    }
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while workers.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(grace = ?SHUTDOWN_GRACE, "in-flight work did not finish in time");
        workers.abort_all();
    }
    let _ = stop_tx.send(true);
    if let Some(handle) = leader
        && tokio::time::timeout(Duration::from_secs(5), handle)
            .await
            .is_err()
    {
        tracing::warn!("releasing the leader Lease timed out");
    }
    tasks.abort_all();
    result
}

/// How long shutdown waits for in-flight reconciles.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// The leader side of `--leader-elect`: take the Lease, create the first key if there is none,
/// let the leader-only work start, hold the Lease until told to stop (then release it).
/// Returns an error when leadership is lost: the process then exits so that it restarts as a
/// follower with a clean state, as client-go based controllers do.
async fn lead(
    client: Client,
    settings: leader::Settings,
    keys: Arc<KeyStore>,
    cutoff: Option<OffsetDateTime>,
    leading: watch::Sender<bool>,
    mut stop: watch::Receiver<bool>,
) -> Result<(), Error> {
    let mut elector = leader::Elector::new(client, settings);
    tokio::select! {
        _ = elector.acquire() => {}
        _ = stop.wait_for(|s| *s) => return Ok(()),
    }
    if renewal::needs_key_at_start(keys.most_recent_ordering(), cutoff)
        && let Err(e) = keys.generate().await
    {
        elector.release().await;
        return Err(e);
    }
    let _ = leading.send(true);
    if elector.hold(stop).await {
        elector.release().await;
        Ok(())
    } else {
        Err(Error::LostLease)
    }
}
