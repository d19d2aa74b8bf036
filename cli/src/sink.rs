//! Where output goes. Everything is produced in memory first so that a failed run writes
//! nothing: stdout gets it at the end, `-w FILE` gets it through a temporary file in the same
//! directory renamed over the target (atomic, as upstream's renameio).

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{CliError, io_error};

#[derive(Debug)]
pub enum Sink {
    Stdout,
    File(PathBuf),
}

impl Sink {
    /// `.yaml`/`.yml` output files force YAML, whatever `-o` says.
    pub fn forces_yaml(&self) -> bool {
        match self {
            Sink::File(p) => matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")),
            Sink::Stdout => false,
        }
    }

    pub fn commit(&self, bytes: &[u8]) -> Result<(), CliError> {
        match self {
            Sink::Stdout => crate::stdout::write(bytes)
                .map_err(|e| CliError::Io(format!("write /dev/stdout: {e}"))),
            Sink::File(path) => write_atomically(path, bytes),
        }
    }
}

/// Writes `bytes` to `path` so that a failure (a full disk, a size limit) leaves the old
/// content untouched. A symlink is written through (the link stays, its target changes). A
/// device, FIFO or socket is never replaced: it is written to as `>` would (`-w /dev/stdout`).
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let target = match std::fs::canonicalize(path) {
        Ok(resolved) => resolved,
        // A new file, or a dangling link: resolve the link itself so it is not replaced.
        Err(_) => match std::fs::read_link(path) {
            Ok(dest) => match path.parent() {
                Some(dir) if dest.is_relative() => dir.join(dest),
                _ => dest,
            },
            Err(_) => path.to_path_buf(),
        },
    };
    if let Ok(meta) = std::fs::metadata(&target) {
        if meta.is_dir() {
            return Err(CliError::Io(format!(
                "open {}: is a directory",
                path.display()
            )));
        }
        if !meta.is_file() {
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(&target)
                .map_err(|e| io_error("open", path, &e))?;
            return match f.write_all(bytes).and_then(|()| f.flush()) {
                Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                    crate::stdout::broken_pipe()
                }
                other => other.map_err(|e| io_error("write", path, &e)),
            };
        }
    }
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(
            ".{}",
            target
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("kubeseal")
        ))
        .tempfile_in(&dir)
        .map_err(|e| io_error("open", path, &e))?;
    // Keep the permissions of a file being replaced (a 0644 manifest stays 0644).
    if let Ok(meta) = std::fs::metadata(&target) {
        let _ = std::fs::set_permissions(tmp.path(), meta.permissions());
    }
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| io_error("write", path, &e))?;
    tmp.persist(&target)
        .map_err(|e| io_error("rename", path, &e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_extension_forces_yaml() {
        assert!(Sink::File("x.yaml".into()).forces_yaml());
        assert!(Sink::File("d/x.yml".into()).forces_yaml());
        assert!(!Sink::File("x.json".into()).forces_yaml());
        assert!(!Sink::Stdout.forces_yaml());
    }

    #[test]
    fn atomic_write_replaces() {
        let dir = tempfile::tempdir().map_err(|e| e.to_string());
        let Ok(dir) = dir else { return };
        let p = dir.path().join("out.json");
        assert!(write_atomically(&p, b"one").is_ok());
        assert!(write_atomically(&p, b"two").is_ok());
        assert_eq!(std::fs::read(&p).ok().as_deref(), Some(&b"two"[..]));
        assert_eq!(
            std::fs::read_dir(dir.path())
                .map(|d| d.count())
                .unwrap_or(0),
            1
        );
    }

    #[test]
    fn symlinks_are_written_through() {
        let Ok(dir) = tempfile::tempdir() else { return };
        let real = dir.path().join("real.yaml");
        let link = dir.path().join("link.yaml");
        assert!(std::fs::write(&real, b"old").is_ok());
        assert!(std::os::unix::fs::symlink("real.yaml", &link).is_ok());
        assert!(write_atomically(&link, b"new").is_ok());
        assert!(std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink()));
        assert_eq!(std::fs::read(&real).ok().as_deref(), Some(&b"new"[..]));
        // A dangling link creates its target.
        let dangling = dir.path().join("dangling.yaml");
        assert!(std::os::unix::fs::symlink("created.yaml", &dangling).is_ok());
        assert!(write_atomically(&dangling, b"x").is_ok());
        assert!(std::fs::symlink_metadata(&dangling).is_ok_and(|m| m.file_type().is_symlink()));
        assert_eq!(
            std::fs::read(dir.path().join("created.yaml"))
                .ok()
                .as_deref(),
            Some(&b"x"[..])
        );
    }

    #[test]
    fn devices_are_written_to_not_replaced() {
        assert!(write_atomically(Path::new("/dev/null"), b"x").is_ok());
        assert!(std::fs::metadata("/dev/null").is_ok_and(|m| !m.is_file()));
    }
}
