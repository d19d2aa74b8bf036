//! Names and scope: what Kubernetes refuses in names, scope annotations that have no effect or
//! disagree between `metadata` and `spec.template.metadata`, and a template that names another
//! Secret than the one the controller writes.

use serde_yaml::Value;

use sealwright_crypto::Scope;
use sealwright_crypto::scope::{CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION};

use super::finding::Rule;
use super::kubenames;
use super::object::Object;

/// Checks the metadata; returns the scope the controller decrypts with (from `metadata` only).
pub fn check(obj: &mut Object<'_>) -> Scope {
    names(obj);
    let scope = scope_of(obj, &["metadata"]);
    let template = ["spec", "template", "metadata"];
    let template_annotated = [CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION]
        .iter()
        .any(|a| {
            obj.get(&[template[0], template[1], template[2], "annotations", a])
                .is_some()
        });
    if template_annotated {
        let template_scope = scope_of(obj, &template);
        if template_scope != scope {
            let field = first_present(obj, &template);
            obj.report(
                Rule::Scope,
                &field,
                format!(
                    "scope annotations disagree: metadata says {scope}, spec.template.metadata says {template_scope} (the controller decrypts with the scope in metadata)"
                ),
            );
        }
    }
    scope
}

fn names(obj: &mut Object<'_>) {
    match obj.get(&["metadata", "name"]) {
        None | Some(Value::Null) => {
            obj.report(Rule::Name, &["metadata"], "metadata.name is missing".into())
        }
        Some(Value::String(name)) => {
            if let Some(why) = kubenames::dns_subdomain(name) {
                obj.report(
                    Rule::Name,
                    &["metadata", "name"],
                    format!("metadata.name {name:?} is not a valid name: {why}"),
                );
            }
        }
        Some(_) => obj.report(
            Rule::Structure,
            &["metadata", "name"],
            "metadata.name is not a string".into(),
        ),
    }
    match obj.get(&["metadata", "namespace"]) {
        None | Some(Value::Null) => {}
        Some(Value::String(ns)) => {
            if let Some(why) = kubenames::dns_label(ns) {
                obj.report(
                    Rule::Name,
                    &["metadata", "namespace"],
                    format!("metadata.namespace {ns:?} is not a valid namespace: {why}"),
                );
            }
        }
        Some(_) => obj.report(
            Rule::Structure,
            &["metadata", "namespace"],
            "metadata.namespace is not a string".into(),
        ),
    }
    // The controller names the Secret after the SealedSecret, whatever the template says.
    for field in ["name", "namespace"] {
        let Some(given) = obj.get(&["spec", "template", "metadata", field]) else {
            continue;
        };
        let given = match given {
            Value::Null => continue,
            Value::String(s) if s.is_empty() => continue,
            Value::String(s) => s.clone(),
            _ => {
                obj.report(
                    Rule::Structure,
                    &["spec", "template", "metadata", field],
                    format!("spec.template.metadata.{field} is not a string"),
                );
                continue;
            }
        };
        // Without one in metadata the name or namespace comes from where the file is applied.
        let Some(own) = obj.str(&["metadata", field]).filter(|s| !s.is_empty()) else {
            continue;
        };
        if given != own {
            obj.report(
                Rule::Name,
                &["spec", "template", "metadata", field],
                format!(
                    "spec.template.metadata.{field} {given:?} differs from metadata.{field} {own:?} (the controller uses metadata.{field} for the Secret)"
                ),
            );
        }
    }
}

/// The scope the annotations under `meta` select, reporting values that select nothing.
fn scope_of(obj: &mut Object<'_>, meta: &[&str]) -> Scope {
    let mut on = |annotation: &str| -> bool {
        let mut path = meta.to_vec();
        path.extend(["annotations", annotation]);
        match obj.get(&path) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) if s == "true" => true,
            Some(Value::String(s)) if s == "false" || s.is_empty() => false,
            Some(Value::String(s)) => {
                obj.report(
                    Rule::Scope,
                    &path,
                    format!(
                        "annotation {annotation} is {s:?}, which has no effect: only \"true\" selects the scope"
                    ),
                );
                false
            }
            Some(_) => {
                obj.report(
                    Rule::Structure,
                    &path,
                    format!("annotation {annotation} is not a string (write \"true\" in quotes)"),
                );
                false
            }
        }
    };
    let cluster = on(CLUSTER_WIDE_ANNOTATION);
    let namespace = on(NAMESPACE_WIDE_ANNOTATION);
    if cluster && namespace {
        let mut path = meta.to_vec();
        path.extend(["annotations", NAMESPACE_WIDE_ANNOTATION]);
        obj.report(
            Rule::Scope,
            &path,
            "both scope annotations are \"true\"; cluster-wide wins".into(),
        );
    }
    if cluster {
        Scope::ClusterWide
    } else if namespace {
        Scope::NamespaceWide
    } else {
        Scope::Strict
    }
}

/// The template's scope annotation that is written (to point at it), else its annotations.
fn first_present<'p>(obj: &Object<'_>, meta: &[&'p str]) -> Vec<&'p str> {
    for a in [CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION] {
        let mut path = meta.to_vec();
        path.extend(["annotations", a]);
        if obj.get(&path).is_some() {
            return path;
        }
    }
    let mut path = meta.to_vec();
    path.push("annotations");
    path
}
