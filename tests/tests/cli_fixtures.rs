//! SealedSecrets produced by upstream's kubeseal (committed under `tests/fixtures/upstream/`,
//! made by its `regenerate.sh`): all scopes, 2048/3072/4096-bit keys, a multi-document stream,
//! empty and binary values and `--raw` values. Our `--recovery-unseal` must open each one and
//! print exactly what upstream's printed (`expected/`).

#[path = "cli_support.rs"]
mod support;

use support::{fixtures, ours, run, text};

fn documents(stream: &str) -> Vec<String> {
    let mut docs = Vec::new();
    let mut current = String::new();
    for line in stream.lines() {
        if line == "---" {
            if !current.trim().is_empty() {
                docs.push(std::mem::take(&mut current));
            }
            current.clear();
        } else {
            current.push_str(line);
            current.push('\n');
        }
    }
    if !current.trim().is_empty() {
        docs.push(current);
    }
    docs
}

#[test]
fn upstream_fixtures_open_with_our_unseal() {
    let ours = ours();
    let dir = fixtures();
    let table = std::fs::read_to_string(dir.join("keys.tsv")).expect("keys.tsv");
    let mut opened = 0;
    for line in table.lines().filter(|l| !l.trim().is_empty()) {
        let (name, keys) = line.split_once('\t').expect("name<TAB>keys");
        let keys: Vec<String> = keys
            .split(',')
            .map(|k| dir.join(k).display().to_string())
            .collect();
        let keys = keys.join(",");
        let stream = std::fs::read_to_string(dir.join(format!("sealed/{name}.yaml")))
            .expect("sealed fixture");
        for (i, doc) in documents(&stream).iter().enumerate() {
            for format in ["json", "yaml"] {
                let out = run(
                    &ours,
                    &[
                        "--recovery-unseal",
                        "--recovery-private-key",
                        &keys,
                        "-o",
                        format,
                    ],
                    doc.as_bytes(),
                    &[],
                );
                assert!(out.status.success(), "{name} #{i}: {}", text(&out.stderr));
                let expected =
                    std::fs::read_to_string(dir.join(format!("expected/{name}.{i}.{format}")))
                        .expect("expected output");
                assert_eq!(text(&out.stdout), expected, "{name} #{i} ({format})");
                opened += 1;
            }
        }
    }
    // 9 fixtures, the multi-document one holding 3 SealedSecrets, each in two formats.
    assert_eq!(opened, 2 * 11);
}

#[test]
fn fixtures_fail_with_the_wrong_key() {
    let ours = ours();
    let dir = fixtures();
    let sealed = std::fs::read(dir.join("sealed/strict-2048.yaml")).expect("fixture");
    let wrong = dir.join("keys/rsa-3072.key");
    let out = run(
        &ours,
        &[
            "--recovery-unseal",
            "--recovery-private-key",
            wrong.to_str().expect("path"),
        ],
        &sealed,
        &[],
    );
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(
        stderr.starts_with("error: no key could decrypt secret ("),
        "{stderr}"
    );
    assert!(
        stderr
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("hint: ")),
        "{stderr}"
    );
}
