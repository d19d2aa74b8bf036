use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::OwnerReference;
use sealwright_crypto::hybrid::KeySet;
use sealwright_crypto::model::{MANAGED_ANNOTATION, SealedSecretSpec, SealedSecretStatus};

use super::*;
use crate::logic::last_known::{LastKnown, UnownedDeletion};

fn snapshot(fps: &[&str]) -> Snapshot {
    Snapshot {
        keys: KeySet::default(),
        fingerprints: fps.iter().map(|f| f.to_string()).collect(),
        current: None,
    }
}

fn sealed(status: Option<SealedSecretStatus>) -> SealedSecret {
    let mut s = SealedSecret::new("s", SealedSecretSpec::default());
    s.metadata.namespace = Some("ns".into());
    s.metadata.uid = Some("ss-uid".into());
    s.spec.encrypted_data.insert("k".into(), "AAA".into());
    s.status = status;
    s
}

fn data(v: &str) -> Option<BTreeMap<String, ByteString>> {
    Some([("v".to_string(), ByteString(v.as_bytes().to_vec()))].into())
}

/// A `managed` Secret (ours without an owner) at version `rv`.
fn secret(v: &str, rv: &str) -> Secret {
    let managed = [(MANAGED_ANNOTATION.to_string(), "true".to_string())];
    Secret {
        metadata: ObjectMeta {
            name: Some("s".into()),
            namespace: Some("ns".into()),
            uid: Some("secret-uid".into()),
            resource_version: Some(rv.into()),
            annotations: Some(managed.into()),
            ..Default::default()
        },
        data: data(v),
        ..Default::default()
    }
}

fn refusal(message: &str, code: Option<u16>, transient: bool) -> Refusal {
    Refusal {
        message: message.into(),
        code,
        transient,
    }
}

#[test]
fn failures_report_upstream_events_and_reasons() {
    let f = malformed("bad");
    assert_eq!(
        f.error,
        ReconcileError::Malformed("cannot decode SealedSecret: bad".into())
    );
    assert_eq!(
        (f.note.reason, f.note.message.as_str()),
        (
            REASON_UNSEAL_FAILED,
            "Failed to unseal: cannot decode SealedSecret: bad"
        )
    );
    assert_eq!(f.count, ErrorReason::Unseal);

    let f = unseal_failed(UnsealFailure::Busy);
    assert_eq!(f.count, ErrorReason::Unseal);
    assert!(
        f.note
            .message
            .starts_with("Failed to unseal: an earlier unseal")
    );

    let f = unmanaged("s");
    assert_eq!(
        f.note.message,
        "Resource \"s\" already exists and is not managed by SealedSecret"
    );
    assert_eq!(
        f.error.to_string(),
        format!("failed update: {}", f.note.message)
    );
    assert_eq!(
        (f.note.reason, f.count),
        (REASON_UPDATE_FAILED, ErrorReason::Unmanaged)
    );

    let f = not_recreated("s");
    assert_eq!(f.note.message, f.error.to_string());
    assert_eq!(f.count, ErrorReason::Unmanaged);

    let f = immutable("ns", "s");
    assert_eq!(f.error, ReconcileError::Immutable(f.note.message.clone()));
    assert_eq!(f.count, ErrorReason::Update);
    for f in [
        malformed("x"),
        unseal_failed(UnsealFailure::Busy),
        unmanaged("s"),
    ] {
        assert_eq!(
            (f.note.type_, f.note.unavailable),
            (EventType::Warning, false)
        );
    }
}

#[test]
fn api_failures_withhold_quoted_values_and_fold_outages() {
    let written = secret("a-long-secret-value", "1");
    let f = api_failed(
        refusal("invalid value \"a-long-secret-value\"", Some(422), false),
        Some(&written),
    );
    assert_eq!(
        f.error,
        ReconcileError::Api(
            "the API server rejected the Secret (HTTP 422); its message is withheld because it quotes Secret data"
                .into()
        )
    );
    assert_eq!(f.note.message, f.error.to_string());
    assert_eq!(
        (f.note.reason, f.count),
        (REASON_UPDATE_FAILED, ErrorReason::Update)
    );

    let f = api_failed(refusal("forbidden", Some(403), false), None);
    assert_eq!(f.error, ReconcileError::Api("forbidden".into()));
    assert!(!f.note.unavailable);

    let f = api_failed(refusal("unavailable", Some(503), true), None);
    assert_eq!(f.error, ReconcileError::Unavailable("unavailable".into()));
    assert!(f.note.unavailable);
}

#[test]
fn drift_reports_name_no_values() {
    let drifted = Drift {
        changed: vec!["v".into()],
        ..Default::default()
    };
    let r = drift_detected("s", &drifted);
    assert_eq!(r.action, DriftAction::Detected);
    assert_eq!(r.note.reason, REASON_SECRET_DRIFTED);
    assert!(
        r.note
            .message
            .starts_with("Secret s was changed outside its SealedSecret (")
    );
    assert!(r.note.message.ends_with("); left as is (detect mode)"));
    let r = drift_repaired("s", &drifted);
    assert_eq!(r.action, DriftAction::Repaired);
    assert!(r.note.message.ends_with("); restored"));
    let r = drift_paused("s", 30, 4);
    assert_eq!(
        (r.action, r.note.reason),
        (DriftAction::Paused, REASON_SECRET_DRIFT_BACKOFF)
    );
    assert_eq!(
        r.note.message,
        "Secret s keeps being changed outside its SealedSecret (4 repairs in a row); repairs paused for 30s"
    );
    let n = unsealed();
    assert_eq!(
        (n.type_, n.reason, n.message.as_str()),
        (EventType::Normal, REASON_UNSEALED, MESSAGE_UNSEALED)
    );
}

#[test]
fn up_to_date_vouches_in_key_order() {
    let snap = snapshot(&["SHA256:b", "SHA256:a"]);
    let used = ["SHA256:a".to_string(), "SHA256:b".to_string()];
    let digest = digest::value(&sealed(None), &used, true);
    let status = SealedSecretStatus {
        spec_digest: digest.clone(),
        secret_resource_version: Some("7".into()),
        ..Default::default()
    };
    let ss = sealed(Some(status));
    let recorded = up_to_date(&ss, &secret("x", "7").metadata, &snap, true).unwrap();
    assert_eq!(
        recorded,
        Recorded {
            fingerprints: Some(vec!["SHA256:b".into(), "SHA256:a".into()]),
            spec_digest: digest,
            secret_resource_version: Some("7".into()),
        }
    );
    // Another version of the Secret: the pass unseals.
    assert_eq!(
        up_to_date(&ss, &secret("x", "8").metadata, &snap, true),
        None
    );
    assert_eq!(
        up_to_date(&sealed(None), &secret("x", "7").metadata, &snap, true),
        None
    );
}

#[test]
fn unsealed_with_names_the_keys_used() {
    let snap = snapshot(&["SHA256:b", "SHA256:a"]);
    let ss = sealed(None);
    let (fps, digest_value) = unsealed_with(&ss, &snap, &[1, 5], true);
    assert_eq!(fps, vec!["SHA256:a".to_string()]);
    assert_eq!(digest_value, digest::value(&ss, &fps, true));
}

#[test]
fn vouched_needs_a_version() {
    let r = vouched(vec!["f".into()], Some("d".into()), None);
    assert_eq!(r, Recorded::fingerprints(Some(vec!["f".into()])));
    let r = vouched(vec![], Some("d".into()), Some("3".into()));
    assert_eq!(
        (
            r.spec_digest.as_deref(),
            r.secret_resource_version.as_deref()
        ),
        (Some("d"), Some("3"))
    );
}

#[test]
fn repair_only_when_the_last_good_pass_wrote_from_the_same_inputs() {
    let status = |rv: Option<&str>, digest: Option<&str>| SealedSecretStatus {
        secret_resource_version: rv.map(str::to_string),
        spec_digest: digest.map(str::to_string),
        ..Default::default()
    };
    let ss = sealed(Some(status(Some("3"), Some("d"))));
    assert_eq!(write_mode(&ss, true, Some("d")), WriteMode::Repair);
    assert_eq!(write_mode(&ss, false, Some("d")), WriteMode::Update);
    assert_eq!(write_mode(&ss, true, Some("e")), WriteMode::Update);
    assert_eq!(write_mode(&ss, true, None), WriteMode::Update);
    let ss = sealed(Some(status(None, Some("d"))));
    assert_eq!(write_mode(&ss, true, Some("d")), WriteMode::Update);
    assert_eq!(write_mode(&sealed(None), true, None), WriteMode::Update);
}

#[test]
fn update_target_only_when_something_differs() {
    let existing = secret("old", "1");
    let unsealed = secret("new", "");
    let wanted = update_target(WriteMode::Update, &existing, &unsealed).unwrap();
    assert_eq!(wanted.data, data("new"));
    assert_eq!(wanted.metadata.resource_version.as_deref(), Some("1"));
    assert_eq!(update_target(WriteMode::Update, &existing, &existing), None);
    assert_eq!(drift_of(&existing, &existing), None);
    let drifted = drift_of(&existing, &unsealed).unwrap();
    assert!(!drifted.is_empty());
}

#[test]
fn a_recreated_secret_carries_no_old_identity() {
    let mut existing = secret("old", "9");
    existing.type_ = Some("Opaque".into());
    let mut unsealed = secret("new", "");
    unsealed.type_ = Some("kubernetes.io/tls".into());
    unsealed.metadata.owner_references = Some(vec![OwnerReference {
        uid: "ss-uid".into(),
        controller: Some(true),
        ..Default::default()
    }]);
    let fresh = recreated(&existing, &unsealed);
    assert_eq!(fresh.metadata.name.as_deref(), Some("s"));
    assert_eq!(fresh.metadata.namespace.as_deref(), Some("ns"));
    assert_eq!(
        (fresh.metadata.uid, fresh.metadata.resource_version),
        (None, None)
    );
    assert_eq!(fresh.type_.as_deref(), Some("kubernetes.io/tls"));
    assert_eq!(fresh.data, data("new"));
    assert!(fresh.metadata.owner_references.is_some());
}

#[test]
fn a_failed_pass_vouches_for_no_secret() {
    let recorded = vouched(vec!["f".into()], Some("d".into()), Some("3".into()));
    assert_eq!(outcome_of(&Ok(()), recorded.clone()), Ok(recorded.clone()));
    let err = ReconcileError::Api("m".into());
    assert_eq!(
        outcome_of(&Err(err), recorded),
        Err((
            "m".to_string(),
            Recorded::fingerprints(Some(vec!["f".into()]))
        ))
    );
}

#[test]
fn instance_label_from_the_object() {
    let mut meta = ObjectMeta::default();
    assert_eq!(instance_label(&meta), "");
    meta.labels = Some([(INSTANCE_LABEL.to_string(), "prod".to_string())].into());
    assert_eq!(instance_label(&meta), "prod");
}

/// A SealedSecret whose status vouches for Secret version `rv` under the digest `digest`.
fn vouching(rv: &str, digest: Option<String>) -> SealedSecret {
    sealed(Some(SealedSecretStatus {
        spec_digest: digest,
        secret_resource_version: Some(rv.into()),
        ..Default::default()
    }))
}

#[test]
fn read_skips_the_get_when_the_index_knows_enough() {
    let snap = snapshot(&["SHA256:a"]);
    let digest = digest::value(&sealed(None), &["SHA256:a".to_string()], true);
    let ss = vouching("7", digest);
    let current = secret("x", "7").metadata;
    let stale = secret("x", "8").metadata;
    assert!(matches!(
        read(&ss, Some(&current), false, &snap, true),
        Read::UpToDate(r) if r.secret_resource_version.as_deref() == Some("7")
    ));
    assert_eq!(read(&ss, Some(&stale), true, &snap, true), Read::Get);
    assert_eq!(read(&ss, None, true, &snap, true), Read::Absent);
    assert_eq!(read(&ss, None, false, &snap, true), Read::Get);
}

#[test]
fn after_lookup_leaves_an_unowned_deletion_deleted() {
    let snap = snapshot(&["SHA256:a"]);
    let digest = digest::value(&sealed(None), &["SHA256:a".to_string()], true);
    let mut ss = vouching("7", digest);
    ss.metadata.generation = Some(2);
    let deleted = |generation| {
        LastKnown::DeletedUnowned(UnownedDeletion {
            sealed_uid: "ss-uid".into(),
            generation: Some(generation),
        })
    };
    assert_eq!(
        after_lookup(&ss, None, &deleted(2), &snap, true),
        Lookup::NotRecreated(not_recreated("s"))
    );
    assert_eq!(
        after_lookup(&ss, None, &deleted(1), &snap, true),
        Lookup::Unseal,
        "a spec change re-creates"
    );
    assert_eq!(
        after_lookup(&ss, None, &LastKnown::Unknown, &snap, true),
        Lookup::Unseal
    );
    let current = secret("x", "7").metadata;
    assert!(matches!(
        after_lookup(&ss, Some(&current), &deleted(2), &snap, true),
        Lookup::UpToDate(_)
    ));
    let stale = secret("x", "8").metadata;
    assert_eq!(
        after_lookup(&ss, Some(&stale), &LastKnown::Unknown, &snap, true),
        Lookup::Unseal
    );
}

#[test]
fn only_a_skipped_get_reads_after_a_conflicting_create() {
    assert!(read_after_create(true, Some(409)));
    assert!(!read_after_create(false, Some(409)));
    assert!(!read_after_create(true, Some(500)));
    assert!(!read_after_create(true, None));
}

#[test]
fn after_unseal_refuses_foreign_secrets_and_finds_drift() {
    let unsealed = secret("new", "");
    let mut foreign = secret("old", "3");
    foreign.metadata.annotations = None;
    let ss = vouching("3", Some("d".into()));
    assert_eq!(
        after_unseal(&ss, &foreign, &unsealed, true, Some("d")),
        Write::Fail(unmanaged("s"))
    );
    let existing = secret("old", "3");
    assert!(matches!(
        after_unseal(&ss, &existing, &unsealed, true, Some("d")),
        Write::Drifted(d) if !d.is_empty()
    ));
    assert_eq!(
        after_unseal(&ss, &unsealed, &unsealed, true, Some("d")),
        Write::Update(WriteMode::Repair),
        "nothing drifted"
    );
    assert_eq!(
        after_unseal(&ss, &existing, &unsealed, true, Some("e")),
        Write::Update(WriteMode::Update),
        "new inputs: an ordinary update"
    );
}

#[test]
fn drift_mode_per_object_and_how_repairs_write() {
    let drifted = Drift {
        changed: vec!["v".into()],
        ..Default::default()
    };
    let mut meta = sealed(None).metadata;
    assert_eq!(
        on_drift(&meta, drift::Mode::Detect, &drifted),
        OnDrift::Report(drift_detected("s", &drifted))
    );
    assert_eq!(
        on_drift(&meta, drift::Mode::Repair, &drifted),
        OnDrift::Repair
    );
    meta.annotations = Some([(drift::DRIFT_ANNOTATION.to_string(), "detect".to_string())].into());
    assert_eq!(
        on_drift(&meta, drift::Mode::Repair, &drifted),
        OnDrift::Report(drift_detected("s", &drifted))
    );
    assert_eq!(repair_write(&drifted), RepairWrite::Update);
    let retyped = Drift {
        type_changed: true,
        ..Default::default()
    };
    assert_eq!(repair_write(&retyped), RepairWrite::Recreate);
}

#[test]
fn a_held_secret_keeps_the_version_last_written() {
    let ss = vouching("3", Some("d".into()));
    let r = held(&ss, vec!["f".into()], Some("e".into()));
    assert_eq!(
        r,
        vouched(vec!["f".into()], Some("e".into()), Some("3".into()))
    );
    assert_eq!(
        held(&sealed(None), vec![], Some("e".into())),
        Recorded::fingerprints(Some(vec![]))
    );
}

#[test]
fn update_failures_by_cause() {
    let ss = sealed(None);
    let written = secret("v", "");
    let f = update_failed(refusal("gone", Some(404), false), true, &ss, &written);
    assert_eq!(f, not_recreated("s"));
    let f = update_failed(refusal("gone", Some(404), false), false, &ss, &written);
    assert_eq!(f.error, ReconcileError::Api("gone".into()));
    let message =
        "Secret \"s\" is invalid: data: Forbidden: field is immutable when `immutable` is set";
    let f = update_failed(refusal(message, Some(422), false), false, &ss, &written);
    assert_eq!(f, immutable("ns", "s"));
    let f = update_failed(refusal("down", Some(503), true), true, &ss, &written);
    assert_eq!(f.error, ReconcileError::Unavailable("down".into()));
}
