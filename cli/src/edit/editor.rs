//! `kubeseal edit FILE`: open the items with the recovery keys, let $VISUAL/$EDITOR change a
//! plain Secret in a private temporary file, and seal back only what changed.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use base64::Engine;
use sealwright_crypto::{b64, hybrid, scope};
use serde_yaml::{Mapping, Value};
use zeroize::Zeroizing;

use super::error::EditError;
use super::object::{self, Loaded};
use super::rewrite::Op;
use crate::args::CertGlobals;
use crate::args::edit::EditArgs;
use crate::error::CliError;
use crate::modes::unseal;
use crate::rules::Certs;

use super::values::Items;

pub fn run(
    args: &EditArgs,
    globals: &CertGlobals,
    recovery_private_key: &[PathBuf],
) -> Result<(), CliError> {
    if recovery_private_key.is_empty() {
        return Err(EditError::Usage(
            "kubeseal edit needs --recovery-private-key (the controller's keys, e.g. from `kubeseal keys backup`); values are never opened by the controller".into(),
        )
        .into());
    }
    let keys = unseal::read_keys(recovery_private_key)?;
    let l = object::load(&args.file, args.name.as_deref())?;
    let label = scope::label_for(&l.ss.metadata);
    let mut old: Items = Vec::new();
    for item in file_order(&l) {
        let text =
            l.ss.spec
                .encrypted_data
                .get(&item)
                .cloned()
                .unwrap_or_default();
        let plain = b64::decode(text.as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|blob| hybrid::unseal(&keys, &label, &blob).map_err(|e| e.to_string()))
            .map_err(|reason| EditError::Item {
                path: l.shown.clone(),
                object: l.object.clone(),
                item: item.clone(),
                reason,
            })?;
        old.push((item, Zeroizing::new(plain.to_vec())));
    }
    let buffer = render(&l, &old);
    let edited = edit_privately(&args.file, &buffer, &l.shown)?;
    if edited.as_slice() == buffer.as_bytes() {
        eprintln!("{}: no changes; the file is left as it was", l.shown);
        return Ok(());
    }
    if edited.iter().all(u8::is_ascii_whitespace) {
        eprintln!("{}: empty buffer; the file is left as it was", l.shown);
        return Ok(());
    }
    let new = parse(&edited).map_err(|reason| EditError::EditedInvalid {
        path: l.shown.clone(),
        reason,
    })?;
    let mut puts: Items = Vec::new();
    let mut ops = Vec::new();
    for (k, v) in &new {
        if old
            .iter()
            .any(|(ok, ov)| ok == k && ov.as_slice() == v.as_slice())
        {
            continue;
        }
        super::values::check_key(k).map_err(|reason| EditError::EditedInvalid {
            path: l.shown.clone(),
            reason,
        })?;
        puts.push((k.clone(), v.clone()));
    }
    for (k, _) in &old {
        if !new.iter().any(|(nk, _)| nk == k) {
            ops.push(Op::Remove { item: k.clone() });
        }
    }
    if puts.is_empty() && ops.is_empty() {
        eprintln!("{}: no changes; the file is left as it was", l.shown);
        return Ok(());
    }
    let removed = ops.len();
    if !puts.is_empty() {
        let mut certs = Certs::default();
        let mut sealed = super::seal_items(&l, &args.file, &puts, &mut certs, globals)?;
        sealed.append(&mut ops);
        ops = sealed;
    }
    super::commit(&args.file, &l, &ops)?;
    eprintln!(
        "{}: {}: sealed {}, removed {}, kept {}",
        l.shown,
        l.object,
        super::count(puts.len()),
        super::count(removed),
        super::count(
            old.len()
                - removed
                - puts
                    .iter()
                    .filter(|(k, _)| old.iter().any(|(o, _)| o == k))
                    .count()
        )
    );
    Ok(())
}

/// The items in the order the file lists them.
fn file_order(l: &Loaded) -> Vec<String> {
    let raw = l.docs.get(l.place.document).map(|d| &d.value);
    let raw = match l.place.list_item {
        None => raw,
        Some(i) => raw.and_then(|v| v.get("items")).and_then(|v| v.get(i)),
    };
    raw.and_then(|v| v.get("spec"))
        .and_then(|s| s.get("encryptedData"))
        .and_then(Value::as_mapping)
        .map(|m| {
            m.keys()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_else(|| l.ss.spec.encrypted_data.keys().cloned().collect())
}

fn render(l: &Loaded, items: &Items) -> Zeroizing<String> {
    let mut string_data = Mapping::new();
    let mut data = Mapping::new();
    for (k, v) in items {
        match std::str::from_utf8(v) {
            Ok(s) => string_data.insert(k.as_str().into(), s.into()),
            Err(_) => data.insert(
                k.as_str().into(),
                base64::engine::general_purpose::STANDARD.encode(v).into(),
            ),
        };
    }
    let mut meta = Mapping::new();
    if let Some(n) = &l.ss.metadata.name {
        meta.insert("name".into(), n.as_str().into());
    }
    if let Some(n) = &l.ss.metadata.namespace {
        meta.insert("namespace".into(), n.as_str().into());
    }
    let mut doc = Mapping::new();
    doc.insert("apiVersion".into(), "v1".into());
    doc.insert("kind".into(), "Secret".into());
    doc.insert("metadata".into(), Value::Mapping(meta));
    if !string_data.is_empty() {
        doc.insert("stringData".into(), Value::Mapping(string_data));
    }
    if !data.is_empty() {
        doc.insert("data".into(), Value::Mapping(data));
    }
    let body = serde_yaml::to_string(&Value::Mapping(doc)).unwrap_or_default();
    Zeroizing::new(format!(
        "# {}: {}\n\
         # Change, add or remove items under stringData (text) or data (base64); metadata is\n\
         # not used. Save and quit to seal the changes; an empty file changes nothing.\n{body}",
        l.shown, l.object
    ))
}

/// The items of the edited Secret, or why it is not one (without quoting its text).
fn parse(bytes: &[u8]) -> Result<Items, String> {
    let text = std::str::from_utf8(bytes)
        .map_err(|e| format!("not UTF-8 text (byte {})", e.valid_up_to()))?;
    let doc: Value = serde_yaml::from_str(text).map_err(|e| match e.location() {
        Some(loc) => format!(
            "not valid YAML at line {} column {}",
            loc.line(),
            loc.column()
        ),
        None => "not valid YAML".to_string(),
    })?;
    if !doc.is_mapping() {
        return Err("not a mapping".into());
    }
    let mut out: Items = Vec::new();
    for (field, base64) in [("stringData", false), ("data", true)] {
        let Some(section) = doc.get(field) else {
            continue;
        };
        if section.is_null() {
            continue;
        }
        let map = section
            .as_mapping()
            .ok_or_else(|| format!("{field} is not a mapping"))?;
        for (k, v) in map {
            let key = k
                .as_str()
                .ok_or_else(|| format!("{field}: a key is not a string"))?;
            let value = v
                .as_str()
                .ok_or_else(|| format!("{field}.{key}: not a string (quote it)"))?;
            let bytes = if base64 {
                base64::engine::general_purpose::STANDARD
                    .decode(value.trim())
                    .map_err(|_| format!("data.{key}: not valid base64"))?
            } else {
                value.as_bytes().to_vec()
            };
            if out.iter().any(|(o, _)| o == key) {
                return Err(format!("{key}: given in both stringData and data"));
            }
            out.push((key.to_string(), Zeroizing::new(bytes)));
        }
    }
    Ok(out)
}

/// tmpfs when there is one: the plaintext should not reach a disk.
fn private_base() -> PathBuf {
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from)
        && dir.is_dir()
    {
        return dir;
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        return shm.to_path_buf();
    }
    std::env::temp_dir()
}

/// Writes `buffer` to a 0600 file in a fresh 0700 directory, runs the editor on it and returns
/// what was saved. The directory goes away when this returns, whatever happened; SIGINT or
/// SIGTERM stops the editor and ends the command without a change, after the cleanup.
fn edit_privately(file: &Path, buffer: &str, shown: &str) -> Result<Zeroizing<Vec<u8>>, EditError> {
    let io = |what: &str, e: std::io::Error| {
        EditError::Editor(format!(
            "cannot {what}: {}",
            crate::gofmt::go_errno_text(&e)
        ))
    };
    let dir = tempfile::Builder::new()
        .prefix("kubeseal-edit-")
        .tempdir_in(private_base())
        .map_err(|e| io("create a private directory", e))?;
    // Private whatever the umask; it is still empty here.
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700))
        .map_err(|e| io("make the directory private", e))?;
    let name = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("secret");
    let path = dir.path().join(format!("{name}.yaml"));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(|e| io("create the temporary file", e))?;
    f.write_all(buffer.as_bytes())
        .map_err(|e| io("write the temporary file", e))?;
    drop(f);

    let stop = Arc::new(AtomicBool::new(false));
    let mut ids = Vec::new();
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        ids.push(
            signal_hook::flag::register(sig, Arc::clone(&stop))
                .map_err(|e| io("handle signals", e))?,
        );
    }
    let status = launch(&path, &stop);
    for id in ids {
        signal_hook::low_level::unregister(id);
    }
    if stop.load(Ordering::SeqCst) {
        return Err(EditError::Interrupted {
            path: shown.to_string(),
        });
    }
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => {
            return Err(EditError::Editor(format!(
                "the editor exited with {s}; {shown} left as it was"
            )));
        }
        Err(e) => return Err(io("start the editor", e)),
    }
    let saved = std::fs::read(&path).map_err(|e| io("read the edited file", e))?;
    Ok(Zeroizing::new(saved))
}

/// `$VISUAL`, else `$EDITOR`, else vi; through the shell so that `code --wait` works. A signal
/// (`stop`) ends the editor.
fn launch(path: &Path, stop: &AtomicBool) -> std::io::Result<std::process::ExitStatus> {
    let editor = ["VISUAL", "EDITOR"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .unwrap_or_else(|| "vi".into());
    // `exec`: the editor is the child itself, so a signal can end it.
    let mut script = std::ffi::OsString::from("exec ");
    script.push(editor);
    script.push(" \"$@\"");
    let mut child = std::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(script)
        .arg("sh")
        .arg(path)
        .spawn()?;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(status);
        }
        if stop.load(Ordering::SeqCst) {
            let _ = child.kill();
            return child.wait();
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}
