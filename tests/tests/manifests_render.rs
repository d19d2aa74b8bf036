//! The stack renders with kustomize, and the committed SealedSecret CRD is exactly what the
//! Rust types generate.

#[path = "../manifests/support.rs"]
mod support;

use std::collections::BTreeSet;
use std::process::Command;

use support::*;

#[test]
fn committed_crd_matches_the_generator() {
    let out = Command::new(workspace_binary("sealwright-crypto", "crdgen"))
        .output()
        .expect("run crdgen");
    assert!(
        out.status.success(),
        "crdgen failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generated = String::from_utf8(out.stdout).expect("crdgen prints UTF-8");
    let path = manifests_dir().join("sealed-secrets/crd.yaml");
    let committed = std::fs::read_to_string(&path).expect("read manifests/sealed-secrets/crd.yaml");
    assert!(
        committed == generated,
        "{} drifted from the Rust types; regenerate it with\n  \
         cargo run -q -p sealwright-crypto --bin crdgen > manifests/sealed-secrets/crd.yaml",
        path.display()
    );
}

#[test]
fn stack_renders_one_base_per_component() {
    let docs = yaml_documents(&render_yaml("."));
    assert!(!docs.is_empty());
    let namespaces: BTreeSet<_> = docs
        .iter()
        .filter(|d| kind(d) == "Namespace")
        .map(name)
        .collect();
    let want: BTreeSet<_> = ["crowdsec", "traefik", "falco", "kubescape", "cloudflared"].into();
    assert_eq!(namespaces, want);
    for component in [
        "sealed-secrets",
        "crowdsec",
        "traefik",
        "falco",
        "kubescape",
        "cloudflared",
    ] {
        let alone = yaml_documents(&render_yaml(component));
        assert!(!alone.is_empty(), "{component} renders nothing");
        for doc in &alone {
            assert!(
                docs.contains(doc),
                "{} of {component} is missing from the aggregate",
                id(doc)
            );
        }
    }
    let apps: BTreeSet<_> = docs
        .iter()
        .filter(|d| kind(d) == "Application")
        .map(name)
        .collect();
    assert_eq!(apps, ["crowdsec", "falco", "kubescape", "traefik"].into());
}

#[test]
fn examples_render() {
    let docs = yaml_documents(&render_yaml("examples"));
    find(&docs, "IngressRoute", "example-app", "example-app");
}

/// Image tag scheme: `v<workspace version>`, so a release bumps both together.
#[test]
fn controller_image_tag_follows_the_workspace_version() {
    let deploy = find(
        rendered(),
        "Deployment",
        "kube-system",
        "sealed-secrets-controller",
    );
    let image = deploy["spec"]["template"]["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(
        image,
        format!(
            "ghcr.io/sealwright/sealed-secrets-controller:v{}",
            workspace_version()
        )
    );
}

/// The k3s variant is the ArgoCD variant with Traefik swapped: no Traefik Application, a
/// HelmChartConfig for k3s's own Traefik instead, Traefik's NetworkPolicy next to its pods in
/// kube-system, and the two objects that name Traefik's namespace pointed there.
#[test]
fn k3s_variant_swaps_only_traefik() {
    let argocd = rendered_variant("argocd");
    let k3s = rendered_variant("k3s");
    let ids = |docs: &[serde_json::Value]| docs.iter().map(id).collect::<BTreeSet<_>>();
    let (a, k) = (ids(argocd), ids(k3s));
    let only = |x: &BTreeSet<String>, y: &BTreeSet<String>| {
        x.difference(y).cloned().collect::<BTreeSet<_>>()
    };
    assert_eq!(
        only(&a, &k),
        [
            "Application/argocd/traefik".to_string(),
            "NetworkPolicy/traefik/traefik".into()
        ]
        .into()
    );
    assert_eq!(
        only(&k, &a),
        [
            "HelmChartConfig/kube-system/traefik".to_string(),
            "NetworkPolicy/kube-system/traefik".into()
        ]
        .into()
    );
    let changed: BTreeSet<String> = k3s
        .iter()
        .filter(|d| a.contains(&id(d)) && !argocd.contains(d))
        .map(id)
        .collect();
    assert_eq!(
        changed,
        [
            "Application/argocd/crowdsec".to_string(),
            "NetworkPolicy/crowdsec/crowdsec-bouncer".into()
        ]
        .into()
    );
    let crowdsec = find(k3s, "Application", "argocd", "crowdsec");
    assert_eq!(
        crowdsec["spec"]["source"]["helm"]["valuesObject"]["agent"]["acquisition"],
        serde_json::json!([{"namespace": "kube-system", "podName": "traefik-*", "program": "traefik"}])
    );
}
