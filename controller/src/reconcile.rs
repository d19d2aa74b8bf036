//! One pass over one SealedSecret (upstream `unseal` in [controller.go]), carried out: the reads
//! and writes of the Secret, the Events, the metrics and the `Synced` status, each as `logic::plan`
//! decides it.
//!
//! [controller.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/controller.go

use std::sync::Arc;

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_crypto::unseal::{self, UnsealOptions};

use crate::error::{api_code, api_message, is_not_found};
use crate::logic::desired;
use crate::logic::drift::Drift;
use crate::logic::keyring::Snapshot;
pub use crate::logic::outcome::ReconcileError;
use crate::logic::outcome::UnsealFailure;
use crate::logic::plan::{self, Lookup, Read, RepairWrite, Write, WriteMode};
use crate::logic::status::Recorded;
use crate::runtime::cache::{Cached, ObjKey};

mod context;
mod drift_step;
mod report;
mod secret_write;
mod status_update;

pub use context::{Context, Options};
pub use drift_step::drift_paused;
use drift_step::may_repair;
use report::{api_failed, fail, object_ref, record, refusal, report_drift};
use secret_write::{recreate, write_update};
use status_update::write_status;

/// Reconciles `key`. Returns the error that decides about retrying.
pub async fn reconcile(ctx: &Context, key: &ObjKey) -> Result<(), ReconcileError> {
    ctx.metrics.unseal_requests.inc();
    let Some(cached) = ctx.cache.get(key) else {
        ctx.secrets.forget_deletion(key);
        ctx.drift.forget(key);
        if ctx.options.old_gc_behavior {
            let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &key.namespace);
            match api.delete(&key.name, &DeleteParams::default()).await {
                Ok(_) => tracing::info!(key = %key, "deleted Secret of deleted SealedSecret"),
                Err(e) if is_not_found(&e) => {}
                Err(e) => {
                    tracing::warn!(key = %key, error = %api_message(&e), "cannot delete Secret");
                    return Err(ReconcileError::Api(api_message(&e)));
                }
            }
        }
        return Ok(());
    };
    tracing::info!(key = %key, "Updating");
    let meta = cached.metadata().clone();
    let (result, recorded) = match &cached {
        Cached::Valid(ss) => unseal_and_write(ctx, ss.clone()).await,
        Cached::Invalid { error, .. } => {
            tracing::warn!(key = %key, error = %error, "malformed SealedSecret");
            let failure = plan::malformed(error);
            let err = fail(ctx, &object_ref(&meta), &key.namespace, failure);
            (Err(err), Recorded::default())
        }
    };
    match &result {
        Err(e) if e.transient() => {}
        _ => ctx
            .recorder
            .available_again(meta.uid.as_deref().unwrap_or_default()),
    }
    if let Err(e) = &result {
        tracing::warn!(key = %key, error = %e, kind = e.name(), "unseal pass failed");
    }
    let cached_status = match &cached {
        Cached::Valid(ss) => ss.status.clone(),
        Cached::Invalid { .. } => None,
    };
    write_status(ctx, key, &meta, cached_status, &result, recorded).await;
    result
}

/// RSA and template work off the async runtime (so concurrent workers spread it over the
/// cores), within the object's deadline.
async fn decrypt(
    ctx: &Context,
    key: &ObjKey,
    ss: Arc<SealedSecret>,
    snapshot: Arc<Snapshot>,
) -> Result<unseal::Unsealed, UnsealFailure> {
    ctx.metrics.unseal_decryptions.inc();
    let options = UnsealOptions {
        accept_v1_data: ctx.options.accept_v1_data,
    };
    ctx.unsealer.unseal(key, ss, snapshot, options).await
}

/// Steps 5–10 of upstream's `unseal`. Also returns what to record in status: the fingerprints of
/// the keys that opened it and, beyond upstream, the restart digest. An owned Secret at the very
/// version the status vouches for, whose digest matches this spec and still-registered keys, is
/// left alone without decrypting anything (see `digest`).
async fn unseal_and_write(
    ctx: &Context,
    ss: Arc<SealedSecret>,
) -> (Result<(), ReconcileError>, Recorded) {
    let namespace = ss.metadata.namespace.clone().unwrap_or_default();
    let name = ss.metadata.name.clone().unwrap_or_default();
    let oref = object_ref(&ss.metadata);
    let snapshot = ctx.keys.snapshot();
    let accept_v1_data = ctx.options.accept_v1_data;
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);
    let key = ObjKey::of(&ss.metadata);

    let indexed = ctx.secrets.get(&key).map(|entry| entry.to_meta());
    let complete = ctx.secrets.is_complete_for(&namespace);
    let absent = match plan::read(&ss, indexed.as_ref(), complete, &snapshot, accept_v1_data) {
        Read::UpToDate(recorded) => return up_to_date(ctx, &key, recorded),
        Read::Get => false,
        Read::Absent => true,
    };
    let found = if absent {
        None
    } else {
        match api.get_opt(&name).await {
            Ok(found) => found,
            Err(e) => {
                let err = api_failed(ctx, &oref, &namespace, &e, None);
                return (Err(err), Recorded::default());
            }
        }
    };
    let last_knew = ctx.secrets.last_known(&key);
    let found_meta = found.as_ref().map(|s| &s.metadata);
    match plan::after_lookup(&ss, found_meta, &last_knew, &snapshot, accept_v1_data) {
        Lookup::UpToDate(recorded) => return up_to_date(ctx, &key, recorded),
        Lookup::NotRecreated(failure) => {
            return (
                Err(fail(ctx, &oref, &namespace, failure)),
                Recorded::default(),
            );
        }
        Lookup::Unseal => {}
    }

    let unsealed = match decrypt(ctx, &key, ss.clone(), snapshot.clone()).await {
        Ok(u) => u,
        Err(e) => {
            let err = fail(ctx, &oref, &namespace, plan::unseal_failed(e));
            return (Err(err), Recorded::default());
        }
    };
    let (fingerprints, digest_value) =
        plan::unsealed_with(&ss, &snapshot, &unsealed.keys_used, accept_v1_data);
    let fps = Recorded::fingerprints(Some(fingerprints.clone()));
    let mut was_found = found.is_some();

    let existing = match found {
        Some(s) => s,
        None => match api.create(&PostParams::default(), &unsealed.secret).await {
            Ok(s) => s,
            Err(e) if plan::read_after_create(absent, api_code(&e)) => {
                was_found = true;
                match api.get(&name).await {
                    Ok(s) => s,
                    Err(e) => return (Err(api_failed(ctx, &oref, &namespace, &e, None)), fps),
                }
            }
            Err(e) => {
                let err = api_failed(ctx, &oref, &namespace, &e, Some(&unsealed.secret));
                return (Err(err), fps);
            }
        },
    };

    let step = plan::after_unseal(
        &ss,
        &existing,
        &unsealed.secret,
        was_found,
        digest_value.as_deref(),
    );
    let (write_mode, repairing) = match step {
        Write::Fail(failure) => return (Err(fail(ctx, &oref, &namespace, failure)), fps),
        Write::Update(mode) => (mode, None),
        Write::Drifted(drifted) => {
            let found_rv = existing.metadata.resource_version.clone();
            if !may_repair(ctx, &key, &ss, &drifted, found_rv) {
                return (Ok(()), plan::held(&ss, fingerprints, digest_value));
            }
            (WriteMode::Repair, Some(drifted))
        }
    };

    if let Some(drifted) = &repairing
        && plan::repair_write(drifted) == RepairWrite::Recreate
    {
        let written = match recreate(&api, &existing, &unsealed.secret).await {
            Ok(rv) => rv,
            Err(e) => {
                let err = api_failed(ctx, &oref, &namespace, &e, Some(&unsealed.secret));
                return (Err(err), fps);
            }
        };
        return finish(ctx, &ss, fingerprints, digest_value, written, repairing);
    }

    let left_deleted = desired::left_deleted(&existing.metadata);
    let uid = ss.metadata.uid.clone().unwrap_or_default();
    let conflicts = &ctx.metrics.secret_update_conflicts;
    let written = match write_update(
        &api,
        &name,
        &uid,
        existing,
        &unsealed.secret,
        write_mode,
        conflicts,
    )
    .await
    {
        Ok(rv) => rv,
        Err(e) => {
            let failure = plan::update_failed(refusal(&e), left_deleted, &ss, &unsealed.secret);
            return (Err(fail(ctx, &oref, &namespace, failure)), fps);
        }
    };

    finish(ctx, &ss, fingerprints, digest_value, written, repairing)
}

/// The Secret is already what the SealedSecret says: nothing written, its version settled.
fn up_to_date(
    ctx: &Context,
    key: &ObjKey,
    recorded: Recorded,
) -> (Result<(), ReconcileError>, Recorded) {
    tracing::debug!(key = %key, "Secret up to date (digest matches); not unsealing");
    ctx.drift
        .settle(key, recorded.secret_resource_version.clone());
    (Ok(()), recorded)
}

/// The Secret of `ss` was left at `written`: events, metrics, and what status records.
fn finish(
    ctx: &Context,
    ss: &SealedSecret,
    fingerprints: Vec<String>,
    digest_value: Option<String>,
    written: Option<String>,
    repairing: Option<Drift>,
) -> (Result<(), ReconcileError>, Recorded) {
    let key = ObjKey::of(&ss.metadata);
    let oref = object_ref(&ss.metadata);
    if let Some(drifted) = repairing {
        tracing::info!(key = %key, drift = %drifted.describe(), "restored Secret changed outside its SealedSecret");
        report_drift(ctx, &oref, &key, plan::drift_repaired(&key.name, &drifted));
    }
    record(ctx, &oref, &plan::unsealed());
    ctx.drift.settle(&key, written.clone());
    (Ok(()), plan::vouched(fingerprints, digest_value, written))
}
