//! Byte-for-byte comparison of `template::render` with upstream's engine (Go text/template
//! plus sprig v3.3.0 minus `env`, `expandenv`, `getHostByName`).
//!
//! `tests/data/templates.json` holds the templates and the results the real Go engine gave
//! for them (see its `_about` field for how they were produced). A case may carry `ours`
//! and `why`: a deliberate, documented difference; the test then checks both that we give
//! `ours` and that it really differs from Go's result, so stale overrides get noticed.

use std::collections::BTreeMap;

use gotemplate::{TemplateError, render};
use serde_json::Value as Json;

#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Output(String),
    Parse(String),
    Exec { message: String, partial: String },
}

fn expected(case: &Json) -> Outcome {
    let s = |k: &str| case[k].as_str().map(str::to_string);
    if let Some(out) = s("output") {
        return Outcome::Output(out);
    }
    if let Some(e) = s("parse_error") {
        return Outcome::Parse(e);
    }
    Outcome::Exec {
        message: s("exec_error").expect("a case has output, parse_error or exec_error"),
        partial: s("partial").expect("exec_error comes with partial"),
    }
}

/// Go's encoder wrote the expected outputs as JSON strings, where bytes that are not
/// UTF-8 became U+FFFD; ours are compared the same way.
fn text(b: Vec<u8>) -> String {
    String::from_utf8_lossy(&b).into_owned()
}

fn actual(r: Result<Vec<u8>, TemplateError>) -> Outcome {
    match r {
        Ok(out) => Outcome::Output(text(out)),
        Err(TemplateError {
            message,
            partial: None,
            ..
        }) => Outcome::Parse(message),
        Err(TemplateError {
            message,
            partial: Some(partial),
            ..
        }) => Outcome::Exec {
            message,
            partial: text(partial),
        },
    }
}

#[test]
fn renders_like_upstream() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/templates.json");
    let doc: Json =
        serde_json::from_str(&std::fs::read_to_string(path).expect("read templates.json"))
            .expect("templates.json is JSON");
    let sets: BTreeMap<String, BTreeMap<String, String>> =
        serde_json::from_value(doc["values"].clone()).expect("values sets");
    let cases = doc["cases"].as_array().expect("cases");
    assert!(
        cases.len() >= 40,
        "the table must cover at least 40 templates"
    );

    let mut failures = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().expect("name");
        let template = case["template"].as_str().expect("template");
        let values = &sets[case["values"].as_str().expect("values key")];
        let go = expected(case);
        let want = match case.get("ours") {
            Some(ours) => {
                let ours = expected(ours);
                assert_ne!(ours, go, "case {i}: override equals Go's result; drop it");
                assert!(
                    case["why"].as_str().is_some_and(|w| !w.is_empty()),
                    "case {i}: override needs a why"
                );
                ours
            }
            None => go,
        };
        let got = actual(render(name, template, values));
        if got != want {
            failures.push(format!(
                "case {i}: {template:?}\n  want {want:?}\n  got  {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
