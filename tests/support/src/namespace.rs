//! A fresh namespace per test, so tests never see each other's objects.

use k8s_openapi::api::core::v1::Namespace;
use kube::api::{ObjectMeta, PostParams};
use kube::{Api, Client};

use crate::error::TestenvError;

/// Label on every namespace a test created.
pub const TEST_LABEL: &str = "sealwright.dev/test";

/// Creates `<prefix>-<random>` and returns its name. It is not deleted afterwards: the control
/// plane belongs to this run only, and waiting for namespace deletion would only slow tests down.
pub async fn create_namespace(client: &Client, prefix: &str) -> Result<String, TestenvError> {
    let name = format!("{}-{:08x}", prefix, rand::random::<u32>());
    let ns = Namespace {
        metadata: ObjectMeta {
            name: Some(name.clone()),
            labels: Some([(TEST_LABEL.to_string(), prefix.to_string())].into()),
            ..ObjectMeta::default()
        },
        ..Namespace::default()
    };
    Api::<Namespace>::all(client.clone())
        .create(&PostParams::default(), &ns)
        .await
        .map_err(TestenvError::kube(format!("create namespace {name}")))?;
    Ok(name)
}
