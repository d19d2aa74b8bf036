//! Policy over the rendered stack: what kube-linter and a Pod Security "restricted" check would
//! catch, plus the invariants this stack depends on (bouncer wiring, trusted proxies, sealed
//! credentials, upstream-compatible controller objects).

#[path = "../manifests/charts.rs"]
mod charts;
#[path = "../manifests/policy.rs"]
mod policy;
#[path = "../manifests/support.rs"]
mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use support::*;

fn assert_clean(what: &str, problems: Vec<String>) {
    assert!(problems.is_empty(), "{what}:\n  {}", problems.join("\n  "));
}

#[test]
fn workloads_are_pinned_sized_probed_and_locked_down() {
    let mut problems = Vec::new();
    let mut workloads = 0;
    for doc in rendered() {
        if let Some(spec) = pod_spec(doc) {
            workloads += 1;
            problems.extend(
                policy::container_problems(spec)
                    .into_iter()
                    .map(|p| format!("{}: {p}", id(doc))),
            );
        }
    }
    assert!(
        workloads >= 3,
        "expected the controller, bouncer and cloudflared workloads"
    );
    assert_clean("container policy", problems);
}

#[test]
fn every_pod_passes_pod_security_restricted() {
    // Every workload shipped as plain manifests is restricted-compatible, even in namespaces
    // labelled privileged for the chart-managed DaemonSets.
    let mut problems = Vec::new();
    for doc in rendered() {
        if let Some(spec) = pod_spec(doc) {
            problems.extend(
                policy::restricted_problems(spec)
                    .into_iter()
                    .map(|p| format!("{}: {p}", id(doc))),
            );
        }
    }
    assert_clean("Pod Security restricted", problems);
}

#[test]
fn namespaces_carry_the_expected_pod_security_levels() {
    let want: BTreeMap<&str, &str> = [
        ("cloudflared", "restricted"),
        ("traefik", "restricted"),
        ("example-app", "restricted"),
        ("crowdsec", "privileged"),
        ("falco", "privileged"),
        ("kubescape", "privileged"),
    ]
    .into();
    let shipped: BTreeSet<&str> = rendered()
        .iter()
        .filter(|d| kind(d) == "Namespace")
        .map(name)
        .collect();
    assert_eq!(shipped, want.keys().copied().collect());
    for (ns, level) in &want {
        let labels = &find(rendered(), "Namespace", "", ns)["metadata"]["labels"];
        assert_eq!(
            labels["pod-security.kubernetes.io/enforce"], *level,
            "{ns} enforce"
        );
        for mode in ["warn", "audit"] {
            assert!(
                labels[format!("pod-security.kubernetes.io/{mode}")].is_string(),
                "{ns} lacks {mode}"
            );
        }
    }
    // Every namespaced object lands in a shipped namespace, kube-system (the controller, as
    // upstream) or argocd (the Applications).
    for doc in rendered() {
        let ns = namespace(doc);
        let known = ns.is_empty() || shipped.contains(ns) || ns == "kube-system" || ns == "argocd";
        assert!(
            known,
            "{} is in a namespace the stack does not ship",
            id(doc)
        );
    }
}

#[test]
fn no_plain_secret_anywhere_under_manifests() {
    for doc in rendered() {
        assert_ne!(kind(doc), "Secret", "{} is a plain Secret", id(doc));
    }
    // Also files a kustomization does not list.
    let mut stack = vec![manifests_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir)
            .expect("read manifests dir")
            .flatten()
        {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "yaml" || e == "yml") {
                let text = std::fs::read_to_string(&path).expect("read manifest");
                for doc in yaml_documents(&text) {
                    assert_ne!(
                        kind(&doc),
                        "Secret",
                        "{} holds a plain Secret",
                        path.display()
                    );
                }
            }
        }
    }
}

/// Every Secret a pod or chart reads exists as a SealedSecret in the same namespace, with the key.
#[test]
fn every_secret_reference_resolves_to_a_sealed_secret_key() {
    let sealed: BTreeMap<(String, String), &Value> = rendered()
        .iter()
        .filter(|d| kind(d) == "SealedSecret")
        .map(|d| {
            (
                (namespace(d).to_string(), name(d).to_string()),
                &d["spec"]["encryptedData"],
            )
        })
        .collect();
    let mut refs = Vec::new();
    for doc in rendered() {
        let ns = match kind(doc) {
            "Application" => doc["spec"]["destination"]["namespace"]
                .as_str()
                .unwrap_or_default(),
            _ => namespace(doc),
        };
        policy::secret_key_refs(doc, &mut |name, key| {
            refs.push((ns.to_string(), name.to_string(), key.to_string()))
        });
    }
    // The CrowdSec chart reads its LAPI secrets through secrets.externalSecret.
    let crowdsec = find(rendered(), "Application", "argocd", "crowdsec");
    let external = &crowdsec["spec"]["source"]["helm"]["valuesObject"]["secrets"]["externalSecret"];
    for key_field in ["csLapiSecretKey", "registrationTokenKey"] {
        refs.push((
            "crowdsec".into(),
            external["name"].as_str().unwrap_or_default().into(),
            external[key_field].as_str().unwrap_or_default().into(),
        ));
    }
    assert!(refs.len() >= 5, "found only {refs:?}");
    for (ns, name, key) in refs {
        let data = sealed.get(&(ns.clone(), name.clone()));
        assert!(
            data.is_some_and(|d| d[&key].is_string()),
            "secret {ns}/{name} key {key} is not a SealedSecret item"
        );
    }
}

#[test]
fn sealed_secrets_hold_real_ciphertext() {
    use base64::Engine;
    let mut count = 0;
    for doc in rendered().iter().filter(|d| kind(d) == "SealedSecret") {
        count += 1;
        let items = doc["spec"]["encryptedData"]
            .as_object()
            .expect("encryptedData map");
        assert!(!items.is_empty(), "{} has no items", id(doc));
        for (item, value) in items {
            let blob = base64::engine::general_purpose::STANDARD
                .decode(value.as_str().unwrap_or_default())
                .unwrap_or_else(|e| panic!("{} item {item}: not base64: {e}", id(doc)));
            // 2-byte length, RSA-OAEP session key (>= 2048-bit), AES-GCM tag.
            assert!(
                blob.len() > 2 + 256 + 16,
                "{} item {item}: {} bytes",
                id(doc),
                blob.len()
            );
            let key_len = u16::from_be_bytes([blob[0], blob[1]]) as usize;
            assert!(
                key_len >= 256 && 2 + key_len + 16 < blob.len(),
                "{} item {item}: bad layout",
                id(doc)
            );
        }
        // Strict scope: the template names the same object.
        assert_eq!(
            doc["spec"]["template"]["metadata"]["name"],
            doc["metadata"]["name"]
        );
        assert_eq!(
            doc["spec"]["template"]["metadata"]["namespace"],
            doc["metadata"]["namespace"]
        );
    }
    assert_eq!(count, 3);
}

#[test]
fn bouncer_middleware_and_routes_are_wired() {
    let mw = find(rendered(), "Middleware", "traefik", "crowdsec-bouncer");
    assert_eq!(
        mw["spec"]["forwardAuth"],
        json!({
            "address": "http://crowdsec-bouncer.crowdsec.svc.cluster.local:8080/api/v1/forwardAuth",
            "trustForwardHeader": true
        })
    );
    // The address resolves: Service crowdsec/crowdsec-bouncer port 8080 onto the bouncer's port.
    let svc = find(rendered(), "Service", "crowdsec", "crowdsec-bouncer");
    assert_eq!(svc["spec"]["ports"][0]["port"], 8080);
    let deploy = find(rendered(), "Deployment", "crowdsec", "crowdsec-bouncer");
    assert_eq!(
        svc["spec"]["selector"],
        deploy["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"]
            .as_str()
            .map(|n| json!({"app.kubernetes.io/name": n}))
            .unwrap_or_default()
    );
    let routes: Vec<_> = rendered()
        .iter()
        .filter(|d| kind(d) == "IngressRoute")
        .collect();
    assert!(!routes.is_empty());
    for route in routes {
        assert_eq!(
            route["spec"]["entryPoints"],
            json!(["websecure"]),
            "{}",
            id(route)
        );
        assert!(route["spec"]["tls"].is_object(), "{} has no tls", id(route));
        for r in array(&route["spec"]["routes"]) {
            let mws = array(&r["middlewares"]);
            assert!(
                mws.contains(&json!({"name": "crowdsec-bouncer", "namespace": "traefik"})),
                "{} route {} skips the bouncer",
                id(route),
                r["match"]
            );
        }
    }
    let example = find(rendered(), "IngressRoute", "example-app", "example-app");
    assert_eq!(
        example["metadata"]["annotations"]["external-dns.alpha.kubernetes.io/target"],
        "akze.net"
    );
    assert_eq!(example["spec"]["tls"], json!({}));
}

/// Cloudflare's published ranges (ips-v4/ips-v6, list dated 2026-09-29) plus the pod CIDR, which
/// is what Traefik actually sees for tunnel traffic.
#[test]
fn traefik_trusts_the_pod_network_and_exactly_cloudflares_ranges() {
    const POD_CIDR: &str = "10.42.0.0/16";
    const CLOUDFLARE: [&str; 22] = [
        "173.245.48.0/20",
        "103.21.244.0/22",
        "103.22.200.0/22",
        "103.31.4.0/22",
        "141.101.64.0/18",
        "108.162.192.0/18",
        "190.93.240.0/20",
        "188.114.96.0/20",
        "197.234.240.0/22",
        "198.41.128.0/17",
        "162.158.0.0/15",
        "104.16.0.0/13",
        "104.24.0.0/14",
        "172.64.0.0/13",
        "131.0.72.0/22",
        "2400:cb00::/32",
        "2606:4700::/32",
        "2803:f800::/32",
        "2405:b500::/32",
        "2405:8100::/32",
        "2a06:98c0::/29",
        "2c0f:f248::/32",
    ];
    let want: BTreeSet<&str> = CLOUDFLARE.iter().copied().chain([POD_CIDR]).collect();
    for (variant, _) in VARIANTS {
        // The values Traefik's chart ends up with: ours over its defaults, from the Application
        // (argocd) or the HelmChartConfig for k3s's bundled chart (k3s).
        let (source, values) = charts::effective_values(rendered_variant(variant), "traefik");
        let what = format!(
            "{variant}: {} (chart traefik {})",
            source.origin, source.version
        );
        let websecure = &values["ports"]["websecure"];
        let trusted: BTreeSet<&str> = array(&websecure["forwardedHeaders"]["trustedIPs"])
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(trusted, want, "{what}");
        // Chart 41 renamed logs.access to accessLog; each variant uses its chart's key.
        let access_log = if source.version.starts_with("39.") {
            &values["logs"]["access"]
        } else {
            &values["accessLog"]
        };
        assert_eq!(access_log["enabled"], true, "{what}: access log");
        assert_eq!(access_log["format"], "json", "{what}: access log format");
        assert_eq!(
            values["providers"]["kubernetesCRD"]["allowCrossNamespace"], true,
            "{what}"
        );
        assert_eq!(
            websecure["http"]["middlewares"],
            json!(["traefik-crowdsec-bouncer@kubernetescrd"]),
            "{what}"
        );
    }
    // The same pod CIDR is the bouncer's only trusted proxy and CrowdSec's registration range.
    let bouncer = find(rendered(), "Deployment", "crowdsec", "crowdsec-bouncer");
    let env = array(&bouncer["spec"]["template"]["spec"]["containers"][0]["env"]);
    assert!(env.contains(&json!({"name": "TRUSTED_PROXIES", "value": POD_CIDR})));
    let crowdsec = &find(rendered(), "Application", "argocd", "crowdsec")["spec"]["source"]["helm"]
        ["valuesObject"];
    let local = crowdsec["config"]["config.yaml.local"]
        .as_str()
        .unwrap_or_default();
    assert!(
        local.contains(&format!("\"{POD_CIDR}\"")),
        "allowed_ranges lacks the pod CIDR"
    );
    // The controller's API port admits host-network sources (the API server's proxy) and no pod.
    let np = find(
        rendered(),
        "NetworkPolicy",
        "kube-system",
        "sealed-secrets-controller",
    );
    assert_eq!(
        np["spec"]["ingress"][0]["from"][0]["ipBlock"],
        json!({"cidr": "0.0.0.0/0", "except": [POD_CIDR]})
    );
}

#[test]
fn applications_pin_exact_chart_versions_and_images() {
    let mut seen = 0;
    for app in rendered().iter().filter(|d| kind(d) == "Application") {
        seen += 1;
        assert_eq!(app["apiVersion"], "argoproj.io/v1alpha1");
        let rev = app["spec"]["source"]["targetRevision"]
            .as_str()
            .unwrap_or_default();
        let parts: Vec<_> = rev.split('.').collect();
        assert!(
            parts.len() == 3
                && parts
                    .iter()
                    .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit())),
            "{} targetRevision {rev:?}",
            id(app)
        );
        let mut problems = Vec::new();
        policy::chart_image_problems(
            &app["spec"]["source"]["helm"]["valuesObject"],
            "",
            &mut problems,
        );
        assert_clean(&id(app), problems);
    }
    assert_eq!(seen, 4);
}

#[test]
fn kubescape_scans_nsa_mitre_and_images() {
    let (source, values) = charts::effective_values(rendered(), "kubescape-operator");
    assert_eq!(source.version, "1.40.3");
    // The scheduled scan's request names the two frameworks (the chart has no other setting
    // that picks frameworks).
    let commands = array(&values["kubescapeScheduler"]["requestBody"]["commands"]);
    assert_eq!(commands.len(), 1, "{commands:?}");
    assert_eq!(commands[0]["CommandName"], "kubescapeScan");
    assert_eq!(
        commands[0]["args"]["scanV1"],
        json!({"targetType": "framework", "targetNames": ["nsa", "mitre"]})
    );
    for capability in [
        "configurationScan",
        "vulnerabilityScan",
        "nodeSbomGeneration",
    ] {
        assert_eq!(values["capabilities"][capability], "enable", "{capability}");
    }
    assert_eq!(values["certificates"]["strategy"], "initContainer");
}

/// Nothing is published outside the cluster by accident: no Service of ours, and no chart's
/// Service as configured, is a LoadBalancer or NodePort (k3s's ServiceLB would bind every
/// node's ports for a LoadBalancer).
#[test]
fn nothing_is_exposed_outside_the_cluster() {
    for (variant, _) in VARIANTS {
        for doc in rendered_variant(variant)
            .iter()
            .filter(|d| kind(d) == "Service")
        {
            let t = doc["spec"]["type"].as_str().unwrap_or("ClusterIP");
            assert_eq!(t, "ClusterIP", "{variant}: {}", id(doc));
        }
        let (source, traefik) = charts::effective_values(rendered_variant(variant), "traefik");
        // Chart 41 reads service.spec.type, chart 39 service.type (default LoadBalancer in both).
        let service_type = if source.version.starts_with("39.") {
            &traefik["service"]["type"]
        } else {
            &traefik["service"]["spec"]["type"]
        };
        assert_eq!(service_type, "ClusterIP", "{variant}: {}", source.origin);
        let (_, crowdsec) = charts::effective_values(rendered_variant(variant), "crowdsec");
        assert_eq!(
            crowdsec["lapi"]["service"]["type"], "ClusterIP",
            "{variant}"
        );
    }
}

#[test]
fn falco_uses_modern_ebpf_and_sidekick_is_scraped() {
    let values = &find(rendered(), "Application", "argocd", "falco")["spec"]["source"]["helm"]["valuesObject"];
    assert_eq!(values["driver"]["kind"], "modern_ebpf");
    assert_eq!(values["falcosidekick"]["enabled"], true);
    let sm = find(rendered(), "ServiceMonitor", "falco", "falco-falcosidekick");
    assert_eq!(
        sm["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"],
        "falcosidekick"
    );
    assert_eq!(sm["spec"]["endpoints"][0]["path"], "/metrics");
}

/// The controller objects keep upstream controller.yaml's names, ports, probes and RBAC, so
/// kubeseal's defaults and existing policies keep working.
#[test]
fn sealed_secrets_controller_matches_upstream_layout() {
    let docs = rendered();
    let svc = find(docs, "Service", "kube-system", "sealed-secrets-controller");
    assert_eq!(
        svc["spec"]["ports"],
        json!([{"port": 8080, "targetPort": 8080}]),
        "no port name, as upstream"
    );
    assert_eq!(
        svc["spec"]["selector"],
        json!({"name": "sealed-secrets-controller"})
    );
    let metrics = find(
        docs,
        "Service",
        "kube-system",
        "sealed-secrets-controller-metrics",
    );
    assert_eq!(
        metrics["spec"]["ports"],
        json!([{"port": 8081, "targetPort": 8081}])
    );
    let deploy = find(
        docs,
        "Deployment",
        "kube-system",
        "sealed-secrets-controller",
    );
    let pod = &deploy["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], "sealed-secrets-controller");
    assert_eq!(pod["securityContext"]["runAsUser"], 1001);
    assert_eq!(pod["securityContext"]["fsGroup"], 65534);
    let c = &pod["containers"][0];
    assert_eq!(
        c["ports"],
        json!([{"name": "http", "containerPort": 8080}, {"name": "metrics", "containerPort": 8081}])
    );
    assert_eq!(
        c["readinessProbe"]["httpGet"],
        json!({"path": "/healthz", "port": "http"})
    );

    let rules = |kind_: &str, ns: &str, name_: &str| find(docs, kind_, ns, name_)["rules"].clone();
    assert_eq!(
        rules("ClusterRole", "", "secrets-unsealer"),
        json!([
            {"apiGroups": ["bitnami.com"], "resources": ["sealedsecrets"], "verbs": ["get", "list", "watch"]},
            {"apiGroups": ["bitnami.com"], "resources": ["sealedsecrets/status"], "verbs": ["update"]},
            {"apiGroups": [""], "resources": ["secrets"], "verbs": ["get", "list", "create", "update", "delete", "watch"]},
            {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
            {"apiGroups": [""], "resources": ["namespaces"], "verbs": ["get"]}
        ])
    );
    assert_eq!(
        rules("Role", "kube-system", "sealed-secrets-key-admin"),
        json!([{"apiGroups": [""], "resources": ["secrets"], "verbs": ["create", "list"]}])
    );
    assert_eq!(
        rules("Role", "kube-system", "sealed-secrets-service-proxier"),
        json!([
            {"apiGroups": [""], "resources": ["services"], "resourceNames": ["sealed-secrets-controller"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["services/proxy"],
             "resourceNames": ["http:sealed-secrets-controller:", "http:sealed-secrets-controller:http", "sealed-secrets-controller"],
             "verbs": ["create", "get"]}
        ])
    );
    let authenticated = json!([{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "system:authenticated"}]);
    let sa = json!([{"kind": "ServiceAccount", "name": "sealed-secrets-controller", "namespace": "kube-system"}]);
    let binding = |kind_: &str, ns: &str, name_: &str| {
        let b = find(docs, kind_, ns, name_);
        (b["roleRef"]["name"].clone(), b["subjects"].clone())
    };
    assert_eq!(
        binding("ClusterRoleBinding", "", "sealed-secrets-controller"),
        (json!("secrets-unsealer"), sa.clone())
    );
    assert_eq!(
        binding("RoleBinding", "kube-system", "sealed-secrets-controller"),
        (json!("sealed-secrets-key-admin"), sa.clone())
    );
    assert_eq!(
        binding(
            "RoleBinding",
            "kube-system",
            "sealed-secrets-service-proxier"
        ),
        (
            json!("sealed-secrets-service-proxier"),
            authenticated.clone()
        )
    );
    assert_eq!(
        binding(
            "RoleBinding",
            "kube-system",
            "sealed-secrets-cert-publisher"
        ),
        (json!("sealed-secrets-cert-publisher"), sa.clone())
    );
    assert_eq!(
        binding("RoleBinding", "kube-system", "sealed-secrets-cert-reader"),
        (json!("sealed-secrets-cert-reader"), authenticated)
    );
    assert_eq!(
        binding(
            "RoleBinding",
            "kube-system",
            "sealed-secrets-leader-election"
        ),
        (json!("sealed-secrets-leader-election"), sa)
    );
    assert_eq!(
        rules("Role", "kube-system", "sealed-secrets-cert-reader"),
        json!([{"apiGroups": [""], "resources": ["configmaps"], "resourceNames": ["sealed-secrets-cert"], "verbs": ["get"]}])
    );
    // The controller's one Lease by name; create cannot be narrowed that way.
    assert_eq!(
        rules("Role", "kube-system", "sealed-secrets-leader-election"),
        json!([
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "resourceNames": ["sealed-secrets-controller"], "verbs": ["get", "update"]},
            {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": ["create"]}
        ])
    );
    // Every object carries upstream's `name: <object name>` label.
    for doc in docs
        .iter()
        .filter(|d| namespace(d) == "kube-system" || kind(d).contains("Cluster"))
    {
        if kind(doc) == "CustomResourceDefinition" {
            continue;
        }
        assert_eq!(doc["metadata"]["labels"]["name"], name(doc), "{}", id(doc));
    }
}

/// The checks above are only as good as these functions: each flags what it should.
#[test]
fn policy_checks_flag_violations() {
    let bad = json!({
        "hostNetwork": true,
        "volumes": [{"name": "logs", "hostPath": {"path": "/var/log"}}],
        "containers": [{
            "name": "c",
            "image": "docker.io/library/nginx:latest",
            "securityContext": {"privileged": true, "runAsUser": 0, "capabilities": {"add": ["SYS_ADMIN"]}}
        }]
    });
    let container = policy::container_problems(&bad).join("\n");
    for want in [
        "not pinned",
        "no cpu request",
        "no memory request",
        "no memory limit",
        "no livenessProbe",
        "no readinessProbe",
        "writable",
        "may run as root",
    ] {
        assert!(
            container.contains(want),
            "container checks missed {want:?}:\n{container}"
        );
    }
    let restricted = policy::restricted_problems(&bad).join("\n");
    for want in [
        "hostNetwork",
        "volume",
        "privileged",
        "allowPrivilegeEscalation",
        "drop ALL",
        "NET_BIND_SERVICE",
        "runAsNonRoot",
        "UID 0",
        "seccompProfile",
    ] {
        assert!(
            restricted.contains(want),
            "restricted checks missed {want:?}:\n{restricted}"
        );
    }
    for (image, pinned) in [
        ("a/b:1.2", true),
        ("a/b", false),
        ("a/b:latest", false),
        ("host:5000/a/b", false),
        ("a/b@sha256:00", true),
    ] {
        assert_eq!(policy::image_pinned(image), pinned, "{image}");
    }
    let mut problems = Vec::new();
    policy::chart_image_problems(
        &json!({"x": {"image": {"repository": "r"}}}),
        "",
        &mut problems,
    );
    assert_eq!(problems.len(), 1);
}
