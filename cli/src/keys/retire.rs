//! `kubeseal keys retire`: deletes old key Secrets, but only those no SealedSecret needs and a
//! backup holds (unless `--force`), and never the key that seals. Any refusal stops the whole
//! run before the first delete.

use std::collections::BTreeSet;

use k8s_openapi::api::core::v1::Secret;
use kube::Client;
use kube::api::{Api, DeleteParams, Preconditions};

use super::cluster;
use super::error::KeysError;
use super::inventory::{KeyEntry, Usage, first_few, sealing_index};
use super::keyfile;
use crate::args::keys::RetireArgs;

/// How many dependants a refusal names.
const NAMED: usize = 3;

/// What the checks allow.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Indexes into the entries.
    pub retire: Vec<usize>,
    /// One line per refused key.
    pub refusals: Vec<String>,
}

/// The backup given with `--backup`: its name and the fingerprints it holds.
#[derive(Debug, Clone)]
pub struct Backup {
    pub path: String,
    pub fingerprints: BTreeSet<String>,
}

/// Decides which keys go. `wanted` are the user's KEY arguments (all but the sealing key when
/// empty).
pub fn decide(
    entries: &[KeyEntry],
    usage: &Usage,
    wanted: &[String],
    backup: Option<&Backup>,
    force: bool,
    namespace: &str,
) -> Result<Decision, KeysError> {
    let sealing = sealing_index(entries);
    let mut candidates: Vec<usize> = Vec::new();
    if wanted.is_empty() {
        candidates.extend((0..entries.len()).filter(|&i| Some(i) != sealing));
    } else {
        for arg in wanted {
            let i = entries.iter().position(|e| e.matches(arg)).ok_or_else(|| {
                KeysError::UnknownKey {
                    key: arg.clone(),
                    namespace: namespace.to_string(),
                }
            })?;
            if !candidates.contains(&i) {
                candidates.push(i);
            }
        }
    }
    let mut decision = Decision::default();
    for i in candidates {
        let e = &entries[i];
        let who = format!("{} ({})", e.secret_name, e.fingerprint());
        if Some(i) == sealing {
            decision.refusals.push(format!(
                "{who}: it is the key that seals new secrets; run `kubeseal keys rotate` first"
            ));
            continue;
        }
        let mut reasons = Vec::new();
        if !force {
            let users = usage.needed_by(e.fingerprint());
            if !users.is_empty() {
                reasons.push(format!(
                    "still needed by {} SealedSecret(s): {} (re-encrypt them with `kubeseal reencrypt`)",
                    users.len(),
                    first_few(users, NAMED)
                ));
            }
            match backup {
                None => reasons.push("no --backup file given that holds it".to_string()),
                Some(b) if !b.fingerprints.contains(e.fingerprint()) => {
                    reasons.push(format!("not in the backup {}", b.path))
                }
                Some(_) => {}
            }
        }
        if reasons.is_empty() {
            decision.retire.push(i);
        } else {
            decision
                .refusals
                .push(format!("{who}: {}", reasons.join("; ")));
        }
    }
    Ok(decision)
}

pub async fn run(client: &Client, namespace: &str, args: &RetireArgs) -> Result<(), KeysError> {
    // The backup is read first: a bad file stops everything before any cluster call.
    let backup = match &args.backup {
        Some(path) => Some(Backup {
            path: path.display().to_string(),
            fingerprints: keyfile::read(path)?
                .into_iter()
                .map(|k| k.fingerprint)
                .collect(),
        }),
        None => None,
    };
    let entries = cluster::keys(client, namespace).await?;
    let usage = if args.force {
        Usage::default()
    } else {
        cluster::usage(client, &entries).await?
    };
    let decision = decide(
        &entries,
        &usage,
        &args.keys,
        backup.as_ref(),
        args.force,
        namespace,
    )?;
    for line in &decision.refusals {
        eprintln!("cannot retire {line}");
    }
    if !decision.refusals.is_empty() {
        return Err(KeysError::RetireRefused {
            count: decision.refusals.len(),
        });
    }
    if decision.retire.is_empty() {
        crate::outln!("nothing to retire in namespace {namespace}");
        return Ok(());
    }
    let api: Api<Secret> = Api::namespaced(client.clone(), namespace);
    for &i in &decision.retire {
        let e = &entries[i];
        if args.dry_run {
            crate::outln!(
                "would retire {} ({}) in namespace {namespace}",
                e.secret_name,
                e.fingerprint()
            );
            continue;
        }
        // Only the Secret that was checked: not one recreated under the same name meanwhile.
        let params = DeleteParams {
            preconditions: Some(Preconditions {
                uid: e.uid.clone(),
                resource_version: None,
            }),
            ..DeleteParams::default()
        };
        api.delete(&e.secret_name, &params).await.map_err(|err| {
            KeysError::kube(format!("delete Secret {namespace}/{}", e.secret_name), &err)
        })?;
        crate::outln!("retired {} ({})", e.secret_name, e.fingerprint());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::inventory::tests::{entries, key_secret};
    use super::*;
    use std::collections::BTreeMap;
    use time::macros::datetime;

    fn three() -> Vec<KeyEntry> {
        entries(&[
            key_secret(
                0,
                "k0",
                datetime!(2025-01-01 0:00 UTC),
                datetime!(2025-01-01 0:00 UTC),
            ),
            key_secret(
                1,
                "k1",
                datetime!(2025-03-01 0:00 UTC),
                datetime!(2025-03-01 0:00 UTC),
            ),
            key_secret(
                2,
                "k2",
                datetime!(2025-06-01 0:00 UTC),
                datetime!(2025-06-01 0:00 UTC),
            ),
        ])
    }

    fn backup_of(e: &[KeyEntry]) -> Backup {
        Backup {
            path: "b.yaml".into(),
            fingerprints: e.iter().map(|k| k.fingerprint().to_string()).collect(),
        }
    }

    #[test]
    fn default_candidates_are_all_but_the_sealing_key() {
        let e = three();
        let d = decide(
            &e,
            &Usage::default(),
            &[],
            Some(&backup_of(&e)),
            false,
            "ns",
        )
        .unwrap_or_default();
        assert_eq!(d.retire, vec![0, 1]);
        assert!(d.refusals.is_empty());
    }

    #[test]
    fn refuses_needed_keys_and_missing_backups() {
        let e = three();
        let users: Vec<String> = (0..5).map(|i| format!("app/s{i}")).collect();
        let usage = Usage {
            by_key: BTreeMap::from([(e[0].fingerprint().to_string(), users)]),
            unknown: vec![],
        };
        let d = decide(&e, &usage, &[], None, false, "ns").unwrap_or_default();
        assert!(d.retire.is_empty());
        assert_eq!(d.refusals.len(), 2);
        assert!(d.refusals[0].starts_with("k0 (SHA256:"), "{d:?}");
        assert!(
            d.refusals[0]
                .contains("still needed by 5 SealedSecret(s): app/s0, app/s1, app/s2 and 2 more"),
            "{d:?}"
        );
        assert!(
            d.refusals[0].ends_with("; no --backup file given that holds it"),
            "{d:?}"
        );

        // A backup that lacks k1.
        let partial = Backup {
            path: "b.yaml".into(),
            fingerprints: [e[0].fingerprint().to_string()].into(),
        };
        let d = decide(
            &e,
            &Usage::default(),
            &["k1".into()],
            Some(&partial),
            false,
            "ns",
        )
        .unwrap_or_default();
        assert_eq!(d.refusals.len(), 1);
        assert!(
            d.refusals[0].ends_with(": not in the backup b.yaml"),
            "{d:?}"
        );

        // --force skips both checks, by fingerprint too.
        let fp = e[0].fingerprint().to_string();
        let d = decide(&e, &usage, &[fp], None, true, "ns").unwrap_or_default();
        assert_eq!(d.retire, vec![0]);
    }

    #[test]
    fn never_the_sealing_key_and_unknown_names_fail() {
        let e = three();
        let d = decide(
            &e,
            &Usage::default(),
            &["k2".into()],
            Some(&backup_of(&e)),
            true,
            "ns",
        )
        .unwrap_or_default();
        assert!(d.retire.is_empty());
        assert!(
            d.refusals[0].contains("is the key that seals new secrets"),
            "{d:?}"
        );
        let err = decide(&e, &Usage::default(), &["nope".into()], None, true, "ns")
            .err()
            .map(|e| e.name());
        assert_eq!(err, Some("keys_unknown_key"));
    }
}
