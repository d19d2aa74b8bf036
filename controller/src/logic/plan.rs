//! The decisions of one pass over a SealedSecret (upstream `unseal` in [controller.go]), apart from
//! the requests that carry them out: whether the Secret is already up to date, what to write over
//! it, and for each way a pass ends, which Event it records, which counter it bumps and what status
//! records. `reconcile` reads and writes; everything it decides on comes from here.
//!
//! [controller.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/controller/controller.go

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sealwright_crypto::SealedSecret;
use sealwright_crypto::redact;

use crate::logic::desired;
use crate::logic::digest;
use crate::logic::drift::{self, Drift};
use crate::logic::keyring::Snapshot;
use crate::logic::outcome::{
    DriftAction, ErrorReason, EventType, MESSAGE_UNSEALED, REASON_SECRET_DRIFT_BACKOFF,
    REASON_SECRET_DRIFTED, REASON_UNSEAL_FAILED, REASON_UNSEALED, REASON_UPDATE_FAILED,
    ReconcileError, UnsealFailure, immutable_message,
};
use crate::logic::status::{self, Recorded};

/// The `app.kubernetes.io/instance` label copied into `condition_info`.
pub const INSTANCE_LABEL: &str = "app.kubernetes.io/instance";

/// The `ss_app_kubernetes_io_instance` value of `condition_info` for an object.
pub fn instance_label(meta: &ObjectMeta) -> String {
    meta.labels
        .as_ref()
        .and_then(|l| l.get(INSTANCE_LABEL))
        .cloned()
        .unwrap_or_default()
}

/// An Event to record on the SealedSecret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub type_: EventType,
    pub reason: &'static str,
    pub message: String,
    /// The API server was away: recorded once per outage, not once per retry.
    pub unavailable: bool,
}

impl Note {
    fn warning(reason: &'static str, message: String) -> Self {
        Self {
            type_: EventType::Warning,
            reason,
            message,
            unavailable: false,
        }
    }
}

/// A pass that fails: the error (status message, retry), its Event and the `reason` it is
/// counted under in `unseal_errors`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub error: ReconcileError,
    pub note: Note,
    pub count: ErrorReason,
}

/// An object the watch could not decode.
pub fn malformed(error: &str) -> Failure {
    let message = format!("cannot decode SealedSecret: {error}");
    Failure {
        note: Note::warning(REASON_UNSEAL_FAILED, format!("Failed to unseal: {message}")),
        error: ReconcileError::Malformed(message),
        count: ErrorReason::Unseal,
    }
}

/// Decryption or a template failed, or the unsealer gave up.
pub fn unseal_failed(e: UnsealFailure) -> Failure {
    Failure {
        note: Note::warning(REASON_UNSEAL_FAILED, format!("Failed to unseal: {e}")),
        error: e.into(),
        count: ErrorReason::Unseal,
    }
}

/// A Secret read or write the API server refused. `written` is
/// the Secret we tried to write: a message quoting one of its values is withheld (see
/// `sealwright_crypto::redact`).
pub fn api_failed(refusal: Refusal, written: Option<&Secret>) -> Failure {
    let Refusal {
        message,
        code,
        transient,
    } = refusal;
    let values = written.and_then(|s| s.data.as_ref());
    let quoted = values.is_some_and(|values| {
        redact::quotes_any(&message, values.values().map(|v| v.0.as_slice()))
    });
    let message = if quoted {
        format!(
            "the API server rejected the Secret (HTTP {}); its message is withheld because it quotes Secret data",
            code.unwrap_or_default()
        )
    } else {
        message
    };
    let error = ReconcileError::Api(message).unavailable_if(transient);
    let mut note = Note::warning(REASON_UPDATE_FAILED, error.to_string());
    note.unavailable = error.transient();
    Failure {
        error,
        note,
        count: ErrorReason::Update,
    }
}

/// The Secret is gone and upstream's rules say not to create it again (see
/// `LastKnown::deleted_unowned`).
pub fn not_recreated(name: &str) -> Failure {
    let error = ReconcileError::NotRecreated(name.to_string());
    Failure {
        note: Note::warning(REASON_UPDATE_FAILED, error.to_string()),
        error,
        count: ErrorReason::Unmanaged,
    }
}

/// The name is taken by a Secret this SealedSecret does not manage.
pub fn unmanaged(name: &str) -> Failure {
    Failure {
        note: Note::warning(
            REASON_UPDATE_FAILED,
            format!("Resource \"{name}\" already exists and is not managed by SealedSecret"),
        ),
        error: ReconcileError::Unmanaged(name.to_string()),
        count: ErrorReason::Unmanaged,
    }
}

/// The Secret is immutable and its data differs.
pub fn immutable(namespace: &str, name: &str) -> Failure {
    let message = immutable_message(namespace, name);
    Failure {
        note: Note::warning(REASON_UPDATE_FAILED, message.clone()),
        error: ReconcileError::Immutable(message),
        count: ErrorReason::Update,
    }
}

/// The Event of a pass that left the Secret as the SealedSecret says.
pub fn unsealed() -> Note {
    Note {
        type_: EventType::Normal,
        reason: REASON_UNSEALED,
        message: MESSAGE_UNSEALED.to_string(),
        unavailable: false,
    }
}

/// A drifted Secret, reported: the Event and the `action` it is counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DriftReport {
    pub note: Note,
    pub action: DriftAction,
}

/// The SecretDrifted Event text: names only, never a value (the same drift gives the same text,
/// so the recorder folds repeats into one Event's count).
fn drift_message(name: &str, drifted: &Drift, outcome: &str) -> String {
    format!(
        "Secret {name} was changed outside its SealedSecret ({}); {outcome}",
        drifted.describe()
    )
}

/// Drift found in detect mode: reported, the Secret left as is.
pub fn drift_detected(name: &str, drifted: &Drift) -> DriftReport {
    DriftReport {
        note: Note::warning(
            REASON_SECRET_DRIFTED,
            drift_message(name, drifted, "left as is (detect mode)"),
        ),
        action: DriftAction::Detected,
    }
}

/// Drift undone by this pass.
pub fn drift_repaired(name: &str, drifted: &Drift) -> DriftReport {
    DriftReport {
        note: Note::warning(
            REASON_SECRET_DRIFTED,
            drift_message(name, drifted, "restored"),
        ),
        action: DriftAction::Repaired,
    }
}

/// Repairs paused for `secs` seconds after `repairs` in a row.
pub fn drift_paused(name: &str, secs: u64, repairs: u32) -> DriftReport {
    DriftReport {
        note: Note::warning(
            REASON_SECRET_DRIFT_BACKOFF,
            format!(
                "Secret {name} keeps being changed outside its SealedSecret ({repairs} repairs in a row); repairs paused for {secs}s"
            ),
        ),
        action: DriftAction::Paused,
    }
}

/// The fingerprints in the order an unseal reports them (the snapshot's), so that status does not
/// change between a pass that decrypted and one that skipped.
fn in_key_order(snapshot: &Snapshot, fps: &[String]) -> Vec<String> {
    snapshot
        .fingerprints
        .iter()
        .filter(|f| fps.contains(f))
        .cloned()
        .collect()
}

/// What a pass that left the Secret at `resource_version` records in status.
pub fn vouched(
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

/// When the Secret `secret` (its metadata) already holds what unsealing `ss` would write (see
/// `digest`): what status records, with nothing decrypted or written.
pub fn up_to_date(
    ss: &SealedSecret,
    secret: &ObjectMeta,
    snapshot: &Snapshot,
    accept_v1_data: bool,
) -> Option<Recorded> {
    let fps = digest::up_to_date(ss, secret, &snapshot.fingerprints, accept_v1_data)?;
    let recorded_digest = ss.status.as_ref().and_then(|s| s.spec_digest.clone());
    Some(vouched(
        in_key_order(snapshot, &fps),
        recorded_digest,
        secret.resource_version.clone(),
    ))
}

/// What an unseal that used the snapshot's keys `keys_used` records: their fingerprints and the
/// restart digest of `ss` under them.
pub fn unsealed_with(
    ss: &SealedSecret,
    snapshot: &Snapshot,
    keys_used: &[usize],
    accept_v1_data: bool,
) -> (Vec<String>, Option<String>) {
    let fingerprints: Vec<String> = keys_used
        .iter()
        .filter_map(|i| snapshot.fingerprints.get(*i).cloned())
        .collect();
    let digest_value = digest::value(ss, &fingerprints, accept_v1_data);
    (fingerprints, digest_value)
}

/// What differs in `existing` from what the SealedSecret says, as a repair sees it; `None`
/// when nothing does.
pub fn drift_of(existing: &Secret, unsealed: &Secret) -> Option<Drift> {
    let drifted = drift::diff(existing, &drift::repair_target(existing, unsealed));
    (!drifted.is_empty()).then_some(drifted)
}

/// How a pass writes over an existing Secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteMode {
    /// What upstream writes (`desired::desired_secret`).
    Update,
    /// A repair of drift: labels and annotations the template does not name are kept.
    Repair,
}

/// The SealedSecret and its keys are what the last good pass wrote from (the status vouches
/// for a Secret version and the digest is unchanged): a difference in a Secret that was there
/// before this pass is someone else's change, to be repaired rather than overwritten.
pub fn write_mode(ss: &SealedSecret, was_found: bool, digest_value: Option<&str>) -> WriteMode {
    let status = ss.status.as_ref();
    let recorded_rv = status.and_then(|s| s.secret_resource_version.as_deref());
    let recorded_digest = status.and_then(|s| s.spec_digest.as_deref());
    if was_found
        && recorded_rv.is_some()
        && digest_value.is_some()
        && digest_value == recorded_digest
    {
        WriteMode::Repair
    } else {
        WriteMode::Update
    }
}

/// What to PUT over `existing`, or `None` when it already says what it should.
pub fn update_target(mode: WriteMode, existing: &Secret, unsealed: &Secret) -> Option<Secret> {
    let wanted = match mode {
        WriteMode::Update => desired::desired_secret(existing, unsealed),
        WriteMode::Repair => drift::repair_target(existing, unsealed),
    };
    (!desired::semantically_equal(&wanted, existing)).then_some(wanted)
}

/// The API server refuses to change a Secret's `type`: the Secret created in place of
/// `existing` once that is deleted, with the repaired content and nothing of the old object's
/// identity (uid, resourceVersion, timestamps).
pub fn recreated(existing: &Secret, unsealed: &Secret) -> Secret {
    let target = drift::repair_target(existing, unsealed);
    Secret {
        metadata: ObjectMeta {
            name: Some(existing.metadata.name.clone().unwrap_or_default()),
            namespace: existing.metadata.namespace.clone(),
            labels: target.metadata.labels,
            annotations: target.metadata.annotations,
            owner_references: target.metadata.owner_references,
            ..Default::default()
        },
        ..target
    }
}

/// What status records of a pass. A failed pass vouches for no Secret: its digest fields are
/// cleared so the next pass unseals.
pub fn outcome_of(result: &Result<(), ReconcileError>, recorded: Recorded) -> status::Outcome {
    match result {
        Ok(()) => Ok(recorded),
        Err(e) => Err((e.to_string(), Recorded::fingerprints(recorded.fingerprints))),
    }
}

mod steps;
pub use steps::*;

#[cfg(test)]
mod tests;
