//! `--recovery-unseal`: open a SealedSecret offline with private keys from files.

use std::path::PathBuf;

use sealwright_crypto::unseal::{UnsealOptions, unseal};
use sealwright_crypto::{KeySet, Scope, SealedSecret, keys, recovery};

use crate::error::{CliError, io_error};
use crate::input;
use crate::output::{self, Format, objects};

/// Every key from every file (PEM, Secret, `v1 List`, or a stream of Secrets), each key once.
pub fn read_keys(files: &[PathBuf]) -> Result<KeySet, CliError> {
    let mut set = KeySet::default();
    let mut seen = std::collections::HashSet::new();
    for path in files {
        let bytes =
            zeroize::Zeroizing::new(std::fs::read(path).map_err(|e| io_error("open", path, &e))?);
        // Keys that fail the load checks (short, or a tls.crt of another key) are left out
        // with a warning; the others still open what they can.
        let found = recovery::recovery_keys(&bytes)?;
        for skipped in &found.skipped {
            eprintln!(
                "warning: {}: skipping {}: {}",
                path.display(),
                skipped.origin,
                skipped.reason
            );
        }
        for key in found.keys {
            if seen.insert(keys::fingerprint(&key.to_public_key())) {
                set.push(key);
            }
        }
    }
    Ok(set)
}

/// Describes the label a SealedSecret is opened with, for the `hint:` line.
pub fn label_description(ss: &SealedSecret) -> String {
    let ns = ss.metadata.namespace.clone().unwrap_or_default();
    let name = ss.metadata.name.clone().unwrap_or_default();
    match Scope::of(&ss.metadata) {
        Scope::Strict => format!("scope strict, namespace {ns:?}, name {name:?}"),
        Scope::NamespaceWide => format!("scope namespace-wide, namespace {ns:?}"),
        Scope::ClusterWide => "scope cluster-wide".to_string(),
    }
}

/// Unseals with the CLI's rules (v1 `spec.data` rejected, as upstream's kubeseal).
pub fn open(
    ss: &SealedSecret,
    keys: &KeySet,
    accept_v1_data: bool,
) -> Result<k8s_openapi::api::core::v1::Secret, CliError> {
    unseal(ss, keys, UnsealOptions { accept_v1_data })
        .map(|u| u.secret)
        .map_err(|source| CliError::Unseal {
            source,
            label_from: Some(label_description(ss)),
        })
}

pub fn run(input_bytes: &[u8], key_files: &[PathBuf], format: &str) -> Result<String, CliError> {
    let keys = read_keys(key_files)?;
    let ss = input::one_sealed_secret(input_bytes)?;
    let secret = open(&ss, &keys, false)?;
    output::render(&objects::secret(&secret), Format::parse(format)?)
}
