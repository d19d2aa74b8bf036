//! One pass over one SealedSecret (upstream `unseal` in [controller.go]), carried out: the reads
//! and writes of the Secret, the Events, the metrics and the `Synced` status, each as `logic::plan`
//! decides it.
//!
//! [controller.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/controller.go

use std::sync::Arc;

use k8s_openapi::api::core::v1::{ObjectReference, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, DeleteParams, PostParams};
use kube::{Client, Resource};
use sealwright_crypto::SealedSecret;
use sealwright_crypto::unseal::{self, UnsealOptions};

use crate::error::{api_code, api_message, is_not_found, is_transient};
use crate::http::metrics::Metrics;
use crate::logic::desired;
use crate::logic::drift::{self, Drift};
use crate::logic::keyring::Snapshot;
pub use crate::logic::outcome::ReconcileError;
use crate::logic::outcome::{UnsealFailure, is_immutable_error};
use crate::logic::plan::{self, DriftReport, Failure, Note, WriteMode};
use crate::logic::status::Recorded;
use crate::runtime::cache::{Cache, Cached, ObjKey};
use crate::runtime::drift_guard::{DriftGuard, Pause, Verdict};
use crate::runtime::events::Recorder;
use crate::runtime::keystore::KeyStore;
use crate::runtime::secret_index::LastKnown;
use crate::runtime::unsealer::Unsealer;
use crate::runtime::workqueue::WorkQueue;

#[derive(Debug, Clone, Copy)]
pub struct Options {
    pub update_status: bool,
    pub old_gc_behavior: bool,
    pub accept_v1_data: bool,
    /// `--secret-drift`: what to do about Secrets changed by someone else.
    pub secret_drift: drift::Mode,
}

#[derive(Clone)]
pub struct Context {
    pub client: Client,
    pub keys: Arc<KeyStore>,
    pub metrics: Arc<Metrics>,
    pub recorder: Recorder,
    pub cache: Cache,
    /// Fed by the Secret watch; empty with `--skip-recreate` (then every pass GETs).
    pub secrets: crate::runtime::secret_index::SecretIndex,
    /// Unseals on the blocking pool within a deadline per object.
    pub unsealer: Arc<Unsealer>,
    /// What passes settled on, and the backoff of repairs (see `drift_guard`).
    pub drift: DriftGuard,
    /// The work queue, for passes that must come back later (a paused repair).
    pub queue: Arc<WorkQueue<ObjKey>>,
    pub options: Options,
}

impl std::fmt::Debug for Context {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Context")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

mod secret_write;
mod status_update;

use secret_write::{recreate, write_update};
use status_update::write_status;

fn object_ref(meta: &ObjectMeta) -> ObjectReference {
    ObjectReference {
        api_version: Some(sealwright_crypto::model::API_VERSION.to_string()),
        kind: Some(sealwright_crypto::model::KIND.to_string()),
        name: meta.name.clone(),
        namespace: meta.namespace.clone(),
        uid: meta.uid.clone(),
        resource_version: meta.resource_version.clone(),
        ..Default::default()
    }
}

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

/// Records an Event: once per outage when the API server was away.
fn record(ctx: &Context, oref: &ObjectReference, note: &Note) {
    if note.unavailable {
        ctx.recorder
            .record_unavailable(oref, note.type_, note.reason, &note.message);
    } else {
        ctx.recorder
            .record(oref, note.type_, note.reason, &note.message);
    }
}

/// Reports a failed pass (its Event and counter) and hands back its error.
fn fail(
    ctx: &Context,
    oref: &ObjectReference,
    namespace: &str,
    failure: Failure,
) -> ReconcileError {
    record(ctx, oref, &failure.note);
    ctx.metrics.unseal_error(failure.count, namespace);
    failure.error
}

/// Reports a drifted Secret of `key` (its Event and counter).
fn report_drift(ctx: &Context, oref: &ObjectReference, key: &ObjKey, report: DriftReport) {
    record(ctx, oref, &report.note);
    ctx.metrics.drift(report.action, &key.namespace, &key.name);
}

/// A failed Secret read or write. `written` is the Secret we tried to write (see
/// `plan::api_failed`).
fn api_failed(
    ctx: &Context,
    oref: &ObjectReference,
    namespace: &str,
    e: &kube::Error,
    written: Option<&Secret>,
) -> ReconcileError {
    let failure = plan::api_failed(api_message(e), api_code(e), is_transient(e), written);
    fail(ctx, oref, namespace, failure)
}

fn not_recreated(
    ctx: &Context,
    oref: &ObjectReference,
    namespace: &str,
    name: &str,
) -> ReconcileError {
    tracing::info!(secret = %name, namespace = %namespace, "unowned Secret deleted; not re-creating it");
    fail(ctx, oref, namespace, plan::not_recreated(name))
}

/// Upstream's Secret delete handler never re-creates a Secret that nothing controls and that is
/// not `managed`; a pass finding the Secret gone because such a deletion raced it must not
/// either. The watch tells: it still lists the Secret (the deletion is in
/// flight), or it recorded the deletion for this SealedSecret at this generation. A spec
/// change re-creates the Secret, as a restart does (upstream creates a missing Secret then).
fn deleted_unowned(ctx: &Context, key: &ObjKey, ss: &SealedSecret) -> bool {
    let uid = ss.metadata.uid.as_deref().unwrap_or_default();
    match ctx.secrets.last_known(key) {
        LastKnown::Live(entry) => entry.left_deleted(),
        LastKnown::DeletedUnowned(d) => {
            d.sealed_uid == uid && d.generation == ss.metadata.generation
        }
        LastKnown::Unknown => false,
    }
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
    let uid = ss.meta().uid.clone().unwrap_or_default();
    let snapshot = ctx.keys.snapshot();
    let accept_v1_data = ctx.options.accept_v1_data;
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);

    // The watch's view first: an unchanged object needs no request at all.
    let key = ObjKey::of(&ss.metadata);
    if let Some(entry) = ctx.secrets.get(&key) {
        let meta = entry.to_meta();
        if let Some(recorded) = plan::up_to_date(&ss, &meta, &snapshot, accept_v1_data) {
            tracing::debug!(key = %key, "Secret up to date (digest matches); not unsealing");
            ctx.drift.settle(&key, meta.resource_version.clone());
            return (Ok(()), recorded);
        }
    }
    // A complete index without the Secret saves the GET: the create below finds out if one
    // appeared after all, and then reads it.
    let absent = ctx.secrets.get(&key).is_none() && ctx.secrets.is_complete_for(&namespace);
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
    if found.is_none() && deleted_unowned(ctx, &key, &ss) {
        let err = not_recreated(ctx, &oref, &namespace, &name);
        return (Err(err), Recorded::default());
    }
    if let Some(existing) = &found
        && let Some(recorded) = plan::up_to_date(&ss, &existing.metadata, &snapshot, accept_v1_data)
    {
        tracing::debug!(key = %key, "Secret up to date (digest matches); not unsealing");
        ctx.drift
            .settle(&key, existing.metadata.resource_version.clone());
        return (Ok(()), recorded);
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
            Err(e) if absent && api_code(&e) == Some(409) => {
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

    if !desired::may_update(&existing.metadata, &uid) {
        return (
            Err(fail(ctx, &oref, &namespace, plan::unmanaged(&name))),
            fps,
        );
    }

    let write_mode = plan::write_mode(&ss, was_found, digest_value.as_deref());
    let mut repairing = None;
    if write_mode == WriteMode::Repair
        && let Some(drifted) = plan::drift_of(&existing, &unsealed.secret)
    {
        let found_rv = existing.metadata.resource_version.clone();
        match on_drift(ctx, &key, &ss, &drifted, found_rv) {
            DriftStep::Repair => repairing = Some(drifted),
            DriftStep::Hold => {
                // Status keeps vouching for the version last written, not this one.
                let recorded_rv = ss
                    .status
                    .as_ref()
                    .and_then(|s| s.secret_resource_version.clone());
                return (
                    Ok(()),
                    plan::vouched(fingerprints, digest_value, recorded_rv),
                );
            }
        }
    }

    if repairing.as_ref().is_some_and(|d| d.type_changed) {
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
        Err(e) if is_not_found(&e) && left_deleted => {
            return (Err(not_recreated(ctx, &oref, &namespace, &name)), fps);
        }
        Err(e) if is_immutable_error(&api_message(&e)) => {
            let failure = plan::immutable(&namespace, &name);
            return (Err(fail(ctx, &oref, &namespace, failure)), fps);
        }
        Err(e) => {
            let err = api_failed(ctx, &oref, &namespace, &e, Some(&unsealed.secret));
            return (Err(err), fps);
        }
    };

    finish(ctx, &ss, fingerprints, digest_value, written, repairing)
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

/// What a pass does about a drifted Secret.
enum DriftStep {
    Repair,
    /// Leave it: detect mode, or repairs paused.
    Hold,
}

/// Decides about a drifted Secret by the object's mode and the repair backoff; reports what
/// is not repaired now (a repair is reported once written).
fn on_drift(
    ctx: &Context,
    key: &ObjKey,
    ss: &SealedSecret,
    drifted: &Drift,
    found_rv: Option<String>,
) -> DriftStep {
    match drift::Mode::for_object(&ss.metadata, ctx.options.secret_drift) {
        drift::Mode::Detect => {
            tracing::warn!(key = %key, drift = %drifted.describe(), "Secret changed outside its SealedSecret; left as is (detect mode)");
            let report = plan::drift_detected(&key.name, drifted);
            report_drift(ctx, &object_ref(&ss.metadata), key, report);
            // Reported once per change: the watch ignores this version from now on.
            ctx.drift.settle(key, found_rv);
            DriftStep::Hold
        }
        drift::Mode::Repair => {
            let now = std::time::Instant::now();
            match ctx.drift.try_repair(key, now) {
                Verdict::Repair { .. } => DriftStep::Repair,
                Verdict::Wait { .. } => {
                    if let Pause::Schedule { wait, repairs } = ctx.drift.defer(key, now) {
                        drift_paused(ctx, &ss.metadata, wait, repairs);
                    }
                    DriftStep::Hold
                }
            }
        }
    }
}

/// Repairs of the Secret of `meta` are paused for `wait` after `repairs` in a row: report it
/// (Event and metric) and schedule the pass that ends the pause.
pub fn drift_paused(ctx: &Context, meta: &ObjectMeta, wait: std::time::Duration, repairs: u32) {
    let key = ObjKey::of(meta);
    let secs = wait.as_secs_f64().ceil() as u64;
    tracing::warn!(key = %key, repairs, paused_seconds = secs, "Secret keeps changing outside its SealedSecret; repairs paused");
    let report = plan::drift_paused(&key.name, secs, repairs);
    report_drift(ctx, &object_ref(meta), &key, report);
    ctx.queue.add_after(key, wait);
}

#[cfg(test)]
mod transient_tests {
    use super::*;

    fn status(code: u16) -> kube::Error {
        kube::Error::Api(Box::new(
            kube::core::Status::failure("m", "r").with_code(code),
        ))
    }

    #[test]
    fn api_server_absence_does_not_count_against_retries() {
        let unavailable_if = |e: ReconcileError, k: &kube::Error| e.unavailable_if(is_transient(k));
        let e = unavailable_if(ReconcileError::Api("m".into()), &status(503));
        assert!(e.transient() && e.retry());
        assert_eq!((e.name(), e.to_string().as_str()), ("unavailable", "m"));
        let e = unavailable_if(ReconcileError::Api("m".into()), &status(403));
        assert!(!e.transient() && e.retry());
        let e = unavailable_if(ReconcileError::Malformed("m".into()), &status(503));
        assert!(!e.transient() && !e.retry());
    }
}
