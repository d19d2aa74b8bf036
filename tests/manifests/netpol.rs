//! A small evaluator of Kubernetes NetworkPolicy ingress semantics (networking.k8s.io/v1) over a
//! model of pods and namespaces: may this peer open a connection to that pod on that port?
//!
//! - A pod is isolated for ingress once any policy in its namespace selects it with `Ingress` in
//!   `policyTypes` (implied when `policyTypes` is absent); an isolated pod admits only what some
//!   selecting policy's rule allows, any other pod admits everything.
//! - A rule allows when one of its `from` peers matches (no `from`: every peer) and one of its
//!   `ports` matches (no `ports`: every port). Named ports resolve against the destination pod's
//!   container ports; `endPort` makes a range; the protocol defaults to TCP.
//! - `podSelector` alone selects pods of the policy's namespace, `namespaceSelector` alone every
//!   pod of the selected namespaces, both together the selected pods of the selected namespaces.
//!   `ipBlock` matches the peer's address, pod or host, outside its `except` ranges.
//!
//! Egress policies are not evaluated; [`Cluster::new`] refuses them so nothing is silently
//! ignored.

#![allow(dead_code)] // Each test binary uses a different part of this module.

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::IpNet;
use serde_json::Value;

pub type Labels = BTreeMap<String, String>;

/// A pod (or a host-network process, `namespace: None`) that connects or is connected to.
#[derive(Debug, Clone)]
pub struct Peer {
    /// `namespace/name`, for messages.
    pub name: String,
    pub namespace: Option<String>,
    pub labels: Labels,
    pub ip: IpAddr,
    /// Container ports: (name, number, protocol).
    pub ports: Vec<(Option<String>, u16, String)>,
}

pub struct Cluster {
    /// Namespace name to its labels (`kubernetes.io/metadata.name` included).
    namespaces: BTreeMap<String, Labels>,
    policies: Vec<Value>,
}

/// The string labels of a `labels` map.
pub fn labels_of(v: &Value) -> Labels {
    v.as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// `metav1.LabelSelector` semantics; an empty selector matches everything.
pub fn selector_matches(selector: &Value, labels: &Labels) -> bool {
    let match_labels = labels_of(&selector["matchLabels"]);
    if !match_labels.iter().all(|(k, v)| labels.get(k) == Some(v)) {
        return false;
    }
    selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap_or_default();
            let values: Vec<&str> = e["values"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            let value = labels.get(key).map(String::as_str);
            match e["operator"].as_str().unwrap_or_default() {
                "In" => value.is_some_and(|v| values.contains(&v)),
                "NotIn" => !value.is_some_and(|v| values.contains(&v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                other => panic!("unknown selector operator {other:?}"),
            }
        })
}

fn in_block(block: &Value, ip: IpAddr) -> bool {
    let net = |v: &Value| -> IpNet {
        v.as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("ipBlock CIDR {v} does not parse"))
    };
    net(&block["cidr"]).contains(&ip)
        && !block["except"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|e| net(e).contains(&ip))
}

fn policy_types(policy: &Value) -> Vec<String> {
    match policy["spec"]["policyTypes"].as_array() {
        Some(types) => types
            .iter()
            .filter_map(|t| t.as_str().map(String::from))
            .collect(),
        None if policy["spec"]["egress"].is_array() => vec!["Ingress".into(), "Egress".into()],
        None => vec!["Ingress".into()],
    }
}

impl Cluster {
    /// `namespaces`: name to labels as written (the automatic `kubernetes.io/metadata.name` is
    /// added here). `policies`: NetworkPolicy objects.
    pub fn new(namespaces: BTreeMap<String, Labels>, policies: Vec<Value>) -> Cluster {
        let namespaces = namespaces
            .into_iter()
            .map(|(name, mut labels)| {
                labels.insert("kubernetes.io/metadata.name".into(), name.clone());
                (name, labels)
            })
            .collect();
        for p in &policies {
            assert!(
                !policy_types(p).iter().any(|t| t == "Egress"),
                "{}: egress policies are outside what this evaluator models",
                p["metadata"]["name"]
            );
        }
        Cluster {
            namespaces,
            policies,
        }
    }

    fn namespace_labels(&self, ns: &str) -> Labels {
        self.namespaces
            .get(ns)
            .cloned()
            .unwrap_or_else(|| panic!("namespace {ns} is not in the model"))
    }

    fn peer_matches(&self, peer: &Value, policy_ns: &str, from: &Peer) -> bool {
        if peer["ipBlock"].is_object() {
            return in_block(&peer["ipBlock"], from.ip);
        }
        // Selectors select pods only: a host-network peer is reached through ipBlock alone.
        let Some(from_ns) = from.namespace.as_deref() else {
            return false;
        };
        let ns_ok = match peer.get("namespaceSelector") {
            Some(sel) => selector_matches(sel, &self.namespace_labels(from_ns)),
            None => from_ns == policy_ns,
        };
        let pod_ok = match peer.get("podSelector") {
            Some(sel) => selector_matches(sel, &from.labels),
            None => true,
        };
        ns_ok && pod_ok
    }

    fn port_matches(entry: &Value, to: &Peer, port: u16, protocol: &str) -> bool {
        if entry["protocol"].as_str().unwrap_or("TCP") != protocol {
            return false;
        }
        match &entry["port"] {
            Value::Null => true,
            Value::Number(n) => {
                let first = n.as_u64().unwrap_or(0);
                let last = entry["endPort"].as_u64().unwrap_or(first);
                (first..=last).contains(&u64::from(port))
            }
            Value::String(name) => to.ports.iter().any(|(n, p, proto)| {
                n.as_deref() == Some(name.as_str()) && *p == port && proto == protocol
            }),
            other => panic!("port {other} is neither a number nor a name"),
        }
    }

    /// The policies that isolate `to` for ingress.
    fn selecting(&self, to: &Peer) -> Vec<&Value> {
        let Some(ns) = to.namespace.as_deref() else {
            return Vec::new();
        };
        self.policies
            .iter()
            .filter(|p| p["metadata"]["namespace"].as_str() == Some(ns))
            .filter(|p| policy_types(p).iter().any(|t| t == "Ingress"))
            .filter(|p| selector_matches(&p["spec"]["podSelector"], &to.labels))
            .collect()
    }

    /// May `from` connect to `to` on `port`/`protocol`?
    pub fn allows(&self, from: &Peer, to: &Peer, port: u16, protocol: &str) -> bool {
        let selecting = self.selecting(to);
        if selecting.is_empty() {
            return true;
        }
        selecting.iter().any(|policy| {
            let ns = policy["metadata"]["namespace"].as_str().unwrap_or_default();
            policy["spec"]["ingress"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|rule| {
                    let peers = rule["from"].as_array().filter(|a| !a.is_empty());
                    let ports = rule["ports"].as_array().filter(|a| !a.is_empty());
                    let peer_ok =
                        peers.is_none_or(|ps| ps.iter().any(|p| self.peer_matches(p, ns, from)));
                    let port_ok = ports.is_none_or(|ps| {
                        ps.iter().any(|e| Self::port_matches(e, to, port, protocol))
                    });
                    peer_ok && port_ok
                })
        })
    }

    /// Is `to` isolated for ingress by some policy?
    pub fn isolated(&self, to: &Peer) -> bool {
        !self.selecting(to).is_empty()
    }
}
