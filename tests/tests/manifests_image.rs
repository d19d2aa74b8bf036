//! The controller image `manifests/image/build.sh` assembles with crane: an OCI layout tarball
//! holding one layer with one file (the controller), run as the Deployment's user, named and
//! tagged as the Deployment references it, byte-for-byte reproducible.
//!
//! The always-on test packages this test run's controller binary (seconds); the ignored one
//! builds the static release binary first (minutes on two cores):
//! `cargo test -p sealwright-tests --test manifests_image -- --ignored`.
//! Both need crane in its cache: `tests/manifests/prepare.sh` builds it before going offline.

#[path = "../manifests/support.rs"]
mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use sealwright_tests::oci::OciImage;
use serde_json::Value;
use support::*;

const BINARY: &str = "sealed-secrets-controller";

/// Runs build.sh; returns (digest it printed, tarball).
fn build_image(args: &[&str], out: &Path) -> (String, PathBuf) {
    let output = Command::new("bash")
        .arg(repo_root().join("manifests/image/build.sh"))
        .args(args)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run manifests/image/build.sh");
    assert!(
        output.status.success(),
        "build.sh failed ({}): {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    let digest = String::from_utf8_lossy(&output.stdout).trim().to_string();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "build.sh printed {digest:?}, not a digest"
    );
    let tarball = out.join(format!("{BINARY}-v{}.oci.tar", workspace_version()));
    assert!(tarball.is_file(), "{} is missing", tarball.display());
    (digest, tarball)
}

/// A `[workspace.package]` string field of the root Cargo.toml.
fn workspace_field(field: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join("Cargo.toml")).expect("read Cargo.toml");
    text.lines()
        .skip_while(|l| l.trim() != "[workspace.package]")
        .skip(1)
        .take_while(|l| !l.starts_with('['))
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == field).then(|| v.trim().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| panic!("[workspace.package] {field} missing"))
}

/// The controller Deployment as the stack renders it.
fn deployment() -> Value {
    let docs = yaml_documents(&render_yaml("sealed-secrets"));
    find(&docs, "Deployment", "kube-system", BINARY).clone()
}

/// Does the ELF file ask for a program interpreter (dynamic linking)?
fn has_interpreter(path: &Path) -> bool {
    let elf = std::fs::read(path).expect("read binary");
    assert_eq!(&elf[..4], b"\x7fELF", "{} is not ELF", path.display());
    assert_eq!(elf[4], 2, "not a 64-bit ELF");
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().expect("8 bytes")) as usize;
    let (phentsize, phnum) = (u16_at(0x36), u16_at(0x38));
    (0..phnum).any(|i| {
        let at = phoff + i * phentsize;
        u32::from_le_bytes(elf[at..at + 4].try_into().expect("4 bytes")) == 3 // PT_INTERP
    })
}

/// Everything the image must be; returns the extracted controller binary.
/// crane's own reader of `docker save` tarballs (go-containerregistry's `tarball` package, the
/// format `docker load` and `kind load image-archive` take) must accept ours.
fn crane_validates(tarball: &Path) {
    let tools = Command::new("bash")
        .arg(repo_root().join("manifests/image/build.sh"))
        .arg("--tools-only")
        .output()
        .expect("build.sh --tools-only");
    assert!(tools.status.success(), "build.sh --tools-only failed");
    let dir = String::from_utf8_lossy(&tools.stdout).trim().to_string();
    let out = Command::new(Path::new(&dir).join("crane"))
        .arg("validate")
        .arg("--tarball")
        .arg(tarball)
        .output()
        .expect("crane validate");
    assert!(
        out.status.success(),
        "crane validate --tarball: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn check_image(tarball: &Path, printed_digest: &str, scratch: &Path) -> PathBuf {
    crane_validates(tarball);
    let image = OciImage::unpack(tarball, scratch).expect("unpack the OCI tarball");
    image.verify_blobs().expect("blobs match their digests");
    assert_eq!(image.manifest_digest, printed_digest, "printed digest");
    let layout = std::fs::read_to_string(image.layout.join("oci-layout")).expect("oci-layout");
    assert!(layout.contains("\"imageLayoutVersion\""), "{layout}");

    // The name the runtimes import it under is the Deployment's image.
    let deploy = deployment();
    let pod = &deploy["spec"]["template"]["spec"];
    let container = &pod["containers"][0];
    let reference = container["image"].as_str().expect("image");
    let tag = format!("v{}", workspace_version());
    assert_eq!(
        reference,
        format!("ghcr.io/sealwright/{BINARY}:{tag}"),
        "Deployment image"
    );
    let annotations = &image.index["manifests"][0]["annotations"];
    assert_eq!(annotations["io.containerd.image.name"], reference);
    assert_eq!(
        annotations["org.opencontainers.image.ref.name"],
        tag.as_str()
    );
    let docker_manifest: Value = serde_json::from_slice(
        &std::fs::read(image.layout.join("manifest.json")).expect("manifest.json"),
    )
    .expect("manifest.json is JSON");
    assert_eq!(
        docker_manifest[0]["RepoTags"],
        serde_json::json!([reference])
    );

    // Config: platform, user, entrypoint, PATH, labels.
    let config = &image.config;
    assert_eq!(config["os"], "linux");
    assert_eq!(config["architecture"], "amd64");
    let user = config["config"]["User"].as_str().expect("User is set");
    let (uid, gid) = user.split_once(':').expect("User is uid:gid");
    assert_eq!(uid, pod["securityContext"]["runAsUser"].to_string(), "uid");
    assert_eq!(gid, pod["securityContext"]["runAsGroup"].to_string(), "gid");
    assert_ne!(uid, "0");
    assert_eq!(pod["securityContext"]["runAsNonRoot"], true);
    let entrypoint = image.config_strings("Entrypoint");
    assert_eq!(entrypoint, [format!("/usr/local/bin/{BINARY}")]);
    assert!(image.config_strings("Cmd").is_empty());
    assert!(
        image
            .config_strings("Env")
            .contains(&"PATH=/usr/local/bin".to_string())
    );
    let labels = &config["config"]["Labels"];
    assert_eq!(
        labels["org.opencontainers.image.source"],
        workspace_field("repository").as_str()
    );
    assert_eq!(labels["org.opencontainers.image.version"], tag.as_str());
    assert_eq!(
        labels["org.opencontainers.image.licenses"],
        workspace_field("license").as_str()
    );

    // One layer, one file: the controller. No shell, nothing else.
    let layers = image.layer_digests();
    assert_eq!(layers.len(), 1, "layers: {layers:?}");
    assert_eq!(
        image.manifest["layers"][0]["mediaType"],
        "application/vnd.oci.image.layer.v1.tar+gzip"
    );
    let entries = image.layer_entries(&layers[0]).expect("list the layer");
    let files: Vec<_> = entries
        .iter()
        .filter(|e| !e.mode.starts_with('d'))
        .collect();
    assert_eq!(files.len(), 1, "non-directory entries: {files:?}");
    assert_eq!(files[0].path, format!("usr/local/bin/{BINARY}"));
    assert_eq!(files[0].mode, "-rwxr-xr-x");
    for e in &entries {
        assert_eq!(e.owner, "0/0", "{e:?}");
        let mode = e.mode.as_bytes();
        assert!(
            mode.len() == 10 && mode[5] != b'w' && mode[8] != b'w',
            "writable: {e:?}"
        );
    }

    // The Deployment's command resolves, through the image's PATH, to that file.
    let rootfs = scratch.join("rootfs");
    image.extract_rootfs(&rootfs).expect("extract the layer");
    let command = container["command"][0].as_str().expect("command");
    let resolved = image
        .resolve_command(&rootfs, command)
        .unwrap_or_else(|| panic!("the Deployment's command {command} is not in the image"));
    assert_eq!(resolved, rootfs.join(entrypoint[0].trim_start_matches('/')));

    let version = Command::new(&resolved)
        .arg("--version")
        .output()
        .expect("run the image's binary");
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout).trim(),
        format!("controller version: {tag}")
    );
    resolved
}

#[test]
fn image_of_the_workspace_binary_is_minimal_and_reproducible() {
    let binary = workspace_binary("sealwright-controller", BINARY);
    let binary_arg = binary.to_str().expect("UTF-8 path");
    let dir = tempfile::tempdir().expect("temp dir");
    let (digest, tarball) = build_image(&["--binary", binary_arg], &dir.path().join("a"));
    let (again, tarball_again) = build_image(&["--binary", binary_arg], &dir.path().join("b"));
    assert_eq!(digest, again, "same inputs, different digest");
    assert_eq!(
        std::fs::read(&tarball).expect("read"),
        std::fs::read(&tarball_again).expect("read"),
        "same inputs, different tarball"
    );
    let packaged = check_image(&tarball, &digest, &dir.path().join("unpacked"));
    assert_eq!(
        std::fs::read(&packaged).expect("read"),
        std::fs::read(&binary).expect("read"),
        "the image holds another binary"
    );
}

/// The image as shipped: static release binary, written to `target/image/`.
#[test]
#[ignore = "builds the static release binary (minutes)"]
fn release_image_is_static() {
    let out = repo_root().join("target/image");
    let (digest, tarball) = build_image(&[], &out);
    let dir = tempfile::tempdir().expect("temp dir");
    let binary = check_image(&tarball, &digest, dir.path());
    assert!(
        !has_interpreter(&binary),
        "the release binary is dynamically linked"
    );
}
