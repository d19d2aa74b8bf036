//! `kubeseal set`, `unset` and `edit`: change the items of an existing SealedSecret file in
//! place. Only the ciphertexts of the named items change; everything else keeps its bytes
//! (the splicing and atomic writes of `kubeseal reencrypt`).

mod editor;
mod error;
mod object;
mod rewrite;
mod values;

use std::path::{Path, PathBuf};

use sealwright_crypto::{Scope, hybrid, scope};

pub use error::EditError;

use crate::args::CertGlobals;
use crate::args::edit::{EditArgs, SetArgs, UnsetArgs};
use crate::error::CliError;
use crate::rules::Certs;
use object::Loaded;
use rewrite::Op;

pub fn run_set(args: &SetArgs, globals: &CertGlobals, max_input_size: u64) -> Result<(), CliError> {
    let files = expand(&args.file)?;
    let items = values::read(&args.items, max_input_size)?;
    let mut certs = Certs::default();
    each_file(&files, |file| {
        let l = object::load(file, args.name.as_deref())?;
        let ops = seal_items(&l, file, &items, &mut certs, globals)?;
        commit(file, &l, &ops)?;
        let names: Vec<&str> = items.iter().map(|(k, _)| k.as_str()).collect();
        eprintln!(
            "{}: {}: sealed {}: {}",
            l.shown,
            l.object,
            count(names.len()),
            names.join(", ")
        );
        Ok(())
    })
}

/// Needs no certificate: removing an item seals nothing.
pub fn run_unset(args: &UnsetArgs) -> Result<(), CliError> {
    let files = expand(&args.file)?;
    for k in &args.keys {
        values::check_key(k).map_err(EditError::Usage)?;
    }
    each_file(&files, |file| {
        let l = object::load(file, args.name.as_deref())?;
        let ops: Vec<Op> = args
            .keys
            .iter()
            .map(|k| Op::Remove { item: k.clone() })
            .collect();
        commit(file, &l, &ops)?;
        eprintln!(
            "{}: {}: removed {}: {}",
            l.shown,
            l.object,
            count(args.keys.len()),
            args.keys.join(", ")
        );
        Ok(())
    })
}

/// `recovery_private_key` opens the values; new ones are sealed for the file's certificate.
pub fn run_edit(
    args: &EditArgs,
    globals: &CertGlobals,
    recovery_private_key: &[PathBuf],
) -> Result<(), CliError> {
    editor::run(args, globals, recovery_private_key)
}

fn count(n: usize) -> String {
    format!("{n} {}", if n == 1 { "item" } else { "items" })
}

/// One file: its own error; several: every file is tried, each failure reported on its line.
fn each_file(
    files: &[PathBuf],
    mut f: impl FnMut(&Path) -> Result<(), CliError>,
) -> Result<(), CliError> {
    if let [one] = files {
        return f(one);
    }
    let mut failed = 0;
    for file in files {
        if let Err(e) = f(file) {
            eprintln!("error: {e}");
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(EditError::Usage(format!(
            "{failed} of {} files failed (see the errors above)",
            files.len()
        ))
        .into());
    }
    Ok(())
}

/// FILE as given when it exists or has no glob characters; otherwise the glob's matches.
fn expand(pattern: &str) -> Result<Vec<PathBuf>, EditError> {
    let path = PathBuf::from(pattern);
    if path.exists() || !pattern.contains(['*', '?', '[']) {
        return Ok(vec![path]);
    }
    let paths = glob::glob(pattern)
        .map_err(|e| EditError::Usage(format!("{pattern}: not a valid glob: {}", e.msg)))?;
    let mut files: Vec<PathBuf> = paths
        .filter_map(Result::ok)
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(EditError::NoMatch {
            path: pattern.to_string(),
        });
    }
    Ok(files)
}

/// Seals each item for the file's certificate under the object's own scope label.
fn seal_items(
    l: &Loaded,
    file: &Path,
    items: &values::Items,
    certs: &mut Certs,
    globals: &CertGlobals,
) -> Result<Vec<Op>, CliError> {
    let ns_missing =
        l.ss.metadata
            .namespace
            .as_deref()
            .unwrap_or_default()
            .is_empty();
    if ns_missing && Scope::of(&l.ss.metadata) != Scope::ClusterWide {
        return Err(EditError::Object {
            path: l.shown.clone(),
            object: l.object.clone(),
            reason: "has no metadata.namespace, which its scope needs to be sealed".into(),
        }
        .into());
    }
    let (key, _) = certs.key_for_file(file, globals)?;
    let label = scope::label_for(&l.ss.metadata);
    items
        .iter()
        .map(|(item, plain)| {
            hybrid::seal_base64(&key, &label, plain)
                .map(|text| Op::Put {
                    item: item.clone(),
                    text,
                })
                .map_err(|e| {
                    EditError::Item {
                        path: l.shown.clone(),
                        object: l.object.clone(),
                        item: item.clone(),
                        reason: format!("cannot seal: {e}"),
                    }
                    .into()
                })
        })
        .collect()
}

fn commit(file: &Path, l: &Loaded, ops: &[Op]) -> Result<(), EditError> {
    let out = rewrite::rewrite(l, ops)?;
    crate::tree::write::replace(file, &out).map_err(|reason| EditError::Write {
        path: l.shown.clone(),
        reason,
    })
}
