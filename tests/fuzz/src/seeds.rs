//! The seed corpus, made from the repository's own test data: the Go-verified template cases,
//! upstream's sealed fixtures and key files, and objects sealed for the fixture key (so
//! mutations start from inputs that open). `fuzz-run --write-seeds DIR` writes it; the result is
//! committed under `tests/fuzz/corpus/`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use sealwright_crypto::{keys, seal};

use crate::targets::fixture_snapshot;

/// The repository root (this crate lives in `tests/fuzz`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(relative: &str) -> Result<Vec<u8>, String> {
    let path = repo_root().join(relative);
    std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Seed inputs per target, in a stable order.
pub fn seeds() -> Result<BTreeMap<&'static str, Vec<Vec<u8>>>, String> {
    let mut out: BTreeMap<&'static str, Vec<Vec<u8>>> = BTreeMap::new();
    out.insert("template", template_seeds()?);
    let objects = object_seeds()?;
    out.insert("http_body", objects.clone());
    out.insert("sealed_secret", objects.clone());
    out.insert("key_secret", key_seeds()?);
    out.insert("unseal_blob", blob_seeds(&objects));
    Ok(out)
}

fn template_seeds() -> Result<Vec<Vec<u8>>, String> {
    let cases: serde_json::Value =
        serde_json::from_slice(&read("gotemplate/tests/data/templates.json")?)
            .map_err(|e| format!("templates.json: {e}"))?;
    let mut out: Vec<Vec<u8>> = Vec::new();
    // Every other case keeps the corpus small while still covering every function.
    for case in cases["cases"].as_array().into_iter().flatten().step_by(2) {
        if let Some(t) = case["template"].as_str()
            && !out.iter().any(|o| o == t.as_bytes())
        {
            out.push(t.as_bytes().to_vec());
        }
    }
    Ok(out)
}

fn object_seeds() -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for name in [
        "strict-2048",
        "namespace-wide-3072",
        "cluster-wide-4096",
        "multidoc-4096",
    ] {
        out.push(read(&format!(
            "tests/fixtures/upstream/sealed/{name}.yaml"
        ))?);
    }
    let cert = &fixture_snapshot()
        .current
        .as_ref()
        .ok_or("fixture key has no certificate")?
        .cert;
    let annotations = [
        None,
        Some("sealedsecrets.bitnami.com/namespace-wide"),
        Some("sealedsecrets.bitnami.com/cluster-wide"),
    ];
    for (i, scope) in annotations.into_iter().enumerate() {
        let mut secret = Secret {
            metadata: k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta {
                name: Some(format!("seed-{i}")),
                namespace: Some("ns".into()),
                annotations: scope.map(|a| [(a.to_string(), "true".to_string())].into()),
                labels: Some([("app".to_string(), "demo".to_string())].into()),
                ..Default::default()
            },
            data: Some(
                [
                    ("user".to_string(), ByteString(b"admin".to_vec())),
                    ("password".to_string(), ByteString(b"s3cr3t".to_vec())),
                ]
                .into(),
            ),
            ..Default::default()
        };
        secret.type_ = Some("Opaque".into());
        let mut sealed =
            seal::seal_secret(&secret, &cert.public_key).map_err(|e| format!("seal: {e}"))?;
        if i == 0 {
            sealed.spec.template.data = Some(
                [(
                    "dsn".to_string(),
                    Some("postgres://{{ .user }}:{{ .password | urlquery }}@db".to_string()),
                )]
                .into(),
            );
        }
        out.push(serde_json::to_vec_pretty(&sealed).map_err(|e| e.to_string())?);
        out.push(
            serde_yaml::to_string(&sealed)
                .map_err(|e| e.to_string())?
                .into_bytes(),
        );
    }
    Ok(out)
}

fn key_seeds() -> Result<Vec<Vec<u8>>, String> {
    let mut out = vec![
        read("crypto/tests/data/kseal/key-secret.yaml")?,
        read("tests/fixtures/upstream/keys/rsa-3072-secret.yaml")?,
        read("crypto/tests/data/appendix-a-key.pkcs8.pem")?,
    ];
    // `tls.key`, NUL, `tls.crt`: the split the target makes.
    let mut pair = read("tests/fixtures/upstream/keys/rsa-2048.key")?;
    pair.push(0);
    pair.extend(read("tests/fixtures/upstream/keys/rsa-2048.crt")?);
    out.push(pair);
    // The fixture key as a key Secret, in JSON.
    let sealing = fixture_snapshot()
        .current
        .as_ref()
        .ok_or("fixture key has no certificate")?;
    let secret = keys::to_secret(
        &sealing.private_key,
        &sealing.cert_pem,
        "kube-system",
        keys::DEFAULT_KEY_PREFIX,
        &BTreeMap::new(),
        &BTreeMap::new(),
    );
    out.push(serde_json::to_vec(&secret).map_err(|e| e.to_string())?);
    Ok(out)
}

/// Raw ciphertexts: the `encryptedData` values of the object seeds, base64-decoded.
fn blob_seeds(objects: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for object in objects {
        let Ok(value) = serde_json::from_slice::<serde_json::Value>(object) else {
            continue;
        };
        let items = value["spec"]["encryptedData"].as_object().cloned();
        for text in items
            .into_iter()
            .flatten()
            .filter_map(|(_, v)| v.as_str().map(str::to_owned))
        {
            if let Ok(blob) = sealwright_crypto::b64::decode(text.as_bytes()) {
                out.push(blob);
            }
        }
    }
    out
}
