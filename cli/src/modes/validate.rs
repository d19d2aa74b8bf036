//! `--validate`: ask the controller (`/v1/verify`) whether it can open each input SealedSecret.

use serde_json::Value;

use crate::certsource::service_port;
use crate::error::CliError;
use crate::input;
use crate::proxy::{self, Controller};

/// The input stream as the request bodies upstream sends (`json.Marshal` of each object, with
/// the type fields only when the input had them), with each object's name.
pub fn bodies(input_bytes: &[u8]) -> Result<Vec<(String, Vec<u8>)>, ()> {
    let docs = input::documents(input_bytes).map_err(|_| ())?;
    let mut out = Vec::new();
    for doc in docs {
        let had_kind = doc.get("kind").is_some();
        let had_api_version = doc.get("apiVersion").is_some();
        let ss = input::sealed_secret_lenient(doc).map_err(|_| ())?;
        let mut v = crate::output::objects::sealed_secret(&ss);
        if let Value::Object(m) = &mut v {
            if !had_kind {
                m.remove("kind");
            }
            if !had_api_version {
                m.remove("apiVersion");
            }
        }
        let name = ss.metadata.name.clone().unwrap_or_default();
        out.push((name, serde_json::to_vec(&v).map_err(|_| ())?));
    }
    Ok(out)
}

pub async fn run(
    client: &kube::Client,
    controller: &Controller,
    input_bytes: &[u8],
) -> Result<(), CliError> {
    let port = service_port(client, controller).await?;
    let bodies = bodies(input_bytes).map_err(|()| CliError::ValidateParse)?;
    for (name, body) in bodies {
        let req = controller.verify_request(&port, body)?;
        let (method, path) = (req.method().clone(), req.uri().to_string());
        if let Err(e) = client.request_text(req).await {
            if proxy::status_code(&e) == Some(409) {
                return Err(CliError::ValidateConflict(name));
            }
            return Err(CliError::Validate(proxy::describe_request(
                &e, &method, &path,
            )));
        }
    }
    Ok(())
}
