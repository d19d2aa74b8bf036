//! A drifted Secret, as `logic::plan::on_drift` decides: reported and left in detect mode, else
//! repaired unless the repair backoff pauses repairs.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sealwright_crypto::SealedSecret;

use super::Context;
use super::report::{object_ref, report_drift};
use crate::logic::drift::Drift;
use crate::logic::plan::{self, OnDrift};
use crate::runtime::cache::ObjKey;
use crate::runtime::drift_guard::{Pause, Verdict};

/// Carries out the decision about a drifted Secret (`plan::on_drift`): reports what is not
/// repaired now (a repair is reported once written) and asks the repair backoff. Whether to
/// repair it now.
pub(super) fn may_repair(
    ctx: &Context,
    key: &ObjKey,
    ss: &SealedSecret,
    drifted: &Drift,
    found_rv: Option<String>,
) -> bool {
    match plan::on_drift(&ss.metadata, ctx.options.secret_drift, drifted) {
        OnDrift::Report(report) => {
            tracing::warn!(key = %key, drift = %drifted.describe(), "Secret changed outside its SealedSecret; left as is (detect mode)");
            report_drift(ctx, &object_ref(&ss.metadata), key, report);
            // Reported once per change: the watch ignores this version from now on.
            ctx.drift.settle(key, found_rv);
            false
        }
        OnDrift::Repair => {
            let now = std::time::Instant::now();
            match ctx.drift.try_repair(key, now) {
                Verdict::Repair { .. } => true,
                Verdict::Wait { .. } => {
                    if let Pause::Schedule { wait, repairs } = ctx.drift.defer(key, now) {
                        drift_paused(ctx, &ss.metadata, wait, repairs);
                    }
                    false
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
