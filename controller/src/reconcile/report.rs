//! How a pass reports: the Events, counters and errors of what `logic::plan` decided.

use k8s_openapi::api::core::v1::{ObjectReference, Secret};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;

use super::Context;
use crate::error::{api_code, api_message, is_transient};
use crate::logic::outcome::ReconcileError;
use crate::logic::plan::{self, DriftReport, Failure, Note, Refusal};
use crate::runtime::cache::ObjKey;

pub(super) fn object_ref(meta: &ObjectMeta) -> ObjectReference {
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

/// Records an Event: once per outage when the API server was away.
pub(super) fn record(ctx: &Context, oref: &ObjectReference, note: &Note) {
    if note.unavailable {
        ctx.recorder
            .record_unavailable(oref, note.type_, note.reason, &note.message);
    } else {
        ctx.recorder
            .record(oref, note.type_, note.reason, &note.message);
    }
}

/// Reports a failed pass (its Event and counter) and hands back its error.
pub(super) fn fail(
    ctx: &Context,
    oref: &ObjectReference,
    namespace: &str,
    failure: Failure,
) -> ReconcileError {
    if let ReconcileError::NotRecreated(name) = &failure.error {
        tracing::info!(secret = %name, namespace = %namespace, "unowned Secret deleted; not re-creating it");
    }
    record(ctx, oref, &failure.note);
    ctx.metrics.unseal_error(failure.count, namespace);
    failure.error
}

/// Reports a drifted Secret of `key` (its Event and counter).
pub(super) fn report_drift(
    ctx: &Context,
    oref: &ObjectReference,
    key: &ObjKey,
    report: DriftReport,
) {
    record(ctx, oref, &report.note);
    ctx.metrics.drift(report.action, &key.namespace, &key.name);
}

/// What the API server said when it refused a request.
pub(super) fn refusal(e: &kube::Error) -> Refusal {
    Refusal {
        message: api_message(e),
        code: api_code(e),
        transient: is_transient(e),
    }
}

/// A failed Secret read or write. `written` is the Secret we tried to write (see
/// `plan::api_failed`).
pub(super) fn api_failed(
    ctx: &Context,
    oref: &ObjectReference,
    namespace: &str,
    e: &kube::Error,
    written: Option<&Secret>,
) -> ReconcileError {
    fail(ctx, oref, namespace, plan::api_failed(refusal(e), written))
}

#[cfg(test)]
mod transient_tests {
    use super::*;
    use crate::error::status;

    #[test]
    fn api_server_absence_does_not_count_against_retries() {
        let unavailable_if =
            |e: ReconcileError, k: &kube::Error| e.unavailable_if(refusal(k).transient);
        let e = unavailable_if(ReconcileError::Api("m".into()), &status(503));
        assert!(e.transient() && e.retry());
        assert_eq!((e.name(), e.to_string().as_str()), ("unavailable", "m"));
        let e = unavailable_if(ReconcileError::Api("m".into()), &status(403));
        assert!(!e.transient() && e.retry());
        let e = unavailable_if(ReconcileError::Malformed("m".into()), &status(503));
        assert!(!e.transient() && !e.retry());
    }
}
