//! The controller's command line against upstream's v0.40.0 controller, run side by side without
//! a cluster: every flag upstream lists in `--help` is ours too, with the same default (bar the
//! two documented differences), and `--log-info-stdout` / `--log-level` split and filter the
//! log streams as upstream's slog setup does.

#[path = "cli_support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sealwright_tests::ControllerBinary;

/// Flags whose default differs on purpose (README "Compatibility"): upstream's client-side
/// limit of 5 requests/s is what makes its catch-up after an outage slow; ours has none.
const DIFFERENT_DEFAULTS: &[(&str, &str, &str)] = &[
    ("kubeclient-qps", "5", "-1"),
    ("kubeclient-burst", "10", "100"),
];

fn ours() -> PathBuf {
    ControllerBinary::ours()
        .expect("our controller (cargo build --workspace)")
        .path
}

fn upstream() -> PathBuf {
    // The kubeseal helper builds (or finds) both upstream binaries in one directory.
    support::upstream()
        .parent()
        .expect("upstream binary directory")
        .join("controller")
}

/// Runs a controller binary with no way to reach a cluster: no in-cluster environment, no
/// kubeconfig, no `SEALED_SECRETS_*` from the caller. Both then fail after their first log line.
fn run(bin: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let home = support::Scratch::new("controller-flags");
    let mut cmd = Command::new(bin);
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home.0)
        .env("KUBECONFIG", home.0.join("no-such-kubeconfig"))
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("run {}: {e}", bin.display()));
    drop(home);
    out
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whole seconds in a Go duration such as `87600h0m0s`, `2m0s` or `720h`; `None` if it is not
/// one.
fn go_seconds(s: &str) -> Option<i64> {
    use gocompat::duration::{SECOND, parse};
    parse(s)
        .ok()
        .filter(|n| *n >= 0 && n % SECOND == 0)
        .map(|n| n / SECOND)
}

/// One spelling per default: quotes dropped, zero values (which pflag does not print) empty,
/// durations in seconds.
fn normalise_default(value: &str) -> String {
    let v = value.trim().trim_matches('"');
    match v {
        "" | "false" | "0" => String::new(),
        _ => go_seconds(v).map_or_else(|| v.to_string(), |s| format!("{s}s")),
    }
}

/// pflag's `FlagUsages`: `      --name type   usage (default X)`, one flag per line.
fn upstream_flags(help: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for line in help.lines() {
        let Some(rest) = line.trim_start().strip_prefix("--") else {
            continue;
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
            .collect();
        let default = line
            .rfind("(default ")
            .map(|i| line[i + "(default ".len()..].trim_end_matches(')'))
            .unwrap_or_default();
        out.insert(name, normalise_default(default));
    }
    out
}

/// clap's help: a flag line (`      --name <NAME>`, six spaces, or `  -h, --help`), then its
/// usage, wrapped, ending in `[default: X]` when there is one.
fn our_flags(help: &str) -> BTreeMap<String, String> {
    let mut sections: Vec<(String, String)> = Vec::new();
    for line in help.lines() {
        let header = line
            .strip_prefix("      --")
            .or_else(|| line.strip_prefix("  -h, --"));
        match (header, sections.last_mut()) {
            (Some(rest), _) => {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
                    .collect();
                sections.push((name, rest.to_string()));
            }
            (None, Some((_, body))) => {
                body.push(' ');
                body.push_str(line.trim());
            }
            (None, None) => {}
        }
    }
    sections
        .into_iter()
        .map(|(name, body)| {
            let default = body
                .rfind("[default: ")
                .map(|i| {
                    body[i + "[default: ".len()..]
                        .split(']')
                        .next()
                        .unwrap_or_default()
                })
                .unwrap_or_default();
            (name, normalise_default(default))
        })
        .collect()
}

#[test]
fn every_upstream_flag_exists_with_upstream_default() {
    // pflag prints the list to stderr and exits 0 on --help.
    let up = run(&upstream(), &["--help"], &[]);
    assert_eq!(up.status.code(), Some(0), "{}", text(&up.stderr));
    let upstream = upstream_flags(&text(&up.stderr));
    assert!(
        upstream.contains_key("watch-for-secrets") && upstream.contains_key("log-info-stdout"),
        "upstream's flag list was read: {upstream:?}"
    );
    let o = run(&ours(), &["--help"], &[]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let our_list = our_flags(&text(&o.stdout));

    let mut problems = Vec::new();
    for (name, default) in &upstream {
        let Some(our_default) = our_list.get(name) else {
            problems.push(format!("--{name} is missing"));
            continue;
        };
        let expected = DIFFERENT_DEFAULTS
            .iter()
            .find(|(n, up, _)| n == name && normalise_default(up) == *default)
            .map_or_else(|| default.clone(), |(_, _, ours)| normalise_default(ours));
        if *our_default != expected {
            problems.push(format!(
                "--{name}: default {our_default:?}, upstream {default:?}"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // Every upstream flag is accepted, on the command line and from the environment (a run
    // that gets past flag parsing fails later, at the cluster connection, not with exit 2).
    for name in upstream.keys().filter(|n| *n != "help" && *n != "version") {
        let o = run(&ours(), &[&format!("--{name}={}", sample(name))], &[]);
        assert_ne!(
            o.status.code(),
            Some(2),
            "--{name} refused: {}",
            text(&o.stderr)
        );
    }
}

/// A value each flag accepts.
fn sample(name: &str) -> &'static str {
    match name {
        "key-size" | "rate-limit" | "rate-limit-burst" | "max-unseal-retries"
        | "kubeclient-burst" => "3",
        "kubeclient-qps" => "-1",
        "key-ttl" | "key-renew-period" | "read-timeout" | "write-timeout" => "1h",
        "accept-deprecated-v1-data"
        | "all-namespaces"
        | "old-gc-behavior"
        | "update-status"
        | "watch-for-secrets"
        | "skip-recreate"
        | "log-info-stdout"
        | "metrics-omit-secret-labels" => "false",
        "listen-addr" | "listen-metrics-addr" => "127.0.0.1:0",
        "key-order-priority" => "SecretCreationTimestamp",
        "log-level" => "ERROR",
        "log-format" => "json",
        _ => "x",
    }
}

const FIRST_LINE: &str = "Starting sealed-secrets controller";

/// Where each binary writes its first INFO line (`Starting sealed-secrets controller`), and
/// whether its failure to reach a cluster shows on stderr.
#[derive(Debug, PartialEq, Eq)]
struct Streams {
    info_on_stdout: bool,
    info_on_stderr: bool,
    stdout_empty: bool,
    error_on_stderr: bool,
}

fn streams(out: &Output) -> Streams {
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    Streams {
        info_on_stdout: stdout.contains(FIRST_LINE),
        info_on_stderr: stderr.contains(FIRST_LINE),
        stdout_empty: stdout.is_empty(),
        error_on_stderr: !stderr.replace(FIRST_LINE, "").trim().is_empty(),
    }
}

/// The INFO line on stdout (the default), on stderr, or nowhere; the failure always on stderr.
fn info_on(stdout: bool, stderr: bool) -> Streams {
    Streams {
        info_on_stdout: stdout,
        info_on_stderr: stderr,
        stdout_empty: !stdout,
        error_on_stderr: true,
    }
}

/// Flags, environment variables, and where each kind of log line must go.
type StreamCase<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], Streams);

#[test]
fn log_streams_match_upstream() {
    let cases: &[StreamCase] = &[
        (&[], &[], info_on(true, false)),
        (&["--log-format=json"], &[], info_on(true, false)),
        (&["--log-info-stdout=false"], &[], info_on(false, true)),
        (
            &[],
            &[("SEALED_SECRETS_LOG_INFO_STDOUT", "false")],
            info_on(false, true),
        ),
        (&["--log-level=ERROR"], &[], info_on(false, false)),
        // Not a slog level: ignored, INFO.
        (&["--log-level=WARNING"], &[], info_on(true, false)),
    ];
    for (args, env, want) in cases {
        for (label, bin) in [("upstream", upstream()), ("ours", ours())] {
            let out = run(&bin, args, env);
            assert!(
                !out.status.success(),
                "{label} {args:?}: runs without a cluster?"
            );
            assert_eq!(
                &streams(&out),
                want,
                "{label} {args:?} {env:?}\nstdout:\n{}\nstderr:\n{}",
                text(&out.stdout),
                text(&out.stderr)
            );
        }
    }
}

/// `"key":"value"` in a JSON line with the value replaced by `*`.
fn mask_json_string(line: &str, key: &str) -> String {
    let start = format!("\"{key}\":\"");
    let Some(i) = line.find(&start) else {
        return line.to_string();
    };
    let value_start = i + start.len();
    let value_end = line[value_start..]
        .find('"')
        .map_or(line.len(), |j| value_start + j);
    format!("{}*{}", &line[..value_start], &line[value_end..])
}

/// The first line of stdout with the time and the version masked, keys in their order.
fn first_line_shape(out: &Output, json: bool) -> String {
    let stdout = text(&out.stdout);
    let line = stdout.lines().next().unwrap_or_default();
    if json {
        serde_json::from_str::<serde_json::Value>(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
        mask_json_string(&mask_json_string(line, "time"), "version")
    } else {
        line.split(' ')
            .map(|field| match field.split_once('=') {
                Some((key @ ("time" | "version"), _)) => format!("{key}=*"),
                _ => field.to_string(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[test]
fn log_lines_have_slogs_shape() {
    for json in [false, true] {
        let args: &[&str] = if json { &["--log-format=json"] } else { &[] };
        let up = first_line_shape(&run(&upstream(), args, &[]), json);
        let o = first_line_shape(&run(&ours(), args, &[]), json);
        assert_eq!(o, up, "json={json}");
    }
}
