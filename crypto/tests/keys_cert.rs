//! Key files, key Secrets, fingerprints and the sealing certificate profile.

mod common;

use std::collections::BTreeMap;

use der::{Decode, Encode};
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use rsa::traits::PublicKeyParts;
use sealwright_crypto::cert::{self, CertError};
use sealwright_crypto::keys::{self, KeyError};
use sealwright_crypto::recovery;
use sha2::Digest;
use time::macros::datetime;
use x509_cert::Certificate;

fn data(name: &str) -> Vec<u8> {
    common::read(common::data_dir().join(name))
}

fn appendix_key() -> sealwright_crypto::RsaPrivateKey {
    keys::private_key_from_pem(&data("appendix-a-key.pem")).expect("PKCS#1")
}

#[test]
fn pem_formats() {
    let pkcs1 = appendix_key();
    let pkcs8 = keys::private_key_from_pem(&data("appendix-a-key.pkcs8.pem")).expect("PKCS#8");
    assert_eq!(pkcs1, pkcs8);
    assert_eq!(pkcs1.size(), 256);
    assert_eq!(
        keys::private_key_from_pem(&data("ec-p256-key.pem")),
        Err(KeyError::NotRsa)
    );
    assert_eq!(
        keys::private_key_from_pem(&data("ec-p256-key.pkcs8.pem")),
        Err(KeyError::NotRsa)
    );
    assert_eq!(
        keys::private_key_from_pem(b"no pem here"),
        Err(KeyError::NoKey)
    );
    assert_eq!(
        keys::private_key_from_pem(&data("ec-cert.pem")),
        Err(KeyError::NoKey)
    );
    let garbage = b"-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n";
    assert_eq!(
        keys::private_key_from_pem(garbage).map_err(|e| e.name()),
        Err("Parse")
    );
    assert_eq!(
        KeyError::NotRsa.to_string(),
        "private key is not an RSA key"
    );

    let pem = keys::private_key_to_pem(&pkcs1);
    assert!(
        pem.starts_with("-----BEGIN RSA PRIVATE KEY-----\n")
            && pem.ends_with("-----END RSA PRIVATE KEY-----\n")
    );
    assert!(!pem.contains('\r'));
    assert_eq!(
        keys::private_key_from_pem(pem.as_bytes()).expect("round trip"),
        pkcs1
    );
}

#[test]
fn fingerprints_match_ssh_keygen() {
    // Expected values from `ssh-keygen -lf -E sha256` on each public key.
    assert_eq!(
        keys::fingerprint(appendix_key().as_public_key()),
        "SHA256:fJwzVwo08UfAyTaemnWmKHJrc9iteJ9mRW4Tsz35jR4"
    );
    let (_, kseal) = common::kseal_vectors();
    assert_eq!(
        keys::fingerprint(kseal.as_public_key()),
        "SHA256:F11ReRmau3H0PSgUJ/vHN/gr/XKl3Ryao/6XITLiRCA"
    );
}

#[test]
fn upstream_key_secret_loads() {
    let text = common::read(common::kseal_dir().join("key-secret.yaml"));
    let secret: Secret = serde_yaml::from_slice(&text).expect("Secret");
    let key = keys::from_secret(&secret).expect("loads");
    assert_eq!(key.secret_name.as_deref(), Some("sealed-secrets-keygvqgl"));
    assert_eq!(key.cert.public_key, key.private_key.to_public_key());
    assert_eq!(key.cert.not_before, datetime!(2021-01-25 12:25:35 UTC));
    assert_eq!(key.cert.not_after, datetime!(2031-01-23 12:25:35 UTC));
    assert_eq!(
        key.fingerprint,
        "SHA256:F11ReRmau3H0PSgUJ/vHN/gr/XKl3Ryao/6XITLiRCA"
    );
    let debug = format!("{key:?}");
    assert!(
        !debug.contains("PRIVATE") && debug.contains("SHA256:"),
        "{debug}"
    );
    assert_eq!(
        key.cert
            .check_not_expired(datetime!(2031-01-24 00:00 UTC))
            .expect_err("must fail")
            .to_string(),
        "failed to encrypt using an expired certificate on January 23, 2031"
    );
    assert!(
        key.cert
            .check_not_expired(datetime!(2031-01-23 12:25:35 UTC))
            .is_ok()
    );
}

#[test]
fn key_secret_round_trip() {
    let key = appendix_key();
    let cert_pem = cert::self_signed(
        &key,
        "",
        datetime!(2026-01-02 03:04:05 UTC),
        time::Duration::days(3650),
    )
    .expect("cert");
    let labels = BTreeMap::from([
        ("team".to_string(), "a".to_string()),
        (keys::KEY_LABEL.to_string(), "compromised".to_string()),
    ]);
    let annotations = BTreeMap::from([("note".to_string(), "x".to_string())]);
    let secret = keys::to_secret(
        &key,
        &cert_pem,
        "kube-system",
        "sealed-secrets-key",
        &labels,
        &annotations,
    );
    assert_eq!(secret.type_.as_deref(), Some("kubernetes.io/tls"));
    assert_eq!(
        secret.metadata.generate_name.as_deref(),
        Some("sealed-secrets-key")
    );
    assert_eq!(secret.metadata.name, None);
    assert_eq!(secret.metadata.namespace.as_deref(), Some("kube-system"));
    let got_labels = secret.metadata.labels.clone().expect("labels");
    assert_eq!(
        got_labels[keys::KEY_LABEL],
        "active",
        "the key label cannot be overridden"
    );
    assert_eq!(got_labels["team"], "a");
    assert_eq!(secret.metadata.annotations, Some(annotations));
    let tls_key = &secret.data.as_ref().expect("data")["tls.key"];
    assert!(tls_key.0.starts_with(b"-----BEGIN RSA PRIVATE KEY-----\n"));

    let mut named = secret.clone();
    named.metadata.name = Some("sealed-secrets-keyabcde".into());
    let loaded = keys::from_secret(&named).expect("reads back");
    assert_eq!(loaded.private_key, key);
    assert_eq!(loaded.cert_pem, cert_pem);
    assert_eq!(loaded.cert.not_before, datetime!(2026-01-02 03:04:05 UTC));

    let mut missing = named.clone();
    missing.data.as_mut().expect("data").remove("tls.crt");
    assert_eq!(
        keys::from_secret(&missing).expect_err("must fail").name(),
        "BadKeySecret"
    );
    let mut ec = named;
    ec.data
        .as_mut()
        .expect("data")
        .insert("tls.key".into(), ByteString(data("ec-p256-key.pem")));
    assert_eq!(
        keys::from_secret(&ec).expect_err("must fail"),
        KeyError::NotRsa
    );
}

#[test]
fn recovery_files() {
    let key = appendix_key();
    let pem = data("appendix-a-key.pem");
    assert_eq!(
        recovery::parse_private_keys(&pem).expect("pem"),
        vec![key.clone()]
    );
    assert_eq!(
        recovery::parse_private_keys(&data("appendix-a-key.pkcs8.pem")).expect("pkcs8"),
        vec![key.clone()]
    );

    let (_, kseal) = common::kseal_vectors();
    let kseal_yaml =
        String::from_utf8(common::read(common::kseal_dir().join("key-secret.yaml"))).expect("utf8");
    let kseal_json: serde_json::Value = serde_yaml::from_str(&kseal_yaml).expect("yaml");
    let appendix_secret = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "sealed-secrets-key"},
        "type": "kubernetes.io/tls",
        "data": {"tls.key": b64(&pem), "tls.crt": ""}
    });
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": [kseal_json, appendix_secret]});

    // JSON and YAML List (as `kubectl get secret -o yaml` writes it).
    assert_eq!(
        recovery::parse_private_keys(list.to_string().as_bytes()).expect("json list"),
        vec![kseal.clone(), key.clone()]
    );
    // A SecretList marshalled from a typed client has no kind or apiVersion, on the list or its
    // items (upstream's integration suite writes its key backup this way).
    let mut bare_items = vec![kseal_json.clone(), appendix_secret.clone()];
    for item in &mut bare_items {
        if let Some(obj) = item.as_object_mut() {
            obj.remove("kind");
            obj.remove("apiVersion");
        }
    }
    let typed_list = serde_json::json!({"metadata": {"resourceVersion": "7"}, "items": bare_items});
    assert_eq!(
        recovery::parse_private_keys(typed_list.to_string().as_bytes()).expect("kindless list"),
        vec![kseal.clone(), key.clone()]
    );
    let yaml_list = serde_yaml::to_string(&list).expect("yaml");
    assert_eq!(
        recovery::parse_private_keys(yaml_list.as_bytes()).expect("yaml list"),
        vec![kseal.clone(), key.clone()]
    );
    // A single Secret, and a multi-document stream (with empty documents).
    assert_eq!(
        recovery::parse_private_keys(kseal_yaml.as_bytes()).expect("secret"),
        vec![kseal.clone()]
    );
    let appendix_yaml = serde_yaml::to_string(&appendix_secret).expect("yaml");
    let stream = format!("---\n{kseal_yaml}\n---\n---\n{appendix_yaml}");
    assert_eq!(
        recovery::parse_private_keys(stream.as_bytes()).expect("stream"),
        vec![kseal.clone(), key.clone()]
    );
    let json_stream = format!(
        "{}\n{}",
        serde_json::to_string(&kseal_json).expect("json"),
        appendix_secret
    );
    assert_eq!(
        recovery::parse_private_keys(json_stream.as_bytes()).expect("json stream"),
        vec![kseal.clone(), key]
    );
    // A List is read in any document (upstream reads only the first); the trailing Secret
    // repeats a key of the List, and each key is kept once.
    let list_then_more = format!("{yaml_list}---\n{appendix_yaml}");
    assert_eq!(
        recovery::parse_private_keys(list_then_more.as_bytes())
            .expect("list")
            .len(),
        2
    );

    let no_key =
        r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"x"},"data":{"other":"YQ=="}}"#;
    let err = recovery::parse_private_keys(no_key.as_bytes()).expect_err("must fail");
    assert_eq!(err.to_string(), "secret must contain a 'tls.data' key");
    assert!(recovery::parse_private_keys(b"\x00\x01 not anything").is_err());
}

fn b64(bytes: &[u8]) -> String {
    sealwright_crypto::b64::encode(bytes)
}

#[test]
fn key_value_lists() {
    let parsed = keys::parse_key_value_list("a=1,b=2=3,a=1").expect("parses");
    assert_eq!(
        parsed,
        BTreeMap::from([("a".into(), "1".into()), ("b".into(), "2".into())])
    );
    assert!(keys::parse_key_value_list("").expect("empty").is_empty());
    let err = keys::parse_key_value_list("a=1,oops").expect_err("must fail");
    assert!(err.contains("oops"), "{err}");
}

fn ext<'a>(cert: &'a Certificate, oid: &str) -> (bool, &'a [u8]) {
    let oid = der::asn1::ObjectIdentifier::new_unwrap(oid);
    let e = cert
        .tbs_certificate()
        .extensions()
        .into_iter()
        .flatten()
        .find(|e| e.extn_id == oid)
        .unwrap_or_else(|| panic!("extension {oid} missing"));
    (e.critical, e.extn_value.as_bytes())
}

#[test]
fn self_signed_profile() {
    let key = common::generated_key(2048);
    let not_before = datetime!(2026-11-25 10:20:30.999 UTC);
    let ttl = time::Duration::hours(87600);
    let pem_text = cert::self_signed(key, "", not_before, ttl).expect("cert");
    assert!(
        pem_text.starts_with("-----BEGIN CERTIFICATE-----\n")
            && pem_text.ends_with("-----END CERTIFICATE-----\n")
    );
    assert_eq!(pem_text.matches("BEGIN").count(), 1);

    let info = cert::parse_pem(pem_text.as_bytes()).expect("parses");
    assert_eq!(info.public_key, key.to_public_key());
    assert_eq!(
        info.not_before,
        datetime!(2026-11-25 10:20:30 UTC),
        "second precision"
    );
    assert_eq!(
        info.not_after,
        datetime!(2036-11-22 10:20:30 UTC),
        "notBefore + ttl"
    );

    let cert = Certificate::from_der(&info.der).expect("DER");
    let tbs = cert.tbs_certificate();
    assert_eq!(tbs.version(), x509_cert::certificate::Version::V3);
    assert_eq!(
        tbs.subject().to_der().expect("der"),
        [0x30, 0x00],
        "empty DN"
    );
    assert_eq!(tbs.issuer(), tbs.subject());
    assert_eq!(
        cert.signature_algorithm().oid.to_string(),
        "1.2.840.113549.1.1.11",
        "sha256WithRSAEncryption"
    );
    let serial = tbs.serial_number().as_bytes();
    assert!(
        serial.len() <= 17 && !(serial.len() == 17 && serial[0] != 0),
        "at most 128 bits: {serial:02x?}"
    );
    assert_eq!(
        ext(&cert, "2.5.29.15"),
        (true, &[0x03, 0x02, 0x00, 0x01][..]),
        "keyUsage encipherOnly"
    );
    assert_eq!(
        ext(&cert, "2.5.29.19"),
        (true, &[0x30, 0x03, 0x01, 0x01, 0xff][..]),
        "CA:TRUE"
    );
    let spk = tbs.subject_public_key_info().subject_public_key.raw_bytes();
    let skid = [&[0x04, 0x14][..], &sha2::Sha256::digest(spk)[..20]].concat();
    assert_eq!(ext(&cert, "2.5.29.14"), (false, &skid[..]));
    assert_eq!(tbs.extensions().map(|e| e.len()), Some(3));
    // UTCTime before 2050 (tag 0x17), as Go writes it.
    let validity = tbs.validity().to_der().expect("der");
    assert_eq!((validity[2], validity[17]), (0x17, 0x17));

    let other = cert::self_signed(key, "", not_before, ttl).expect("cert");
    let serial2 =
        Certificate::from_der(&cert::parse_pem(other.as_bytes()).expect("p").der).expect("d");
    assert_ne!(
        serial2.tbs_certificate().serial_number(),
        tbs.serial_number(),
        "random serials"
    );

    let named = cert::self_signed(key, "my-cn", not_before, ttl).expect("cert");
    let named =
        Certificate::from_der(&cert::parse_pem(named.as_bytes()).expect("p").der).expect("d");
    assert_eq!(named.tbs_certificate().subject().to_string(), "CN=my-cn");
    assert_eq!(
        named.tbs_certificate().issuer(),
        named.tbs_certificate().subject()
    );
}

#[test]
fn parse_pem_rules() {
    let key = common::generated_key(2048);
    let a = cert::self_signed(
        key,
        "a",
        datetime!(2026-01-01 0:00 UTC),
        time::Duration::days(1),
    )
    .expect("a");
    let b = cert::self_signed(
        key,
        "b",
        datetime!(2027-01-01 0:00 UTC),
        time::Duration::days(1),
    )
    .expect("b");
    let key_pem = keys::private_key_to_pem(key);
    let bundle = format!("{}{a}junk\n{b}", key_pem.as_str());
    let all = cert::parse_pem_all(bundle.as_bytes()).expect("bundle");
    assert_eq!(all.len(), 2);
    assert_eq!(
        cert::parse_pem(bundle.as_bytes())
            .expect("first")
            .not_before,
        datetime!(2026-01-01 0:00 UTC)
    );
    for bad in [&b""[..], b"nothing", key_pem.as_bytes()] {
        let err = cert::parse_pem(bad).expect_err("must fail");
        assert_eq!(
            err.to_string(),
            "data does not contain any valid RSA or ECDSA certificates"
        );
    }
    assert_eq!(
        cert::parse_pem(&data("ec-cert.pem")).expect_err("must fail"),
        CertError::NotRsa("*ecdsa.PublicKey".into())
    );
}

/// Every certificate field except serial and signature equals, byte for byte, what Go 1.26's
/// `x509.CreateCertificate` makes from upstream's template (fixture made with the Appendix A key,
/// notBefore 2026-01-02T03:04:05Z, ttl 87600h, empty CN).
#[test]
fn certificate_matches_go_byte_for_byte() {
    let go = cert::parse_pem(&data("go-selfsigned-appendix-a.pem")).expect("go cert");
    let go = Certificate::from_der(&go.der).expect("der");
    let ours = cert::self_signed(
        &appendix_key(),
        "",
        datetime!(2026-01-02 03:04:05 UTC),
        time::Duration::hours(87600),
    )
    .expect("cert");
    let ours =
        Certificate::from_der(&cert::parse_pem(ours.as_bytes()).expect("parse").der).expect("der");
    let (g, o) = (go.tbs_certificate(), ours.tbs_certificate());
    let der = |v: &dyn Fn(&x509_cert::TbsCertificate) -> Vec<u8>| (v(g), v(o));
    let pairs = [
        der(&|t| t.version().to_der().expect("der")),
        der(&|t| t.signature().to_der().expect("der")),
        der(&|t| t.issuer().to_der().expect("der")),
        der(&|t| t.validity().to_der().expect("der")),
        der(&|t| t.subject().to_der().expect("der")),
        der(&|t| t.subject_public_key_info().to_der().expect("der")),
        der(&|t| t.extensions().cloned().to_der().expect("der")),
    ];
    for (i, (go_der, our_der)) in pairs.iter().enumerate() {
        assert_eq!(go_der, our_der, "field {i}");
    }
    assert_eq!(go.signature_algorithm(), ours.signature_algorithm());
}
