//! `-w` (atomic, `.yaml`/`.yml` force YAML, untouched on error), positional input files and
//! `--merge-into`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

const SECRET: &str =
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: x\nstringData:\n  k: v\n";

fn cert() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cmd/data/cert.pem")
}

fn kubeseal(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubeseal"))
        .args(args)
        .env("KUBECONFIG", "/nonexistent/kubeconfig")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn kubeseal");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin)
        .expect("write stdin");
    child.wait_with_output().expect("wait")
}

fn scratch(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kubeseal-cli-files-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch");
    dir
}

fn only_entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn write_file_forces_yaml_by_extension() {
    let dir = scratch("ext");
    let c = cert();
    for (name, first) in [
        ("out.yaml", "---\n"),
        ("out.yml", "---\n"),
        ("out.json", "{\n"),
    ] {
        let target = dir.join(name);
        let out = kubeseal(
            &[
                "--cert",
                c.to_str().expect("path"),
                "-o",
                "json",
                "-w",
                target.to_str().expect("path"),
            ],
            SECRET.as_bytes(),
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty());
        let written = std::fs::read_to_string(&target).expect("written");
        assert!(written.starts_with(first), "{name}: {written}");
    }
    assert_eq!(
        only_entries(&dir),
        vec!["out.json", "out.yaml", "out.yml"],
        "no temporary files left"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn failed_run_leaves_the_output_file_untouched() {
    let dir = scratch("untouched");
    let target = dir.join("sealed.yaml");
    std::fs::write(&target, "original\n").expect("seed file");
    let c = cert();
    let bad_inputs: [&[u8]; 6] = [
        b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: x\ndata:\n  k: not base64!\n",
        b"metadata: [unclosed\n",
        b"\x00\x01\x02\xff\xfe binary garbage",
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  namespace: x\nstringData:\n  k: v\n",
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: x\n",
        // The first document is fine, the second is not: nothing at all is written.
        b"apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: x\nstringData:\n  k: v\n---\nmetadata:\n  name: b\n",
    ];
    for input in bad_inputs {
        let out = kubeseal(
            &[
                "--cert",
                c.to_str().expect("path"),
                "-w",
                target.to_str().expect("path"),
            ],
            input,
        );
        assert_eq!(out.status.code(), Some(1));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.starts_with("error: ") && stderr.lines().count() == 1,
            "one-line error: {stderr:?}"
        );
        assert_eq!(
            std::fs::read_to_string(&target).expect("still there"),
            "original\n"
        );
        assert_eq!(only_entries(&dir), vec!["sealed.yaml"]);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn multi_doc_is_sealed_in_order_and_positional_file_works() {
    let dir = scratch("multi");
    let input = dir.join("in.yaml");
    let docs: String = (0..5)
        .map(|i| format!("---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: s{i}\n  namespace: x\nstringData:\n  k: v{i}\n"))
        .collect();
    std::fs::write(&input, docs).expect("input");
    let c = cert();
    let out = kubeseal(
        &[
            "--cert",
            c.to_str().expect("path"),
            "-o",
            "yaml",
            input.to_str().expect("path"),
        ],
        b"",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let names: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("  name: "))
        .map(|l| &l[8..])
        .collect();
    assert_eq!(names, vec!["s0", "s1", "s2", "s3", "s4"]);
    assert_eq!(text.matches("---\n").count(), 5);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn merge_into_adds_items_and_creates_missing_maps() {
    let dir = scratch("merge");
    let c = cert();
    let target = dir.join("existing.yaml");
    let first = kubeseal(
        &["--cert", c.to_str().expect("path"), "-o", "yaml"],
        SECRET.as_bytes(),
    );
    assert!(first.status.success());
    std::fs::write(&target, &first.stdout).expect("existing");
    let update = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: other\n  namespace: elsewhere\n  labels:\n    new: label\nstringData:\n  k2: v2\n";
    let out = kubeseal(
        &[
            "--cert",
            c.to_str().expect("path"),
            "--merge-into",
            target.to_str().expect("path"),
        ],
        update.as_bytes(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    // Rewritten as JSON (the -o default), with both items, name and namespace from the file.
    let merged: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&target).expect("merged")).expect("json");
    assert_eq!(merged["metadata"]["name"], "a");
    assert_eq!(merged["metadata"]["namespace"], "x");
    assert!(merged["spec"]["encryptedData"]["k"].is_string());
    assert!(merged["spec"]["encryptedData"]["k2"].is_string());
    assert_eq!(
        merged["spec"]["template"]["metadata"]["labels"]["new"],
        "label"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
