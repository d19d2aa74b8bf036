//! The `.sealed-secrets.yaml` format: named clusters (where each one's certificate comes from)
//! and path rules mapping files to clusters, first match wins.

use std::collections::BTreeMap;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesFile {
    #[serde(default)]
    pub clusters: BTreeMap<String, Cluster>,
    #[serde(default)]
    pub rules: Vec<Rule>,
}

/// Where a cluster's certificate comes from: `cert` (a file relative to the rules file, or an
/// http(s) URL), otherwise its controller through the API server.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Cluster {
    pub cert: Option<String>,
    pub kubeconfig: Option<String>,
    pub context: Option<String>,
    pub controller_name: Option<String>,
    pub controller_namespace: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// A glob relative to the rules file's directory (`**` crosses directories).
    pub path: String,
    pub cluster: String,
    /// The scope `kubeseal -w` seals with when `--scope` is not given.
    pub scope: Option<String>,
}
