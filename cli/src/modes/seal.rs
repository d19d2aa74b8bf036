//! Default mode: Secrets in, SealedSecrets out (upstream `Seal`).

use k8s_openapi::api::core::v1::Secret;
use rsa::PublicKey as RsaPublicKey;
use sealwright_crypto::seal::seal_secret;
use sealwright_crypto::{Scope, SealedSecret};

use crate::error::CliError;
use crate::input;
use crate::output::{self, Format, objects};

#[derive(Debug, Clone, Default)]
pub struct SealOptions {
    pub scope: Scope,
    pub allow_empty_data: bool,
    /// `--name`, or the merge target's name.
    pub override_name: String,
    /// Only `--merge-into` sets this.
    pub override_namespace: String,
}

/// Applies kubeseal's per-Secret rules (upstream `Seal` in [kubeseal.go]) before sealing.
///
/// [kubeseal.go]: https://github.com/bitnami-labs/sealed-secrets/blob/v0.40.0/pkg/kubeseal/kubeseal.go
pub fn prepare(
    mut secret: Secret,
    opts: &SealOptions,
    namespace: &mut dyn FnMut() -> (String, bool),
) -> Result<Secret, CliError> {
    let empty_data = secret.data.as_ref().is_none_or(|d| d.is_empty());
    let empty_string_data = secret.string_data.as_ref().is_none_or(|d| d.is_empty());
    if empty_data && empty_string_data && !opts.allow_empty_data {
        return Err(CliError::EmptyData);
    }
    let meta = &mut secret.metadata;
    if !opts.override_name.is_empty() {
        meta.name = Some(opts.override_name.clone());
    }
    if meta.name.as_deref().unwrap_or_default().is_empty() {
        return Err(CliError::MissingName);
    }
    if !opts.override_namespace.is_empty() {
        meta.namespace = Some(opts.override_namespace.clone());
    }
    if opts.scope != Scope::Strict {
        let mut annotations = meta.annotations.take().unwrap_or_default();
        opts.scope.apply_to(&mut annotations);
        meta.annotations = Some(annotations);
    }
    if Scope::of(meta) != Scope::ClusterWide {
        let (ns, explicit) = namespace();
        let current = meta.namespace.clone().unwrap_or_default();
        if explicit && !current.is_empty() && current != ns {
            return Err(CliError::NamespaceMismatch {
                secret: current,
                flag: ns,
            });
        }
        if current.is_empty() {
            meta.namespace = Some(ns);
        }
    }
    meta.self_link = None;
    meta.uid = None;
    meta.resource_version = None;
    meta.generation = None;
    meta.creation_timestamp = None;
    meta.deletion_timestamp = None;
    meta.deletion_grace_period_seconds = None;
    Ok(secret)
}

/// Seals in parallel (RSA-OAEP per item dominates the run time), keeping input order.
pub fn seal_all(secrets: &[Secret], key: &RsaPublicKey) -> Vec<Result<SealedSecret, CliError>> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(secrets.len().max(1));
    if threads <= 1 || secrets.len() < 4 {
        return secrets
            .iter()
            .map(|s| seal_secret(s, key).map_err(CliError::from))
            .collect();
    }
    let chunk = secrets.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let handles: Vec<_> = secrets
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|s| seal_secret(s, key).map_err(CliError::from))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|_| vec![Err(CliError::Io("sealing thread panicked".into()))])
            })
            .collect()
    })
}

/// The whole mode: parse, prepare, seal, render — the first failure in input order wins, as
/// when upstream processes one Secret after the other.
pub fn run(
    input_bytes: &[u8],
    key: &RsaPublicKey,
    opts: &SealOptions,
    format: &str,
    namespace: &mut dyn FnMut() -> (String, bool),
) -> Result<String, CliError> {
    let secrets = input::read_secrets(input_bytes)?;
    if secrets.is_empty() {
        return Err(CliError::NoSecrets);
    }
    let mut prepared = Vec::with_capacity(secrets.len());
    let mut prep_error = None;
    for s in secrets {
        match prepare(s, opts, namespace) {
            Ok(p) => prepared.push(p),
            Err(e) => {
                prep_error = Some(e);
                break;
            }
        }
    }
    let mut out = String::new();
    for sealed in seal_all(&prepared, key) {
        let sealed = sealed?;
        let format = Format::parse(format)?;
        out.push_str(&output::render(&objects::sealed_secret(&sealed), format)?);
    }
    match prep_error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}
