//! Writing the unsealed Secret over the one in the cluster: an update retried on conflicts,
//! or, when the `type` drifted, a delete of that very version and a create.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, DeleteParams, PostParams};

use crate::error::{api_code, is_not_found};
use crate::http::instruments::Counter;
use crate::logic::desired;
use crate::logic::plan::{self, WriteMode};

/// Conflicts (409: the Secret changed between our GET and PUT) retried this often, each time on
/// a fresh GET, before the pass fails and goes back to the queue's backoff.
const CONFLICT_RETRIES: usize = 3;

/// Writes the unsealed data over `existing` when it differs; on a conflict, re-reads the Secret
/// (still ours?) and tries again, counting each retried conflict in `conflicts`. Returns the
/// resourceVersion of the Secret as left.
pub(super) async fn write_update(
    api: &Api<Secret>,
    name: &str,
    uid: &str,
    mut existing: Secret,
    unsealed: &Secret,
    mode: WriteMode,
    conflicts: &Counter,
) -> Result<Option<String>, kube::Error> {
    let mut attempt = 0;
    loop {
        let Some(wanted) = plan::update_target(mode, &existing, unsealed) else {
            return Ok(existing.metadata.resource_version);
        };
        match api.replace(name, &PostParams::default(), &wanted).await {
            Ok(written) => return Ok(written.metadata.resource_version),
            Err(e) if api_code(&e) == Some(409) && attempt < CONFLICT_RETRIES => {
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

/// The API server refuses to change a Secret's `type`: a Secret whose type drifted is deleted
/// (only that very version, by precondition) and created again as the SealedSecret says.
pub(super) async fn recreate(
    api: &Api<Secret>,
    existing: &Secret,
    unsealed: &Secret,
) -> Result<Option<String>, kube::Error> {
    let fresh = plan::recreated(existing, unsealed);
    let name = existing.metadata.name.clone().unwrap_or_default();
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

#[cfg(test)]
mod conflict_tests;
