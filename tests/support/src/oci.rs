//! Reads an OCI image layout tarball (what `manifests/image/build.sh` writes) with `tar`:
//! its index, manifest and config, its layers, and the root filesystem they make up.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::error::TestenvError;

/// An image unpacked into a directory: `layout/` holds the OCI layout.
#[derive(Debug, Clone)]
pub struct OciImage {
    pub layout: PathBuf,
    pub index: Value,
    /// `sha256:<hex>` of the (single) manifest the index names.
    pub manifest_digest: String,
    pub manifest: Value,
    pub config: Value,
}

/// One entry of a layer, as `tar -tv` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerEntry {
    /// `-rwxr-xr-x`, `drwxr-xr-x`, ...
    pub mode: String,
    /// `uid/gid`.
    pub owner: String,
    pub path: String,
}

fn parse_error(what: impl Into<String>, message: impl Into<String>) -> TestenvError {
    TestenvError::Parse {
        what: what.into(),
        message: message.into(),
    }
}

fn run(cmd: &mut Command) -> Result<String, TestenvError> {
    let shown = format!("{cmd:?}");
    let out = cmd.output().map_err(|source| TestenvError::Spawn {
        binary: PathBuf::from(shown.clone()),
        source,
    })?;
    if !out.status.success() {
        return Err(parse_error(
            shown,
            format!("{}: {}", out.status, String::from_utf8_lossy(&out.stderr)),
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn read_json(path: &Path) -> Result<Value, TestenvError> {
    let text = std::fs::read(path).map_err(TestenvError::io(path))?;
    serde_json::from_slice(&text)
        .map_err(|e| parse_error(path.display().to_string(), e.to_string()))
}

impl OciImage {
    /// Unpacks `tarball` into `dir/layout` and reads index, manifest and config.
    pub fn unpack(tarball: &Path, dir: &Path) -> Result<OciImage, TestenvError> {
        let layout = dir.join("layout");
        std::fs::create_dir_all(&layout).map_err(TestenvError::io(&layout))?;
        run(Command::new("tar")
            .arg("-xf")
            .arg(tarball)
            .arg("-C")
            .arg(&layout))?;
        let index = read_json(&layout.join("index.json"))?;
        let manifests = index["manifests"].as_array().cloned().unwrap_or_default();
        let [entry] = manifests.as_slice() else {
            return Err(parse_error("index.json", "expected exactly one manifest"));
        };
        let manifest_digest = entry["digest"]
            .as_str()
            .ok_or_else(|| parse_error("index.json", "manifest without digest"))?
            .to_string();
        let mut image = OciImage {
            layout,
            index: index.clone(),
            manifest_digest: manifest_digest.clone(),
            manifest: Value::Null,
            config: Value::Null,
        };
        image.manifest = read_json(&image.blob(&manifest_digest))?;
        let config_digest = image.manifest["config"]["digest"]
            .as_str()
            .ok_or_else(|| parse_error("manifest", "config without digest"))?
            .to_string();
        image.config = read_json(&image.blob(&config_digest))?;
        Ok(image)
    }

    /// The file of the blob `sha256:<hex>`.
    pub fn blob(&self, digest: &str) -> PathBuf {
        let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
        self.layout.join("blobs/sha256").join(hex)
    }

    /// `sha256:<hex>` of every layer, in order.
    pub fn layer_digests(&self) -> Vec<String> {
        self.manifest["layers"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|l| l["digest"].as_str().map(str::to_string))
            .collect()
    }

    /// Every blob's content hashes to its name (`sha256sum`).
    pub fn verify_blobs(&self) -> Result<(), TestenvError> {
        let dir = self.layout.join("blobs/sha256");
        let entries = std::fs::read_dir(&dir).map_err(TestenvError::io(&dir))?;
        for entry in entries {
            let path = entry.map_err(TestenvError::io(&dir))?.path();
            let sum = run(Command::new("sha256sum").arg(&path))?;
            let hex = sum.split_whitespace().next().unwrap_or_default();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default();
            if hex != name {
                return Err(parse_error(
                    path.display().to_string(),
                    format!("content hashes to {hex}"),
                ));
            }
        }
        Ok(())
    }

    /// The entries of a (gzip-compressed) layer.
    pub fn layer_entries(&self, digest: &str) -> Result<Vec<LayerEntry>, TestenvError> {
        let listing = run(Command::new("tar")
            .args(["--numeric-owner", "-tvzf"])
            .arg(self.blob(digest)))?;
        listing
            .lines()
            .map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                match (fields.first(), fields.get(1), fields.last()) {
                    (Some(mode), Some(owner), Some(path)) if fields.len() >= 6 => Ok(LayerEntry {
                        mode: mode.to_string(),
                        owner: owner.to_string(),
                        path: path.trim_end_matches('/').to_string(),
                    }),
                    _ => Err(parse_error(digest, format!("unexpected tar line {line:?}"))),
                }
            })
            .collect()
    }

    /// Extracts the layers in order into `rootfs` (no whiteouts: the images here have none).
    pub fn extract_rootfs(&self, rootfs: &Path) -> Result<(), TestenvError> {
        std::fs::create_dir_all(rootfs).map_err(TestenvError::io(rootfs))?;
        for digest in self.layer_digests() {
            run(Command::new("tar")
                .args(["--no-same-owner", "-xzf"])
                .arg(self.blob(&digest))
                .arg("-C")
                .arg(rootfs))?;
        }
        Ok(())
    }

    /// `config.config.<field>` as a list of strings (`Entrypoint`, `Cmd`, `Env`).
    pub fn config_strings(&self, field: &str) -> Vec<String> {
        self.config["config"][field]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    /// Where a container's `command[0]` lands in `rootfs`: an absolute path as is, a bare name
    /// looked up in the image's `PATH`, as the runtime does.
    pub fn resolve_command(&self, rootfs: &Path, command: &str) -> Option<PathBuf> {
        if let Some(abs) = command.strip_prefix('/') {
            let path = rootfs.join(abs);
            return path.is_file().then_some(path);
        }
        let path_var = self
            .config_strings("Env")
            .into_iter()
            .find_map(|e| e.strip_prefix("PATH=").map(str::to_string))?;
        path_var
            .split(':')
            .map(|dir| rootfs.join(dir.trim_start_matches('/')).join(command))
            .find(|p| p.is_file())
    }
}
