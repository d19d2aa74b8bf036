//! The NetworkPolicies allow exactly the connections the stack needs, in both variants. The
//! connectivity graph is computed from the rendered objects by a NetworkPolicy evaluator
//! (`tests/manifests/netpol.rs`) over every pod the stack runs: the workloads rendered from the
//! manifests, the pods the charts create (their labels and ports as the charts' templates set
//! them at the pinned versions), Prometheus in `monitoring`, a node's host-network address (the
//! API server's service proxy) and intruder pods, and compared with the expected graph edge by
//! edge. Who may connect to whom on which port:
//! - only cloudflared reaches Traefik's websecure entrypoint;
//! - only Traefik reaches the bouncer; only the agents and the bouncer reach the LAPI;
//! - metrics ports only from the monitoring namespace (Falcosidekick's events port doubles as its
//!   metrics port, so Falco reaches it too);
//! - the controller's 8080 from host-network addresses (the API server proxying kubeseal), never
//!   from a pod.

#[path = "../manifests/netpol.rs"]
mod netpol;
#[path = "../manifests/support.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use netpol::{Cluster, Labels, Peer, labels_of};
use serde_json::{Value, json};
use support::*;

/// The node address the API server (host network) connects from.
const NODE: Ipv4Addr = Ipv4Addr::new(192, 168, 1, 10);

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn tcp(ports: &[(&str, u16)]) -> Vec<(Option<String>, u16, String)> {
    ports
        .iter()
        .map(|(n, p)| (Some(n.to_string()), *p, "TCP".to_string()))
        .collect()
}

/// Builds peers with addresses from the k3s default pod CIDR.
struct Pods {
    next: u32,
    all: Vec<Peer>,
}

impl Pods {
    fn add(
        &mut self,
        ns: &str,
        name: &str,
        labels: Labels,
        ports: Vec<(Option<String>, u16, String)>,
    ) {
        self.next += 1;
        let ip = Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 42, 0, 0)) + self.next);
        self.all.push(Peer {
            name: format!("{ns}/{name}"),
            namespace: Some(ns.into()),
            labels,
            ip: IpAddr::V4(ip),
            ports,
        });
    }
}

/// The pods the charts create, which are not in the render: (namespace, name, labels, ports).
/// Labels and container ports as the charts' templates write them for the stack's releases.
/// A pod a chart creates: namespace, name, labels, container ports (name, port, protocol).
type ChartPod = (
    &'static str,
    &'static str,
    Labels,
    Vec<(Option<String>, u16, String)>,
);

fn chart_pods(variant: &str) -> Vec<ChartPod> {
    let traefik_ports = tcp(&[
        ("web", 8000),
        ("websecure", 8443),
        ("traefik", 8080),
        ("metrics", 9100),
    ]);
    let traefik = match variant {
        // chart traefik 41.3.0, release "traefik" in namespace traefik.
        "argocd" => (
            "traefik",
            "traefik",
            labels(&[
                ("app.kubernetes.io/name", "traefik"),
                ("app.kubernetes.io/instance", "traefik-traefik"),
            ]),
            traefik_ports,
        ),
        // k3s's bundled chart 39.0.7, release "traefik" in kube-system.
        _ => (
            "kube-system",
            "traefik",
            labels(&[
                ("app.kubernetes.io/name", "traefik"),
                ("app.kubernetes.io/instance", "traefik-kube-system"),
            ]),
            traefik_ports,
        ),
    };
    vec![
        traefik,
        // chart crowdsec 0.24.0, release "crowdsec".
        (
            "crowdsec",
            "crowdsec-lapi",
            labels(&[("k8s-app", "crowdsec"), ("type", "lapi")]),
            tcp(&[("lapi", 8080), ("metrics", 6060)]),
        ),
        (
            "crowdsec",
            "crowdsec-agent",
            labels(&[("k8s-app", "crowdsec"), ("type", "agent")]),
            tcp(&[("metrics", 6060)]),
        ),
        // chart falco 9.1.0 and its falcosidekick 0.12.1, release "falco".
        (
            "falco",
            "falco",
            labels(&[
                ("app.kubernetes.io/name", "falco"),
                ("app.kubernetes.io/instance", "falco"),
            ]),
            tcp(&[("web", 8765)]),
        ),
        (
            "falco",
            "falco-falcosidekick",
            labels(&[
                ("app.kubernetes.io/name", "falcosidekick"),
                ("app.kubernetes.io/instance", "falco"),
                ("app.kubernetes.io/component", "core"),
            ]),
            tcp(&[("http", 2801)]),
        ),
    ]
}

/// The model for one variant: the cluster (namespaces and policies), the pods to reach, and the
/// peers that connect (those pods, Prometheus, intruders and the node).
fn model(variant: &str) -> (Cluster, Vec<Peer>, Vec<Peer>) {
    let docs = rendered_variant(variant);
    let mut namespaces: BTreeMap<String, Labels> = docs
        .iter()
        .filter(|d| kind(d) == "Namespace")
        .map(|d| (name(d).to_string(), labels_of(&d["metadata"]["labels"])))
        .collect();
    for ns in ["kube-system", "monitoring", "default", "argocd"] {
        namespaces.entry(ns.into()).or_default();
    }
    let policies: Vec<Value> = docs
        .iter()
        .filter(|d| kind(d) == "NetworkPolicy")
        .cloned()
        .collect();

    let mut pods = Pods {
        next: 0,
        all: Vec::new(),
    };
    for doc in docs {
        let Some(spec) = pod_spec(doc) else { continue };
        let ports = array(&spec["containers"])
            .iter()
            .flat_map(|c| array(&c["ports"]))
            .map(|p| {
                (
                    p["name"].as_str().map(String::from),
                    p["containerPort"]
                        .as_u64()
                        .and_then(|n| u16::try_from(n).ok())
                        .expect("containerPort"),
                    p["protocol"].as_str().unwrap_or("TCP").to_string(),
                )
            })
            .collect();
        let template_labels = labels_of(&doc["spec"]["template"]["metadata"]["labels"]);
        pods.add(namespace(doc), name(doc), template_labels, ports);
    }
    for (ns, n, l, p) in chart_pods(variant) {
        pods.add(ns, n, l, p);
    }
    let targets = pods.all.clone();

    pods.add(
        "monitoring",
        "prometheus",
        labels(&[("app.kubernetes.io/name", "prometheus")]),
        Vec::new(),
    );
    for ns in ["default", "crowdsec", "kube-system", "cloudflared", "falco"] {
        pods.add(ns, "intruder", labels(&[("app", "intruder")]), Vec::new());
    }
    let mut sources = pods.all;
    sources.push(Peer {
        name: "node".into(),
        namespace: None,
        labels: Labels::new(),
        ip: IpAddr::V4(NODE),
        ports: Vec::new(),
    });
    (Cluster::new(namespaces, policies), targets, sources)
}

/// Every allowed (source, destination, port) among the modelled pods.
fn graph(variant: &str) -> BTreeSet<String> {
    let (cluster, targets, sources) = model(variant);
    let mut edges = BTreeSet::new();
    for to in &targets {
        for (_, port, protocol) in &to.ports {
            for from in sources.iter().filter(|f| f.name != to.name) {
                if cluster.allows(from, to, *port, protocol) {
                    edges.insert(format!("{} -> {}:{port}", from.name, to.name));
                }
            }
        }
    }
    edges
}

#[test]
fn only_the_needed_connections_are_allowed() {
    for (variant, _) in VARIANTS {
        let traefik = if variant == "k3s" {
            "kube-system/traefik"
        } else {
            "traefik/traefik"
        };
        let want: BTreeSet<String> = [
            format!("cloudflared/cloudflared -> {traefik}:8443"),
            format!("monitoring/prometheus -> {traefik}:9100"),
            format!("{traefik} -> crowdsec/crowdsec-bouncer:8080"),
            "crowdsec/crowdsec-agent -> crowdsec/crowdsec-lapi:8080".into(),
            "crowdsec/crowdsec-bouncer -> crowdsec/crowdsec-lapi:8080".into(),
            "monitoring/prometheus -> crowdsec/crowdsec-lapi:6060".into(),
            "monitoring/prometheus -> crowdsec/crowdsec-agent:6060".into(),
            "monitoring/prometheus -> cloudflared/cloudflared:2000".into(),
            "falco/falco -> falco/falco-falcosidekick:2801".into(),
            "monitoring/prometheus -> falco/falco-falcosidekick:2801".into(),
            "monitoring/prometheus -> falco/falco:8765".into(),
            "node -> kube-system/sealed-secrets-controller:8080".into(),
            "monitoring/prometheus -> kube-system/sealed-secrets-controller:8081".into(),
        ]
        .into();
        let got = graph(variant);
        let extra: Vec<_> = got.difference(&want).collect();
        let missing: Vec<_> = want.difference(&got).collect();
        assert!(
            extra.is_empty() && missing.is_empty(),
            "{variant}: allowed but not wanted: {extra:#?}\nwanted but not allowed: {missing:#?}"
        );
    }
}

/// Every pod of the stack is isolated by some policy: none is open to the whole cluster.
#[test]
fn every_stack_pod_is_isolated() {
    for (variant, _) in VARIANTS {
        let (cluster, targets, _) = model(variant);
        let open: Vec<_> = targets
            .iter()
            .filter(|p| !cluster.isolated(p))
            .map(|p| p.name.clone())
            .collect();
        assert!(open.is_empty(), "{variant}: not isolated: {open:?}");
    }
}

/// The evaluator's semantics on small cases, so the graph above means what it says.
#[test]
fn evaluator_follows_network_policy_semantics() {
    let pod = |ns: &str, l: &[(&str, &str)], ip: [u8; 4]| Peer {
        name: format!("{ns}/{}", l.first().map(|x| x.1).unwrap_or("pod")),
        namespace: Some(ns.into()),
        labels: labels(l),
        ip: IpAddr::V4(Ipv4Addr::from(ip)),
        ports: tcp(&[("http", 80)]),
    };
    let web = pod("a", &[("app", "web")], [10, 42, 0, 1]);
    let other = pod("a", &[("app", "other")], [10, 42, 0, 2]);
    let remote = pod("b", &[("app", "web")], [10, 42, 1, 1]);
    let host = Peer {
        name: "host".into(),
        namespace: None,
        labels: Labels::new(),
        ip: IpAddr::V4(NODE),
        ports: Vec::new(),
    };
    let namespaces: BTreeMap<String, Labels> = [
        ("a".to_string(), Labels::new()),
        ("b".to_string(), labels(&[("team", "b")])),
    ]
    .into();
    let policy = |spec: Value| json!({"metadata": {"name": "p", "namespace": "a"}, "spec": spec});

    // No policy selects the pod: everything is allowed.
    let open = Cluster::new(
        namespaces.clone(),
        vec![policy(
            json!({"podSelector": {"matchLabels": {"app": "none"}}}),
        )],
    );
    assert!(open.allows(&remote, &web, 80, "TCP"));
    // Selected with no rules: nothing is allowed.
    let closed = Cluster::new(
        namespaces.clone(),
        vec![policy(
            json!({"podSelector": {}, "policyTypes": ["Ingress"]}),
        )],
    );
    assert!(!closed.allows(&other, &web, 80, "TCP") && !closed.allows(&host, &web, 80, "TCP"));
    // podSelector alone: same namespace only; with namespaceSelector: those namespaces.
    let same_ns = Cluster::new(
        namespaces.clone(),
        vec![policy(
            json!({"podSelector": {}, "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}]}]}),
        )],
    );
    assert!(same_ns.allows(&web, &other, 80, "TCP"));
    assert!(!same_ns.allows(&remote, &other, 80, "TCP"));
    let cross = Cluster::new(
        namespaces.clone(),
        vec![policy(
            json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {"matchLabels": {"team": "b"}}, "podSelector": {"matchLabels": {"app": "web"}}}]}]}),
        )],
    );
    assert!(cross.allows(&remote, &web, 80, "TCP") && !cross.allows(&other, &web, 80, "TCP"));
    // Named ports resolve on the destination; protocols must match.
    let named = Cluster::new(
        namespaces.clone(),
        vec![policy(
            json!({"podSelector": {}, "ingress": [{"ports": [{"port": "http"}]}]}),
        )],
    );
    assert!(named.allows(&other, &web, 80, "TCP") && !named.allows(&other, &web, 81, "TCP"));
    assert!(!named.allows(&other, &web, 80, "UDP"));
    // ipBlock with except: the host is in, pods are out.
    let block = Cluster::new(
        namespaces.clone(),
        vec![policy(
            json!({"podSelector": {}, "ingress": [{"from": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["10.42.0.0/16"]}}]}]}),
        )],
    );
    assert!(block.allows(&host, &web, 80, "TCP") && !block.allows(&other, &web, 80, "TCP"));
    // Selectors never match a host-network peer.
    let pods_only = Cluster::new(
        namespaces,
        vec![policy(
            json!({"podSelector": {}, "ingress": [{"from": [{"namespaceSelector": {}}]}]}),
        )],
    );
    assert!(
        pods_only.allows(&remote, &web, 80, "TCP") && !pods_only.allows(&host, &web, 80, "TCP")
    );
}
