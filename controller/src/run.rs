//! Startup (spec §5.1) and the long-running tasks.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use k8s_openapi::api::core::v1::Namespace;
use kube::api::Api;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use sealwright_crypto::keys;
use time::OffsetDateTime;
use tokio::signal::unix::{SignalKind, signal};
use tokio::task::JoinSet;

use crate::api::{self, ApiState};
use crate::cache::Cache;
use crate::controller::{self, Scope};
use crate::error::{Error, is_not_found};
use crate::events::Recorder;
use crate::flags::{self, Flags};
use crate::keystore::{KeyParams, KeyStore};
use crate::metrics::Metrics;
use crate::ratelimit::Gcra;
use crate::reconcile::{Context, Options};
use crate::workqueue::WorkQueue;
use crate::{namespace, renewal};

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
    Client::try_from(config).map_err(Error::Kube)
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

/// The namespaces to watch (step 7): all, or the controller's plus the additional ones that exist.
async fn scopes(client: &Client, flags: &Flags, my_ns: &str) -> Result<Vec<Scope>, Error> {
    let additional = flags.additional_namespaces();
    if flags.all_namespaces && additional.is_empty() {
        return Ok(vec![Scope::All]);
    }
    let mut out = vec![Scope::Namespace(my_ns.to_string())];
    let api: Api<Namespace> = Api::all(client.clone());
    for ns in additional {
        if ns == my_ns {
            continue;
        }
        match api.get(&ns).await {
            Ok(_) => out.push(Scope::Namespace(ns)),
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

/// Renewal timer and SIGUSR1 (spec §4.4). Any renewal restarts the period.
async fn renew_keys(keys: Arc<KeyStore>, period: std::time::Duration) {
    let mut usr1 = match signal(SignalKind::user_defined1()) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!(error = %e, "cannot listen for SIGUSR1");
            None
        }
    };
    let mut delay = renewal::first_delay(
        period,
        keys.most_recent_ordering(),
        OffsetDateTime::now_utc(),
    );
    loop {
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
        }
        if let Err(e) = keys.generate().await {
            tracing::error!(error = %e, kind = e.name(), "key renewal failed; the previous key stays in use");
        }
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
                        configmap = crate::keystore::CERT_CONFIGMAP,
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

async fn serve(addr: String, router: axum::Router) -> Result<(), Error> {
    let listen = api::listen_address(&addr);
    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|source| Error::Listen {
            addr: addr.clone(),
            source,
        })?;
    tracing::info!(addr = %addr, "HTTP server listening");
    axum::serve(listener, router)
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

    flags::validate_key_prefix(&flags.key_prefix)?;
    let (order, valid) = flags.key_order();
    if !valid {
        tracing::error!(value = %flags.key_order_priority, "invalid --key-order-priority; using CertNotBefore");
    }
    let cutoff = renewal::parse_cutoff(&flags.key_cutoff_time)?;
    let params = key_params(&flags)?;
    if flags.leader_elect {
        tracing::warn!("--leader-elect is not supported yet; run a single replica");
    }

    let client = client(&flags).await?;
    let my_ns = namespace::current();
    tracing::info!(namespace = %my_ns, "controller namespace");

    let keys = KeyStore::new(client.clone(), my_ns.clone(), order, params);
    keys.load().await?;
    if renewal::needs_key_at_start(keys.most_recent_ordering(), cutoff) {
        keys.generate().await?;
    }

    let mut tasks: JoinSet<Result<(), Error>> = JoinSet::new();
    {
        let keys = keys.clone();
        let period = flags.key_renew_period;
        tasks.spawn(async move {
            renew_keys(keys, period).await;
            Ok(())
        });
    }
    {
        let keys = keys.clone();
        tasks.spawn(async move {
            publish_cert(keys).await;
            Ok(())
        });
    }
    {
        let (client, keys) = (client.clone(), keys.clone());
        tasks.spawn(async move {
            controller::watch_key_secrets(client, keys).await;
            Ok(())
        });
    }

    let scopes = scopes(&client, &flags, &my_ns).await?;
    let queue = WorkQueue::new();
    let ctx = Context {
        client: client.clone(),
        keys: keys.clone(),
        metrics: metrics.clone(),
        recorder: Recorder::new(client.clone()),
        cache: Cache::default(),
        options: Options {
            update_status: flags.update_status,
            old_gc_behavior: flags.old_gc_behavior,
            accept_v1_data: flags.accept_deprecated_v1_data,
        },
    };
    for scope in scopes {
        tracing::info!(scope = ?scope, "watching SealedSecrets");
        let (c, q, s, l) = (
            ctx.clone(),
            queue.clone(),
            scope.clone(),
            flags.label_selector.clone(),
        );
        tasks.spawn(async move {
            controller::watch_sealed_secrets(c, q, s, l).await;
            Ok(())
        });
        if !flags.skip_recreate {
            let (c, q, l) = (ctx.clone(), queue.clone(), flags.label_selector.clone());
            tasks.spawn(async move {
                controller::watch_secret_deletions(c, q, scope, l).await;
                Ok(())
            });
        }
    }
    {
        let (c, q) = (ctx.clone(), queue.clone());
        tasks.spawn(async move {
            controller::retry_failing_on_new_keys(c, q).await;
            Ok(())
        });
    }
    for _ in 0..flags.workers {
        let (c, q, max) = (ctx.clone(), queue.clone(), flags.max_unseal_retries);
        tasks.spawn(async move {
            controller::worker(c, q, max).await;
            Ok(())
        });
    }

    let state = Arc::new(ApiState {
        keys: keys.clone(),
        metrics: metrics.clone(),
        limiter: Mutex::new(Gcra::new(flags.rate_limit, flags.rate_limit_burst)),
        epoch: Instant::now(),
        accept_v1_data: flags.accept_deprecated_v1_data,
    });
    // Go's ReadTimeout + WriteTimeout, as one bound per request.
    let deadline = flags.read_timeout.saturating_add(flags.write_timeout);
    tasks.spawn(serve(
        flags.listen_addr.clone(),
        api::with_deadline(api::router(state), deadline),
    ));
    tasks.spawn(serve(
        flags.listen_metrics_addr.clone(),
        api::with_deadline(api::metrics_router(metrics.clone()), deadline),
    ));

    let result = tokio::select! {
        _ = shutdown_signal() => {
            tracing::info!("shutting down");
            Ok(())
        }
        Some(done) = tasks.join_next() => match done {
            Ok(Err(e)) => Err(e),
            Ok(Ok(())) => Ok(()),
            Err(e) => Err(Error::Join(e.to_string())),
        },
    };
    queue.shut_down();
    tasks.abort_all();
    result
}
