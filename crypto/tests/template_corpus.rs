//! Our `unseal` against upstream's `(*SealedSecret).Unseal` on a generated corpus of
//! `spec.template.data` templates (`tests/upstream/templates`, run by `scripts/test.sh`, which
//! passes the corpus file in `SEALWRIGHT_TEMPLATE_CORPUS`).
//!
//! Each case is a SealedSecret: sealed items plus template keys (plain keys, `null` keys and
//! collisions included). It agrees when both sides give the same Secret data byte for byte, or
//! both fail. Keys whose output comes from the clock or a random source are checked against a
//! shape instead (`shapes.go` defines them; `shapes/` checks our output against them). Error texts must be
//! the same too.

mod common;
mod shapes;

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sealwright_crypto::hybrid::KeySet;
use sealwright_crypto::model::SealedSecretSpec;
use sealwright_crypto::unseal::{UnsealOptions, unseal};
use sealwright_crypto::{SealedSecret, keys};
use serde::Deserialize;

const CORPUS_VAR: &str = "SEALWRIGHT_TEMPLATE_CORPUS";

/// Differences known and not fixed yet: a differing case is explained when one of its
/// templates contains the needle. Every entry must still explain at least one case.
const KNOWN: &[(&str, &str)] = &[];

#[derive(Deserialize)]
struct Corpus {
    seed: u64,
    namespace: String,
    name: String,
    sealed: BTreeMap<String, BTreeMap<String, String>>,
    functions: BTreeMap<String, u64>,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
struct Case {
    id: usize,
    family: String,
    sealed: String,
    template: BTreeMap<String, Option<String>>,
    #[serde(default)]
    shape: BTreeMap<String, String>,
    data: Option<BTreeMap<String, String>>,
    error: Option<String>,
}

/// The corpus file, or `None` outside the test command. Under `scripts/test.sh` (which sets
/// `SEALWRIGHT_TESTENV`) a missing corpus is a failure, never a skip.
fn corpus_path() -> Option<String> {
    match std::env::var(CORPUS_VAR) {
        Ok(path) => Some(path),
        Err(_) if std::env::var_os("SEALWRIGHT_TESTENV").is_some() => {
            panic!(
                "{CORPUS_VAR} is not set: scripts/test.sh runs tests/upstream/templates/generate.sh"
            )
        }
        Err(_) => None,
    }
}

enum Verdict {
    Agree { error_text: Option<bool> },
    Differ(String),
}

/// Upstream gathers one error per failing template key while ranging over a Go map, so the
/// order of the lines of a multi-error text is random and the corpus holds one arbitrary
/// order. Each line must still match exactly; only their order is free.
fn same_error_text(go: &str, ours: &str) -> bool {
    if go == ours {
        return true;
    }
    sorted_lines(go) == sorted_lines(ours)
}

fn sorted_lines(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.split('\n').collect();
    lines.sort_unstable();
    lines
}

fn judge(case: &Case, ours: Result<BTreeMap<String, Vec<u8>>, String>) -> Verdict {
    match (&case.error, ours) {
        (Some(go), Err(rs)) => Verdict::Agree {
            error_text: Some(same_error_text(go, &rs)),
        },
        (Some(go), Ok(_)) => Verdict::Differ(format!("upstream fails, we do not: {go}")),
        (None, Err(rs)) => Verdict::Differ(format!("we fail, upstream does not: {rs}")),
        (None, Ok(ours)) => {
            let expected = case.data.clone().unwrap_or_default();
            let mut problems = Vec::new();
            for (key, out) in &ours {
                if let Some(shape) = case.shape.get(key) {
                    if let Err(e) = shapes::check(shape, out) {
                        problems.push(format!("{key}: {e}"));
                    }
                    continue;
                }
                match expected.get(key).map(|b| STANDARD.decode(b)) {
                    None => problems.push(format!("{key}: not in upstream's Secret")),
                    Some(Err(e)) => problems.push(format!("{key}: bad expectation: {e}")),
                    Some(Ok(want)) if want != *out => problems.push(format!(
                        "{key}: upstream {:?}, ours {:?}",
                        String::from_utf8_lossy(&want),
                        String::from_utf8_lossy(out)
                    )),
                    Some(Ok(_)) => {}
                }
            }
            for key in expected.keys().chain(case.shape.keys()) {
                if !ours.contains_key(key) {
                    problems.push(format!("{key}: missing from our Secret"));
                }
            }
            if problems.is_empty() {
                Verdict::Agree { error_text: None }
            } else {
                Verdict::Differ(problems.join("; "))
            }
        }
    }
}

#[test]
fn templates_render_like_upstream_unseal() {
    let Some(path) = corpus_path() else {
        eprintln!(
            "{CORPUS_VAR} not set: run tests/upstream/templates/generate.sh and point it there"
        );
        return;
    };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    let corpus: Corpus = serde_json::from_str(&text).expect("corpus JSON");
    let key =
        keys::private_key_from_pem(&common::read(common::data_dir().join("appendix-a-key.pem")))
            .expect("test key");
    let keyset = KeySet::new(vec![key]);
    eprintln!(
        "template corpus {path}: seed {}, {} templates, {} functions",
        corpus.seed,
        corpus.cases.len(),
        corpus.functions.len()
    );
    assert!(
        corpus.cases.len() >= 2000,
        "the corpus must hold at least 2,000 templates"
    );

    let (mut agree, mut texts_same, mut texts_differ) = (0, 0, 0);
    let mut differences = Vec::new();
    let mut by_family: BTreeMap<&str, usize> = BTreeMap::new();
    let mut text_diffs = Vec::new();
    let mut elapsed: BTreeMap<&str, std::time::Duration> = BTreeMap::new();
    let mut known = vec![0usize; KNOWN.len()];
    let mut used = vec![false; KNOWN.len()];
    for case in &corpus.cases {
        let started = std::time::Instant::now();
        let mut sealed = SealedSecret::new(
            &corpus.name,
            SealedSecretSpec {
                encrypted_data: corpus.sealed[&case.sealed].clone(),
                ..Default::default()
            },
        );
        sealed.metadata.namespace = Some(corpus.namespace.clone());
        sealed.spec.template.data = Some(case.template.clone());
        let ours = unseal(&sealed, &keyset, UnsealOptions::default())
            .map(|u| {
                u.secret
                    .data
                    .unwrap_or_default()
                    .into_iter()
                    .map(|(k, v)| (k, v.0))
                    .collect()
            })
            .map_err(|e| e.to_string());
        *elapsed.entry(&case.family).or_default() += started.elapsed();
        let ours_error = ours.as_ref().err().cloned();
        match judge(case, ours) {
            Verdict::Agree { error_text } => {
                agree += 1;
                match error_text {
                    Some(true) => texts_same += 1,
                    Some(false) => {
                        texts_differ += 1;
                        if text_diffs.len() < 200 {
                            text_diffs.push(format!(
                                "case {} ({}):\n    upstream: {}\n    ours:     {}",
                                case.id,
                                case.family,
                                case.error.as_deref().unwrap_or_default(),
                                ours_error.unwrap_or_default()
                            ));
                        }
                    }
                    None => {}
                }
            }
            Verdict::Differ(why) => {
                let sources: Vec<&str> = case
                    .template
                    .values()
                    .flatten()
                    .map(String::as_str)
                    .collect();
                let matching: Vec<usize> = (0..KNOWN.len())
                    .filter(|&i| sources.iter().any(|s| s.contains(KNOWN[i].0)))
                    .collect();
                for &i in &matching {
                    used[i] = true;
                }
                if let Some(&first) = matching.first() {
                    known[first] += 1;
                    continue;
                }
                *by_family.entry(&case.family).or_default() += 1;
                differences.push(format!(
                    "case {} ({}): {why}\n    templates: {:?}",
                    case.id, case.family, case.template
                ));
            }
        }
    }

    for d in &differences {
        eprintln!("DIFF {d}");
    }
    let known_total: usize = known.iter().sum();
    eprintln!("known differences, not fixed yet: {known_total}");
    for ((needle, why), count) in KNOWN.iter().zip(&known) {
        eprintln!("  {count:4}  {needle:?}: {why}");
    }
    let mut slow: Vec<_> = elapsed.into_iter().collect();
    slow.sort_by_key(|entry| std::cmp::Reverse(entry.1));
    eprintln!("slowest families: {:?}", &slow[..slow.len().min(6)]);
    eprintln!(
        "agree {agree} of {}, differ {} ({known_total} known, {} not); error texts: {texts_same} identical, {texts_differ} different",
        corpus.cases.len(),
        known_total + differences.len(),
        differences.len()
    );
    let stale: Vec<&str> = KNOWN
        .iter()
        .zip(&used)
        .filter(|(_, used)| !**used)
        .map(|((needle, _), _)| *needle)
        .collect();
    assert!(
        stale.is_empty(),
        "known differences that no longer occur (remove them): {stale:?}"
    );
    assert!(
        differences.is_empty(),
        "{} of {} templates differ from upstream (by family: {by_family:?}); first ones:\n{}",
        differences.len(),
        corpus.cases.len(),
        differences
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // Go's error texts are part of the contract: a user reading `kubeseal --recovery-unseal`'s
    // error, or a status written from it, sees upstream's words.
    assert!(
        text_diffs.is_empty(),
        "{texts_differ} error texts differ from upstream's; first ones:\n  {}",
        text_diffs
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n  ")
    );
}
