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
            Sink::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes)
                    .and_then(|()| out.flush())
                    .map_err(|e| CliError::Io(format!("write /dev/stdout: {e}")))
            }
            Sink::File(path) => write_atomically(path, bytes),
        }
    }
}

pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(
            ".{}",
            path.file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("kubeseal")
        ))
        .tempfile_in(&dir)
        .map_err(|e| io_error("open", path, &e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| io_error("write", path, &e))?;
    tmp.persist(path)
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
}
