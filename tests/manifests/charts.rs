//! Helm values as a chart reads them. The chart's own defaults (`values.yaml`) and values schema
//! (`values.schema.json`) at the pinned version are fixtures under `tests/manifests/charts/`
//! (see the README there). Values we set are coalesced over the defaults the way Helm does it,
//! validated against the schema, and every key we set must be one the chart defines.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::path::PathBuf;

use serde_json::{Map, Value};

use crate::support::{id, kind, name, repo_root, yaml_documents};

/// Subcharts whose values sit under a key of their parent's values:
/// (parent, parent version, key, subchart, subchart version). falco 9.1.0 depends on
/// falcosidekick `0.12.*`, whose newest release is 0.12.1.
const SUBCHARTS: [(&str, &str, &str, &str, &str); 1] =
    [("falco", "9.1.0", "falcosidekick", "falcosidekick", "0.12.1")];

/// The Traefik chart k3s v1.35 bundles (HelmChart `kube-system/traefik`), which a
/// HelmChartConfig of the same name configures.
pub const K3S_BUNDLED: [(&str, &str); 1] = [("traefik", "39.0.7")];

/// One chart at one version: its defaults (subcharts' defaults merged in under their keys) and
/// the schemas that apply, each with the key its part of the values sits under ("" for all).
pub struct Chart {
    pub name: String,
    pub version: String,
    pub defaults: Value,
    schemas: Vec<(String, Value)>,
}

fn chart_dir(name: &str, version: &str) -> PathBuf {
    repo_root()
        .join("tests/manifests/charts")
        .join(format!("{name}-{version}"))
}

fn read_json(path: &std::path::Path) -> Option<Value> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display())),
    )
}

fn read_defaults(name: &str, version: &str) -> Value {
    let path = chart_dir(name, version).join("values.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "no defaults for chart {name} {version} ({}: {e}); add the chart's values.yaml at \
             that version (tests/manifests/charts/README.md)",
            path.display()
        )
    });
    yaml_documents(&text)
        .into_iter()
        .next()
        .unwrap_or(Value::Object(Map::new()))
}

impl Chart {
    pub fn load(name: &str, version: &str) -> Chart {
        let mut defaults = read_defaults(name, version);
        let mut schemas = Vec::new();
        if let Some(s) = read_json(&chart_dir(name, version).join("values.schema.json")) {
            schemas.push((String::new(), s));
        }
        for (_, _, key, sub, sub_version) in SUBCHARTS
            .iter()
            .filter(|(p, v, ..)| *p == name && *v == version)
        {
            // The parent's values under the key override the subchart's own defaults.
            let sub_defaults = read_defaults(sub, sub_version);
            let parent_part = defaults[*key].clone();
            defaults[*key] = coalesce(&sub_defaults, &parent_part);
            if let Some(s) = read_json(&chart_dir(sub, sub_version).join("values.schema.json")) {
                schemas.push((key.to_string(), s));
            }
        }
        Chart {
            name: name.into(),
            version: version.into(),
            defaults,
            schemas,
        }
    }

    /// The values the chart's templates see: ours over its defaults.
    pub fn effective(&self, values: &Value) -> Value {
        coalesce(&self.defaults, values)
    }

    /// What the chart's values schema (and its subcharts') says about the effective values.
    pub fn schema_problems(&self, values: &Value) -> Vec<String> {
        let effective = self.effective(values);
        let mut out = Vec::new();
        for (key, schema) in &self.schemas {
            let part = if key.is_empty() {
                &effective
            } else {
                &effective[key.as_str()]
            };
            let prefix = if key.is_empty() {
                String::new()
            } else {
                format!("/{key}")
            };
            out.extend(schema_errors(schema, part, &self.label()).into_iter().map(
                |(at, message)| {
                    let at = format!("{prefix}{at}");
                    format!("{}: {message}", if at.is_empty() { "/" } else { &at })
                },
            ));
        }
        out
    }

    /// Every key path we set that the chart does not define: each must exist in the defaults,
    /// or sit under a map the chart leaves free-form (`{}` or unset).
    pub fn unknown_paths(&self, values: &Value) -> Vec<String> {
        let mut out = Vec::new();
        unknown(values, &self.defaults, "", &mut out);
        out
    }

    /// Every value we set that equals the chart's default, so removing it changes nothing.
    /// Image blocks are exempt: they repeat the chart's tag on purpose, so the version the
    /// cluster runs is visible (and checked) in this repository.
    pub fn default_paths(&self, values: &Value) -> Vec<String> {
        let mut out = Vec::new();
        same_as_default(values, &self.defaults, "", &mut out);
        out
    }

    pub fn label(&self) -> String {
        format!("{} {}", self.name, self.version)
    }
}

/// (instance location, message) of every failed leaf check of `instance` against `schema`.
fn schema_errors(schema: &Value, instance: &Value, chart: &str) -> Vec<(String, String)> {
    const URL: &str = "file:///values.schema.json";
    let mut schemas = boon::Schemas::new();
    let mut compiler = boon::Compiler::new();
    compiler
        .add_resource(URL, schema.clone())
        .unwrap_or_else(|e| panic!("values schema of {chart} does not load: {e}"));
    let index = compiler
        .compile(URL, &mut schemas)
        .unwrap_or_else(|e| panic!("values schema of {chart} does not compile: {e}"));
    fn leaves(e: &boon::ValidationError, out: &mut Vec<(String, String)>) {
        if e.causes.is_empty() {
            out.push((e.instance_location.to_string(), e.kind.to_string()));
        }
        e.causes.iter().for_each(|c| leaves(c, out));
    }
    let mut out = Vec::new();
    if let Err(e) = schemas.validate(instance, index) {
        leaves(&e, &mut out);
    }
    out
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn unknown(values: &Value, defaults: &Value, path: &str, out: &mut Vec<String>) {
    let Some(map) = values.as_object() else {
        return;
    };
    for (key, value) in map {
        let here = join(path, key);
        match defaults.get(key) {
            None => out.push(format!("{here} is not a value of the chart")),
            Some(Value::Object(d)) if !d.is_empty() => {
                if value.is_object() {
                    unknown(value, &defaults[key.as_str()], &here, out);
                } else if !value.is_null() {
                    out.push(format!("{here} is a map in the chart, set here to {value}"));
                }
            }
            // A free-form map or an unset default: any structure below it is the user's.
            Some(Value::Object(_)) | Some(Value::Null) => {}
            Some(d) => {
                if value.is_object() {
                    out.push(format!("{here} is {d} in the chart, set here to a map"));
                }
            }
        }
    }
}

fn same_as_default(values: &Value, defaults: &Value, path: &str, out: &mut Vec<String>) {
    let Some(map) = values.as_object() else {
        return;
    };
    for (key, value) in map {
        if key == "image" {
            continue;
        }
        let here = join(path, key);
        let default = &defaults[key.as_str()];
        match value {
            Value::Object(m) if !m.is_empty() && default.is_object() => {
                same_as_default(value, default, &here, out)
            }
            _ if default == value => out.push(format!("{here} = {value} is the chart's default")),
            _ => {}
        }
    }
}

/// Helm's coalescing of values over defaults: maps merge key by key, anything else replaces,
/// and `null` removes the default.
pub fn coalesce(defaults: &Value, values: &Value) -> Value {
    match (defaults, values) {
        (Value::Object(d), Value::Object(v)) => {
            let mut out = d.clone();
            for (key, value) in v {
                if value.is_null() {
                    out.remove(key);
                } else {
                    let merged = match d.get(key) {
                        Some(dv) => coalesce(dv, value),
                        None => value.clone(),
                    };
                    out.insert(key.clone(), merged);
                }
            }
            Value::Object(out)
        }
        (_, Value::Null) => defaults.clone(),
        (_, v) => v.clone(),
    }
}

/// Helm values set by one rendered object, and the chart that reads them.
pub struct ChartValues {
    /// The object, for messages.
    pub origin: String,
    pub chart: String,
    pub version: String,
    pub values: Value,
}

/// The chart values an object sets: an ArgoCD Application's `valuesObject`, or a k3s
/// HelmChartConfig's `valuesContent` (for the chart k3s bundles under that name).
pub fn chart_values(doc: &Value) -> Option<ChartValues> {
    match kind(doc) {
        "Application" => {
            let source = &doc["spec"]["source"];
            Some(ChartValues {
                origin: id(doc),
                chart: source["chart"].as_str()?.to_string(),
                version: source["targetRevision"].as_str()?.to_string(),
                values: source["helm"]["valuesObject"].clone(),
            })
        }
        "HelmChartConfig" => {
            let (chart, version) = K3S_BUNDLED.iter().find(|(n, _)| *n == name(doc))?;
            let text = doc["spec"]["valuesContent"].as_str().unwrap_or_default();
            Some(ChartValues {
                origin: id(doc),
                chart: chart.to_string(),
                version: version.to_string(),
                values: yaml_documents(text).into_iter().next().unwrap_or_default(),
            })
        }
        _ => None,
    }
}

/// The effective values of the chart `chart` as one variant's objects configure it.
pub fn effective_values(docs: &[Value], chart: &str) -> (ChartValues, Value) {
    let found = docs
        .iter()
        .filter_map(chart_values)
        .find(|c| c.chart == chart)
        .unwrap_or_else(|| panic!("nothing configures chart {chart}"));
    let effective = Chart::load(&found.chart, &found.version).effective(&found.values);
    (found, effective)
}
