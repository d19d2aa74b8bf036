//! `--re-encrypt`: re-seal SealedSecrets with the newest key, through the controller's
//! `/v1/rotate`, or offline from private keys and a certificate (sealwright extension).

use rsa::PublicKey as RsaPublicKey;
use sealwright_crypto::rotate::{RotateError, RotateOptions, rotate};
use sealwright_crypto::seal::SealSecretError;
use sealwright_crypto::{KeySet, SealError, SealedSecret};

use crate::certsource::service_port;
use crate::error::CliError;
use crate::input;
use crate::modes::{unseal, validate};
use crate::output::{self, Format, objects};
use crate::proxy::{self, Controller};

/// Upstream clears these on the returned object before printing.
fn clear_server_fields(ss: &mut SealedSecret) {
    ss.metadata.creation_timestamp = None;
    ss.metadata.deletion_timestamp = None;
    ss.metadata.generation = None;
}

pub async fn run_online(
    client: &kube::Client,
    controller: &Controller,
    input_bytes: &[u8],
    format: &str,
) -> Result<String, CliError> {
    let port = service_port(client, controller).await?;
    let bodies = validate::bodies(input_bytes)
        .map_err(|()| CliError::Input("cannot read the SealedSecrets in the input".into()))?;
    let mut out = String::new();
    for (_, body) in bodies {
        let req = controller.rotate_request(&port, body)?;
        let (method, path) = (req.method().clone(), req.uri().to_string());
        let text = match client.request_text(req).await {
            Ok(t) => t,
            Err(e) if proxy::status_code(&e) == Some(409) => return Err(CliError::RotateConflict),
            Err(e) => {
                return Err(CliError::ReEncrypt(proxy::describe_request(
                    &e, &method, &path,
                )));
            }
        };
        let doc: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            CliError::ReEncrypt(format!("cannot read the controller's answer: {e}"))
        })?;
        let mut ss = input::sealed_secret_lenient(doc)?;
        clear_server_fields(&mut ss);
        out.push_str(&output::render(
            &objects::sealed_secret(&ss),
            Format::parse(format)?,
        )?);
    }
    Ok(out)
}

/// Offline: the controller's rotate ([`rotate`]) with local keys, so the scope cannot be changed
/// on the way and `spec.template.data` is carried over.
pub fn run_offline(
    input_bytes: &[u8],
    keys: &KeySet,
    cert: &RsaPublicKey,
    format: &str,
) -> Result<String, CliError> {
    let docs = input::documents(input_bytes)?;
    let mut out = String::new();
    let options = RotateOptions {
        accept_v1_data: true,
        require_name: true,
    };
    for doc in docs {
        let ss = input::sealed_secret_lenient(doc)?;
        let label_from = Some(unseal::label_description(&ss));
        let mut resealed = rotate(ss, keys, Some(cert), options).map_err(|e| match e {
            RotateError::Unseal(source) => CliError::Unseal { source, label_from },
            RotateError::Seal(e) => e.into(),
            // Not reached: the certificate is always given here.
            RotateError::NoSealingKey => {
                SealSecretError::Seal(SealError::Encrypt("no key".into())).into()
            }
        })?;
        clear_server_fields(&mut resealed);
        out.push_str(&output::render(
            &objects::sealed_secret(&resealed),
            Format::parse(format)?,
        )?);
    }
    Ok(out)
}
