//! Which files a run looks at: each PATH as given (a file is taken whatever its name), and the
//! `.yaml`/`.yml`/`.json` files below each directory, in sorted order. Inside a directory no
//! symlink is followed (whatever it points to inside the tree is reached by its real path, and
//! nothing outside is touched) and hidden directories (`.git`, …) are skipped.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use super::error::TreeError;
use crate::gofmt::go_errno_text;

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

/// The files to scan, and the PATHs (or directories below them) that could not be read.
#[derive(Debug, Default)]
pub struct Walk {
    pub files: Vec<PathBuf>,
    pub errors: Vec<TreeError>,
}

pub fn walk(paths: &[PathBuf]) -> Walk {
    let mut w = Walk::default();
    let mut seen = HashSet::new();
    for path in paths {
        match std::fs::metadata(path) {
            Ok(m) if m.is_dir() => dir(path, &mut w, &mut seen),
            Ok(_) => add(path, &mut w, &mut seen),
            Err(e) => w.errors.push(read_error(path, &e)),
        }
    }
    w
}

fn read_error(path: &Path, e: &std::io::Error) -> TreeError {
    TreeError::Read {
        path: path.display().to_string(),
        reason: go_errno_text(e),
    }
}

/// A file reached twice (a PATH inside another PATH) is scanned once.
fn add(path: &Path, w: &mut Walk, seen: &mut HashSet<PathBuf>) {
    let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    if seen.insert(key) {
        w.files.push(path.to_path_buf());
    }
}

fn has_wanted_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.iter().any(|x| x.eq_ignore_ascii_case(e)))
}

fn dir(path: &Path, w: &mut Walk, seen: &mut HashSet<PathBuf>) {
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) => return w.errors.push(read_error(path, &e)),
    };
    let mut names = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => names.push(entry.file_name()),
            Err(e) => return w.errors.push(read_error(path, &e)),
        }
    }
    names.sort();
    for name in names {
        let child = path.join(&name);
        // `symlink_metadata` does not follow links, so a link is seen as a link and skipped.
        let meta = match std::fs::symlink_metadata(&child) {
            Ok(m) => m,
            Err(e) => {
                w.errors.push(read_error(&child, &e));
                continue;
            }
        };
        let hidden = name.to_string_lossy().starts_with('.');
        if meta.is_dir() {
            if !hidden {
                dir(&child, w, seen);
            }
        } else if meta.is_file() && has_wanted_extension(&child) {
            add(&child, w, seen);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(p: &Path) {
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(p, "x: 1\n").expect("write");
    }

    #[test]
    fn sorted_filtered_no_hidden_no_symlinks() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let root = tmp.path().join("repo");
        for f in [
            "b.yaml",
            "a.yml",
            "c.JSON",
            "notes.txt",
            "sub/z.yaml",
            "sub/deeper/y.yaml",
            ".git/config.yaml",
            ".hidden.yaml",
        ] {
            touch(&root.join(f));
        }
        let outside = tmp.path().join("outside");
        touch(&outside.join("secret.yaml"));
        std::os::unix::fs::symlink(&outside, root.join("link-dir")).expect("symlink");
        std::os::unix::fs::symlink(outside.join("secret.yaml"), root.join("link.yaml"))
            .expect("symlink");

        let w = walk(std::slice::from_ref(&root));
        assert!(w.errors.is_empty(), "{:?}", w.errors);
        let rel: Vec<String> = w
            .files
            .iter()
            .map(|p| p.strip_prefix(&root).expect("inside").display().to_string())
            .collect();
        assert_eq!(
            rel,
            vec![
                ".hidden.yaml",
                "a.yml",
                "b.yaml",
                "c.JSON",
                "sub/deeper/y.yaml",
                "sub/z.yaml"
            ]
        );
    }

    #[test]
    fn explicit_files_missing_paths_and_duplicates() {
        let tmp = tempfile::tempdir().expect("tempdir");
        let f = tmp.path().join("plain.txt");
        touch(&f);
        let missing = tmp.path().join("missing");
        let w = walk(&[f.clone(), missing, tmp.path().to_path_buf(), f.clone()]);
        assert_eq!(
            w.files,
            vec![f],
            "named file taken once, whatever its extension"
        );
        assert_eq!(w.errors.len(), 1);
        assert!(
            w.errors[0]
                .to_string()
                .ends_with("missing: no such file or directory"),
            "{}",
            w.errors[0]
        );
    }
}
