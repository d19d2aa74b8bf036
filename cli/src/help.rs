//! `--help`, `-h` and flag errors as upstream prints them: `Usage of <argv0>:` and pflag's
//! `FlagUsages` (every visible flag sorted by name, `  -x, --long type   usage (default …)`
//! with the usage column aligned), built from clap's metadata, then our additions in the same
//! layout. Flag errors use pflag's sentences and exit 2.

use std::fmt::Write as _;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, CommandFactory};

use crate::args::Cli;

/// What the tool does, in one line, for someone who has never used it.
const INTRO: &str = "kubeseal encrypts Kubernetes Secrets into SealedSecrets, which only the sealed-secrets controller in your cluster can decrypt: safe to keep in Git.";

/// The three things a newcomer does first (also in the manual page).
pub const EXAMPLES: &[(&str, &str)] = &[
    (
        "Fetch the controller's certificate (needs access to the cluster):",
        "kubeseal --fetch-cert > cert.pem",
    ),
    (
        "Seal a Secret manifest offline with that certificate:",
        "kubeseal --cert cert.pem -f secret.yaml -o yaml > sealed-secret.yaml",
    ),
    (
        "Unseal a SealedSecret with a backup of the controller's keys (disaster recovery):",
        "kubeseal --recovery-unseal --recovery-private-key sealed-secrets-keys.yaml -f sealed-secret.yaml -o yaml",
    ),
];

/// List flags that take their `SEALED_SECRETS_*` variable outside clap (see `apply_slice_env`).
pub const SLICE_ENV: &[(&str, &str)] = &[
    ("SEALED_SECRETS_FROM_FILE", "--from-file"),
    (
        "SEALED_SECRETS_RECOVERY_PRIVATE_KEY",
        "--recovery-private-key",
    ),
    ("SEALED_SECRETS_AS_GROUP", "--as-group"),
];

/// The lines above upstream's `Usage of …:` list.
pub fn intro() -> String {
    let mut out = format!("{INTRO}\n\nExamples:\n");
    for (what, command) in EXAMPLES {
        let _ = writeln!(out, "  # {what}\n  {command}\n");
    }
    let commands: Vec<String> = Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .collect();
    let _ = writeln!(
        out,
        "Commands: {}; see `kubeseal <command> --help`.\n",
        commands.join(", ")
    );
    out
}

/// One line of the flag list.
struct Row {
    name: String,
    short: Option<char>,
    /// pflag's type name after the flag (`string`, `strings`, `Level`…); empty for bools.
    varname: String,
    usage: String,
    /// Already formatted, e.g. ` (default "json")`.
    default: String,
}

/// Usage texts of upstream's flags where our clap help says more (or less) than upstream;
/// clap also drops the final period of a one-sentence help.
const UPSTREAM_USAGE: &[(&str, &str)] = &[
    (
        "as-group",
        "Group to impersonate for the operation, this flag can be repeated to specify multiple groups.",
    ),
    ("controller-name", "Name of sealed-secrets controller."),
    (
        "controller-namespace",
        "Namespace of sealed-secrets controller.",
    ),
    (
        "merge-into",
        "Merge items from secret into an existing sealed secret file, updating the file in-place instead of writing to stdout.",
    ),
    (
        "from-file",
        "(only with --raw) Secret items can be sourced from files. Pro-tip: you can use /dev/stdin to read pipe input. This flag tries to follow the same syntax as in kubectl",
    ),
    (
        "re-encrypt",
        "Re-encrypt the given sealed secret to use the latest cluster key.",
    ),
    (
        "recovery-private-key",
        "Private key filename used by the --recovery-unseal command. Multiple files accepted either via comma separated list or by repetition of the flag. Either PEM encoded private keys or a backup of a json/yaml encoded k8s sealed-secret controller secret (and v1.List) are accepted. ",
    ),
    (
        "recovery-unseal",
        "Decrypt a sealed secrets file obtained from stdin, using the private key passed with --recovery-private-key. Intended to be used in disaster recovery mode.",
    ),
    (
        "scope",
        "Set the scope of the sealed secret: strict, namespace-wide, cluster-wide (defaults to strict). Mandatory for --raw, otherwise the 'sealedsecrets.bitnami.com/cluster-wide' and 'sealedsecrets.bitnami.com/namespace-wide' annotations on the input secret can be used to select the scope.",
    ),
    (
        "request-timeout",
        "The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't timeout requests.",
    ),
    (
        "insecure-skip-tls-verify",
        "If true, the server's certificate will not be checked for validity. This will make your HTTPS connections insecure",
    ),
    (
        "tls-server-name",
        "If provided, this name will be used to validate server certificate. If this is not provided, hostname used to contact the server is used.",
    ),
];

/// klog's flags, which upstream registers and lists; ours accepts them hidden, without help.
/// (name, shorthand, type, usage, default suffix)
const KLOG: &[(&str, Option<char>, &str, &str, &str)] = &[
    (
        "add_dir_header",
        None,
        "",
        "If true, adds the file directory to the header of the log messages",
        "",
    ),
    (
        "alsologtostderr",
        None,
        "",
        "log to standard error as well as files (no effect when -logtostderr=true)",
        "",
    ),
    (
        "alsologtostderrthreshold",
        None,
        "severity",
        "logs at or above this threshold go to stderr when -alsologtostderr=true (no effect when -logtostderr=true)",
        "",
    ),
    (
        "legacy_stderr_threshold_behavior",
        None,
        "",
        "If true, stderrthreshold is ignored when logtostderr=true (legacy behavior). If false, stderrthreshold is honored even when logtostderr=true",
        " (default true)",
    ),
    (
        "log_backtrace_at",
        None,
        "traceLocation",
        "when logging hits line file:N, emit a stack trace",
        " (default :0)",
    ),
    (
        "log_dir",
        None,
        "string",
        "If non-empty, write log files in this directory (no effect when -logtostderr=true)",
        "",
    ),
    (
        "log_file",
        None,
        "string",
        "If non-empty, use this log file (no effect when -logtostderr=true)",
        "",
    ),
    (
        "log_file_max_size",
        None,
        "uint",
        "Defines the maximum size a log file can grow to (no effect when -logtostderr=true). Unit is megabytes. If the value is 0, the maximum file size is unlimited.",
        " (default 1800)",
    ),
    (
        "logtostderr",
        None,
        "",
        "log to standard error instead of files",
        " (default true)",
    ),
    (
        "one_output",
        None,
        "",
        "If true, only write logs to their native severity level (vs also writing to each lower severity level; no effect when -logtostderr=true)",
        "",
    ),
    (
        "skip_headers",
        None,
        "",
        "If true, avoid header prefixes in the log messages",
        "",
    ),
    (
        "skip_log_headers",
        None,
        "",
        "If true, avoid headers when opening log files (no effect when -logtostderr=true)",
        "",
    ),
    (
        "stderrthreshold",
        None,
        "severity",
        "logs at or above this threshold go to stderr when writing to files and stderr (no effect when -logtostderr=true or -alsologtostderr=true unless -legacy_stderr_threshold_behavior=false)",
        " (default 2)",
    ),
    (
        "v",
        Some('v'),
        "Level",
        "number for the log level verbosity",
        "",
    ),
    (
        "vmodule",
        None,
        "moduleSpec",
        "comma-separated list of pattern=N settings for file-filtered logging",
        "",
    ),
];

/// Our additions, listed after upstream's flags in the same layout.
const EXTRAS: &[(&str, &str)] = &[
    (
        "FILE",
        "Input file as a positional argument (same as --secret-file; upstream ignores it)",
    ),
    (
        "--re-encrypt --recovery-private-key KEYS --cert CERT",
        "Re-encrypt offline: open with the private keys, seal to the certificate",
    ),
    (
        "--max-input-size SIZE",
        "The most input read from stdin, -f or --merge-into (default 64Mi; e.g. 1Gi, 500000)",
    ),
];

/// pflag treats an argument as a bool flag when it takes no value (`--raw`, `--raw=false`);
/// ours are declared with an optional `=value`.
fn is_bool(arg: &Arg) -> bool {
    let optional = arg.get_num_args().is_some_and(|n| n.min_values() == 0);
    optional && arg.is_require_equals_set()
}

fn pflag_type(arg: &Arg) -> &'static str {
    if is_bool(arg) {
        ""
    } else if matches!(arg.get_action(), ArgAction::Append) {
        if arg.get_value_delimiter().is_some() {
            "strings"
        } else {
            "stringArray"
        }
    } else {
        "string"
    }
}

fn rows() -> Vec<Row> {
    let cmd = Cli::command();
    let mut rows: Vec<Row> = cmd
        .get_arguments()
        .filter(|a| !a.is_positional() && !a.is_hide_set())
        .filter_map(|a| {
            let name = a.get_long()?.to_string();
            let varname = pflag_type(a).to_string();
            let usage = UPSTREAM_USAGE
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, u)| u.to_string())
                .or_else(|| a.get_help().map(|h| h.to_string()))
                .unwrap_or_default();
            let default = match a.get_default_values().first().and_then(|v| v.to_str()) {
                Some(d) if !is_bool(a) && !d.is_empty() => format!(" (default {d:?})"),
                Some("true") if is_bool(a) => " (default true)".to_string(),
                _ => String::new(),
            };
            // Upstream's --help has no shorthand: `-h` is pflag's own, unlisted.
            let short = if name == "help" { None } else { a.get_short() };
            Some(Row {
                name,
                short,
                varname,
                usage,
                default,
            })
        })
        .collect();
    rows.extend(KLOG.iter().map(|(name, short, ty, usage, default)| Row {
        name: name.to_string(),
        short: *short,
        varname: ty.to_string(),
        usage: usage.to_string(),
        default: default.to_string(),
    }));
    rows.sort_by(|a, b| a.name.cmp(&b.name));
    rows
}

/// pflag's `FlagUsages` layout: the left column padded to the widest entry plus two spaces.
fn layout(entries: &[(String, String)]) -> String {
    let width = entries.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    let mut out = String::new();
    for (left, right) in entries {
        // Go's Println puts a space on each side of the padding, which counts the NUL marker.
        let _ = writeln!(
            out,
            "{left} {:pad$} {right}",
            "",
            pad = width + 1 - left.len()
        );
    }
    out
}

/// The flag list (what upstream's `flag.PrintDefaults()` writes) plus our additions.
pub fn flag_usages() -> String {
    let flags: Vec<(String, String)> = rows()
        .into_iter()
        .map(|r| {
            let mut left = match r.short {
                Some(c) => format!("  -{c}, --{}", r.name),
                None => format!("      --{}", r.name),
            };
            if !r.varname.is_empty() {
                left.push(' ');
                left.push_str(&r.varname);
            }
            (left, format!("{}{}", r.usage, r.default))
        })
        .collect();
    let mut out = layout(&flags);
    let mut extras: Vec<(String, String)> = EXTRAS
        .iter()
        .map(|(l, r)| (format!("      {l}"), r.to_string()))
        .collect();
    let cmd = Cli::command();
    extras.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).map(|s| {
        (
            format!("      kubeseal {}", s.get_name()),
            s.get_about().map(|a| a.to_string()).unwrap_or_default(),
        )
    }));
    out.push_str("\nsealwright additions:\n");
    out.push_str(&layout(&extras));
    out
}

/// The command line, lossily decoded: a path argument may hold any bytes, and looking at the
/// arguments must never panic.
fn args() -> impl DoubleEndedIterator<Item = String> {
    std::env::args_os().map(|a| a.to_string_lossy().into_owned())
}

fn argv0() -> String {
    std::env::args_os()
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_else(|| "kubeseal".into())
}

fn header() -> String {
    format!("Usage of {}:\n", argv0())
}

/// True when pflag would have stopped at a `-h` (a short cluster starting with `h`) before
/// `--`: upstream then writes the header to stderr and the list to stdout.
pub fn shorthand_help_requested() -> bool {
    args()
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a.starts_with("-h"))
}

/// Whether a `-h` comes before the argument clap complains about (else the error wins, as
/// pflag parses left to right).
fn help_before_error(e: &clap::Error) -> bool {
    let args: Vec<String> = args().skip(1).take_while(|a| a != "--").collect();
    let Some(help_at) = args.iter().position(|a| a.starts_with("-h")) else {
        return false;
    };
    let culprit = context(e, ContextKind::InvalidArg)
        .and_then(|a| a.split([' ', '[', '=']).next().map(str::to_string))
        .unwrap_or_default();
    let error_at = args
        .iter()
        .position(|a| !culprit.is_empty() && a.starts_with(&culprit))
        .unwrap_or(args.len());
    help_at < error_at
}

/// `--help` (all on stdout) or `-h` (header on stderr), exit 0 by returning.
pub fn print_help() {
    let list = flag_usages();
    if shorthand_help_requested() {
        eprint!("{}{}", intro(), header());
    } else {
        crate::out!("{}{}", intro(), header());
    }
    crate::out!("{list}");
}

/// A command-line error, as pflag reports it: the usage, then the sentence, exit 2. Upstream
/// prints the list and sentence on stdout; we keep stdout for sealed output and write all of
/// it, in the same order, to stderr.
pub fn exit_on_flag_error(e: clap::Error) -> ! {
    let subcommand = args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .is_some_and(|a| Cli::command().find_subcommand(&a).is_some());
    if subcommand
        || matches!(
            e.kind(),
            ErrorKind::DisplayHelp
                | ErrorKind::DisplayVersion
                | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
        )
    {
        // Our own subcommands keep clap's messages.
        e.exit()
    }
    if e.kind() == ErrorKind::InvalidUtf8 {
        eprintln!("error: {}", invalid_utf8_message());
        std::process::exit(2)
    }
    if let Some(message) = environment_error(&e) {
        // The user never typed this flag: name the variable, and spare them the usage.
        eprintln!("error: {message}");
        std::process::exit(2)
    }
    if help_before_error(&e) {
        // pflag stops at `-h`; whatever follows it is never looked at.
        print_help();
        std::process::exit(0);
    }
    let message = pflag_message(&e);
    eprintln!("{}{}{message}", header(), flag_usages());
    std::process::exit(2)
}

/// Names the flag whose value is not UTF-8 (only paths may hold arbitrary bytes).
fn invalid_utf8_message() -> String {
    let raw: Vec<std::ffi::OsString> = std::env::args_os().skip(1).collect();
    let bad = raw.iter().position(|a| a.to_str().is_none());
    let flag = bad.and_then(|i| {
        let lossy = raw[i].to_string_lossy();
        if lossy.starts_with('-') {
            lossy.split('=').next().map(str::to_string)
        } else {
            i.checked_sub(1)
                .map(|p| raw[p].to_string_lossy().into_owned())
        }
    });
    match flag {
        Some(f) if f.starts_with('-') => {
            format!(
                "invalid argument for {f:?}: the value is not valid UTF-8 (only file paths may hold other bytes)"
            )
        }
        _ => "an argument is not valid UTF-8 (only file paths may hold other bytes)".into(),
    }
}

/// A bad value that came from a `SEALED_SECRETS_*` variable rather than the command line.
fn environment_error(e: &clap::Error) -> Option<String> {
    if !matches!(
        e.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) {
        return None;
    }
    let arg = context(e, ContextKind::InvalidArg)?;
    let flag = arg.split([' ', '[', '=']).next()?.to_string();
    let long = flag.strip_prefix("--")?;
    let short = short_of(long).map(|c| format!("-{c}"));
    let typed = args().skip(1).take_while(|a| a != "--").any(|a| {
        a == flag
            || a.starts_with(&format!("{flag}="))
            || short.as_ref().is_some_and(|s| a.starts_with(s.as_str()))
    });
    if typed {
        return None;
    }
    let var = format!("SEALED_SECRETS_{}", long.replace('-', "_").to_uppercase());
    let value = std::env::var_os(&var)?;
    let cause = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_else(|| "invalid value".into());
    Some(format!(
        "invalid value {:?} in the environment variable {var} (for --{long}): {cause}",
        value.to_string_lossy()
    ))
}

fn context(e: &clap::Error, kind: ContextKind) -> Option<String> {
    match e.get(kind)? {
        ContextValue::String(s) => Some(s.clone()),
        ContextValue::Strings(v) => v.first().cloned(),
        _ => None,
    }
}

/// pflag's sentences for the errors it has; clap's own first line otherwise.
fn pflag_message(e: &clap::Error) -> String {
    let arg = context(e, ContextKind::InvalidArg).unwrap_or_default();
    // clap names the flag as `--cert <CERT>` or `--raw[=<RAW>]`.
    let flag = arg.split([' ', '[']).next().unwrap_or_default().to_string();
    let long = flag.strip_prefix("--").unwrap_or(&flag).to_string();
    match e.kind() {
        ErrorKind::UnknownArgument if flag.starts_with("--") => {
            let name = flag.split('=').next().unwrap_or(&flag);
            format!("unknown flag: {name}")
        }
        ErrorKind::UnknownArgument if flag.starts_with('-') => {
            let rest = &flag[1..];
            let c = rest.chars().next().unwrap_or('-');
            format!("unknown shorthand flag: '{c}' in -{rest}")
        }
        ErrorKind::InvalidValue if context(e, ContextKind::InvalidValue).as_deref() == Some("") => {
            match last_short_flag() {
                Some(c) => format!("flag needs an argument: '{c}' in -{c}"),
                None => format!("flag needs an argument: {flag}"),
            }
        }
        ErrorKind::ValueValidation => {
            let value = context(e, ContextKind::InvalidValue).unwrap_or_default();
            let cause = std::error::Error::source(e)
                .map(|s| s.to_string())
                .unwrap_or_default();
            let name = match short_of(&long) {
                Some(c) => format!("-{c}, --{long}"),
                None => format!("--{long}"),
            };
            format!("invalid argument {value:?} for {name:?} flag: {cause}")
        }
        _ => {
            let rendered = e.to_string();
            let first = rendered.lines().next().unwrap_or_default();
            first.strip_prefix("error: ").unwrap_or(first).to_string()
        }
    }
}

/// The shorthand of the last argument when it is a bare `-x` (a flag missing its value).
fn last_short_flag() -> Option<char> {
    let last = args().next_back()?;
    let mut chars = last.strip_prefix('-')?.chars();
    let c = chars.next()?;
    (chars.next().is_none() && c != '-').then_some(c)
}

fn short_of(long: &str) -> Option<char> {
    Cli::command()
        .get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(Arg::get_short)
        .filter(|_| long != "help")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_aligned_and_sorted() {
        let usages = flag_usages();
        let flags: Vec<&str> = usages.lines().take_while(|l| !l.is_empty()).collect();
        assert!(flags.len() > 50);
        let names: Vec<String> = flags
            .iter()
            .filter_map(|l| l.split("--").nth(1))
            .map(|s| s.split(' ').next().unwrap_or_default().to_string())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        let column = flags[0].find("If true").unwrap_or(0);
        assert!(column > 0);
        assert!(
            flags
                .iter()
                .any(|l| l.starts_with("  -o, --format string ")
                    && l.ends_with("(default \"json\")"))
        );
        assert!(flags.iter().any(|l| l.starts_with("      --help ")));
    }
}
