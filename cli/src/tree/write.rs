//! Replacing a file atomically: a temporary file next to the real one (a named symlink is
//! resolved first, so the link stays a link), same permission bits and, where allowed, the same
//! owner; then a rename over the original. A failure leaves the original untouched.

use std::io::Write;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::gofmt::go_errno_text;

pub fn replace(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let target = std::fs::canonicalize(path).map_err(|e| go_errno_text(&e))?;
    let meta = std::fs::metadata(&target).map_err(|e| go_errno_text(&e))?;
    let dir = target
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    let name = target
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("file");
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)
        .map_err(|e| {
            format!(
                "create a temporary file in {}: {}",
                dir.display(),
                go_errno_text(&e)
            )
        })?;
    let file = tmp.as_file();
    // Best effort: only root may give a file away; an ordinary user keeps their own files.
    let _ = std::os::unix::fs::fchown(file, Some(meta.uid()), Some(meta.gid()));
    file.set_permissions(meta.permissions())
        .map_err(|e| go_errno_text(&e))?;
    tmp.write_all(bytes)
        .and_then(|()| tmp.as_file().sync_all())
        .map_err(|e| go_errno_text(&e))?;
    tmp.persist(&target).map_err(|e| go_errno_text(&e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn keeps_mode_and_symlinks() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let real = tmp.path().join("real.yaml");
        std::fs::write(&real, "old").expect("write");
        std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        let link = tmp.path().join("link.yaml");
        std::os::unix::fs::symlink(&real, &link).expect("symlink");

        replace(&link, b"new").expect("replace");
        assert_eq!(std::fs::read(&real).expect("read"), b"new");
        assert!(
            std::fs::symlink_metadata(&link)
                .expect("meta")
                .file_type()
                .is_symlink()
        );
        let mode = std::fs::metadata(&real).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o640);
        let leftovers = std::fs::read_dir(tmp.path()).expect("ls").count();
        assert_eq!(leftovers, 2, "no temporary file left behind");
    }

    #[test]
    fn missing_file_is_an_error() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let err = replace(&tmp.path().join("gone.yaml"), b"x").expect_err("missing");
        assert_eq!(err, "no such file or directory");
    }
}
