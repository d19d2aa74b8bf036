//! No plaintext in status, Events, logs or metrics: a user who may create SealedSecrets and read
//! them and their Events, but may not read Secrets, writes templates that try to smuggle the
//! sealed values out through error messages. None of the values, nor a recognisable piece of
//! one, may appear anywhere that user (or anyone reading the controller's log) can see.

mod controller_common;

use std::collections::BTreeMap;

use controller_common::*;
use k8s_openapi::api::core::v1::{Event, Secret};
use kube::api::{Api, ListParams, PostParams};
use sealwright_crypto::SealedSecret;
use sealwright_tests::{TestContext, eventually, rbac};

const PASSWORD: &str = "hJ7vXq2Lw9";
const PIN: &str = "Q";
const CERT: &str = "Kp3xWz-Rm8t\nYb5nQd-Vf2h\n";

/// The item error text written when a message depends on decrypted values.
const WITHHELD: &str = sealwright_crypto::redact::WITHHELD;

/// What the status message of a leaking template must say.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// This text, with placeholders where the values went.
    Shows(&'static str),
    /// The fixed withheld text.
    Withheld,
    /// Either, as long as nothing leaks.
    Clean,
}

/// Templates that put a value, or something computed from it, into an error message.
fn leaks() -> Vec<(&'static str, &'static str, Expect)> {
    use Expect::*;
    vec![
        (
            "plain",
            "{{ fail .password }}",
            Shows("error calling fail: [redacted:password]"),
        ),
        (
            "printf",
            r#"{{ fail (printf "user=%s pin=%s!" .password .pin) }}"#,
            Shows("user=[redacted:password] pin=[redacted:pin]!"),
        ),
        (
            "short",
            "{{ fail .pin }}",
            Shows("error calling fail: [redacted:pin]"),
        ),
        (
            "inword",
            r#"{{ fail (printf "x%sx" .pin) }}"#,
            Shows("x[redacted:pin]x"),
        ),
        ("upper", "{{ fail (upper .password) }}", Withheld),
        ("prefix", "{{ fail (substr 0 4 .password) }}", Withheld),
        ("b64", "{{ fail (b64enc .password) }}", Withheld),
        ("json", "{{ fail (toJson .) }}", Clean),
        (
            "line",
            r#"{{ fail (index (splitList "\n" .cert) 1) }}"#,
            Withheld,
        ),
        (
            "regex",
            r#"{{ mustRegexMatch (printf "(%s" .password) "x" }}"#,
            Clean,
        ),
        (
            "branch",
            r#"{{ if eq .pin "Q" }}{{ fail "it is Q" }}{{ end }}"#,
            Withheld,
        ),
        (
            "index",
            r#"{{ index (splitList "-" .password) 9 }}"#,
            Shows("index out of range: 9"),
        ),
        (
            "literal",
            r#"{{ fail "the host key is missing" }}"#,
            Shows("error calling fail: the host key is missing"),
        ),
    ]
}

/// Role and RoleBinding for `alice`: create and read SealedSecrets, read Events. No Secrets.
async fn grant_alice(ctx: &TestContext) {
    let ns = &ctx.namespace;
    let docs = vec![
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": { "name": "sealedsecret-author", "namespace": ns },
            "rules": [
                { "apiGroups": ["bitnami.com"], "resources": ["sealedsecrets"],
                  "verbs": ["create", "get", "list", "watch"] },
                { "apiGroups": [""], "resources": ["events"], "verbs": ["get", "list", "watch"] },
            ],
        }),
        serde_json::json!({
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": { "name": "sealedsecret-author", "namespace": ns },
            "roleRef": { "apiGroup": "rbac.authorization.k8s.io", "kind": "Role",
                         "name": "sealedsecret-author" },
            "subjects": [{ "apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "alice" }],
        }),
    ];
    rbac::apply_rbac(&ctx.admin, &docs)
        .await
        .expect("grant alice");
}

/// Every form of a value that would count as reading it: the value, its case variants, its
/// base64, each line, and every piece of 4 bytes or more.
fn forbidden_pieces() -> Vec<String> {
    let mut out = Vec::new();
    for value in [PASSWORD, CERT.trim_end()] {
        out.push(value.to_string());
        out.push(value.to_uppercase());
        out.push(value.to_lowercase());
        out.push(sealwright_crypto::b64::encode(value.as_bytes()));
        let bytes = value.as_bytes();
        for start in 0..bytes.len() {
            for end in start + 4..=bytes.len() {
                out.extend(
                    std::str::from_utf8(&bytes[start..end])
                        .ok()
                        .map(str::to_string),
                );
            }
        }
    }
    out.retain(|p| !p.trim().is_empty());
    out.sort();
    out.dedup();
    out
}

/// `text` holds none of the forbidden pieces, and the one-letter PIN never stands alone as a
/// word after a `=`, `:` or quote (how a value would be printed).
fn assert_clean(what: &str, text: &str) {
    for piece in forbidden_pieces() {
        assert!(
            !text.to_lowercase().contains(&piece.to_lowercase()),
            "{what} leaks {piece:?}:\n{text}"
        );
    }
    for shape in [
        format!("={PIN}"),
        format!(": {PIN}"),
        format!("\"{PIN}\""),
        format!("x{PIN}x"),
    ] {
        assert!(
            !text.contains(&shape),
            "{what} leaks the PIN as {shape:?}:\n{text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_plaintext_in_status_events_logs_or_metrics() {
    let ctx = TestContext::new("ctl-redact").await;
    let controller = start_ours(&ctx, &[]).await;
    let pem = cert(&controller).await;
    grant_alice(&ctx).await;
    let alice = ctx.client_as("alice").await;
    let ns = &ctx.namespace;

    // Exactly the rights under test: Secrets are out of reach.
    let denied = Api::<Secret>::namespaced(alice.clone(), ns)
        .list(&ListParams::default())
        .await
        .expect_err("alice may not list Secrets");
    assert!(
        matches!(&denied, kube::Error::Api(s) if s.code == 403),
        "{denied}"
    );
    let denied = Api::<Secret>::namespaced(alice.clone(), ns)
        .get("plain")
        .await
        .expect_err("alice may not get Secrets");
    assert!(
        matches!(&denied, kube::Error::Api(s) if s.code == 403),
        "{denied}"
    );

    let items = [("password", PASSWORD), ("pin", PIN), ("cert", CERT)];
    let sealed_as_alice = Api::<SealedSecret>::namespaced(alice.clone(), ns);
    for (name, template, _) in leaks() {
        let mut ss = seal(&pem, ns, name, &items);
        ss.spec.template.data = Some(BTreeMap::from([(
            "out".to_string(),
            Some(template.to_string()),
        )]));
        sealed_as_alice
            .create(&PostParams::default(), &ss)
            .await
            .unwrap_or_else(|e| panic!("alice creates {name}: {e}"));
    }

    // Status, as alice reads it.
    let mut seen = String::new();
    for (name, template, expected) in leaks() {
        let message = wait_failed_message(&sealed_as_alice, &controller, name).await;
        assert_clean(&format!("status of {name}"), &message);
        assert!(
            message.ends_with("(out)"),
            "{name}: the key is named: {message}"
        );
        match expected {
            Expect::Shows(text) => {
                assert!(message.contains(text), "{name} ({template}): {message}")
            }
            Expect::Withheld => {
                assert!(message.contains(WITHHELD), "{name} ({template}): {message}")
            }
            Expect::Clean => {}
        }
        seen.push_str(&message);
    }
    assert!(seen.contains("[redacted:password]"));

    // Events, as alice reads them: one ErrUnsealFailed per object, none leaking.
    let events = Api::<Event>::namespaced(alice.clone(), ns);
    let all = eventually(WAIT, "an ErrUnsealFailed Event per object", || {
        let events = events.clone();
        async move {
            let list = events.list(&ListParams::default()).await.ok()?;
            let failed = |name: &str| {
                list.items.iter().any(|e| {
                    e.reason.as_deref() == Some("ErrUnsealFailed")
                        && e.involved_object.name.as_deref() == Some(name)
                })
            };
            leaks()
                .iter()
                .all(|(name, _, _)| failed(name))
                .then_some(list.items)
        }
    })
    .await
    .unwrap_or_else(|e| panic!("{e}\ncontroller log:\n{}", controller.log_tail(40)));
    for e in &all {
        assert_clean(
            &format!("event {:?} on {:?}", e.reason, e.involved_object.name),
            e.message.as_deref().unwrap_or_default(),
        );
    }

    // Metrics and the controller's whole log.
    let (code, metrics) = sealwright_tests::wire::get(controller.metrics_addr(), "/metrics")
        .await
        .expect("GET /metrics");
    assert_eq!(code, 200);
    assert_clean("metrics", &metrics);
    let log = std::fs::read_to_string(&controller.log).expect("read controller log");
    assert!(
        log.contains("unseal pass failed"),
        "the failures are logged:\n{log}"
    );
    assert_clean("controller log", &log);

    // The Secrets themselves still hold what upstream writes (the part rendered before the
    // error is not what this test is about, only that a Secret exists for a working template).
    let mut fine = seal(&pem, ns, "fine", &items);
    fine.spec.template.data = Some(BTreeMap::from([(
        "dsn".to_string(),
        Some("postgres://app:{{ .password }}@db".to_string()),
    )]));
    sealed_as_alice
        .create(&PostParams::default(), &fine)
        .await
        .expect("alice creates fine");
    let dsn = format!("postgres://app:{PASSWORD}@db");
    wait_secret(
        &ctx,
        &controller,
        "fine",
        &[
            ("password", PASSWORD),
            ("pin", PIN),
            ("cert", CERT),
            ("dsn", &dsn),
        ],
    )
    .await;
}
