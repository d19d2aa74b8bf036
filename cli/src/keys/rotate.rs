//! `kubeseal keys rotate`: a new sealing key, written as a key Secret with the caller's own
//! RBAC (no controller endpoint). A controller that watches key Secrets (ours) seals with it at
//! once; this checks that through the controller's `/v1/cert.pem`.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, PostParams};
use sealwright_crypto::{cert, keys};
use time::OffsetDateTime;

use super::cluster;
use super::error::KeysError;
use super::inventory::KeyEntry;
use super::list::rfc3339;
use crate::args::keys::RotateArgs;
use crate::proxy::Controller;

/// How far in the future a new key's NotBefore may be pushed (then we wait for it instead).
const MAX_WAIT_FOR_NOT_BEFORE: time::Duration = time::Duration::seconds(5);

pub async fn run(
    client: &Client,
    controller: &Controller,
    args: &RotateArgs,
) -> Result<(), KeysError> {
    let ttl = crate::kubeconfig::parse_timeout(&args.key_ttl)
        .map_err(|_| bad_flag("key-ttl", format!("invalid duration {:?}", args.key_ttl)))?
        .ok_or_else(|| bad_flag("key-ttl", "must be positive".into()))?;
    let ttl =
        time::Duration::try_from(ttl).map_err(|_| bad_flag("key-ttl", "too long".to_string()))?;
    let namespace = controller.namespace.as_str();
    let existing = cluster::keys(client, namespace).await?;

    eprintln!("generating a {}-bit RSA key...", args.key_size);
    let key = keys::generate(args.key_size).map_err(|e| KeysError::Generate(e.to_string()))?;
    let not_before = not_before_after(&existing, OffsetDateTime::now_utc())?;
    let wait = not_before - OffsetDateTime::now_utc();
    if wait.is_positive() {
        tokio::time::sleep(Duration::try_from(wait).unwrap_or_default()).await;
    }
    let cert_pem = cert::self_signed(&key, &args.my_cn, not_before, ttl)
        .map_err(|e| KeysError::Generate(e.to_string()))?;
    let secret = keys::to_secret(
        &key,
        &cert_pem,
        namespace,
        &args.key_prefix,
        &BTreeMap::new(),
        &BTreeMap::new(),
    );
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    let created = api
        .create(&PostParams::default(), &secret)
        .await
        .map_err(|e| {
            KeysError::kube(format!("create a key Secret in namespace {namespace}"), &e)
        })?;
    let made = keys::from_secret(&created).map_err(|e| KeysError::Generate(e.to_string()))?;
    crate::outln!(
        "created Secret {namespace}/{}",
        created.metadata.name.as_deref().unwrap_or_default()
    );
    crate::outln!("fingerprint: {}", made.fingerprint);
    crate::outln!("expires: {}", rfc3339(made.cert.not_after));

    let wait = crate::kubeconfig::parse_timeout(&args.wait)
        .map_err(|_| bad_flag("wait", format!("invalid duration {:?}", args.wait)))?;
    if let Some(wait) = wait {
        confirm(client, controller, &made.fingerprint, wait).await;
    }
    Ok(())
}

fn bad_flag(flag: &'static str, reason: String) -> KeysError {
    KeysError::BadFlag { flag, reason }
}

/// The NotBefore for a new key so that the controller takes it as the newest: the controller
/// switches only to a strictly later NotBefore, and orders a key it generated itself by the
/// moment it wrote it (just after the Secret's creationTimestamp, which has whole seconds).
pub fn not_before_after(
    existing: &[KeyEntry],
    now: OffsetDateTime,
) -> Result<OffsetDateTime, KeysError> {
    let now = now.replace_nanosecond(0).unwrap_or(now);
    let mut at = now;
    let mut blocker: Option<&KeyEntry> = None;
    for e in existing {
        let mut floor = e.not_before() + time::Duration::SECOND;
        if let Some(created) = e.key.created {
            floor = floor.max(created + time::Duration::seconds(2));
        }
        if floor > at {
            at = floor;
            blocker = Some(e);
        }
    }
    match blocker {
        Some(e) if at - now > MAX_WAIT_FOR_NOT_BEFORE => Err(KeysError::FutureKey {
            name: e.secret_name.clone(),
            fingerprint: e.fingerprint().to_string(),
            not_before: rfc3339(e.not_before()),
        }),
        _ => Ok(at),
    }
}

/// Waits until the controller serves the new certificate, or says why it may not.
async fn confirm(client: &Client, controller: &Controller, fingerprint: &str, wait: Duration) {
    let deadline = Instant::now() + wait;
    loop {
        let (last, hopeless) = match served_fingerprint(client, controller).await {
            Ok(fp) if fp == fingerprint => {
                crate::outln!(
                    "the controller {}/{} now seals with the new key",
                    controller.namespace,
                    controller.name
                );
                return;
            }
            Ok(fp) => (format!("it still serves the certificate of {fp}"), false),
            Err(Unreachable { reason, hopeless }) => {
                (format!("cannot ask it ({reason})"), hopeless)
            }
        };
        if hopeless {
            eprintln!(
                "warning: cannot check which key the controller {}/{} seals with: {last}. A controller started there will seal with the new key",
                controller.namespace, controller.name
            );
            return;
        }
        if Instant::now() >= deadline {
            eprintln!(
                "warning: the controller {}/{} does not seal with the new key yet: {last}. A controller that reads keys only at start (upstream's without --watch-for-secrets) needs a restart",
                controller.namespace, controller.name
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Why the controller's certificate could not be read; `hopeless` when waiting cannot help
/// (no such Service).
struct Unreachable {
    reason: String,
    hopeless: bool,
}

async fn served_fingerprint(
    client: &Client,
    controller: &Controller,
) -> Result<String, Unreachable> {
    let transient = |reason: String| Unreachable {
        reason,
        hopeless: false,
    };
    let service = controller
        .service_request()
        .map_err(|e| transient(e.to_string()))?;
    let service = client
        .request_text(service)
        .await
        .map_err(|e| Unreachable {
            reason: crate::proxy::describe(&e),
            hopeless: crate::proxy::status_code(&e) == Some(404),
        })?;
    let port = crate::proxy::first_port_name(&service).map_err(|e| transient(e.to_string()))?;
    let req = controller
        .cert_request(&port)
        .map_err(|e| transient(e.to_string()))?;
    let pem = client
        .request_text(req)
        .await
        .map_err(|e| transient(crate::proxy::describe(&e)))?;
    cert::parse_pem(pem.as_bytes())
        .map(|c| c.fingerprint())
        .map_err(|e| transient(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::super::inventory::tests::{entries, key_secret};
    use super::*;
    use time::macros::datetime;

    #[test]
    fn new_key_is_strictly_newest() {
        let now = datetime!(2026-01-01 12:00:00.7 UTC);
        // Old keys: nothing to wait for.
        let old = entries(&[key_secret(
            0,
            "a",
            datetime!(2025-01-01 0:00 UTC),
            datetime!(2025-01-01 0:00 UTC),
        )]);
        assert_eq!(
            not_before_after(&old, now).ok(),
            Some(datetime!(2026-01-01 12:00:00 UTC))
        );
        // A key the controller just made (same second): two seconds after its creation.
        let fresh = entries(&[key_secret(
            0,
            "a",
            datetime!(2026-01-01 11:59:59 UTC),
            datetime!(2026-01-01 12:00:00 UTC),
        )]);
        assert_eq!(
            not_before_after(&fresh, now).ok(),
            Some(datetime!(2026-01-01 12:00:02 UTC))
        );
        // A key dated far in the future: refused, naming it.
        let future = entries(&[key_secret(
            0,
            "ahead",
            datetime!(2027-01-01 0:00 UTC),
            datetime!(2026-01-01 0:00 UTC),
        )]);
        let err = not_before_after(&future, now)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.starts_with("key ahead (SHA256:"), "{err}");
    }
}
