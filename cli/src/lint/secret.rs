//! The Secret the controller would write: its data keys, the templates in
//! `spec.template.data` (parsed, never executed), and its type with the keys Kubernetes
//! requires of that type.

use std::collections::BTreeSet;

use serde_yaml::Value;

use sealwright_crypto::template;

use super::finding::Rule;
use super::kubenames;
use super::object::{self, Object};

const SERVICE_ACCOUNT_NAME: &str = "kubernetes.io/service-account.name";

pub fn check(obj: &mut Object<'_>) {
    if obj.get(&["spec"]).is_none_or(Value::is_null) {
        obj.report(Rule::Structure, &[], "spec is missing".into());
        return;
    }
    let sealed = object::mapping(obj, &["spec", "encryptedData"]).unwrap_or_default();
    let legacy = obj.get(&["spec", "data"]).is_some_and(|v| !v.is_null());
    if legacy && !sealed.is_empty() {
        obj.report(
            Rule::Structure,
            &["spec", "data"],
            "spec.data (the deprecated single blob) and spec.encryptedData cannot both be set"
                .into(),
        );
    }
    let mut keys: BTreeSet<String> = BTreeSet::new();
    for (key, _) in &sealed {
        data_key(obj, &["spec", "encryptedData", key], key);
        keys.insert(key.clone());
    }
    for (key, value) in object::mapping(obj, &["spec", "template", "data"]).unwrap_or_default() {
        let field = ["spec", "template", "data", key.as_str()];
        data_key(obj, &field, &key);
        match value {
            // A null template removes the key from the Secret.
            Value::Null => continue,
            Value::String(source) => {
                if let Err(e) = template::check(&key, source) {
                    obj.report(
                        Rule::Template,
                        &field,
                        format!("template {key:?} does not parse: {}", e.message),
                    );
                }
            }
            _ => obj.report(
                Rule::Structure,
                &field,
                format!("template {key:?} is not a string"),
            ),
        }
        keys.insert(key);
    }
    if !legacy {
        secret_type(obj, &keys);
    }
}

fn data_key(obj: &mut Object<'_>, field: &[&str], key: &str) {
    if let Some(why) = kubenames::data_key(key) {
        obj.report(
            Rule::Key,
            field,
            format!("key {key:?} is not a valid Secret data key: {why}"),
        );
    }
}

/// The keys each known type needs (`ValidateSecret`); "one of" for basic-auth.
fn required(kind: &str) -> Option<(&'static [&'static str], bool)> {
    Some(match kind {
        "Opaque" | "" | "bootstrap.kubernetes.io/token" | "kubernetes.io/service-account-token" => {
            (&[], false)
        }
        "kubernetes.io/dockercfg" => (&[".dockercfg"], false),
        "kubernetes.io/dockerconfigjson" => (&[".dockerconfigjson"], false),
        "kubernetes.io/basic-auth" => (&["username", "password"], true),
        "kubernetes.io/ssh-auth" => (&["ssh-privatekey"], false),
        "kubernetes.io/tls" => (&["tls.crt", "tls.key"], false),
        _ => return None,
    })
}

fn secret_type(obj: &mut Object<'_>, keys: &BTreeSet<String>) {
    let field = ["spec", "template", "type"];
    let kind = match obj.get(&field) {
        None | Some(Value::Null) => return,
        Some(Value::String(s)) => s.clone(),
        Some(_) => {
            obj.report(Rule::Structure, &field, "type is not a string".into());
            return;
        }
    };
    let Some((needed, any_of)) = required(&kind) else {
        // Kubernetes stores any custom type as given; only a type in its own domains that it
        // does not define is surely a typo (`kubernetes.io/tsl`).
        if kind.starts_with("kubernetes.io/") || kind.contains(".kubernetes.io/") {
            obj.report(
                Rule::SecretType,
                &field,
                format!("type {kind:?} is not a Kubernetes Secret type (its domain is reserved for them)"),
            );
        }
        return;
    };
    let missing: Vec<&str> = needed
        .iter()
        .copied()
        .filter(|k| !keys.contains(*k))
        .collect();
    let lacking = if any_of {
        missing.len() == needed.len() && !needed.is_empty()
    } else {
        !missing.is_empty()
    };
    if lacking {
        let list = missing
            .iter()
            .map(|k| format!("{k:?}"))
            .collect::<Vec<_>>()
            .join(if any_of { " or " } else { " and " });
        obj.report(
            Rule::SecretType,
            &field,
            format!("type {kind} needs the key {list}, which neither encryptedData nor template.data has"),
        );
    }
    if kind == "kubernetes.io/service-account-token"
        && obj
            .str(&[
                "spec",
                "template",
                "metadata",
                "annotations",
                SERVICE_ACCOUNT_NAME,
            ])
            .is_none_or(str::is_empty)
    {
        obj.report(
            Rule::SecretType,
            &field,
            format!(
                "type {kind} needs the annotation {SERVICE_ACCOUNT_NAME} in spec.template.metadata"
            ),
        );
    }
}
