//! Hostile templates end in a clean budget error, quickly and in bounded memory, and the
//! budget is shared by every template of one object.
//!
//! Each hostile render runs in a child process (this test binary, re-run on one test), so
//! its peak resident memory and any leak can be read from `/proc/self/status` without
//! other tests running beside it.

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

use gotemplate::{Budget, ErrorKind, render, render_within};

/// The variable that carries the template to the child process.
const CASE_ENV: &str = "SEALWRIGHT_TEMPLATE_BUDGET_CASE";
/// How many times the child renders the case (more than once to show nothing leaks).
const REPEAT_ENV: &str = "SEALWRIGHT_TEMPLATE_BUDGET_REPEAT";

fn values() -> BTreeMap<String, String> {
    BTreeMap::from([
        ("password".to_string(), "hunter2".to_string()),
        ("big".to_string(), "y".repeat(1 << 20)),
    ])
}

/// `VmRSS` or `VmHWM` of this process, in bytes.
fn status_bytes(field: &str) -> i64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse::<i64>().ok())
        .expect("field in /proc/self/status")
        * 1024
}

/// The child's side: renders the case and prints one line the parent reads.
#[test]
fn child_process_entry() {
    let Ok(src) = std::env::var(CASE_ENV) else {
        return;
    };
    let repeat: usize = std::env::var(REPEAT_ENV)
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(1);
    let values = values();
    let before = status_bytes("VmRSS");
    let start = Instant::now();
    let mut result = render("key", &src, &values);
    let took = start.elapsed();
    let after_first = status_bytes("VmRSS");
    for _ in 1..repeat {
        result = render("key", &src, &values);
    }
    let grown = status_bytes("VmRSS") - after_first;
    let peak = status_bytes("VmHWM") - before;
    let (kind, message, len) = match result {
        Ok(out) => ("ok".to_string(), String::new(), out.len()),
        Err(e) => (format!("{:?}", e.kind), e.message, 0),
    };
    println!(
        "CASE-RESULT\t{kind}\t{}\t{peak}\t{grown}\t{len}\t{message}",
        took.as_millis()
    );
}

/// What one render in a child process cost.
#[derive(Debug)]
struct Run {
    kind: String,
    message: String,
    took: Duration,
    peak: i64,
    grown: i64,
    len: usize,
}

fn run_repeated(src: &str, repeat: usize) -> Run {
    let exe = std::env::current_exe().expect("test binary");
    let out = Command::new(exe)
        .args([
            "--exact",
            "child_process_entry",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CASE_ENV, src)
        .env(REPEAT_ENV, repeat.to_string())
        .output()
        .expect("run child");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| Some(l.split_once("CASE-RESULT\t")?.1))
        .unwrap_or_else(|| {
            panic!(
                "{src}: child failed ({}): {stdout}{}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let f: Vec<&str> = line.splitn(6, '\t').collect();
    let num = |i: usize| f[i].parse::<i64>().expect("number");
    Run {
        kind: f[0].to_string(),
        took: Duration::from_millis(num(1) as u64),
        peak: num(2),
        grown: num(3),
        len: num(4) as usize,
        message: f[5].to_string(),
    }
}

fn run(src: &str) -> Run {
    run_repeated(src, 1)
}

/// How long a hostile render may take: the default step budget is sized for well under a
/// second in an optimised build; unoptimised test builds run an order of magnitude slower.
fn time_limit() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(30)
    } else {
        Duration::from_secs(2)
    }
}

/// Peak memory a hostile render may reach: the 16 MiB byte budget, plus the growth slack
/// of one buffer being built, plus the engine's own bookkeeping.
const PEAK_LIMIT: i64 = 48 << 20;

/// The render failed on the budget, quickly, in bounded memory, naming the key and the
/// limit and nothing of the values.
fn assert_over_budget(src: &str, limit: &str) {
    let r = run(src);
    assert_eq!(r.kind, "Budget", "{src}: {r:?}");
    assert!(r.message.starts_with("template: key:"), "{src}: {r:?}");
    assert!(r.message.contains(limit), "{src}: {r:?}");
    assert!(!r.message.contains("hunter2") && !r.message.contains("yyyy"));
    assert!(r.took < time_limit(), "{src}: {r:?}");
    assert!(r.peak < PEAK_LIMIT, "{src}: {r:?}");
}

const BYTES: &str = "more than 16777216 bytes built";
const STEPS: &str = "more than 10000000 evaluation steps";

#[test]
fn join_repeat_bomb_is_a_budget_error() {
    assert_over_budget(r#"{{ join (repeat 16777216 "x") (until 1048576) }}"#, BYTES);
    assert_over_budget(r#"{{ join (repeat 4000000 "x") (until 8) }}"#, BYTES);
}

#[test]
fn two_billion_step_range_is_a_budget_error() {
    assert_over_budget("{{ range 2000000000 }}{{ end }}", STEPS);
    assert_over_budget(
        "{{ range $i := until 100000 }}{{ range 1000 }}{{ end }}{{ end }}",
        STEPS,
    );
}

#[test]
fn exponential_shared_lists_are_cheap_to_build_and_bounded_to_use() {
    // Sixty layers of `list $l $l`: 2^60 leaves, 60 distinct lists. Building it and
    // checking its depth costs steps per distinct list, not per leaf.
    let build = "{{ $l := list 1 }}{{ range until 60 }}{{ $l = list $l $l }}{{ end }}";
    let r = run(&format!("{build}{{{{ len $l }}}}"));
    assert_eq!((r.kind.as_str(), r.len), ("ok", 1), "{r:?}");
    assert!(r.took < time_limit() / 10, "{r:?}");
    // Walking it unfolds it: printing runs into the byte budget, comparing into steps.
    assert_over_budget(&format!("{build}{{{{ $l }}}}"), BYTES);
    assert_over_budget(
        &format!("{build}{{{{ toJson $l }}}}"),
        "template budget exceeded",
    );
    assert_over_budget(
        &format!("{build}{{{{ deepCopy $l }}}}"),
        "template budget exceeded",
    );
    let twin = "{{ $m := list 1 }}{{ range until 60 }}{{ $m = list $m $m }}{{ end }}";
    assert_over_budget(&format!("{build}{twin}{{{{ deepEqual $l $m }}}}"), STEPS);
    assert_over_budget(&format!("{build}{twin}{{{{ has $l (list $m) }}}}"), STEPS);
}

#[test]
fn nesting_past_the_value_depth_is_refused() {
    let r = run("{{ $l := list 1 }}{{ range until 100 }}{{ $l = list $l $l }}{{ end }}");
    assert_eq!(r.kind, "Exec", "{r:?}");
    assert!(
        r.message
            .ends_with("error calling list: value nested deeper than 64 levels"),
        "{r:?}"
    );
    assert!(r.took < time_limit() / 10, "{r:?}");
}

#[test]
fn self_referencing_set_neither_recurses_nor_leaks() {
    // Each map holds 100 kB, so two hundred leaked renders would show as 20 MB.
    let pad = r#"(repeat 100000 "x")"#;
    for src in [
        format!(r#"{{{{ $d := dict "p" {pad} }}}}{{{{ $_ := set $d "k" $d }}}}{{{{ $d }}}}"#),
        format!(
            r#"{{{{ $a := dict "p" {pad} }}}}{{{{ $b := dict "a" $a }}}}{{{{ $_ := set $a "b" $b }}}}{{{{ toJson $a }}}}"#
        ),
        format!(
            r#"{{{{ $d := dict "p" {pad} }}}}{{{{ $l := list $d }}}}{{{{ $_ := set $d "l" $l }}}}{{{{ deepCopy $d }}}}"#
        ),
    ] {
        let r = run_repeated(&src, 200);
        assert_eq!(r.kind, "Exec", "{src}: {r:?}");
        assert!(
            r.message.contains("value nested deeper than 64 levels"),
            "{src}: {r:?}"
        );
        assert!(r.grown < 4 << 20, "{src}: {r:?}");
    }
    // A map reached twice without a cycle is fine, as in Go.
    let v = BTreeMap::<String, String>::new();
    let out = render(
        "k",
        r#"{{ $d := dict "x" 1 }}{{ $e := dict "a" $d "b" $d }}{{ $e }}"#,
        &v,
    );
    assert_eq!(out.as_deref(), Ok(b"map[a:map[x:1] b:map[x:1]]".as_slice()));
}

#[test]
fn every_growing_function_checks_before_building() {
    let big = "(repeat 9000000 \"x\")";
    let cases = [
        "{{ repeat 20000000 \"x\" }}".into(),
        format!("{{{{ $x := {big} }}}}{{{{ $y := {big} }}}}"),
        format!("{{{{ replace \"x\" \"xxxxxxxx\" {big} }}}}"),
        format!("{{{{ replace \"\" \"ab\" {big} }}}}"),
        format!("{{{{ cat {big} {big} }}}}"),
        format!("{{{{ printf \"%s%s\" {big} {big} }}}}"),
        "{{ range until 40 }}{{ printf \"%1000000d\" 1 }}{{ end }}".into(),
        "{{ printf \"%.10000000f\" 1.5 }}{{ printf \"%.10000000f\" 1.5 }}".into(),
        format!("{{{{ print {big} {big} }}}}"),
        format!("{{{{ println {big} {big} }}}}"),
        "{{ $l := list }}{{ range until 100000 }}{{ $l = append $l 1 }}{{ end }}".into(),
        "{{ $l := list }}{{ range until 100000 }}{{ $l = prepend $l 1 }}{{ end }}".into(),
        "{{ $l := list }}{{ range until 10000 }}{{ $l = list 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 98 99 100 }}{{ end }}".into(),
        "{{ until 100000000 }}".into(),
        "{{ untilStep 0 100000000 1 }}".into(),
        "{{ seq 100000000 }}".into(),
        "{{ $l := until 500000 }}{{ concat $l $l $l $l }}".into(),
        "{{ chunk 1 (until 600000) }}".into(),
        format!("{{{{ b64enc {big} }}}}"),
        format!("{{{{ b32enc {big} }}}}"),
        format!("{{{{ toJson (list {big} {big}) }}}}"),
        format!("{{{{ toPrettyJson (list {big} {big}) }}}}"),
        format!("{{{{ toRawJson (list {big} {big}) }}}}"),
        "{{ indent 10 (repeat 1000000 \"\\n\") }}".into(),
        "{{ nindent 10 (repeat 1000000 \"\\n\") }}".into(),
        format!("{{{{ quote {big} {big} }}}}"),
        format!("{{{{ squote {big} {big} }}}}"),
        "{{ html (repeat 3000000 \"<\") }}".into(),
        "{{ js (repeat 3000000 \"<\") }}".into(),
        "{{ urlquery (repeat 3000000 \"<\") }}".into(),
        "{{ splitList \"\" (repeat 2000000 \"x\") }}".into(),
        "{{ split \"\" (repeat 2000000 \"x\") }}".into(),
        "{{ regexSplit \"\" (repeat 2000000 \"x\") -1 }}".into(),
        "{{ regexFindAll \"x\" (repeat 2000000 \"x\") -1 }}".into(),
        "{{ regexReplaceAll \"x\" (repeat 200000 \"x\") (print \"<$0>\" (repeat 100 \"y\")) }}".into(),
        "{{ regexReplaceAllLiteral \"x\" (repeat 200000 \"x\") (repeat 100 \"y\") }}".into(),
        "{{ fromJson (printf \"[%s0]\" (repeat 3000000 \"[],\")) }}".into(),
        "{{ $d := dict }}{{ range $i := until 600000 }}{{ $_ := set $d (print $i) $i }}{{ end }}"
            .into(),
        "{{ keys (dict (repeat 9000000 \"k\") 1 (repeat 9000000 \"j\") 2) }}".into(),
        "{{ toStrings (until 800000) }}".into(),
    ];
    for src in &cases {
        // Mostly bytes; a few (a `set` loop re-checking a growing map) run out of steps first.
        assert_over_budget(src, "template budget exceeded");
    }
}

#[test]
fn work_that_grows_with_input_is_counted_in_steps() {
    for src in [
        // Quadratic uniq over distinct elements.
        "{{ uniq (until 200000) }}",
        // Hashing a large value again and again.
        "{{ range until 100000 }}{{ $_ := sha256sum $.big }}{{ end }}",
        "{{ range until 100000 }}{{ $_ := contains \"z\" $.big }}{{ end }}",
        "{{ range until 1000 }}{{ $_ := regexMatch \"(a|b|c|d|e|f)*z\" $.big }}{{ end }}",
        "{{ without (until 100000) 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 98 99 100 }}",
        "{{ define \"t\" }}{{ range 100 }}{{ template \"u\" }}{{ end }}{{ end }}{{ define \"u\" }}{{ range 100 }}{{ template \"v\" }}{{ end }}{{ end }}{{ define \"v\" }}{{ range 10000 }}{{ end }}{{ end }}{{ template \"t\" }}",
    ] {
        assert_over_budget(src, STEPS);
    }
}

#[test]
fn one_allowance_covers_every_template_of_an_object() {
    let values = BTreeMap::from([("a".to_string(), "1".to_string())]);
    let mut allowance = Budget::default().allowance();
    // Each key alone fits; together they go over, and every later key fails at once.
    let half = "{{ range 6000000 }}{{ end }}";
    assert!(render_within("one", half, &values, &mut allowance).is_ok());
    let err = render_within("two", half, &values, &mut allowance).expect_err("over");
    assert_eq!(err.kind, ErrorKind::Budget);
    assert!(err.message.starts_with("template: two:"), "{}", err.message);
    assert!(err.message.contains(STEPS), "{}", err.message);
    let err = render_within("three", "x", &values, &mut allowance).expect_err("spent");
    assert_eq!(err.kind, ErrorKind::Budget);
    assert!(allowance.exceeded().is_some());

    // A smaller budget is honoured, and ordinary templates fit the default easily.
    let mut small = Budget {
        max_bytes: 100,
        max_steps: 1_000_000,
    }
    .allowance();
    let err = render_within("k", "{{ repeat 101 \"x\" }}", &values, &mut small).expect_err("small");
    assert!(
        err.message.contains("more than 100 bytes built"),
        "{}",
        err.message
    );
    let mut normal = Budget::default().allowance();
    let src = "postgres://u:{{ .a | urlquery }}@db/{{ range $k, $v := . }}{{ $k }}{{ end }}";
    assert!(render_within("k", src, &values, &mut normal).is_ok());
    assert!(normal.steps_used() < 100 && normal.bytes_used() < 1000);
}

#[test]
fn shared_values_are_not_charged_again() {
    // A 1 MiB item read sixteen times into variables and compared costs nothing per read;
    // only what is built (here the output, 1 MiB) is charged.
    let src = "{{ range until 16 }}{{ $x := $.big }}{{ $y := default \"\" $x }}{{ if eq $x $y }}{{ end }}{{ end }}{{ .big }}";
    let mut allowance = Budget::default().allowance();
    let out = render_within("k", src, &values(), &mut allowance).expect("renders");
    assert_eq!(out.len(), 1 << 20);
    assert!(allowance.bytes_used() < (1 << 20) + 1000, "{allowance:?}");
}

/// Deep recursion stays an error on the 2 MiB stack of a worker thread.
#[test]
fn hostile_renders_fit_a_small_stack() {
    std::thread::Builder::new()
        .stack_size(2 << 20)
        .spawn(|| {
            // Lists nested 30 deep around a map, three times; then each map is set to hold
            // the next stack. Every step passes the depth check, but the first stack now
            // nests 93 deep through the maps, which every walk must stop at.
            let stack = |d: &str, l: &str| {
                format!("{{{{ ${d} := dict }}}}{{{{ ${l} := list ${d} }}}}{{{{ range until 29 }}}}{{{{ ${l} = list ${l} }}}}{{{{ end }}}}")
            };
            let src = format!(
                r#"{}{}{}{{{{ $_ := set $a "m" $m }}}}{{{{ $_ := set $b "n" $n }}}}"#,
                stack("a", "l"),
                stack("b", "m"),
                stack("c", "n")
            );
            assert!(render("k", &src, &values()).is_ok());
            for tail in [
                "{{ $l }}",
                "{{ toJson $l }}",
                "{{ deepCopy $l }}",
                "{{ printf \"%#v\" $l }}",
                "{{ print $l }}",
            ] {
                let err = render("k", &format!("{src}{tail}"), &values()).expect_err(tail);
                assert!(err.message.contains("nested deeper"), "{tail}: {}", err.message);
            }
        })
        .expect("spawn")
        .join()
        .expect("no overflow");
}
