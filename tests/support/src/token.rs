//! ServiceAccount tokens through the TokenRequest API, as the kubelet would mount them.

use k8s_openapi::api::authentication::v1::{TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::PostParams;
use kube::{Api, Client};

use crate::error::TestenvError;

/// A bound token for `namespace/name`, valid for `seconds`.
pub async fn service_account_token(
    client: &Client,
    namespace: &str,
    name: &str,
    seconds: i64,
) -> Result<String, TestenvError> {
    let request = TokenRequest {
        spec: TokenRequestSpec {
            audiences: Vec::new(),
            expiration_seconds: Some(seconds),
            ..TokenRequestSpec::default()
        },
        ..TokenRequest::default()
    };
    let issued = Api::<ServiceAccount>::namespaced(client.clone(), namespace)
        .create_token_request(name, &PostParams::default(), &request)
        .await
        .map_err(TestenvError::kube(format!(
            "token request for {namespace}/{name}"
        )))?;
    issued
        .status
        .map(|s| s.token)
        .ok_or_else(|| TestenvError::Parse {
            what: format!("token request for {namespace}/{name}"),
            message: "no status in the response".to_string(),
        })
}
