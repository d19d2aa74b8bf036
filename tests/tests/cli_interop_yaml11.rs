//! Input YAML is read as upstream reads it (go-yaml v2, YAML 1.1 scalars, then the JSON step of
//! sigs.k8s.io/yaml): plain keys such as `on`, `y`, `0x1F`, `1_000`, `.5` become `"true"`,
//! `"31"`, `"1000"`, `"0.5"`; numbers and bools headed for string fields become their text.
//! Our output must equal upstream v0.40.0's byte for byte (ciphertexts masked).

#[path = "cli_support.rs"]
mod support;

use support::{cert, mask, ours, run, s, text, upstream};

/// Plain (and a few quoted or tagged) keys whose YAML 1.1 reading differs from YAML 1.2 or
/// from the text, plus controls that must stay as written.
const KEYS: &[&str] = &[
    "y",
    "Y",
    "n",
    "on",
    "On",
    "off",
    "OFF",
    "yes",
    "no",
    "NO",
    "true",
    "False",
    "0x1F",
    "+0x1F",
    "-0b11",
    "1_000",
    "1__0",
    "0o17",
    "017",
    "08",
    "0b101",
    "0b-101",
    "0b+1",
    "+12",
    "-0",
    ".5",
    "1e3",
    "1.e3",
    "0.1e1",
    "12.50",
    "1.0",
    "0.",
    "1e6",
    "0.00001",
    ".inf",
    "-.INF",
    ".NaN",
    "123456789012345678901234567890",
    "18446744073709551616",
    "-9223372036854775809",
    "9223372036854775807",
    "1e400",
    "0x",
    "0xFFFFFFFFFFFFFFFFF",
    "1:20",
    "2001-12-14",
    "1.2.3",
    "\"on\"",
    "'yes'",
    "!!str on",
    "\"<<\"",
    "plain",
];

/// Where a key is put: under `stringData`, `data`, labels, annotations, and at the top level.
fn document(place: &str, key: &str) -> String {
    let head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: s\n  namespace: ns\n";
    match place {
        "stringData" => format!("{head}stringData:\n  {key}: on\n  plain: 0x1F\n"),
        "data" => format!("{head}data:\n  {key}: eA==\n"),
        "labels" => format!("{head}  labels:\n    {key}: yes\nstringData:\n  a: b\n"),
        "annotations" => format!("{head}  annotations:\n    {key}: 1.50\nstringData:\n  a: b\n"),
        _ => format!("{head}stringData:\n  a: b\n{key}: x\n"),
    }
}

const PLACES: &[&str] = &["stringData", "data", "labels", "annotations", "top"];

#[test]
fn keys_match_upstream_byte_for_byte() {
    let (ours, upstream) = (ours(), upstream());
    let certificate = cert(2048);
    let mut compared = 0;
    for key in KEYS {
        for place in PLACES {
            let input = document(place, key);
            for format in ["json", "yaml"] {
                let args = ["--cert", s(&certificate), "-o", format];
                let u = run(&upstream, &args, input.as_bytes(), &[]);
                let o = run(&ours, &args, input.as_bytes(), &[]);
                let what = format!("key {key:?} in {place}, -o {format}");
                assert_eq!(u.status.code(), Some(0), "upstream failed for {what}");
                assert_eq!(o.status.code(), u.status.code(), "exit code for {what}");
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
    assert_eq!(compared, KEYS.len() * PLACES.len() * 2);
}

/// Values: numbers and YAML 1.1 bools written where Go has a `string` (name, namespace,
/// stringData, labels, annotations, type, finalizers) become their Go text; `immutable: yes`
/// is a bool; `~` in a map is the empty string; merge keys and duplicate keys as in v2.
#[test]
fn values_match_upstream_byte_for_byte() {
    let (ours, upstream) = (ours(), upstream());
    let certificate = cert(2048);
    let docs = [
        "metadata:\n  name: yes\n  namespace: n\nstringData:\n  k: on\n",
        "metadata:\n  name: 1.0\n  namespace: 0o17\nstringData: {a: 0x1F, b: 1e3, c: 12.50, d: .inf}\n",
        "metadata:\n  name: s\n  namespace: ns\n  labels: {a: on, b: 017}\n  annotations: {c: .NaN, d: 123456789012345678901234567890}\n  finalizers: [on, 1.0]\nstringData:\n  k: v\n  k: w\n  e: ~\n  f:\nimmutable: yes\ntype: 12\n",
        "metadata:\n  name: s\n  namespace: ns\n  generation: 1.0\nstringData: &x {m: n}\ndata:\n  <<: {q: eA==}\n  r: eQ==\n",
        "metadata:\n  name: s\n  namespace: ns\nstringData:\n  <<: [{a: \"1\"}, {a: \"2\", b: \"3\"}]\n  c: !!int \"12\"\n  d: !!binary aGVsbG8=\n",
    ];
    for doc in docs {
        let input = format!("apiVersion: v1\nkind: Secret\n{doc}");
        for format in ["json", "yaml"] {
            let args = ["--cert", s(&certificate), "-o", format];
            let u = run(&upstream, &args, input.as_bytes(), &[]);
            let o = run(&ours, &args, input.as_bytes(), &[]);
            let what = format!("{doc:?} -o {format}");
            assert_eq!(u.status.code(), Some(0), "upstream failed for {what}");
            assert_eq!(o.status.code(), u.status.code(), "exit code for {what}");
            assert_eq!(text(&o.stderr), text(&u.stderr), "stderr for {what}");
            assert_eq!(
                mask(&text(&o.stdout)),
                mask(&text(&u.stdout)),
                "stdout for {what}"
            );
        }
    }
}

/// Keys JSON cannot hold (null, beyond int64, a bare `<<` with a scalar): upstream silently
/// drops the whole document (and says `no secrets found` when nothing is left). We refuse the
/// input instead, naming the key and where it is, exit 1, and print nothing on stdout.
#[test]
fn refused_keys_are_an_error_where_upstream_drops_the_document() {
    let (ours, upstream) = (ours(), upstream());
    let certificate = cert(2048);
    for (key, ours_says) in [
        ("~", "unsupported map key null at stringData"),
        ("null", "unsupported map key null at stringData"),
        (
            "9223372036854775808",
            "unsupported map key 9223372036854775808 (beyond int64) at stringData",
        ),
    ] {
        let bad = document("stringData", key);
        let good = document("stringData", "fine").replace("name: s", "name: kept");
        let input = format!("{bad}---\n{good}");
        let args = ["--cert", s(&certificate), "-o", "yaml"];
        let u = run(&upstream, &args, input.as_bytes(), &[]);
        assert_eq!(u.status.code(), Some(0), "{key}");
        let u_out = text(&u.stdout);
        assert!(
            u_out.contains("name: kept") && !u_out.contains("name: s\n"),
            "upstream keeps only the second document: {u_out}"
        );
        let o = run(&ours, &args, input.as_bytes(), &[]);
        assert_eq!(o.status.code(), Some(1), "{key}");
        assert!(o.stdout.is_empty(), "{key}");
        assert_eq!(
            text(&o.stderr),
            format!("error: document 1: {ours_says}\n"),
            "{key}"
        );
    }
}

/// Real-world shapes: CRLF line ends, a byte-order mark, block scalars, anchors, a separator
/// with a comment, `...`, quoted keys with colons, complex keys.
#[test]
fn stream_shapes_match_upstream_byte_for_byte() {
    let (ours, upstream) = (ours(), upstream());
    let certificate = cert(2048);
    let head = "apiVersion: v1\nkind: Secret\nmetadata:\n  name: a\n  namespace: x\n";
    let inputs = [
        format!("{head}stringData:\n  k: v\n").replace('\n', "\r\n"),
        format!("\u{feff}{head}stringData:\n  k: v\n"),
        format!("{head}stringData:\n  k: |-\n    line1\n    line2\n  j: >\n    folded\n    text\n"),
        format!("# lead\n---\n{head}stringData:\n  k: &v value\n  j: *v\n"),
        format!("{head}stringData:\n  k: \"multi\n    line\"\n  j: plain\n    continued\n"),
        format!("{head}stringData:\n  \"k:x\": v\n  ? complex\n  : v2\n"),
        format!(
            "{head}stringData: {{k: v}}\n--- # next\n{}stringData: {{k: w}}\n",
            head.replace("name: a", "name: b")
        ),
        format!(
            "{head}stringData: {{k: v}}\n...\n{}stringData: {{k: w}}\n",
            head.replace("name: a", "name: b")
        ),
    ];
    for input in inputs {
        for format in ["json", "yaml"] {
            let args = ["--cert", s(&certificate), "-o", format];
            let u = run(&upstream, &args, input.as_bytes(), &[]);
            let o = run(&ours, &args, input.as_bytes(), &[]);
            let what = format!("{input:?} -o {format}");
            assert_eq!(u.status.code(), Some(0), "upstream failed for {what}");
            assert_eq!(o.status.code(), u.status.code(), "exit code for {what}");
            assert_eq!(text(&o.stderr), text(&u.stderr), "stderr for {what}");
            assert_eq!(
                mask(&text(&o.stdout)),
                mask(&text(&u.stdout)),
                "stdout for {what}"
            );
        }
    }
}
