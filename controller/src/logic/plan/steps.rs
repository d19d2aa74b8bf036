//! One pass as a few steps, each deciding from what the previous requests returned: how to read
//! the Secret, whether to unseal, how to write it, what to do about drift. The executor makes
//! the requests between the steps and carries out what each step returns.

use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sealwright_crypto::SealedSecret;

use super::{
    DriftReport, Failure, WriteMode, api_failed, drift_detected, drift_of, immutable,
    not_recreated, unmanaged, up_to_date, vouched, write_mode,
};
use crate::logic::desired;
use crate::logic::drift::{self, Drift};
use crate::logic::keyring::Snapshot;
use crate::logic::last_known::LastKnown;
use crate::logic::outcome::is_immutable_error;
use crate::logic::status::Recorded;

/// A request the API server refused: its message, HTTP code, and whether it says nothing about
/// the object (see `error::is_transient`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub message: String,
    pub code: Option<u16>,
    pub transient: bool,
}

/// How a pass reads the Secret, given the Secret index's copy of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Read {
    /// The index's copy is already up to date: nothing to read, decrypt or write.
    UpToDate(Recorded),
    /// Ask the API server.
    Get,
    /// The index lists every Secret of the namespace and not this one: no GET. The create finds
    /// out if one appeared after all (see `read_after_create`).
    Absent,
}

/// The watch's view first: an unchanged object needs no request at all. `indexed` is the
/// index's copy, `complete` whether the index lists every Secret of the namespace.
pub fn read(
    ss: &SealedSecret,
    indexed: Option<&ObjectMeta>,
    complete: bool,
    snapshot: &Snapshot,
    accept_v1_data: bool,
) -> Read {
    match indexed {
        Some(meta) => match up_to_date(ss, meta, snapshot, accept_v1_data) {
            Some(recorded) => Read::UpToDate(recorded),
            None => Read::Get,
        },
        None if complete => Read::Absent,
        None => Read::Get,
    }
}

/// What a pass does once it knows the Secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// It already holds what unsealing would write.
    UpToDate(Recorded),
    /// It is gone and upstream's rules say not to create it again.
    NotRecreated(Failure),
    Unseal,
}

/// Decides on the Secret `found` (`None`: there is none), with what the watch `last_knew` of it.
pub fn after_lookup(
    ss: &SealedSecret,
    found: Option<&ObjectMeta>,
    last_knew: &LastKnown,
    snapshot: &Snapshot,
    accept_v1_data: bool,
) -> Lookup {
    let uid = ss.metadata.uid.as_deref().unwrap_or_default();
    match found {
        None if last_knew.deleted_unowned(uid, ss.metadata.generation) => {
            Lookup::NotRecreated(not_recreated(name_of(ss)))
        }
        None => Lookup::Unseal,
        Some(meta) => match up_to_date(ss, meta, snapshot, accept_v1_data) {
            Some(recorded) => Lookup::UpToDate(recorded),
            None => Lookup::Unseal,
        },
    }
}

/// A create of the Secret was refused with HTTP `code`: when the pass skipped the GET (`absent`)
/// and the Secret exists after all (409), it reads that one and goes on as if it had found it.
pub fn read_after_create(absent: bool, code: Option<u16>) -> bool {
    absent && code == Some(409)
}

/// How a pass writes over the Secret `existing`, once unsealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Write {
    /// The name is taken by a Secret this SealedSecret does not manage.
    Fail(Failure),
    Update(WriteMode),
    /// Someone else changed it since the last good pass (see `on_drift`).
    Drifted(Drift),
}

/// Decides how to write `unsealed` over `existing`; `was_found` tells whether the Secret was
/// there before this pass, `digest_value` is the restart digest of this unseal.
pub fn after_unseal(
    ss: &SealedSecret,
    existing: &Secret,
    unsealed: &Secret,
    was_found: bool,
    digest_value: Option<&str>,
) -> Write {
    let uid = ss.metadata.uid.as_deref().unwrap_or_default();
    if !desired::may_update(&existing.metadata, uid) {
        return Write::Fail(unmanaged(name_of(ss)));
    }
    let mode = write_mode(ss, was_found, digest_value);
    if mode == WriteMode::Repair
        && let Some(drifted) = drift_of(existing, unsealed)
    {
        return Write::Drifted(drifted);
    }
    Write::Update(mode)
}

/// What a pass does about a drifted Secret, by the object's mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OnDrift {
    /// Detect mode: report it and leave the Secret as is.
    Report(DriftReport),
    /// Repair mode: repair it, unless the drift guard says repairs are paused.
    Repair,
}

/// Decides about `drifted`, the Secret of the object `meta`; `default` is `--secret-drift`.
pub fn on_drift(meta: &ObjectMeta, default: drift::Mode, drifted: &Drift) -> OnDrift {
    match drift::Mode::for_object(meta, default) {
        drift::Mode::Detect => {
            let name = meta.name.as_deref().unwrap_or_default();
            OnDrift::Report(drift_detected(name, drifted))
        }
        drift::Mode::Repair => OnDrift::Repair,
    }
}

/// How a repair writes the Secret back.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RepairWrite {
    /// The API server refuses to change a Secret's `type`: delete it and create it again.
    Recreate,
    Update,
}

pub fn repair_write(drifted: &Drift) -> RepairWrite {
    if drifted.type_changed {
        RepairWrite::Recreate
    } else {
        RepairWrite::Update
    }
}

/// What status records when a drifted Secret is left as is: it keeps vouching for the version
/// last written, not this one.
pub fn held(
    ss: &SealedSecret,
    fingerprints: Vec<String>,
    digest_value: Option<String>,
) -> Recorded {
    let recorded_rv = ss
        .status
        .as_ref()
        .and_then(|s| s.secret_resource_version.clone());
    vouched(fingerprints, digest_value, recorded_rv)
}

/// An update of the Secret was refused. A 404 for a Secret that upstream leaves deleted
/// (`left_deleted`: see `desired::left_deleted`) means it was deleted mid-pass and is not
/// created again.
pub fn update_failed(
    refusal: Refusal,
    left_deleted: bool,
    ss: &SealedSecret,
    written: &Secret,
) -> Failure {
    let name = name_of(ss);
    if refusal.code == Some(404) && left_deleted {
        not_recreated(name)
    } else if is_immutable_error(&refusal.message) {
        immutable(ss.metadata.namespace.as_deref().unwrap_or_default(), name)
    } else {
        api_failed(refusal, Some(written))
    }
}

fn name_of(ss: &SealedSecret) -> &str {
    ss.metadata.name.as_deref().unwrap_or_default()
}
