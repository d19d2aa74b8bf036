//! `kubeseal reencrypt PATH...`: re-encrypts the SealedSecrets in a tree of YAML/JSON files
//! (a GitOps repository) to the newest key, rewriting only ciphertext values.
//!
//! Offline with `--recovery-private-key` and `--cert`, otherwise online through the
//! controller. Each file is rewritten atomically and only when every SealedSecret in it
//! succeeded; failures are reported per file and the run carries on. stdout stays empty.

pub(crate) mod document;
mod error;
mod offline;
mod online;
pub(crate) mod process;
pub(crate) mod reseal;
pub(crate) mod splice;
mod summary;
mod targets;
pub(crate) mod walk;
pub(crate) mod write;

pub use error::TreeError;

use sealwright_crypto::cert;

use crate::args::ReencryptGlobals;
use crate::args::tree::ReencryptArgs;
use crate::certsource;
use crate::error::CliError;
use crate::modes::unseal;
use reseal::Reseal;
use summary::Summary;

pub fn run(args: &ReencryptArgs, globals: &ReencryptGlobals) -> Result<(), CliError> {
    let walked = walk::walk(&args.paths);
    // Online under a rules file, each file goes to its own cluster's controller; otherwise one
    // resealer for the whole run, as set up by the flags.
    let by_rules = globals.cert.is_empty()
        && !crate::args::controller_flags_given()
        && walked
            .files
            .iter()
            .any(|f| !matches!(crate::rules::target_for(f), Ok(None)));
    let mut targets = targets::Targets::new(
        &globals.connection,
        if by_rules { None } else { Some(mode(globals)?) },
    );
    let mut summary = Summary::default();
    for e in &walked.errors {
        eprintln!("error: {e}");
        summary.files_failed += 1;
    }
    for path in &walked.files {
        summary.files_scanned += 1;
        let resealer = match targets.for_file(path) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {}: {e}", path.display());
                summary.files_failed += 1;
                continue;
            }
        };
        let report = process::process(path, resealer);
        summary.sealed_secrets += report.sealed_secrets;
        if !report.errors.is_empty() {
            for e in &report.errors {
                eprintln!("error: {e}");
            }
            summary.files_failed += 1;
            continue;
        }
        if let Some(bytes) = &report.new_bytes {
            if !args.dry_run
                && let Err(reason) = write::replace(path, bytes)
            {
                eprintln!(
                    "error: {}",
                    TreeError::Write {
                        path: path.display().to_string(),
                        reason
                    }
                );
                summary.files_failed += 1;
                continue;
            }
            eprintln!(
                "{}",
                summary::changed_line(
                    &path.display().to_string(),
                    report.items_changed,
                    report.objects_changed,
                    args.dry_run
                )
            );
        }
        summary.items_reencrypted += report.items_changed;
        summary.items_current += report.items_current;
    }
    eprintln!("{}", summary.line(args.dry_run));
    if summary.files_failed > 0 {
        return Err(TreeError::FilesFailed {
            failed: summary.files_failed,
        }
        .into());
    }
    Ok(())
}

/// Offline when both `--recovery-private-key` and `--cert` are given, online otherwise.
fn mode(a: &ReencryptGlobals) -> Result<Box<dyn Reseal>, CliError> {
    match (a.recovery_private_key.is_empty(), a.cert.is_empty()) {
        (false, false) => {
            let keys = unseal::read_keys(&a.recovery_private_key)?;
            let timeout = crate::kubeconfig::parse_timeout(&a.connection.kube.request_timeout)?;
            let info = cert::parse_pem(&certsource::open_local(&a.cert, timeout)?)?;
            info.check_not_expired(time::OffsetDateTime::now_utc())?;
            let offline = offline::Offline::new(&keys, info.public_key);
            if !offline.knows_current() {
                eprintln!(
                    "warning: no --recovery-private-key belongs to --cert, so no item can be recognised as current: every item is re-encrypted"
                );
            }
            Ok(Box::new(offline))
        }
        (keys_missing, cert_missing) => {
            if !keys_missing {
                eprintln!(
                    "warning: --recovery-private-key is ignored without --cert; re-encrypting online through the controller"
                );
            }
            if !cert_missing {
                eprintln!(
                    "warning: --cert is ignored without --recovery-private-key; re-encrypting online through the controller"
                );
            }
            Ok(Box::new(online::Online::connect(&a.connection)?))
        }
    }
}
