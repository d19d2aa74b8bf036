//! `kubeseal keys list`: every sealing key, which one seals, and how many SealedSecrets need it.

use serde::Serialize;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::error::KeysError;
use super::inventory::{KeyEntry, Usage, sealing_index};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    Table,
    Json,
    Yaml,
}

impl Output {
    pub fn parse(s: &str) -> Result<Output, KeysError> {
        match s {
            "table" | "" => Ok(Output::Table),
            "json" => Ok(Output::Json),
            "yaml" => Ok(Output::Yaml),
            other => Err(KeysError::BadOutput(other.to_string())),
        }
    }
}

/// The machine-readable form (`-o json|yaml`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub namespace: String,
    pub keys: Vec<KeyRow>,
    /// SealedSecrets with a value that no key of the namespace opens.
    pub needing_unknown_key: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyRow {
    pub name: String,
    pub fingerprint: String,
    /// Certificate NotBefore: when the key was made (and what decides which key seals).
    pub created: String,
    pub expires: String,
    /// The Secret's creationTimestamp (differs from `created` for restored keys).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret_created: Option<String>,
    pub sealing: bool,
    pub needed_by: usize,
    pub sealed_secrets: Vec<String>,
}

pub fn report(namespace: &str, entries: &[KeyEntry], usage: &Usage) -> Report {
    let sealing = sealing_index(entries);
    let mut keys: Vec<KeyRow> = entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let users = usage.needed_by(e.fingerprint()).to_vec();
            KeyRow {
                name: e.secret_name.clone(),
                fingerprint: e.fingerprint().to_string(),
                created: rfc3339(e.not_before()),
                expires: rfc3339(e.not_after()),
                secret_created: e.key.created.map(rfc3339),
                sealing: Some(i) == sealing,
                needed_by: users.len(),
                sealed_secrets: users,
            }
        })
        .collect();
    // Oldest first, so the sealing key is usually the last line.
    keys.sort_by(|a, b| a.created.cmp(&b.created).then(a.name.cmp(&b.name)));
    Report {
        namespace: namespace.to_string(),
        keys,
        needing_unknown_key: usage.unknown.clone(),
    }
}

pub fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

pub fn render(report: &Report, output: Output) -> Result<String, KeysError> {
    match output {
        Output::Json => serde_json::to_string_pretty(report)
            .map(|s| s + "\n")
            .map_err(|e| KeysError::Render(e.to_string())),
        Output::Yaml => serde_yaml::to_string(report).map_err(|e| KeysError::Render(e.to_string())),
        Output::Table => Ok(table(report)),
    }
}

fn table(report: &Report) -> String {
    let header = [
        "NAME",
        "FINGERPRINT",
        "CREATED",
        "EXPIRES",
        "SEALING",
        "NEEDED BY",
    ];
    let rows: Vec<[String; 6]> = report
        .keys
        .iter()
        .map(|k| {
            [
                k.name.clone(),
                k.fingerprint.clone(),
                k.created.clone(),
                k.expires.clone(),
                if k.sealing { "yes" } else { "no" }.to_string(),
                k.needed_by.to_string(),
            ]
        })
        .collect();
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.len());
        }
    }
    let mut out = String::new();
    let mut line = |cells: &[&str]| {
        let mut text = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                text.push_str(cell);
            } else {
                text.push_str(&format!("{cell:<w$}   ", w = widths[i]));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    };
    line(&header);
    for row in &rows {
        line(&row.each_ref().map(String::as_str));
    }
    if report.keys.is_empty() {
        out.push_str(&format!(
            "no sealing keys in namespace {}\n",
            report.namespace
        ));
    }
    if !report.needing_unknown_key.is_empty() {
        out.push_str(&format!(
            "{} SealedSecret(s) need a key that is not in namespace {}: {}\n",
            report.needing_unknown_key.len(),
            report.namespace,
            super::inventory::first_few(&report.needing_unknown_key, 5)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::inventory::tests::{entries, key_secret};
    use super::*;
    use std::collections::BTreeMap;
    use time::macros::datetime;

    #[test]
    fn table_marks_sealing_key_and_counts() {
        let e = entries(&[
            key_secret(
                0,
                "sealed-secrets-keyold",
                datetime!(2025-01-01 0:00 UTC),
                datetime!(2025-01-01 0:00 UTC),
            ),
            key_secret(
                1,
                "sealed-secrets-keynew",
                datetime!(2025-06-01 0:00 UTC),
                datetime!(2025-06-01 0:00 UTC),
            ),
        ]);
        let usage = Usage {
            by_key: BTreeMap::from([(e[0].fingerprint().to_string(), vec!["a/x".to_string()])]),
            unknown: vec!["b/z".into()],
        };
        let r = report("kube-system", &e, &usage);
        let text = render(&r, Output::Table).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("NAME "), "{text}");
        assert!(lines[0].ends_with("SEALING   NEEDED BY"), "{text}");
        assert!(lines[1].starts_with("sealed-secrets-keyold"), "{text}");
        assert!(lines[1].contains("2025-01-01T00:00:00Z"), "{text}");
        assert!(lines[1].ends_with("no        1"), "{text}");
        assert!(lines[2].ends_with("yes       0"), "{text}");
        assert_eq!(
            lines[3],
            "1 SealedSecret(s) need a key that is not in namespace kube-system: b/z"
        );

        let json: serde_json::Value =
            serde_json::from_str(&render(&r, Output::Json).unwrap_or_default()).unwrap_or_default();
        assert_eq!(json["keys"][0]["neededBy"], 1);
        assert_eq!(json["keys"][0]["sealedSecrets"][0], "a/x");
        assert_eq!(json["keys"][1]["sealing"], true);
        assert_eq!(json["needingUnknownKey"][0], "b/z");
        assert!(Output::parse("wide").is_err());
    }
}
