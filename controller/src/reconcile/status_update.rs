//! The `Synced` status of a pass, written to the status subresource: from the watched copy
//! when it is current (no GET), from a fresh read after a conflict.

use k8s_openapi::apimachinery::pkg::apis::meta::v1::{ObjectMeta, Time};
use k8s_openapi::jiff::Timestamp;
use kube::api::{Api, ApiResource, DynamicObject, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_crypto::model::SealedSecretStatus;

use super::{Context, ReconcileError};
use crate::error::{api_code, api_message, is_not_found};
use crate::logic::outcome::ErrorReason;
use crate::logic::plan;
use crate::logic::status::{self, Recorded};
use crate::runtime::cache::ObjKey;

/// Records the pass in status (unless `--update-status=false`) and sets its `condition_info`.
pub(super) async fn write_status(
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
            plan::outcome_of(result, recorded.clone()),
            Time(Timestamp::now()),
        );
        if !change.write {
            let gauge = status::condition_gauge_value(Some(&change.status));
            set_condition(ctx, key, meta, gauge);
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
                set_condition(ctx, key, meta, gauge);
                return;
            }
            Err(e) if attempt < 2 && api_code(&e) == Some(409) => continue,
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

fn set_condition(ctx: &Context, key: &ObjKey, meta: &ObjectMeta, gauge: i64) {
    let instance = plan::instance_label(meta);
    ctx.metrics
        .set_condition(&key.namespace, &key.name, &instance, gauge);
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
        plan::outcome_of(result, recorded),
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
