//! Secret manifests written the way people write them by hand (comments in every place YAML
//! allows one, block and flow styles, every quoting style, document markers, multi-line
//! scalars, CRLF line endings), generated from a printed seed and sealed by our kubeseal and
//! upstream's v0.40.0 in JSON and YAML: the exit status and the masked bytes on stdout and
//! stderr must be the same. The same manifests, sealed and then commented, go through
//! `--recovery-unseal` and `--merge-into` on both sides.
//!
//! `SEALWRIGHT_HANDWRITTEN_SEED=<n>` replays a run; `SEALWRIGHT_HANDWRITTEN_DOCS=<n>` changes
//! how many documents are generated (at least 1,000 by default).

#[path = "cli_support.rs"]
mod support;

use std::fmt::Write as _;

use support::{Rng, Scratch, cert, first_difference, key, mask, ours, run, s, text, upstream};

/// Comment texts people leave, including ones full of YAML punctuation.
const COMMENTS: &[&str] = &[
    "# TODO: rotate this",
    "# team-a",
    "#no space after the hash",
    "# key: value inside a comment",
    "# --- not a separator",
    "# { flow: [ looking ] } text",
    "# naïve café ☃ 😀",
    "# 'quotes' and \"double quotes\"",
    "#",
    "# trailing spaces   ",
    "# tab\tinside",
    "# & * ! | > % @ `",
];

fn comment(rng: &mut Rng) -> &'static str {
    rng.pick(COMMENTS)
}

/// `  # comment` at the end of a line, sometimes.
fn eol(rng: &mut Rng, percent: u64) -> String {
    if rng.chance(percent) {
        let gap = rng.pick(&[" ", "  ", "\t", "   "]);
        format!("{gap}{}", comment(rng))
    } else {
        String::new()
    }
}

/// A comment on its own line at `indent` (or at a random other column), sometimes.
fn own_line(rng: &mut Rng, indent: usize, percent: u64, out: &mut String) {
    if rng.chance(percent) {
        let col = if rng.chance(20) { rng.below(6) } else { indent };
        let _ = writeln!(out, "{:col$}{}", "", comment(rng));
    }
    if rng.chance(percent / 4) {
        out.push('\n');
    }
}

/// Names and short words that need no quoting in any style.
const WORDS: &[&str] = &[
    "web",
    "db",
    "api-token",
    "tls",
    "app",
    "backend",
    "team-a",
    "prod",
    "cache",
    "v2",
];

/// Single-line texts: each becomes a plain, single- or double-quoted scalar (when the style
/// can hold it).
const TEXTS: &[&str] = &[
    "hunter2",
    "p@ss word",
    "s3cr3t!",
    "value#not-a-comment",
    "a: b",
    "it's",
    "say \"hi\"",
    "C:\\path\\file",
    "8080",
    "0x1F",
    "1.5",
    "1e3",
    "true",
    "yes",
    "off",
    "~",
    "null",
    "2024-01-02",
    "12:30",
    "naïve café ☃",
    "😀",
    "<b>&amp;</b>",
    "- dash",
    "[not a list]",
    "{not: a map}",
    "*star",
    "&amp",
    "!bang",
    "%percent",
    "@at",
    "`tick`",
    "trailing space ",
    " leading space",
    "",
    "tab\there",
    "back\\slash",
    "ünïcödé",
    "postgres://user:pa55@db:5432/app?sslmode=disable",
    // Odd bytes that end up in pasted values.
    "no\u{a0}break",
    "zero\u{200b}width",
    "👩‍💻 joined",
    "line\u{2028}separator",
    "carriage\rreturn",
    "bell\u{7}",
];

/// Multi-line texts for block scalars and escaped double quotes.
const BLOCKS: &[&str] = &[
    "line one\nline two\n",
    "line one\nline two",
    "first\n\nthird after a blank\n",
    "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZ\nAbCdEf==\n-----END CERTIFICATE-----\n",
    "  indented first\nthen flush\n",
    "key = value\n# not a comment inside a block\n",
    "trailing blanks\n\n\n",
    "ends without newline",
    "tab\tinside\n",
    "{\"json\": [1, 2]}\n",
];

fn plain_ok(t: &str) -> bool {
    let Some(first) = t.chars().next() else {
        return false;
    };
    // What a YAML author writes unquoted: nothing that starts an indicator or ends in a space.
    !"-[]{}*&!%@`'\"|>#?,:~ \t".contains(first)
        && !t.ends_with(' ')
        && !t.contains(": ")
        && !t.contains(" #")
        && !t.contains('\t')
        && !t.contains(['{', '}', '[', ']', ','])
        && t != "null"
        && raw_ok(t)
}

/// Whether `t` can stand unescaped in a plain or single-quoted scalar: no control characters
/// and no Unicode line breaks (YAML 1.1 folds those).
fn raw_ok(t: &str) -> bool {
    !t.chars()
        .any(|c| (c.is_control() && c != '\t') || matches!(c, '\u{2028}' | '\u{2029}' | '\u{85}'))
}

fn single_quoted(t: &str) -> String {
    format!("'{}'", t.replace('\'', "''"))
}

fn double_quoted(t: &str, rng: &mut Rng) -> String {
    let mut out = String::from("\"");
    for c in t.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\r' => out.push_str("\\r"),
            '\u{7}' => out.push_str("\\a"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' if rng.chance(50) => out.push_str("\\t"),
            'é' if rng.chance(50) => out.push_str("\\u00e9"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A scalar for `text` in a style that holds it (`flow` forbids plain scalars with flow
/// indicators, which `plain_ok` already excludes).
fn scalar(text: &str, rng: &mut Rng) -> String {
    match rng.below(3) {
        0 if plain_ok(text) => text.to_string(),
        1 if !text.contains('\n') && raw_ok(text) => single_quoted(text),
        _ => double_quoted(text, rng),
    }
}

/// A map value: a scalar, sometimes with an explicit `!!str` or `!!binary` tag.
fn value_scalar(text: &str, rng: &mut Rng) -> String {
    if rng.chance(4) && !text.is_empty() {
        return format!("!!binary {}", base64(text.as_bytes()));
    }
    if rng.chance(4) {
        return format!("!!str {}", double_quoted(text, rng));
    }
    scalar(text, rng)
}

/// A block value (` |-` and its indented lines) for a multi-line text, literal or folded;
/// a double-quoted one where a folded scalar cannot hold the text.
fn block_value(text: &str, indent: usize, rng: &mut Rng) -> String {
    let literal = rng.chance(70);
    let body = text.trim_end_matches('\n');
    let trailing = text.len() - body.len();
    let folded_unsafe = body
        .split('\n')
        .any(|l| l.is_empty() || l.starts_with([' ', '\t']));
    if !literal && folded_unsafe {
        return format!(" {}{}\n", double_quoted(text, rng), eol(rng, 15));
    }
    let chomp = match trailing {
        0 => "-",
        1 => "",
        _ => "+",
    };
    let indicator = if body.starts_with(' ') { "2" } else { "" };
    let style = if literal { "|" } else { ">" };
    let mut out = format!(" {style}{indicator}{chomp}{}\n", eol(rng, 15));
    let pad = indent + 2;
    // A folded scalar joins adjacent lines with a space: a blank line between them keeps
    // the line break.
    let separator = if literal { "\n" } else { "\n\n" };
    let lines: Vec<String> = body
        .split('\n')
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{:pad$}{l}", "")
            }
        })
        .collect();
    out.push_str(&lines.join(separator));
    out.push('\n');
    for _ in 1..trailing {
        out.push('\n');
    }
    out
}

/// `name: value` lines of a map at `indent`, block style, with comments around them.
fn block_entries(entries: &[(String, Entry)], indent: usize, rng: &mut Rng, out: &mut String) {
    for (k, v) in entries {
        own_line(rng, indent, 12, out);
        let key = scalar(k, rng);
        match v {
            Entry::Text(t) => {
                let _ = writeln!(
                    out,
                    "{:indent$}{key}: {}{}",
                    "",
                    value_scalar(t, rng),
                    eol(rng, 15)
                );
            }
            Entry::Block(t) => {
                let _ = write!(out, "{:indent$}{key}:{}", "", block_value(t, indent, rng));
            }
        }
    }
}

/// `{a: b, c: d}` on one line or spread over several with comments between entries.
fn flow_entries(entries: &[(String, Entry)], indent: usize, rng: &mut Rng) -> String {
    let items: Vec<String> = entries
        .iter()
        .map(|(k, v)| {
            let key = match rng.below(2) {
                0 => single_quoted(k),
                _ => double_quoted(k, rng),
            };
            let value = match v {
                Entry::Text(t) | Entry::Block(t) => match rng.below(2) {
                    0 if !t.contains('\n') && raw_ok(t) => single_quoted(t),
                    _ => double_quoted(t, rng),
                },
            };
            format!("{key}: {value}")
        })
        .collect();
    if items.is_empty() || rng.chance(50) {
        return format!(" {{{}}}{}\n", items.join(", "), eol(rng, 20));
    }
    let pad = indent + 2;
    let mut out = format!(" {{{}\n", eol(rng, 30));
    for (i, item) in items.iter().enumerate() {
        let comma = if i + 1 < items.len() || rng.chance(30) {
            ","
        } else {
            ""
        };
        if rng.chance(20) {
            let _ = writeln!(out, "{:pad$}{}", "", comment(rng));
        }
        let _ = writeln!(out, "{:pad$}{item}{comma}{}", "", eol(rng, 30));
    }
    let _ = writeln!(out, "{:indent$}}}{}", "", eol(rng, 20));
    out
}

#[derive(Debug, Clone)]
enum Entry {
    Text(String),
    Block(String),
}

fn entries(rng: &mut Rng, prefix: &str, max: usize, blocks: bool) -> Vec<(String, Entry)> {
    let n = 1 + rng.below(max);
    (0..n)
        .map(|i| {
            let key = format!("{prefix}{}-{i}", rng.pick(WORDS));
            let value = if blocks && rng.chance(30) {
                Entry::Block(rng.pick(BLOCKS).to_string())
            } else {
                Entry::Text(rng.pick(TEXTS).to_string())
            };
            (key, value)
        })
        .collect()
}

/// A map field (`labels:`, `stringData:`…) in block or flow style.
fn map_field(
    name: &str,
    items: &[(String, Entry)],
    indent: usize,
    rng: &mut Rng,
    out: &mut String,
) {
    own_line(rng, indent, 15, out);
    if rng.chance(25) {
        let _ = write!(
            out,
            "{:indent$}{name}:{}",
            "",
            flow_entries(items, indent, rng)
        );
    } else {
        let _ = writeln!(out, "{:indent$}{name}:{}", "", eol(rng, 25));
        own_line(rng, indent + 2, 15, out);
        block_entries(items, indent + 2, rng, out);
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// One hand-written Secret document (without its `---`).
fn secret_document(rng: &mut Rng, n: usize) -> String {
    let mut out = String::new();
    own_line(rng, 0, 20, &mut out);
    let api = rng.pick(&["v1", "\"v1\"", "'v1'"]);
    let kind = rng.pick(&["Secret", "\"Secret\"", "'Secret'"]);
    let mut top: Vec<String> = vec![
        format!("apiVersion: {api}{}\n", eol(rng, 10)),
        format!("kind: {kind}{}\n", eol(rng, 10)),
    ];
    // metadata
    let mut meta = String::new();
    let name = format!("{}-{n}", rng.pick(WORDS));
    let ns = rng.pick(WORDS);
    let labels = entries(rng, "app.kubernetes.io/", 3, false);
    let annotations = entries(rng, "note.example.com/", 3, true);
    if rng.chance(15) {
        let mut fields = vec![format!("name: {}", scalar(&name, rng))];
        if rng.chance(80) {
            fields.push(format!("namespace: {}", scalar(ns, rng)));
        }
        let _ = writeln!(meta, "metadata: {{{}}}{}", fields.join(", "), eol(rng, 30));
    } else {
        let _ = writeln!(meta, "metadata:{}", eol(rng, 25));
        own_line(rng, 2, 15, &mut meta);
        let _ = writeln!(meta, "  name: {}{}", scalar(&name, rng), eol(rng, 25));
        if rng.chance(80) {
            own_line(rng, 2, 10, &mut meta);
            let _ = writeln!(meta, "  namespace: {}{}", scalar(ns, rng), eol(rng, 25));
        }
        if rng.chance(50) {
            map_field("labels", &labels, 2, rng, &mut meta);
        }
        if rng.chance(40) {
            map_field("annotations", &annotations, 2, rng, &mut meta);
        }
    }
    top.push(meta);
    if rng.chance(60) {
        let ty = rng.pick(&[
            "Opaque",
            "\"Opaque\"",
            "kubernetes.io/basic-auth",
            "'kubernetes.io/tls'",
            "kubernetes.io/dockerconfigjson",
        ]);
        top.push(format!("type: {ty}{}\n", eol(rng, 25)));
    }
    let with_data = rng.chance(50);
    let with_string_data = !with_data || rng.chance(50);
    if with_data {
        let items: Vec<(String, Entry)> = entries(rng, "", 3, false)
            .into_iter()
            .map(|(k, v)| {
                let raw = match v {
                    Entry::Text(t) | Entry::Block(t) => t,
                };
                (k, Entry::Text(base64(raw.as_bytes())))
            })
            .collect();
        let mut data = String::new();
        map_field("data", &items, 0, rng, &mut data);
        top.push(data);
    }
    if with_string_data {
        let items = entries(rng, "", 4, true);
        let mut data = String::new();
        map_field("stringData", &items, 0, rng, &mut data);
        top.push(data);
    }
    // People order top-level fields every which way.
    if rng.chance(30) {
        let i = rng.below(top.len());
        let j = rng.below(top.len());
        top.swap(i, j);
    }
    for part in top {
        out.push_str(&part);
        own_line(rng, 0, 8, &mut out);
    }
    if rng.chance(15) {
        let _ = writeln!(out, "{}", comment(rng));
    }
    out
}

/// A stream of `docs` documents with markers, comments and, sometimes, CRLF line endings.
fn stream(rng: &mut Rng, first: usize, docs: usize) -> String {
    let mut out = String::new();
    if rng.chance(30) {
        let _ = writeln!(out, "{}", comment(rng));
    }
    for i in 0..docs {
        let marker = i > 0 || rng.chance(40);
        if marker {
            let _ = writeln!(out, "---{}", eol(rng, 30));
            own_line(rng, 0, 15, &mut out);
        }
        out.push_str(&secret_document(rng, first + i));
    }
    if rng.chance(10) {
        out.push_str("---\n");
    }
    if rng.chance(15) {
        out = out.replace('\n', "\r\n");
    }
    out
}

/// JSON literals people put in `stringData` without quotes.
const JSON_VALUES: &[&str] = &[
    "5432",
    "0",
    "-1",
    "1.5",
    "1.5e3",
    "1E-7",
    "1e21",
    "0.1",
    "12345678901234567890",
    "true",
    "false",
    "null",
    "\"text\"",
    "\"\"",
    "\"8080\"",
    "-0.0",
    "3.0",
];

/// `docs` JSON Secrets, one after the other (kubeseal reads a JSON stream too), with numbers,
/// booleans and nulls where strings belong.
fn json_stream(rng: &mut Rng, first: usize, docs: usize) -> String {
    let mut out = String::new();
    for i in 0..docs {
        let items: Vec<String> = (0..1 + rng.below(4))
            .map(|j| format!("\"k{j}\": {}", rng.pick(JSON_VALUES)))
            .collect();
        let labels = if rng.chance(30) {
            format!(
                ", \"labels\": {{\"port\": {}}}",
                rng.pick(&["80", "true", "1.5"])
            )
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "{{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"metadata\": {{\"name\": \"{}-{}\", \"namespace\": \"{}\"{labels}}}, \"stringData\": {{{}}}}}",
            rng.pick(WORDS),
            first + i,
            rng.pick(WORDS),
            items.join(", ")
        );
    }
    out
}

fn seed() -> u64 {
    match std::env::var("SEALWRIGHT_HANDWRITTEN_SEED") {
        Ok(v) => v
            .trim()
            .parse()
            .expect("SEALWRIGHT_HANDWRITTEN_SEED is a number"),
        Err(_) => {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1);
            nanos | 1
        }
    }
}

fn documents() -> usize {
    std::env::var("SEALWRIGHT_HANDWRITTEN_DOCS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(1_000)
}

/// A kubeconfig whose context names the namespace for Secrets without one (never contacted:
/// sealing uses `--cert`).
const KUBECONFIG: &str = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n    namespace: from-context\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: unused\n";

/// Both binaries on the same arguments and input: same status, same masked stdout and stderr.
fn compare(
    args: &[&str],
    input: &[u8],
    kubeconfig: &str,
    what: &str,
) -> Result<std::process::Output, String> {
    let env = [("KUBECONFIG", kubeconfig)];
    let u = run(&upstream(), args, input, &env);
    let o = run(&ours(), args, input, &env);
    if o.status.code() != u.status.code() {
        return Err(format!(
            "{what}: exit ours {:?} / upstream {:?}\nours stderr: {}\nupstream stderr: {}",
            o.status.code(),
            u.status.code(),
            text(&o.stderr),
            text(&u.stderr)
        ));
    }
    let (u_err, o_err) = (mask(&text(&u.stderr)), mask(&text(&o.stderr)));
    if u_err != o_err {
        return Err(format!(
            "{what}: stderr differs\nupstream: {u_err}\nours: {o_err}"
        ));
    }
    if !u.status.success() {
        // Upstream has printed the documents before the failing one; ours prints nothing.
        if !o.stdout.is_empty() {
            return Err(format!("{what}: failed, yet ours printed something"));
        }
        return Ok(u);
    }
    let (u_out, o_out) = (mask(&text(&u.stdout)), mask(&text(&o.stdout)));
    if u_out != o_out {
        return Err(format!(
            "{what}: stdout differs, {}",
            first_difference(&u_out, &o_out)
        ));
    }
    Ok(u)
}

/// Fields of a SealedSecret as kubeseal prints it whose line holds the whole value.
const SEALED_KEYS: &[&str] = &[
    "apiVersion:",
    "kind:",
    "metadata:",
    "spec:",
    "encryptedData:",
    "template:",
    "name:",
    "namespace:",
    "creationTimestamp:",
    "type:",
];

/// Comments slipped into a SealedSecret as kubeseal printed it (YAML): before the first
/// document, after the marker, at the end of lines and on lines of their own.
fn comment_sealed(yaml: &str, rng: &mut Rng) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", comment(rng));
    for line in yaml.lines() {
        if line == "---" {
            let _ = writeln!(out, "---{}", eol(rng, 60));
            continue;
        }
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        let structural = SEALED_KEYS.iter().any(|k| trimmed.starts_with(k));
        if !structural {
            let _ = writeln!(out, "{line}");
            continue;
        }
        own_line(rng, indent, 20, &mut out);
        if line.ends_with(['"', '\'', '|', '>', '-']) {
            let _ = writeln!(out, "{line}");
        } else {
            let _ = writeln!(out, "{line}{}", eol(rng, 40));
        }
    }
    out
}

#[test]
fn handwritten_manifests_seal_as_upstream() {
    let seed = seed();
    let total = documents();
    eprintln!(
        "handwritten manifests: seed {seed} (replay with SEALWRIGHT_HANDWRITTEN_SEED={seed}), {total} documents"
    );
    let mut rng = Rng(seed);
    let c = cert(2048);
    let k = key(2048);
    let scratch = Scratch::new("handwritten");
    let kubeconfig = scratch.write("kubeconfig", KUBECONFIG.as_bytes());
    let kubeconfig = s(&kubeconfig).to_string();
    let mut failures: Vec<String> = Vec::new();
    let mut done = 0;
    let mut streams = 0;
    let mut rejected = 0;
    let mut rejected_example = String::new();
    while done < total {
        let docs = 1 + rng.below(4);
        let input = if rng.chance(10) {
            json_stream(&mut rng, done, docs)
        } else {
            stream(&mut rng, done, docs)
        };
        done += docs;
        streams += 1;
        let mut sealed_yaml = None;
        for format in ["json", "yaml"] {
            let what = format!("stream {streams} ({format})");
            match compare(
                &["--cert", s(&c), "-o", format],
                input.as_bytes(),
                &kubeconfig,
                &what,
            ) {
                Ok(out) if !out.status.success() => {
                    rejected += 1;
                    if rejected_example.is_empty() {
                        rejected_example = format!("{}\ninput:\n{input}", text(&out.stderr));
                    }
                }
                Ok(out) if format == "yaml" => sealed_yaml = Some(text(&out.stdout)),
                Ok(_) => {}
                Err(e) => failures.push(format!("{e}\ninput:\n{input}")),
            }
        }
        // Every tenth stream: its first SealedSecret, commented, through the commands that
        // read SealedSecrets.
        let Some(sealed) = sealed_yaml.filter(|_| streams % 10 == 0) else {
            continue;
        };
        let first = sealed
            .split("\n---\n")
            .next()
            .unwrap_or_default()
            .trim_start_matches("---\n")
            .to_string();
        let commented = comment_sealed(&format!("---\n{first}\n"), &mut rng);
        let what = format!("stream {streams} --recovery-unseal");
        if let Err(e) = compare(
            &[
                "--recovery-unseal",
                "--recovery-private-key",
                s(&k),
                "-o",
                "yaml",
            ],
            commented.as_bytes(),
            &kubeconfig,
            &what,
        ) {
            failures.push(format!("{e}\ninput:\n{commented}"));
        }
        // Upstream panics when the update adds to a map the file lacks: only encryptedData.
        let update = "apiVersion: v1 # c\nkind: Secret\nmetadata: {name: x} # c\nstringData:\n  # own line\n  added: value # end\n";
        let u_file = scratch.write("u.yaml", commented.as_bytes());
        let o_file = scratch.write("o.yaml", commented.as_bytes());
        for (bin, file) in [(upstream(), &u_file), (ours(), &o_file)] {
            run(
                &bin,
                &["--cert", s(&c), "-o", "yaml", "--merge-into", s(file)],
                update.as_bytes(),
                &[("KUBECONFIG", &kubeconfig)],
            );
        }
        let (u_text, o_text) = (
            std::fs::read_to_string(&u_file).unwrap_or_default(),
            std::fs::read_to_string(&o_file).unwrap_or_default(),
        );
        if mask(&u_text) != mask(&o_text) {
            failures.push(format!(
                "stream {streams} --merge-into: {}\ninput:\n{commented}",
                first_difference(&mask(&u_text), &mask(&o_text))
            ));
        }
    }
    eprintln!(
        "{done} documents in {streams} streams, {} failures, {rejected} runs rejected by both",
        failures.len()
    );
    if !rejected_example.is_empty() {
        eprintln!("first input both rejected: {rejected_example}");
    }
    if let Some(dir) = std::env::var_os("SEALWRIGHT_HANDWRITTEN_DUMP") {
        let _ = std::fs::create_dir_all(&dir);
        for (i, f) in failures.iter().enumerate() {
            let _ = std::fs::write(std::path::Path::new(&dir).join(format!("{i:03}.txt")), f);
        }
    }
    // The generator writes valid manifests: a stream both sides reject is a generator bug
    // that would hide differences, so they must stay rare.
    assert!(
        rejected * 50 <= streams * 2,
        "{rejected} of {} runs were rejected by upstream too:\n{rejected_example}",
        streams * 2
    );
    assert!(
        failures.is_empty(),
        "seed {seed}: {} of {streams} streams differ from upstream; the first:\n{}",
        failures.len(),
        failures.first().map(String::as_str).unwrap_or_default()
    );
}
