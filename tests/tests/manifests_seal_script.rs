//! `scripts/seal-stack-secrets.sh` end to end, offline: it seals the user's values with our
//! kubeseal for a given certificate, and the holder of that certificate's key gets them back.

#[path = "../manifests/support.rs"]
mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use sealwright_crypto::SealedSecret;
use sealwright_crypto::hybrid::KeySet;
use sealwright_crypto::keys::private_key_from_pem;
use sealwright_crypto::unseal::{UnsealOptions, unseal};
use support::*;

/// Our kubeseal, built in this test run's profile next to the test binaries.
fn kubeseal() -> PathBuf {
    workspace_binary("sealwright-cli", "kubeseal")
}

fn sealed_file(dir: &Path, rel: &str) -> (String, SealedSecret) {
    let text = std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"));
    let doc = yaml_documents(&text).pop().expect("one document");
    (text, serde_json::from_value(doc).expect("a SealedSecret"))
}

#[test]
fn script_seals_user_values_for_the_given_certificate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("key.pem");
    let cert = dir.path().join("cert.pem");
    let status = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=seal-script-test",
            "-days",
            "1",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("run openssl");
    assert!(status.success());
    let values = dir.path().join("stack.env");
    std::fs::write(
        &values,
        "# test values\nCLOUDFLARE_TUNNEL_TOKEN=\"tunnel-token-for-test\"\n",
    )
    .expect("write values");
    let out = dir.path().join("out");

    let run = Command::new("bash")
        .arg(repo_root().join("scripts/seal-stack-secrets.sh"))
        .args(["--generate-missing", "--values"])
        .arg(&values)
        .arg("--cert")
        .arg(&cert)
        .arg("--out-dir")
        .arg(&out)
        .env("KUBESEAL", kubeseal())
        .output()
        .expect("run the script");
    assert!(
        run.status.success(),
        "script failed: {}",
        String::from_utf8_lossy(&run.stderr)
    );

    // --generate-missing appended the three CrowdSec keys, long enough for the chart.
    let written: BTreeMap<String, String> = std::fs::read_to_string(&values)
        .expect("read values")
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.trim_matches('"').to_string()))
        .collect();
    assert!(written["CROWDSEC_BOUNCER_API_KEY"].len() >= 32);
    assert!(written["CROWDSEC_LAPI_SECRET"].len() >= 64);
    assert!(written["CROWDSEC_REGISTRATION_TOKEN"].len() >= 48);

    let keys = KeySet::new(vec![
        private_key_from_pem(&std::fs::read(&key).expect("read key")).expect("key parses"),
    ]);
    let expect = [
        (
            "manifests/crowdsec/sealed/crowdsec-bouncer-key.yaml",
            vec![("api-key", "CROWDSEC_BOUNCER_API_KEY")],
        ),
        (
            "manifests/crowdsec/sealed/crowdsec-lapi-secrets.yaml",
            vec![
                ("csLapiSecret", "CROWDSEC_LAPI_SECRET"),
                ("registrationToken", "CROWDSEC_REGISTRATION_TOKEN"),
            ],
        ),
        (
            "manifests/cloudflared/sealed/cloudflared-token.yaml",
            vec![("token", "CLOUDFLARE_TUNNEL_TOKEN")],
        ),
    ];
    for (rel, items) in expect {
        let (text, sealed) = sealed_file(&out, rel);
        assert!(!text.contains("EXAMPLE"), "{rel} is marked as an example");
        let secret = unseal(&sealed, &keys, UnsealOptions::default())
            .expect("unseals")
            .secret;
        let data = secret.data.expect("data");
        assert_eq!(data.len(), items.len(), "{rel}");
        for (item, var) in items {
            let value = &written[var];
            assert!(
                !text.contains(value.as_str()),
                "{rel} holds the plaintext of {item}"
            );
            assert_eq!(data[item].0, value.as_bytes(), "{rel} item {item}");
        }
    }
}

/// The committed SealedSecrets are examples for a discarded demo key and say so, in the file and
/// in a label the unsealed Secret would carry.
#[test]
fn committed_sealed_secrets_are_marked_as_examples() {
    for rel in [
        "crowdsec/sealed/crowdsec-bouncer-key.yaml",
        "crowdsec/sealed/crowdsec-lapi-secrets.yaml",
        "cloudflared/sealed/cloudflared-token.yaml",
    ] {
        let (text, sealed) = sealed_file(&manifests_dir(), rel);
        let is_example = sealed
            .spec
            .template
            .metadata
            .as_ref()
            .and_then(|m| m.labels.as_ref())
            .and_then(|l| l.get("sealwright.dev/example"))
            .is_some_and(|v| v == "true");
        // A user who has sealed their own values commits real ones: then neither marker is set.
        assert_eq!(
            text.starts_with("# EXAMPLE ONLY"),
            is_example,
            "{rel}: header and label disagree"
        );
    }
}
