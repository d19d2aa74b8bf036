//! Checks over one pod spec or values tree, each returning human-readable problems (empty when
//! clean). The rules follow kube-linter's defaults and the Pod Security "restricted" profile.

use serde_json::Value;

fn containers(spec: &Value) -> impl Iterator<Item = (&Value, bool)> {
    let list = |k: &str| spec[k].as_array().map(Vec::as_slice).unwrap_or(&[]).iter();
    list("initContainers")
        .map(|c| (c, true))
        .chain(list("containers").map(|c| (c, false)))
}

/// Pinned when it names a tag other than `latest` (or a digest).
pub fn image_pinned(image: &str) -> bool {
    if image.contains("@sha256:") {
        return true;
    }
    let last = image.rsplit('/').next().unwrap_or(image);
    matches!(last.split_once(':'), Some((_, tag)) if !tag.is_empty() && tag != "latest")
}

/// Pinned image, requests and a memory limit, probes, non-root, no escalation, read-only root.
pub fn container_problems(spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for (c, init) in containers(spec) {
        let name = c["name"].as_str().unwrap_or("?");
        let mut bad = |what: &str| out.push(format!("container {name}: {what}"));
        let image = c["image"].as_str().unwrap_or_default();
        if !image_pinned(image) {
            bad(&format!("image {image:?} is not pinned to a tag"));
        }
        for r in ["cpu", "memory"] {
            if c["resources"]["requests"][r].is_null() {
                bad(&format!("no {r} request"));
            }
        }
        if c["resources"]["limits"]["memory"].is_null() {
            bad("no memory limit");
        }
        if !init {
            for p in ["livenessProbe", "readinessProbe"] {
                if !c[p].is_object() {
                    bad(&format!("no {p}"));
                }
            }
        }
        let sc = &c["securityContext"];
        if sc["readOnlyRootFilesystem"] != true {
            bad("root filesystem is writable");
        }
        let non_root =
            sc["runAsNonRoot"] == true || spec["securityContext"]["runAsNonRoot"] == true;
        if !non_root {
            bad("may run as root");
        }
    }
    out
}

/// The Pod Security Standards "restricted" profile (which includes "baseline").
pub fn restricted_problems(spec: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for host in ["hostNetwork", "hostPID", "hostIPC"] {
        if spec[host] == true {
            out.push(format!("{host} is set"));
        }
    }
    const VOLUMES: [&str; 8] = [
        "configMap",
        "csi",
        "downwardAPI",
        "emptyDir",
        "ephemeral",
        "persistentVolumeClaim",
        "projected",
        "secret",
    ];
    for v in spec["volumes"].as_array().into_iter().flatten() {
        let ok = v.as_object().is_some_and(|m| {
            m.keys()
                .all(|k| k == "name" || VOLUMES.contains(&k.as_str()))
        });
        if !ok {
            out.push(format!(
                "volume {} has a type restricted forbids",
                v["name"]
            ));
        }
    }
    let pod_sc = &spec["securityContext"];
    for (c, _) in containers(spec) {
        let name = c["name"].as_str().unwrap_or("?");
        let sc = &c["securityContext"];
        let mut bad = |what: &str| out.push(format!("container {name}: {what}"));
        if sc["privileged"] == true {
            bad("privileged");
        }
        if sc["allowPrivilegeEscalation"] != false {
            bad("allowPrivilegeEscalation is not false");
        }
        let drop = sc["capabilities"]["drop"]
            .as_array()
            .is_some_and(|d| d.iter().any(|x| x == "ALL"));
        if !drop {
            bad("capabilities do not drop ALL");
        }
        let adds_other = sc["capabilities"]["add"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x != "NET_BIND_SERVICE"));
        if adds_other {
            bad("adds a capability other than NET_BIND_SERVICE");
        }
        if sc["runAsNonRoot"] != true && pod_sc["runAsNonRoot"] != true {
            bad("runAsNonRoot is not true");
        }
        if sc["runAsUser"] == 0 || (sc["runAsUser"].is_null() && pod_sc["runAsUser"] == 0) {
            bad("runs as UID 0");
        }
        let seccomp = if sc["seccompProfile"].is_object() {
            &sc["seccompProfile"]
        } else {
            &pod_sc["seccompProfile"]
        };
        if seccomp["type"] != "RuntimeDefault" && seccomp["type"] != "Localhost" {
            bad("seccompProfile is neither RuntimeDefault nor Localhost");
        }
        for p in c["ports"].as_array().into_iter().flatten() {
            if p["hostPort"].as_u64().is_some_and(|h| h != 0) {
                bad("binds a host port");
            }
        }
    }
    out
}

/// Calls `found(name, key)` for every `secretKeyRef` anywhere in `v` (pod specs and chart values).
pub fn secret_key_refs(v: &Value, found: &mut impl FnMut(&str, &str)) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("secretKeyRef") {
                found(
                    r["name"].as_str().unwrap_or_default(),
                    r["key"].as_str().unwrap_or_default(),
                );
            }
            m.values().for_each(|c| secret_key_refs(c, found));
        }
        Value::Array(a) => a.iter().for_each(|c| secret_key_refs(c, found)),
        _ => {}
    }
}

/// Every `image: {tag: …}` block in chart values names an exact tag (never empty or `latest`).
pub fn chart_image_problems(values: &Value, path: &str, out: &mut Vec<String>) {
    match values {
        Value::Object(m) => {
            for (k, v) in m {
                let here = format!("{path}.{k}");
                if k == "image" && v.is_object() {
                    let tag = v["tag"].as_str().unwrap_or_default();
                    if tag.is_empty() || tag == "latest" {
                        out.push(format!("{here}.tag is {tag:?}"));
                    }
                }
                chart_image_problems(v, &here, out);
            }
        }
        Value::Array(a) => a.iter().for_each(|v| chart_image_problems(v, path, out)),
        _ => {}
    }
}
