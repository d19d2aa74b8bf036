//! `kubeseal lint PATH...`: checks the SealedSecrets in a tree of YAML/JSON files offline, for
//! CI. Each finding is one line, `file:line: message` (or a JSON array with `-o json`); a
//! summary goes to stderr. Exit status 0 when clean, 1 on findings, 2 on a usage error.

mod ciphertext;
mod file;
mod finding;
mod kubenames;
mod lines;
mod lookup;
mod meta;
mod object;
mod secret;

use std::collections::BTreeSet;

use finding::{Finding, Rule};

use crate::args::LintGlobals;
use crate::args::lint::{LintArgs, Output};
use crate::error::CliError;
use crate::tree::TreeError;
use crate::tree::walk;

/// Exit status for a usage error (clap's, for flags it rejects itself).
const USAGE: i32 = 2;
const FINDINGS: i32 = 1;

pub fn run(args: &LintArgs, globals: &LintGlobals) -> Result<(), CliError> {
    let lookup = match lookup::Lookup::load(globals) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(hint) = e.hint() {
                eprintln!("{hint}");
            }
            std::process::exit(USAGE)
        }
    };
    let walked = walk::walk(&args.paths);
    let mut findings: Vec<Finding> = walked.errors.iter().map(walk_error).collect();
    for path in &walked.files {
        findings.extend(file::lint(path, &lookup));
    }
    match args.output {
        Output::Text => {
            let text: String = findings.iter().map(|f| f.text() + "\n").collect();
            crate::out!("{text}");
        }
        Output::Json => {
            let json = serde_json::to_string_pretty(&findings)
                .map_err(|e| CliError::Io(format!("cannot render the findings: {e}")))?;
            crate::outln!("{json}");
        }
    }
    let files: BTreeSet<&str> = findings.iter().map(|f| f.file.as_str()).collect();
    if findings.is_empty() {
        eprintln!("no findings in {}", plural(walked.files.len(), "file"));
        return Ok(());
    }
    eprintln!(
        "{} in {}",
        plural(findings.len(), "finding"),
        plural(files.len(), "file")
    );
    std::process::exit(FINDINGS)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

fn walk_error(e: &TreeError) -> Finding {
    match e {
        TreeError::Read { path, reason } => Finding::file(path, 0, Rule::Read, reason.clone()),
        other => Finding::file("", 0, Rule::Read, other.to_string()),
    }
}
