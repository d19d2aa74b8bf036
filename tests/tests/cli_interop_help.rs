//! `--help`, `-h` and flag errors against upstream kubeseal v0.40.0: the same flag list byte
//! for byte (then our additions), the same exit codes and pflag sentences. Where upstream
//! writes the list and the error sentence to stdout, ours writes them to stderr (stdout only
//! ever carries sealed output), so errors are compared as upstream's stderr+stdout against
//! ours stderr.

#[path = "cli_support.rs"]
mod support;

use std::path::Path;

use support::{ours, run, text, upstream};

const ADDITIONS: &str = "\nsealwright additions:\n";

/// `Usage of <argv0>:` names the binary's path; both become `Usage of kubeseal:`.
fn normalise(s: &str, bin: &Path) -> String {
    s.replace(
        &format!("Usage of {}:", bin.display()),
        "Usage of kubeseal:",
    )
}

/// Our help opens with a line on what kubeseal does, three examples and the commands, then
/// upstream's `Usage of …:` and flag list: this is the part compared with upstream's.
fn flag_list_part(s: &str) -> String {
    match s.find("Usage of kubeseal:") {
        Some(start) => s[start..].to_string(),
        None => s.to_string(),
    }
}

/// The newcomer's introduction: one line, examples, the pointer to the commands' help.
fn assert_intro(s: &str) {
    let first = s.lines().next().unwrap_or_default();
    assert!(
        first.starts_with("kubeseal ") && first.contains("SealedSecrets"),
        "{first}"
    );
    assert!(s.contains("kubeseal --fetch-cert > cert.pem"), "{s}");
    assert!(s.contains("kubeseal --cert cert.pem -f secret.yaml"), "{s}");
    assert!(
        s.contains("--recovery-unseal --recovery-private-key"),
        "{s}"
    );
    assert!(s.contains("see `kubeseal <command> --help`"), "{s}");
}

/// Our text without the additions block (which sits between the flag list and anything after).
fn without_additions(s: &str) -> String {
    let Some(start) = s.find(ADDITIONS) else {
        return s.to_string();
    };
    let rest = &s[start + ADDITIONS.len()..];
    // The block ends at the first line that is not indented.
    let mut end = rest.len();
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if !line.starts_with("      ") {
            end = offset;
            break;
        }
        offset += line.len();
    }
    format!("{}{}", &s[..start], &rest[end..])
}

#[test]
fn help_lists_every_upstream_flag_byte_for_byte() {
    let (ours, upstream) = (ours(), upstream());
    for args in [
        &["--help"][..],
        &["--help=true"][..],
        &["--help", "-n", "x"][..],
    ] {
        let u = run(&upstream, args, b"", &[]);
        let o = run(&ours, args, b"", &[]);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert_eq!(u.status.code(), Some(0), "{args:?}");
        assert!(u.stderr.is_empty() && o.stderr.is_empty(), "{args:?}");
        let (u_out, o_out) = (
            normalise(&text(&u.stdout), &upstream),
            normalise(&text(&o.stdout), &ours),
        );
        assert_intro(&o_out);
        let o_out = flag_list_part(&o_out);
        assert!(o_out.contains(ADDITIONS), "our additions are listed");
        assert_eq!(without_additions(&o_out), u_out, "{args:?}");
        assert!(
            o_out.starts_with(&u_out),
            "our additions come after upstream's list"
        );
    }
}

#[test]
fn shorthand_help_splits_streams_as_upstream() {
    let (ours, upstream) = (ours(), upstream());
    for args in [&["-h"][..], &["-h", "--bogus"][..], &["-hx"][..]] {
        let u = run(&upstream, args, b"", &[]);
        let o = run(&ours, args, b"", &[]);
        assert_eq!(o.status.code(), u.status.code(), "{args:?}");
        let o_err = normalise(&text(&o.stderr), &ours);
        if o.status.success() {
            assert_intro(&o_err);
        }
        assert_eq!(
            flag_list_part(&o_err),
            normalise(&text(&u.stderr), &upstream),
            "{args:?}"
        );
        assert_eq!(
            without_additions(&text(&o.stdout)),
            text(&u.stdout),
            "{args:?}"
        );
    }
}

#[test]
fn flag_errors_as_upstream() {
    let (ours, upstream) = (ours(), upstream());
    let cases: &[&[&str]] = &[
        &["--bogus"],
        &["--bogus=1"],
        &["-x"],
        &["--cert"],
        &["--format"],
        &["-o"],
        &["-n"],
        &["-f", "a", "-f"],
        &["--raw=maybe"],
        &["--help=maybe"],
        &["--validate=1x"],
        &["--scope=bogus"],
        &["--bogus", "-h"],
        &["--help", "--bogus"],
    ];
    for args in cases {
        let u = run(&upstream, args, b"", &[]);
        let o = run(&ours, args, b"", &[]);
        assert_eq!(u.status.code(), Some(2), "{args:?}");
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(o.stdout.is_empty(), "stdout stays clean for {args:?}");
        let u_all = normalise(
            &format!("{}{}", text(&u.stderr), text(&u.stdout)),
            &upstream,
        );
        let o_all = normalise(&text(&o.stderr), &ours);
        assert_eq!(without_additions(&o_all), u_all, "{args:?}");
    }
}

#[test]
fn version_wins_over_help() {
    let (ours, upstream) = (ours(), upstream());
    let args = ["--help", "--version"];
    let u = run(&upstream, &args, b"", &[]);
    let o = run(&ours, &args, b"", &[]);
    assert_eq!(o.status.code(), u.status.code());
    assert!(text(&u.stdout).starts_with("kubeseal version: "));
    assert!(text(&o.stdout).starts_with("kubeseal version: "));
    assert_eq!(text(&o.stdout).lines().count(), 1);
}
