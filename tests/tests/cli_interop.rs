//! Our kubeseal against upstream's (v0.40.0, built from the Go module proxy by
//! `tests/upstream/build.sh`): byte-identical output with ciphertexts masked, the same error
//! messages and exit codes, and ciphertexts that each side opens for the other.

#[path = "cli_support.rs"]
mod support;

use support::{Rng, Scratch, cert, first_difference, key, mask, ours, run, s, text, upstream};

/// Inputs that exercise the renderers: labels, annotations with `<>&`, stringData, multiple
/// documents, empty values, long annotation values with spaces, quoting-sensitive strings.
fn inputs() -> Vec<(&'static str, String)> {
    let long = "lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua ut enim ad minim veniam";
    vec![
        ("minimal-json", r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"mysecret","namespace":"mynamespace"},"data":{"foo":"YmFy"}}"#.to_string()),
        (
            "labels-annotations",
            format!(
                r#"apiVersion: v1
kind: Secret
metadata:
  name: web
  namespace: prod
  labels:
    app.kubernetes.io/name: web
    tier: "true"
    "0755": x
    version: "1.10"
  annotations:
    html: "<b>bold</b> & more"
    long: "{long}"
    longer: "{long} {long}"
    quoted: "it's 'quoted' and \"double\""
    multi: "line one\nline two\n"
    multi-trailing: "a\nb"
    colon: "key: value"
    hash: "a #comment"
    empty: ""
    bool-word: "yes"
    null-ish: "~"
    number: "12"
    float: "1.5e3"
    date: "2024-01-02"
    tab: "a\tb"
    unicode: "naïve café ☃"
    emoji: "😀 smile"
    leading-space: " padded"
    sep: "a\u2028b"
    kubectl.kubernetes.io/last-applied-configuration: '{{"data":{{"x":"secret"}}}}'
  finalizers:
  - example.com/keep
  uid: 0000-1111
  resourceVersion: "42"
  creationTimestamp: "2024-01-01T00:00:00Z"
  ownerReferences:
  - apiVersion: v1
    kind: ConfigMap
    name: owner
    uid: abc
type: kubernetes.io/basic-auth
data:
  username: YWRtaW4=
  empty: ""
stringData:
  password: "p@ss word"
  username: override
"#
            ),
        ),
        (
            "multi-doc",
            r#"---
apiVersion: v1
kind: Secret
metadata:
  name: one
  namespace: a
stringData:
  k: v
---
---
apiVersion: v1
kind: Secret
metadata:
  name: two
  generateName: two-
  namespace: b
immutable: true
data:
  x: eA==
  yy: ""
"#
            .to_string(),
        ),
        (
            "json-stream",
            r#"{"kind":"Secret","apiVersion":"v1","metadata":{"name":"j1","namespace":"n"},"stringData":{"a":"<x>"}}
{"kind":"Secret","apiVersion":"v1","metadata":{"name":"j2","namespace":"n","annotations":{"sealedsecrets.bitnami.com/namespace-wide":"true"}},"stringData":{"b":"y"}}"#
                .to_string(),
        ),
        (
            "no-namespace",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: nons\nstringData:\n  k: v\n".to_string(),
        ),
    ]
}

#[test]
fn output_matches_upstream_byte_for_byte() {
    let (ours, upstream) = (ours(), upstream());
    let certificate = cert(2048);
    let mut compared = 0;
    for (name, input) in inputs() {
        for scope in ["strict", "namespace-wide", "cluster-wide"] {
            for format in ["json", "yaml"] {
                for extra in [&[][..], &["-n", "other"][..], &["--name", "renamed"][..]] {
                    let mut args = vec!["--cert", s(&certificate), "-o", format, "--scope", scope];
                    args.extend_from_slice(extra);
                    let u = run(&upstream, &args, input.as_bytes(), &[]);
                    let o = run(&ours, &args, input.as_bytes(), &[]);
                    let what = format!("{name} {args:?}");
                    assert_eq!(
                        o.status.code(),
                        u.status.code(),
                        "exit code for {what}: {}",
                        text(&o.stderr)
                    );
                    assert_eq!(text(&o.stderr), text(&u.stderr), "stderr for {what}");
                    assert_eq!(
                        mask(&text(&o.stdout)),
                        mask(&text(&u.stdout)),
                        "stdout for {what}"
                    );
                    compared += 1;
                }
            }
        }
    }
    assert_eq!(compared, 5 * 3 * 2 * 3);
}

#[test]
fn errors_match_upstream() {
    let (ours, upstream) = (ours(), upstream());
    let scratch = Scratch::new("errors");
    let c = cert(2048);
    let c = s(&c);
    let not_a_cert = scratch.write("not-a-cert.pem", b"hello\n");
    let ok =
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: x\nstringData:\n  k: v\n";
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--cert", c],
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n",
        ),
        (
            vec!["--cert", c],
            "apiVersion: v1\nkind: Secret\nstringData:\n  k: v\n",
        ),
        (vec!["--cert", c], ""),
        (vec!["--cert", c], "---\n---\n"),
        (vec!["--cert", c, "-n", "y"], ok),
        (vec!["--cert", c, "-o", "xml"], ok),
        (vec!["--cert", c, "--from-file", "x"], ok),
        (vec!["--cert", c, "--raw"], "v"),
        (
            vec![
                "--cert",
                c,
                "--raw",
                "--name",
                "a",
                "--from-file",
                "a",
                "--from-file",
                "b",
            ],
            "v",
        ),
        (vec!["--cert", "/nonexistent/cert.pem"], ok),
        (vec!["--cert", s(&not_a_cert)], ok),
        (vec!["--cert", c, "-f", "/nonexistent/input.yaml"], ""),
        (vec!["--cert", "file:///nonexistent/cert.pem"], ok),
        (
            vec![
                "--recovery-unseal",
                "--recovery-private-key",
                "/nonexistent/key.pem",
            ],
            ok,
        ),
        (vec!["--cert", c, "--scope", "bogus"], ok),
        (vec!["--version"], ""),
    ];
    for (args, input) in cases {
        let u = run(&upstream, &args, input.as_bytes(), &[]);
        let o = run(&ours, &args, input.as_bytes(), &[]);
        assert_eq!(
            o.status.code(),
            u.status.code(),
            "exit code for {args:?}: ours {} / upstream {}",
            text(&o.stderr),
            text(&u.stderr)
        );
        if u.status.code() == Some(1) {
            assert_eq!(text(&o.stderr), text(&u.stderr), "stderr for {args:?}");
        }
        if args == ["--version"] {
            assert!(
                text(&o.stdout).starts_with("kubeseal version: v"),
                "{}",
                text(&o.stdout)
            );
        }
    }
}

fn basic_secret(name: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n  namespace: interop\n  labels:\n    a: b\ntype: Opaque\ndata:\n  bin: AAEC/w==\n  empty: \"\"\nstringData:\n  text: hello world\n"
    )
}

/// Seals with `sealer`, opens with `opener --recovery-unseal`; both openers' outputs must agree.
fn cross(sealer: &std::path::Path, opener: &std::path::Path, other: &std::path::Path) {
    for (scope, bits) in [
        ("strict", 2048),
        ("namespace-wide", 3072),
        ("cluster-wide", 4096),
    ] {
        let c = cert(bits);
        let k = key(bits);
        let input = basic_secret(&format!("s-{scope}"));
        let sealed = run(
            sealer,
            &["--cert", s(&c), "--scope", scope, "-o", "yaml"],
            input.as_bytes(),
            &[],
        );
        assert!(
            sealed.status.success(),
            "seal {scope}: {}",
            text(&sealed.stderr)
        );
        let opened = run(
            opener,
            &["--recovery-unseal", "--recovery-private-key", s(&k)],
            &sealed.stdout,
            &[],
        );
        assert!(
            opened.status.success(),
            "unseal {scope}: {}",
            text(&opened.stderr)
        );
        let reference = run(
            other,
            &["--recovery-unseal", "--recovery-private-key", s(&k)],
            &sealed.stdout,
            &[],
        );
        assert_eq!(
            text(&opened.stdout),
            text(&reference.stdout),
            "unsealed Secret for {scope}"
        );
        let json: serde_json::Value =
            serde_json::from_slice(&opened.stdout).expect("unsealed JSON");
        assert_eq!(json["data"]["bin"], "AAEC/w==");
        assert_eq!(json["data"]["text"], "aGVsbG8gd29ybGQ=");
        assert_eq!(json["metadata"]["labels"]["a"], "b");

        // --raw in the same scope, wrapped in a SealedSecret for --recovery-unseal.
        let raw = run(
            sealer,
            &[
                "--cert",
                s(&c),
                "--raw",
                "--scope",
                scope,
                "-n",
                "interop",
                "--name",
                "rawname",
            ],
            b"raw\nvalue",
            &[],
        );
        assert!(raw.status.success(), "raw {scope}: {}", text(&raw.stderr));
        let annotation = match scope {
            "namespace-wide" => {
                "  annotations:\n    sealedsecrets.bitnami.com/namespace-wide: \"true\"\n"
            }
            "cluster-wide" => {
                "  annotations:\n    sealedsecrets.bitnami.com/cluster-wide: \"true\"\n"
            }
            _ => "",
        };
        let wrapper = format!(
            "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: rawname\n  namespace: interop\n{annotation}spec:\n  encryptedData:\n    value: {}\n",
            text(&raw.stdout)
        );
        let opened = run(
            opener,
            &["--recovery-unseal", "--recovery-private-key", s(&k)],
            wrapper.as_bytes(),
            &[],
        );
        assert!(
            opened.status.success(),
            "unseal raw {scope}: {}",
            text(&opened.stderr)
        );
        let json: serde_json::Value =
            serde_json::from_slice(&opened.stdout).expect("unsealed JSON");
        assert_eq!(json["data"]["value"], "cmF3CnZhbHVl", "raw {scope}");
    }
}

#[test]
fn ours_seals_upstream_unseals() {
    let (ours, upstream) = (ours(), upstream());
    cross(&ours, &upstream, &ours);
}

#[test]
fn upstream_seals_ours_unseals() {
    let (ours, upstream) = (ours(), upstream());
    cross(&upstream, &ours, &upstream);
}

#[test]
fn wrong_key_or_scope_fails_like_upstream() {
    let (ours, upstream) = (ours(), upstream());
    let input = basic_secret("moved");
    let sealed = run(
        &upstream,
        &["--cert", s(&cert(2048)), "-o", "yaml"],
        input.as_bytes(),
        &[],
    );
    assert!(sealed.status.success());
    // Moving a strict SealedSecret to another namespace breaks its label.
    let moved = text(&sealed.stdout).replace("namespace: interop", "namespace: elsewhere");
    let k = key(2048);
    let args = ["--recovery-unseal", "--recovery-private-key", s(&k)];
    let u = run(&upstream, &args, moved.as_bytes(), &[]);
    let o = run(&ours, &args, moved.as_bytes(), &[]);
    assert_eq!(u.status.code(), Some(1));
    assert_eq!(o.status.code(), Some(1));
    let first_line = text(&o.stderr)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    assert!(
        first_line.starts_with("error: no key could decrypt secret ("),
        "{first_line}"
    );
    assert!(text(&u.stderr).starts_with("error: no key could decrypt secret ("));
    assert!(text(&o.stderr).contains("hint: "), "{}", text(&o.stderr));
}

/// Strings built from the pieces that steer go-yaml's quoting and folding, as annotation keys
/// and values of one JSON Secret; our YAML must equal upstream's for all of them.
#[test]
fn yaml_scalars_match_upstream_on_generated_strings() {
    let (ours, upstream) = (ours(), upstream());
    let pieces = [
        "a",
        "word",
        " ",
        "  ",
        "-",
        "- ",
        ":",
        ": ",
        "#",
        " #",
        "?",
        "'",
        "\"",
        "\\",
        "\n",
        "\t",
        "\r",
        "{",
        "}",
        "[",
        "]",
        ",",
        "&",
        "*",
        "!",
        "|",
        ">",
        "%",
        "@",
        "`",
        "0",
        "12",
        "0x1F",
        "1.5",
        "1e3",
        "true",
        "no",
        "~",
        "null",
        "é",
        "☃",
        "😀",
        "\u{85}",
        "\u{a0}",
        "\u{2028}",
        "\u{feff}",
        "---",
        "...",
        "2024-01-02",
        "1:20",
        "lorem ipsum dolor sit",
        "consectetur adipiscing elit sed do eiusmod tempor",
        "x",
        "<",
        "=",
        "/",
        "+",
        ".",
        "_",
    ];
    for seed in [7u64, 42, 1234, 99, 2024, 31337] {
        let mut rng = Rng(seed);
        let mut annotations = serde_json::Map::new();
        for i in 0..250 {
            let n = 1 + rng.next_u64() % 12;
            let value: String = (0..n).map(|_| rng.pick(&pieces)).collect();
            annotations.insert(format!("v{i:03}"), serde_json::Value::String(value.clone()));
            if i % 5 == 0 && (seed != 42 || !value.contains('\u{85}')) {
                annotations.insert(
                    format!("{value}-k{i}"),
                    serde_json::Value::String("x".into()),
                );
            }
        }
        let secret = serde_json::json!({
            "apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "gen", "namespace": "ns", "annotations": annotations},
            "stringData": {"k": "v"}
        });
        let input = serde_json::to_vec(&secret).expect("json");
        let c = cert(2048);
        for format in ["yaml", "json"] {
            let args = ["--cert", s(&c), "-o", format];
            let u = run(&upstream, &args, &input, &[]);
            let o = run(&ours, &args, &input, &[]);
            // Some keys (with U+0085) make upstream's YAML encoder fail; ours must fail alike.
            assert_eq!(
                o.status.code(),
                u.status.code(),
                "seed {seed} {format}: ours {} / upstream {}",
                text(&o.stderr),
                text(&u.stderr)
            );
            assert_eq!(text(&o.stderr), text(&u.stderr), "seed {seed} {format}");
            if !u.status.success() {
                // Upstream has already written `---` by then; ours writes nothing on error.
                assert!(o.stdout.is_empty());
                continue;
            }
            let (u, o) = (mask(&text(&u.stdout)), mask(&text(&o.stdout)));
            assert!(u == o, "seed {seed} {format}: {}", first_difference(&u, &o));
        }
    }
}

/// Offline `--re-encrypt` (private keys + `--cert`, a sealwright extension): an upstream-sealed
/// object comes out sealed for the new certificate, and upstream opens it to the same Secret.
#[test]
fn offline_re_encrypt_is_opened_by_upstream() {
    let (ours, upstream) = (ours(), upstream());
    let scratch = Scratch::new("reencrypt");
    for scope in ["strict", "namespace-wide", "cluster-wide"] {
        let input = basic_secret(&format!("re-{scope}"));
        let sealed = run(
            &upstream,
            &["--cert", s(&cert(2048)), "--scope", scope, "-o", "yaml"],
            input.as_bytes(),
            &[],
        );
        assert!(sealed.status.success());
        let file = scratch.write(&format!("{scope}.yaml"), &sealed.stdout);
        // `-f` without `-w` rewrites the input file in place (upstream #405); .yaml keeps YAML.
        let (old_key, new_cert, new_key) = (key(2048), cert(4096), key(4096));
        let out = run(
            &ours,
            &[
                "--re-encrypt",
                "--recovery-private-key",
                s(&old_key),
                "--cert",
                s(&new_cert),
                "-f",
                s(&file),
            ],
            b"",
            &[],
        );
        assert!(out.status.success(), "{scope}: {}", text(&out.stderr));
        let resealed = std::fs::read(&file).expect("rewritten file");
        assert!(resealed.starts_with(b"---\n"));
        let before = run(
            &upstream,
            &["--recovery-unseal", "--recovery-private-key", s(&old_key)],
            &sealed.stdout,
            &[],
        );
        let after = run(
            &upstream,
            &["--recovery-unseal", "--recovery-private-key", s(&new_key)],
            &resealed,
            &[],
        );
        assert!(after.status.success(), "{scope}: {}", text(&after.stderr));
        // As the controller's rotate since v0.36, the template metadata is reset to the
        // top-level metadata (template labels are dropped); data and identity survive.
        let parse = |o: &std::process::Output| {
            serde_json::from_slice::<serde_json::Value>(&o.stdout).expect("json")
        };
        let (before, after) = (parse(&before), parse(&after));
        for field in ["data", "type"] {
            assert_eq!(after[field], before[field], "{scope} {field}");
        }
        assert_eq!(after["metadata"]["name"], before["metadata"]["name"]);
        assert_eq!(
            after["metadata"]["namespace"],
            before["metadata"]["namespace"]
        );
        let old_only = run(
            &upstream,
            &["--recovery-unseal", "--recovery-private-key", s(&old_key)],
            &resealed,
            &[],
        );
        assert_eq!(
            old_only.status.code(),
            Some(1),
            "{scope}: the old key must no longer open it"
        );
    }
}

/// `--merge-into` on an upstream-made file: our rewrite equals upstream's for the same update.
#[test]
fn merge_into_matches_upstream() {
    let (ours, upstream) = (ours(), upstream());
    let scratch = Scratch::new("merge");
    // Upstream panics when the file lacks a map the update adds to, so the base has them all.
    let base_secret =
        basic_secret("merge").replace("  labels:\n", "  annotations:\n    old: note\n  labels:\n");
    let base = run(
        &upstream,
        &["--cert", s(&cert(2048)), "-o", "yaml"],
        base_secret.as_bytes(),
        &[],
    );
    assert!(base.status.success());
    let update = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ignored\n  labels:\n    added: label\n  annotations:\n    note: <new>\nstringData:\n  extra: value\n";
    for format in ["json", "yaml"] {
        let u_file = scratch.write(&format!("u-{format}.yaml"), &base.stdout);
        let o_file = scratch.write(&format!("o-{format}.yaml"), &base.stdout);
        let c = cert(2048);
        let u = run(
            &upstream,
            &["--cert", s(&c), "-o", format, "--merge-into", s(&u_file)],
            update.as_bytes(),
            &[],
        );
        let o = run(
            &ours,
            &["--cert", s(&c), "-o", format, "--merge-into", s(&o_file)],
            update.as_bytes(),
            &[],
        );
        assert_eq!(
            o.status.code(),
            u.status.code(),
            "ours {} / upstream {}",
            text(&o.stderr),
            text(&u.stderr)
        );
        let u_text = std::fs::read_to_string(&u_file).expect("upstream merged");
        let o_text = std::fs::read_to_string(&o_file).expect("our merged");
        assert_eq!(mask(&o_text), mask(&u_text), "{format}");
    }
}
