//! One pass over one SealedSecret (spec §5.3): unseal, create or update the Secret, events,
//! metrics, and the `Synced` status.

use std::sync::Arc;

use k8s_openapi::api::core::v1::{ObjectReference, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, PostParams};
use kube::{Client, Resource};
use sealwright_crypto::SealedSecret;
use sealwright_crypto::model::SealedSecretStatus;
use sealwright_crypto::unseal::{self, UnsealOptions};

use crate::error::{api_message, is_not_found};
use crate::http::metrics::{DriftAction, ErrorReason, Metrics};
use crate::logic::desired;
use crate::logic::digest;
use crate::logic::drift::{self, Drift};
use crate::logic::status::{self, Recorded};
use crate::runtime::cache::{Cache, Cached, ObjKey};
use crate::runtime::drift_guard::{DriftGuard, Pause, Verdict};
use crate::runtime::events::{self, EventType, Recorder};
use crate::runtime::keystore::KeyStore;
use crate::runtime::secret_index::LastKnown;
use crate::runtime::unsealer::{UnsealFailure, Unsealer};
use crate::runtime::workqueue::WorkQueue;
use sealwright_crypto::redact;

/// The `app.kubernetes.io/instance` label copied into `condition_info`.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

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

/// Why a pass failed. `Display` is what goes into the status message.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum ReconcileError {
    #[error("{0}")]
    Unseal(#[from] UnsealFailure),
    #[error("{0}")]
    Malformed(String),
    #[error("{0}")]
    Api(String),
    /// An API error that says nothing about the object (see `error::is_transient`).
    #[error("{0}")]
    Unavailable(String),
    #[error("failed update: Resource \"{0}\" already exists and is not managed by SealedSecret")]
    Unmanaged(String),
    #[error("{0}")]
    Immutable(String),
    #[error("Resource \"{0}\" was deleted and is not managed by SealedSecret; not re-creating it")]
    NotRecreated(String),
}

impl ReconcileError {
    pub fn name(&self) -> &'static str {
        match self {
            Self::Unseal(_) => "unseal",
            Self::Malformed(_) => "malformed",
            Self::Api(_) => "api",
            Self::Unavailable(_) => "unavailable",
            Self::Unmanaged(_) => "unmanaged",
            Self::Immutable(_) => "immutable",
            Self::NotRecreated(_) => "not_recreated",
        }
    }

    /// Upstream drops immutable-field errors without retrying; a malformed object cannot get better
    /// by retrying either (its next change re-queues it). Nor can a name taken by a Secret we do not
    /// manage: retrying would only create the Secret once its owner deletes it, which upstream's
    /// re-creation rules say must not happen. The same goes for such a Secret deleted mid-pass.
    pub fn retry(&self) -> bool {
        !matches!(
            self,
            Self::Immutable(_) | Self::Malformed(_) | Self::Unmanaged(_) | Self::NotRecreated(_)
        )
    }

    /// Beyond upstream: the API server was away, not the object at fault. Such failures do not
    /// count against `--max-unseal-retries`, so an API server restart does not leave objects
    /// without their Secret until their next change.
    pub fn transient(&self) -> bool {
        matches!(self, Self::Unavailable(_))
    }

    /// `Unavailable` instead of `Api` when `e` is a transient error.
    fn unavailable_if(self, e: &kube::Error) -> Self {
        match self {
            Self::Api(m) if crate::error::is_transient(e) => Self::Unavailable(m),
            other => other,
        }
    }
}

/// The text upstream puts in the event and status when updating an immutable Secret.
pub fn immutable_message(namespace: &str, name: &str) -> String {
    format!(
        "Error updating {namespace}/{name}: the target Secret is immutable. Once a Secret is marked as immutable, it is not possible to revert this change nor to mutate the contents of the data field. You can only delete and recreate the Secret."
    )
}

/// An update error caused by the Secret being immutable.
pub fn is_immutable_error(message: &str) -> bool {
    message.ends_with("field is immutable when `immutable` is set")
}

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

fn instance_label(meta: &ObjectMeta) -> String {
    meta.labels
        .as_ref()
        .and_then(|l| l.get(INSTANCE_LABEL))
        .cloned()
        .unwrap_or_default()
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
            let message = format!("cannot decode SealedSecret: {error}");
            tracing::warn!(key = %key, error = %error, "malformed SealedSecret");
            ctx.recorder.record(
                &object_ref(&meta),
                EventType::Warning,
                events::REASON_UNSEAL_FAILED,
                &format!("Failed to unseal: {message}"),
            );
            ctx.metrics
                .unseal_error(ErrorReason::Unseal, &key.namespace);
            (Err(ReconcileError::Malformed(message)), Recorded::default())
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

/// A failed pass vouches for no Secret: its digest fields are cleared so the next pass unseals.
fn outcome_of(result: &Result<(), ReconcileError>, recorded: Recorded) -> status::Outcome {
    match result {
        Ok(()) => Ok(recorded),
        Err(e) => Err((e.to_string(), Recorded::fingerprints(recorded.fingerprints))),
    }
}

async fn write_status(
    ctx: &Context,
    key: &ObjKey,
    meta: &ObjectMeta,
    cached_status: Option<SealedSecretStatus>,
    result: &Result<(), ReconcileError>,
    recorded: Recorded,
) {
    if !ctx.options.update_status {
        tracing::debug!(key = %key, "not updating status (--update-status=false)");
        return;
    }
    // The watched copy already says what a GET would: skip the GET when nothing would change.
    if let Some(previous) = &cached_status {
        let change = status::next_status(
            Some(previous),
            meta.generation,
            outcome_of(result, recorded.clone()),
            Time(Timestamp::now()),
        );
        if !change.write {
            let gauge = status::condition_gauge_value(Some(&change.status));
            ctx.metrics
                .set_condition(&key.namespace, &key.name, &instance_label(meta), gauge);
            return;
        }
    }
    // The first try builds on the watched copy (no GET); a conflict means it was stale, and
    // the retries read the stored object first.
    for attempt in 0..3 {
        let base = if attempt == 0 && meta.resource_version.is_some() {
            StatusBase::Watched(cached_status.as_ref())
        } else {
            StatusBase::Stored
        };
        match put_status(ctx, key, meta, base, result, recorded.clone()).await {
            Ok(gauge) => {
                ctx.metrics
                    .set_condition(&key.namespace, &key.name, &instance_label(meta), gauge);
                return;
            }
            Err(e) if attempt < 2 && crate::error::api_code(&e) == Some(409) => continue,
            Err(e) if is_not_found(&e) => return,
            Err(e) => {
                tracing::warn!(key = %key, error = %api_message(&e), "cannot update status");
                ctx.metrics
                    .unseal_error(ErrorReason::Status, &key.namespace);
                return;
            }
        }
    }
}

/// What the next status is computed from.
enum StatusBase<'a> {
    /// The watched copy's status, at the watched resourceVersion: no request, and a 409 if the
    /// object changed since.
    Watched(Option<&'a SealedSecretStatus>),
    /// The stored object, read with a GET.
    Stored,
}

/// Computes the next status from `base` and PUTs it to the status subresource when something
/// changed (the `update` verb, as upstream's RBAC grants; the API server takes only the status
/// from the body). Returns the `condition_info` value.
async fn put_status(
    ctx: &Context,
    key: &ObjKey,
    meta: &ObjectMeta,
    base: StatusBase<'_>,
    result: &Result<(), ReconcileError>,
    recorded: Recorded,
) -> Result<i64, kube::Error> {
    let resource = ApiResource::erase::<SealedSecret>(&());
    let api: Api<DynamicObject> =
        Api::namespaced_with(ctx.client.clone(), &key.namespace, &resource);
    let (mut current, previous) = match base {
        StatusBase::Watched(status) => {
            let object = DynamicObject {
                types: None,
                metadata: ObjectMeta {
                    name: meta.name.clone(),
                    namespace: meta.namespace.clone(),
                    uid: meta.uid.clone(),
                    resource_version: meta.resource_version.clone(),
                    ..ObjectMeta::default()
                },
                data: serde_json::Value::Object(serde_json::Map::new()),
            };
            (object, status.cloned())
        }
        StatusBase::Stored => {
            let current = api.get(&key.name).await?;
            if current.metadata.uid != meta.uid {
                // Deleted and re-created meanwhile: that object gets its own pass.
                return Ok(status::condition_gauge_value(None));
            }
            let previous: Option<SealedSecretStatus> = current
                .data
                .get("status")
                .and_then(|v| serde_json::from_value(v.clone()).ok());
            (current, previous)
        }
    };
    let change = status::next_status(
        previous.as_ref(),
        meta.generation,
        outcome_of(result, recorded),
        Time(Timestamp::now()),
    );
    let gauge = status::condition_gauge_value(Some(&change.status));
    if change.write {
        let status = serde_json::to_value(&change.status).map_err(kube::Error::SerdeError)?;
        if let Some(obj) = current.data.as_object_mut() {
            obj.insert("status".to_string(), status);
        }
        current.types = Some(kube::core::TypeMeta {
            api_version: sealwright_crypto::model::API_VERSION.to_string(),
            kind: sealwright_crypto::model::KIND.to_string(),
        });
        api.replace_status(&key.name, &PostParams::default(), &current)
            .await?;
    }
    Ok(gauge)
}

/// Records a failed Secret read or write. `written` is the Secret we tried to write: an API
/// message quoting one of its values is withheld (see `sealwright_crypto::redact`).
fn update_failed(
    ctx: &Context,
    oref: &ObjectReference,
    namespace: &str,
    e: &kube::Error,
    written: Option<&Secret>,
) -> ReconcileError {
    let mut message = api_message(e);
    let values = written.and_then(|s| s.data.as_ref());
    if let Some(values) = values
        && redact::quotes_any(&message, values.values().map(|v| v.0.as_slice()))
    {
        message = format!(
            "the API server rejected the Secret (HTTP {}); its message is withheld because it quotes Secret data",
            crate::error::api_code(e).unwrap_or_default()
        );
    }
    let err = ReconcileError::Api(message).unavailable_if(e);
    let reason = events::REASON_UPDATE_FAILED;
    let text = err.to_string();
    if err.transient() {
        ctx.recorder
            .record_unavailable(oref, EventType::Warning, reason, &text);
    } else {
        ctx.recorder.record(oref, EventType::Warning, reason, &text);
    }
    ctx.metrics.unseal_error(ErrorReason::Update, namespace);
    err
}

/// The fingerprints in the order an unseal reports them (the snapshot's), so that status does not
/// change between a pass that decrypted and one that skipped.
fn in_key_order(snapshot: &crate::logic::keyring::Snapshot, fps: &[String]) -> Vec<String> {
    snapshot
        .fingerprints
        .iter()
        .filter(|f| fps.contains(f))
        .cloned()
        .collect()
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

fn not_recreated(
    ctx: &Context,
    oref: &ObjectReference,
    namespace: &str,
    name: &str,
) -> ReconcileError {
    let err = ReconcileError::NotRecreated(name.to_string());
    tracing::info!(secret = %name, namespace = %namespace, "unowned Secret deleted; not re-creating it");
    ctx.recorder.record(
        oref,
        EventType::Warning,
        events::REASON_UPDATE_FAILED,
        &err.to_string(),
    );
    ctx.metrics.unseal_error(ErrorReason::Unmanaged, namespace);
    err
}

/// Conflicts (409: the Secret changed between our GET and PUT) retried this often, each time on
/// a fresh GET, before the pass fails and goes back to the queue's backoff.
const CONFLICT_RETRIES: usize = 3;

/// How a pass writes over an existing Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum WriteMode {
    /// What upstream writes (`desired::desired_secret`).
    Update,
    /// A repair of drift: labels and annotations the template does not name are kept.
    Repair,
}

/// Writes the unsealed data over `existing` when it differs; on a conflict, re-reads the Secret
/// (still ours?) and tries again, counting each retried conflict in `conflicts`. Returns the
/// resourceVersion of the Secret as left.
async fn write_update(
    api: &Api<Secret>,
    name: &str,
    uid: &str,
    mut existing: Secret,
    unsealed: &Secret,
    mode: WriteMode,
    conflicts: &prometheus_client::metrics::counter::Counter,
) -> Result<Option<String>, kube::Error> {
    let mut attempt = 0;
    loop {
        let wanted = match mode {
            WriteMode::Update => desired::desired_secret(&existing, unsealed),
            WriteMode::Repair => drift::repair_target(&existing, unsealed),
        };
        if desired::semantically_equal(&wanted, &existing) {
            return Ok(existing.metadata.resource_version);
        }
        match api.replace(name, &PostParams::default(), &wanted).await {
            Ok(written) => return Ok(written.metadata.resource_version),
            Err(e) if crate::error::api_code(&e) == Some(409) && attempt < CONFLICT_RETRIES => {
                attempt += 1;
                conflicts.inc();
                tracing::debug!(secret = %name, attempt, "conflict updating Secret; retrying");
                existing = api.get(name).await?;
                if !desired::may_update(&existing.metadata, uid) {
                    return Err(e);
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// RSA and template work off the async runtime (so concurrent workers spread it over the
/// cores), within the object's deadline.
async fn decrypt(
    ctx: &Context,
    key: &ObjKey,
    ss: Arc<SealedSecret>,
    snapshot: Arc<crate::logic::keyring::Snapshot>,
) -> Result<unseal::Unsealed, UnsealFailure> {
    ctx.metrics.unseal_decryptions.inc();
    let options = UnsealOptions {
        accept_v1_data: ctx.options.accept_v1_data,
    };
    ctx.unsealer.unseal(key, ss, snapshot, options).await
}

/// What a pass that left the Secret at `resource_version` records in status.
fn vouched(
    fps: Vec<String>,
    spec_digest: Option<String>,
    resource_version: Option<String>,
) -> Recorded {
    // Without a version there is nothing to compare on the next pass.
    let (spec_digest, secret_resource_version) = match resource_version {
        Some(rv) => (spec_digest, Some(rv)),
        None => (None, None),
    };
    Recorded {
        fingerprints: Some(fps),
        spec_digest,
        secret_resource_version,
    }
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
    let api: Api<Secret> = Api::namespaced(ctx.client.clone(), &namespace);

    // The watch's view first: an unchanged object needs no request at all.
    let key = ObjKey::of(&ss.metadata);
    let recorded_digest = ss.status.as_ref().and_then(|s| s.spec_digest.clone());
    if let Some(entry) = ctx.secrets.get(&key) {
        let meta = entry.to_meta();
        if let Some(fps) = digest::up_to_date(
            &ss,
            &meta,
            &snapshot.fingerprints,
            ctx.options.accept_v1_data,
        ) {
            tracing::debug!(key = %key, "Secret up to date (digest matches); not unsealing");
            let fps = in_key_order(&snapshot, &fps);
            ctx.drift.settle(&key, meta.resource_version.clone());
            return (Ok(()), vouched(fps, recorded_digest, meta.resource_version));
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
                return (
                    Err(update_failed(ctx, &oref, &namespace, &e, None)),
                    Recorded::default(),
                );
            }
        }
    };
    if found.is_none() && deleted_unowned(ctx, &key, &ss) {
        return (
            Err(not_recreated(ctx, &oref, &namespace, &name)),
            Recorded::default(),
        );
    }
    if let Some(existing) = &found
        && let Some(fps) = digest::up_to_date(
            &ss,
            &existing.metadata,
            &snapshot.fingerprints,
            ctx.options.accept_v1_data,
        )
    {
        tracing::debug!(key = %key, "Secret up to date (digest matches); not unsealing");
        let fps = in_key_order(&snapshot, &fps);
        let rv = existing.metadata.resource_version.clone();
        ctx.drift.settle(&key, rv.clone());
        return (Ok(()), vouched(fps, recorded_digest, rv));
    }

    let unsealed = match decrypt(ctx, &key, ss.clone(), snapshot.clone()).await {
        Ok(u) => u,
        Err(e) => {
            ctx.recorder.record(
                &oref,
                EventType::Warning,
                events::REASON_UNSEAL_FAILED,
                &format!("Failed to unseal: {e}"),
            );
            ctx.metrics.unseal_error(ErrorReason::Unseal, &namespace);
            return (Err(e.into()), Recorded::default());
        }
    };
    let fingerprints: Vec<String> = unsealed
        .keys_used
        .iter()
        .filter_map(|i| snapshot.fingerprints.get(*i).cloned())
        .collect();
    let digest_value = digest::value(&ss, &fingerprints, ctx.options.accept_v1_data);
    let fps = Recorded::fingerprints(Some(fingerprints.clone()));
    let mut was_found = found.is_some();

    let existing = match found {
        Some(s) => s,
        None => match api.create(&PostParams::default(), &unsealed.secret).await {
            Ok(s) => s,
            Err(e) if absent && crate::error::api_code(&e) == Some(409) => {
                was_found = true;
                match api.get(&name).await {
                    Ok(s) => s,
                    Err(e) => {
                        let err = update_failed(ctx, &oref, &namespace, &e, None);
                        return (Err(err), fps);
                    }
                }
            }
            Err(e) => {
                let err = update_failed(ctx, &oref, &namespace, &e, Some(&unsealed.secret));
                return (Err(err), fps);
            }
        },
    };

    if !desired::may_update(&existing.metadata, &uid) {
        let err = ReconcileError::Unmanaged(name.clone());
        let message =
            format!("Resource \"{name}\" already exists and is not managed by SealedSecret");
        ctx.recorder.record(
            &oref,
            EventType::Warning,
            events::REASON_UPDATE_FAILED,
            &message,
        );
        ctx.metrics.unseal_error(ErrorReason::Unmanaged, &namespace);
        return (Err(err), fps);
    }

    // The SealedSecret and its keys are what the last good pass wrote from: a difference in the
    // Secret now is someone else's change.
    let recorded_rv = ss
        .status
        .as_ref()
        .and_then(|s| s.secret_resource_version.clone());
    let mut write_mode = WriteMode::Update;
    let mut repairing = None;
    if was_found
        && recorded_rv.is_some()
        && digest_value.is_some()
        && digest_value == recorded_digest
    {
        write_mode = WriteMode::Repair;
        let drifted = drift::diff(
            &existing,
            &drift::repair_target(&existing, &unsealed.secret),
        );
        if !drifted.is_empty() {
            let found_rv = existing.metadata.resource_version.clone();
            match on_drift(ctx, &key, &ss, &drifted, found_rv) {
                DriftStep::Repair => repairing = Some(drifted),
                DriftStep::Hold => {
                    // Status keeps vouching for the version last written, not this one.
                    return (Ok(()), vouched(fingerprints, digest_value, recorded_rv));
                }
            }
        }
    }

    if repairing.as_ref().is_some_and(|d| d.type_changed) {
        let written = match recreate(&api, &existing, &unsealed.secret).await {
            Ok(rv) => rv,
            Err(e) => {
                let err = update_failed(ctx, &oref, &namespace, &e, Some(&unsealed.secret));
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
        Err(e) => {
            let message = api_message(&e);
            if is_immutable_error(&message) {
                let message = immutable_message(&namespace, &name);
                ctx.recorder.record(
                    &oref,
                    EventType::Warning,
                    events::REASON_UPDATE_FAILED,
                    &message,
                );
                ctx.metrics.unseal_error(ErrorReason::Update, &namespace);
                return (Err(ReconcileError::Immutable(message)), fps);
            }
            let err = update_failed(ctx, &oref, &namespace, &e, Some(&unsealed.secret));
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
    let (namespace, name) = (&key.namespace, &key.name);
    let oref = object_ref(&ss.metadata);
    if let Some(drifted) = repairing {
        tracing::info!(key = %key, drift = %drifted.describe(), "restored Secret changed outside its SealedSecret");
        ctx.recorder.record(
            &oref,
            EventType::Warning,
            events::REASON_SECRET_DRIFTED,
            &drift_message(name, &drifted, "restored"),
        );
        ctx.metrics.drift(DriftAction::Repaired, namespace, name);
    }
    ctx.recorder.record(
        &oref,
        EventType::Normal,
        events::REASON_UNSEALED,
        events::MESSAGE_UNSEALED,
    );
    ctx.drift.settle(&key, written.clone());
    (Ok(()), vouched(fingerprints, digest_value, written))
}

/// The API server refuses to change a Secret's `type`: a Secret whose type drifted is deleted
/// (only that very version, by precondition) and created again as the SealedSecret says.
async fn recreate(
    api: &Api<Secret>,
    existing: &Secret,
    unsealed: &Secret,
) -> Result<Option<String>, kube::Error> {
    let target = drift::repair_target(existing, unsealed);
    let name = existing.metadata.name.clone().unwrap_or_default();
    let fresh = Secret {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            namespace: existing.metadata.namespace.clone(),
            labels: target.metadata.labels,
            annotations: target.metadata.annotations,
            owner_references: target.metadata.owner_references,
            ..Default::default()
        },
        ..target
    };
    let only_this = DeleteParams {
        preconditions: Some(kube::api::Preconditions {
            uid: existing.metadata.uid.clone(),
            resource_version: existing.metadata.resource_version.clone(),
        }),
        ..Default::default()
    };
    match api.delete(&name, &only_this).await {
        Ok(_) => {}
        Err(e) if is_not_found(&e) => {}
        Err(e) => return Err(e),
    }
    let created = api.create(&PostParams::default(), &fresh).await?;
    Ok(created.metadata.resource_version)
}

/// What a pass does about a drifted Secret.
enum DriftStep {
    Repair,
    /// Leave it: detect mode, or repairs paused.
    Hold,
}

/// The SecretDrifted Event text: names only, never a value (the same drift gives the same text,
/// so the recorder folds repeats into one Event's count).
fn drift_message(name: &str, drifted: &Drift, outcome: &str) -> String {
    format!(
        "Secret {name} was changed outside its SealedSecret ({}); {outcome}",
        drifted.describe()
    )
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
    let name = &key.name;
    match drift::Mode::for_object(&ss.metadata, ctx.options.secret_drift) {
        drift::Mode::Detect => {
            tracing::warn!(key = %key, drift = %drifted.describe(), "Secret changed outside its SealedSecret; left as is (detect mode)");
            ctx.recorder.record(
                &object_ref(&ss.metadata),
                EventType::Warning,
                events::REASON_SECRET_DRIFTED,
                &drift_message(name, drifted, "left as is (detect mode)"),
            );
            ctx.metrics
                .drift(DriftAction::Detected, &key.namespace, name);
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
    ctx.recorder.record(
        &object_ref(meta),
        EventType::Warning,
        events::REASON_SECRET_DRIFT_BACKOFF,
        &format!(
            "Secret {} keeps being changed outside its SealedSecret ({repairs} repairs in a row); repairs paused for {secs}s",
            key.name
        ),
    );
    ctx.metrics
        .drift(DriftAction::Paused, &key.namespace, &key.name);
    ctx.queue.add_after(key, wait);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_match_upstream() {
        assert_eq!(
            ReconcileError::Unmanaged("foo".into()).to_string(),
            "failed update: Resource \"foo\" already exists and is not managed by SealedSecret"
        );
        assert!(
            immutable_message("ns", "s")
                .starts_with("Error updating ns/s: the target Secret is immutable.")
        );
        assert!(is_immutable_error(
            "Secret \"s\" is invalid: data: Forbidden: field is immutable when `immutable` is set"
        ));
        assert!(!ReconcileError::Immutable(String::new()).retry());
        assert!(!ReconcileError::NotRecreated(String::new()).retry());
        assert_eq!(
            ReconcileError::NotRecreated("foo".into()).to_string(),
            "Resource \"foo\" was deleted and is not managed by SealedSecret; not re-creating it"
        );
        assert!(ReconcileError::Api(String::new()).retry());
    }
}

/// `write_update` against a fake API server that answers like a real one: a PUT whose
/// resourceVersion is not the stored one gets 409, and "another writer" bumps the stored version
/// before each of the first `conflicts` PUTs.
#[cfg(test)]
mod conflict_tests {
    use std::collections::BTreeMap;
    use std::future::Future;
    use std::pin::Pin;
    use std::sync::{Arc, Mutex};
    use std::task::Poll;

    use axum::http::{Request, Response, StatusCode};
    use k8s_openapi::ByteString;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
    use kube::client::Body;
    use prometheus_client::metrics::counter::Counter;
    use sealwright_crypto::model::MANAGED_ANNOTATION;

    use super::*;

    #[derive(Debug, Default)]
    struct State {
        stored: Secret,
        version: u64,
        /// PUTs still to be beaten by another writer.
        conflicts: usize,
        /// The other writer also takes the Secret away from us.
        disown: bool,
        puts: usize,
        gets: usize,
    }

    #[derive(Debug, Clone)]
    struct FakeApiServer(Arc<Mutex<State>>);

    type Reply = Response<Body>;

    fn json(code: StatusCode, value: &impl serde::Serialize) -> Reply {
        let body = serde_json::to_vec(value).unwrap_or_default();
        let mut r = Response::new(Body::from(body));
        *r.status_mut() = code;
        r
    }

    fn conflict() -> Reply {
        json(
            StatusCode::CONFLICT,
            &serde_json::json!({
                "kind": "Status", "apiVersion": "v1", "status": "Failure",
                "message": "Operation cannot be fulfilled on secrets \"s\": the object has been modified",
                "reason": "Conflict", "code": 409,
            }),
        )
    }

    impl FakeApiServer {
        fn handle(&self, method: &str, body: &[u8]) -> Reply {
            let mut s = self.0.lock().unwrap_or_else(|e| e.into_inner());
            if method == "GET" {
                s.gets += 1;
                return json(StatusCode::OK, &s.stored);
            }
            s.puts += 1;
            if s.conflicts > 0 {
                s.conflicts -= 1;
                s.version += 1;
                let version = s.version.to_string();
                s.stored.metadata.resource_version = Some(version);
                if s.disown {
                    s.stored.metadata.annotations = None;
                }
            }
            let Ok(sent) = serde_json::from_slice::<Secret>(body) else {
                return json(StatusCode::BAD_REQUEST, &"not a Secret");
            };
            if sent.metadata.resource_version != s.stored.metadata.resource_version {
                return conflict();
            }
            s.version += 1;
            s.stored = sent;
            s.stored.metadata.resource_version = Some(s.version.to_string());
            json(StatusCode::OK, &s.stored)
        }
    }

    impl tower::Service<Request<Body>> for FakeApiServer {
        type Response = Reply;
        type Error = std::convert::Infallible;
        type Future = Pin<Box<dyn Future<Output = Result<Reply, Self::Error>> + Send>>;

        fn poll_ready(&mut self, _: &mut std::task::Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, req: Request<Body>) -> Self::Future {
            let this = self.clone();
            Box::pin(async move {
                let method = req.method().as_str().to_string();
                let body = req.into_body().collect_bytes().await.unwrap_or_default();
                Ok(this.handle(&method, &body))
            })
        }
    }

    fn data(v: &str) -> Option<BTreeMap<String, ByteString>> {
        Some([("v".to_string(), ByteString(v.as_bytes().to_vec()))].into())
    }

    /// A `managed` Secret at version 1 and the unsealed Secret that should replace it.
    fn setup(conflicts: usize, disown: bool) -> (FakeApiServer, Api<Secret>, Secret, Secret) {
        let existing = Secret {
            metadata: ObjectMeta {
                name: Some("s".into()),
                namespace: Some("ns".into()),
                resource_version: Some("1".into()),
                annotations: Some([(MANAGED_ANNOTATION.to_string(), "true".to_string())].into()),
                ..Default::default()
            },
            data: data("old"),
            ..Default::default()
        };
        let unsealed = Secret {
            metadata: ObjectMeta {
                name: Some("s".into()),
                namespace: Some("ns".into()),
                owner_references: Some(vec![OwnerReference {
                    api_version: "bitnami.com/v1alpha1".into(),
                    kind: "SealedSecret".into(),
                    name: "s".into(),
                    uid: "ss-uid".into(),
                    controller: Some(true),
                    ..Default::default()
                }]),
                ..Default::default()
            },
            data: data("new"),
            ..Default::default()
        };
        let fake = FakeApiServer(Arc::new(Mutex::new(State {
            stored: existing.clone(),
            version: 1,
            conflicts,
            disown,
            ..Default::default()
        })));
        let api = Api::namespaced(Client::new(fake.clone(), "ns"), "ns");
        (fake, api, existing, unsealed)
    }

    fn state(fake: &FakeApiServer) -> std::sync::MutexGuard<'_, State> {
        fake.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    #[tokio::test]
    async fn conflicts_are_retried_on_a_fresh_read() {
        let (fake, api, existing, unsealed) = setup(CONFLICT_RETRIES, false);
        let conflicts = Counter::default();
        let rv = write_update(
            &api,
            "s",
            "ss-uid",
            existing,
            &unsealed,
            WriteMode::Update,
            &conflicts,
        )
        .await;
        let s = state(&fake);
        assert_eq!(rv.ok().flatten(), s.stored.metadata.resource_version);
        assert_eq!(s.stored.data, data("new"));
        assert_eq!(conflicts.get(), CONFLICT_RETRIES as u64);
        assert_eq!((s.puts, s.gets), (CONFLICT_RETRIES + 1, CONFLICT_RETRIES));
    }

    #[tokio::test]
    async fn too_many_conflicts_fail_the_pass() {
        let (fake, api, existing, unsealed) = setup(CONFLICT_RETRIES + 1, false);
        let conflicts = Counter::default();
        let result = write_update(
            &api,
            "s",
            "ss-uid",
            existing,
            &unsealed,
            WriteMode::Update,
            &conflicts,
        )
        .await;
        let code = result.err().and_then(|e| crate::error::api_code(&e));
        assert_eq!(code, Some(409));
        assert_eq!(conflicts.get(), CONFLICT_RETRIES as u64);
        assert_eq!(state(&fake).stored.data, data("old"));
    }

    #[tokio::test]
    async fn a_secret_taken_away_meanwhile_is_left_alone() {
        let (fake, api, existing, unsealed) = setup(1, true);
        let conflicts = Counter::default();
        let result = write_update(
            &api,
            "s",
            "ss-uid",
            existing,
            &unsealed,
            WriteMode::Update,
            &conflicts,
        )
        .await;
        let code = result.err().and_then(|e| crate::error::api_code(&e));
        assert_eq!(code, Some(409));
        let s = state(&fake);
        assert_eq!((s.puts, s.gets), (1, 1));
        assert_eq!(s.stored.data, data("old"));
    }
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
        let e = ReconcileError::Api("m".into()).unavailable_if(&status(503));
        assert!(e.transient() && e.retry());
        assert_eq!((e.name(), e.to_string().as_str()), ("unavailable", "m"));
        let e = ReconcileError::Api("m".into()).unavailable_if(&status(403));
        assert!(!e.transient() && e.retry());
        let e = ReconcileError::Malformed("m".into()).unavailable_if(&status(503));
        assert!(!e.transient() && !e.retry());
    }
}
