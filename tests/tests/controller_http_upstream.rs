//! `/v1/verify` and `/v1/rotate` side by side with upstream v0.40.0's controller on the real
//! control plane: both controllers share one key (upstream creates it, ours loads it), every
//! generated body goes to both, and the answers must be equal: status, content type and body,
//! with the fresh ciphertexts of a rotate answer compared by what they decrypt to, and "no
//! answer" (the connection closed) counting as an answer. Two deliberate differences: our
//! rotate answer keeps `spec.template.data` (upstream drops it), and verify answers 400 to a
//! body that is not YAML, where upstream's handler panics and the connection is dropped.
//!
//! Neither endpoint may render `spec.template.data`: the oracle template
//! `{{ if lt .password "m" }}{{ else }}{{ fail "" }}{{ end }}` must get the same answer whatever
//! the password is.
//!
//! `SEALWRIGHT_SEED=N` replays one run; `SEALWRIGHT_HTTP_CASES=N` changes the count.

mod controller_common;

use std::collections::BTreeMap;

use controller_common::*;
use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::api::{Api, ListParams};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use sealwright_crypto::hybrid::KeySet;
use sealwright_crypto::unseal::UnsealOptions;
use sealwright_crypto::{RsaPrivateKey, RsaPublicKey, Scope, SealedSecret};
use sealwright_tests::{ControllerBinary, ControllerOptions, RunningController, TestContext};
use serde_json::{Value, json};

const ORACLE: &str = r#"{{ if lt .password "m" }}{{ else }}{{ fail "" }}{{ end }}"#;

/// Neither controller may rate-limit the comparison.
const NO_LIMIT: [&str; 2] = ["--rate-limit=1000000", "--rate-limit-burst=1000000"];

struct Pair {
    upstream: RunningController,
    ours: RunningController,
    cert: RsaPublicKey,
    keys: KeySet,
}

/// Upstream first (it creates the key), then ours in the same namespace (it loads that key).
async fn start_pair(ctx: &TestContext) -> Pair {
    let binary =
        ControllerBinary::upstream(ctx.env).expect("upstream controller (tests/upstream/build.sh)");
    let mut options = ControllerOptions::in_namespace(&ctx.namespace);
    options.service = "sealed-secrets-upstream".into();
    options.args.push("--key-size=2048".into());
    options.args.extend(NO_LIMIT.iter().map(|s| s.to_string()));
    let upstream = RunningController::start(ctx.env, &ctx.admin, &binary, options)
        .await
        .unwrap_or_else(|e| panic!("start upstream controller: {e}"));
    let pem = cert(&upstream).await;
    let ours = start_ours(ctx, &NO_LIMIT).await;
    assert_eq!(cert(&ours).await, pem, "both controllers seal with one key");
    let info = sealwright_crypto::cert::parse_pem(pem.as_bytes()).expect("cert");
    Pair {
        upstream,
        ours,
        cert: info.public_key,
        keys: KeySet::new(vec![controller_key(ctx).await]),
    }
}

/// The private key both controllers use, from its key Secret.
async fn controller_key(ctx: &TestContext) -> RsaPrivateKey {
    let secrets = Api::<Secret>::namespaced(ctx.admin.clone(), &ctx.namespace)
        .list(&ListParams::default().labels("sealedsecrets.bitnami.com/sealed-secrets-key"))
        .await
        .expect("list key Secrets");
    assert_eq!(secrets.items.len(), 1, "one key");
    let pem = secrets.items[0]
        .data
        .as_ref()
        .and_then(|d| d.get("tls.key"))
        .expect("tls.key");
    sealwright_crypto::keys::private_key_from_pem(&pem.0).expect("key")
}

/// The seeded generator every case is drawn from.
struct Rng(StdRng);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0.random_range(0..n.max(1))
    }
    fn pick<'a, T: ?Sized>(&mut self, items: &[&'a T]) -> &'a T {
        items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

fn seed() -> u64 {
    std::env::var("SEALWRIGHT_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos() as u64)
                | 1
        })
}

/// One generated request body.
#[derive(Debug, Clone)]
struct Case {
    what: String,
    body: Vec<u8>,
    /// `spec.template.data` as sent, for bodies built as objects (not mutated bytes).
    template_data: Option<Option<BTreeMap<String, Option<String>>>>,
}

const TEMPLATES: [&str; 9] = [
    ORACLE,
    r#"{{ fail "x" }}"#,
    "{{ .password }}",
    "user={{ .user }}",
    "{{",
    r#"{{ index . "missing" | printf "%v" }}"#,
    "plain <text> & more",
    "{{ .password | b64enc }}",
    "{{ .nope.deeper }}",
];

const VALUES: [&str; 7] = ["a", "hunter2", "zzz", "", "m", "päss\nwörd", "<&>"];

/// A Secret with random items, name and scope, in `namespace`.
fn random_secret(rng: &mut Rng, namespace: &str) -> Secret {
    let scope = *rng.pick(&[&Scope::Strict, &Scope::NamespaceWide, &Scope::ClusterWide]);
    let mut annotations = BTreeMap::new();
    scope.apply_to(&mut annotations);
    if rng.chance(30) {
        annotations.insert("team".into(), rng.pick(&["a", "b&c", "<x>"]).to_string());
    }
    let labels = rng
        .chance(30)
        .then(|| BTreeMap::from([("app".to_string(), "web".to_string())]));
    let mut data = BTreeMap::new();
    data.insert(
        "password".to_string(),
        ByteString(rng.pick(&VALUES).as_bytes().to_vec()),
    );
    for item in ["user", "token", "x.y"] {
        if rng.chance(40) {
            data.insert(
                item.to_string(),
                ByteString(rng.pick(&VALUES).as_bytes().to_vec()),
            );
        }
    }
    Secret {
        metadata: ObjectMeta {
            name: Some(rng.pick(&["s", "db-creds", "a.b"]).to_string()),
            namespace: Some(namespace.to_string()),
            annotations: (!annotations.is_empty()).then_some(annotations),
            labels,
            ..Default::default()
        },
        type_: rng.chance(30).then(|| {
            rng.pick(&["Opaque", "kubernetes.io/basic-auth"])
                .to_string()
        }),
        immutable: rng.chance(15).then_some(true),
        data: Some(data),
        ..Default::default()
    }
}

/// A sealed object as JSON, changed in one of the ways a client could send it.
fn random_object(rng: &mut Rng, pair: &Pair, other: &RsaPublicKey, namespace: &str) -> Case {
    let secret = random_secret(rng, namespace);
    let variant = rng.below(8);
    let key = if variant == 1 { other } else { &pair.cert };
    let mut ss: SealedSecret = sealwright_crypto::seal::seal_secret(&secret, key).expect("seal");
    let mut what = vec![format!("scope={:?}", Scope::of(&secret.metadata))];
    match variant {
        1 => what.push("wrong key".into()),
        2 => {
            // Sealed for one name or namespace, posted under another.
            if rng.chance(50) {
                ss.metadata.name = Some("renamed".into());
            } else {
                ss.metadata.namespace = Some("elsewhere".into());
            }
            what.push("moved".into());
        }
        3 => {
            let item = rng.pick(&["password", "extra"]).to_string();
            let garbage = rng.pick(&["not base64!", "AAAA", "", "AQID"]).to_string();
            ss.spec.encrypted_data.insert(item, garbage);
            what.push("bad item".into());
        }
        4 => {
            // The template claims another scope (rotate must keep the top-level one).
            let mut meta = ss.metadata.clone();
            let mut annotations = BTreeMap::new();
            Scope::ClusterWide.apply_to(&mut annotations);
            meta.annotations = Some(annotations);
            ss.spec.template.metadata = Some(meta);
            what.push("template metadata differs".into());
        }
        5 => {
            ss.spec.template.metadata = None;
            what.push("no template metadata".into());
        }
        _ => {}
    }
    if rng.chance(60) {
        let mut data = BTreeMap::new();
        for _ in 0..=rng.below(2) {
            data.insert(
                rng.pick(&["probe", "dsn", "password"]).to_string(),
                Some(rng.pick(&TEMPLATES).to_string()),
            );
        }
        what.push(format!("templates={data:?}"));
        ss.spec.template.data = Some(data);
    }
    let template_data = Some(ss.spec.template.data.clone());
    let value = serde_json::to_value(&ss).expect("json");
    let (body, encoding) = match rng.below(3) {
        0 => (serde_json::to_vec(&value).expect("json"), "json"),
        1 => (
            serde_json::to_vec_pretty(&value).expect("json"),
            "pretty json",
        ),
        _ => (
            serde_yaml::to_string(&value).expect("yaml").into_bytes(),
            "yaml",
        ),
    };
    what.push(encoding.into());
    Case {
        what: what.join(", "),
        body,
        template_data,
    }
}

/// Bodies that are not one well-formed SealedSecret.
fn malformed(rng: &mut Rng, valid: &Case) -> Case {
    let yaml_doc = || {
        let v: Value = serde_json::from_slice(&valid.body)
            .or_else(|_| serde_yaml::from_slice(&valid.body))
            .expect("generated body");
        serde_yaml::to_string(&v).expect("yaml")
    };
    let (what, body): (String, Vec<u8>) = match rng.below(12) {
        0 => ("two YAML documents".into(), format!("{}---\n{}", yaml_doc(), yaml_doc()).into()),
        1 => ("trailing empty document".into(), format!("{}---\n", yaml_doc()).into()),
        2 => (
            "second document is a scalar".into(),
            format!("{}---\nhello\n", yaml_doc()).into(),
        ),
        3 => (
            "second document is a list".into(),
            format!("{}---\n- 1\n", yaml_doc()).into(),
        ),
        4 => {
            let mut two = valid.body.clone();
            two.extend_from_slice(b"\n");
            two.extend_from_slice(&valid.body);
            ("two bodies back to back".into(), two)
        }
        5 => {
            let cut = rng.below(valid.body.len().max(1));
            (format!("truncated at {cut}"), valid.body[..cut].to_vec())
        }
        6 => {
            let mut b = valid.body.clone();
            if !b.is_empty() {
                let at = rng.below(b.len());
                b[at] = *rng.pick(&[&b'{', &b'"', &b':', &b'\n', &b'x', &0xffu8, &b'-']);
            }
            ("one byte changed".into(), b)
        }
        7 => (
            "a Secret".into(),
            br#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"}}"#.to_vec(),
        ),
        8 => (
            "no apiVersion".into(),
            br#"{"kind":"SealedSecret","metadata":{"name":"s"},"spec":{}}"#.to_vec(),
        ),
        9 => (
            "garbage".into(),
            rng.pick(&[&b""[..], b"{", b"[]", b"null", b"hello", b"---\n", b"\x00\x01"])
                .to_vec(),
        ),
        10 => {
            let mut v: Value = serde_json::from_slice(&valid.body)
                .or_else(|_| serde_yaml::from_slice(&valid.body))
                .expect("generated body");
            v["spec"]["encryptedData"]["n"] = json!(rng.pick(&[&json!(1), &json!(null), &json!([])]));
            ("a non-string item".into(), serde_json::to_vec(&v).expect("json"))
        }
        _ => (
            "no spec".into(),
            br#"{"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret","metadata":{"name":"s","namespace":"n"}}"#
                .to_vec(),
        ),
    };
    Case {
        what: format!("{what} (of: {})", valid.what),
        body,
        template_data: None,
    }
}

#[derive(Debug, PartialEq, Eq)]
struct Answer {
    code: u16,
    content_type: Option<String>,
    body: String,
}

/// `None`: the connection was closed without an answer (upstream's verify handler panics on a
/// body that is not YAML, and Go's server drops the connection).
async fn ask(controller: &RunningController, path: &str, body: &[u8]) -> Option<Reply> {
    request_or_closed(controller.addr(), "POST", path, &[], body).await
}

fn answer(r: &Option<Reply>) -> Option<Answer> {
    r.as_ref().map(|r| Answer {
        code: r.code,
        content_type: r.headers.get("content-type").cloned(),
        body: r.body.clone(),
    })
}

/// A rotate answer with each ciphertext replaced by what it decrypts to, and (for ours) the
/// kept `spec.template.data` taken out and returned. The text must be Go's compact JSON to start
/// with: rendering it again gives the same bytes.
fn open_rotated(pair: &Pair, text: &str) -> (String, Option<Value>) {
    let mut v: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(
        sealwright_crypto::gojson::to_go_json_compact(&v),
        text,
        "not Go's compact JSON"
    );
    let mut object = v.clone();
    object["apiVersion"] = json!("bitnami.com/v1alpha1");
    object["kind"] = json!("SealedSecret");
    let ss: SealedSecret = serde_json::from_value(object).expect("a SealedSecret");
    let opened =
        sealwright_crypto::open::unseal_without_template(&ss, &pair.keys, UnsealOptions::default())
            .unwrap_or_else(|e| panic!("rotate answer does not open: {e}"));
    let data = opened.secret.data.unwrap_or_default();
    if let Some(items) = v["spec"]["encryptedData"].as_object_mut() {
        for (item, value) in items.iter_mut() {
            let plain = data
                .get(item)
                .map(|b| String::from_utf8_lossy(&b.0).into_owned());
            *value = json!({ "decrypts to": plain });
        }
    }
    let template_data = v["spec"]["template"]
        .as_object_mut()
        .and_then(|t| t.remove("data"));
    (
        sealwright_crypto::gojson::to_go_json_compact(&v),
        template_data,
    )
}

/// Both endpoints, both controllers, one body; panics with the case on any difference.
async fn compare(pair: &Pair, seed: u64, n: usize, case: &Case) {
    let context = |what: &str| format!("seed {seed} case {n} ({}): {what}", case.what);
    let up = answer(&ask(&pair.upstream, "/v1/verify", &case.body).await);
    let ours = answer(&ask(&pair.ours, "/v1/verify", &case.body).await);
    // The second deliberate difference: where upstream's verify handler panics on a body that
    // is not YAML (Go drops the connection), ours answers 400.
    let up = up.or_else(|| {
        Some(Answer {
            code: 400,
            content_type: None,
            body: String::new(),
        })
    });
    assert_eq!(
        ours,
        up,
        "{}\nbody: {:?}",
        context("verify (ours left)"),
        String::from_utf8_lossy(&case.body)
    );

    let up = ask(&pair.upstream, "/v1/rotate", &case.body)
        .await
        .unwrap_or_else(|| panic!("{}", context("upstream's rotate did not answer")));
    let ours = ask(&pair.ours, "/v1/rotate", &case.body)
        .await
        .unwrap_or_else(|| panic!("{}", context("our rotate did not answer")));
    assert_eq!(
        (ours.code, ours.headers.get("content-type")),
        (up.code, up.headers.get("content-type")),
        "{}\nours: {}\nupstream: {}",
        context("rotate status (ours left)"),
        ours.body,
        up.body
    );
    if up.code != 200 {
        assert_eq!(ours.body, up.body, "{}", context("rotate error body"));
        return;
    }
    let (up_text, up_template) = open_rotated(pair, &up.body);
    let (our_text, our_template) = open_rotated(pair, &ours.body);
    assert_eq!(up_template, None, "{}", context("upstream drops templates"));
    assert_eq!(our_text, up_text, "{}", context("rotate body (ours left)"));
    if let Some(sent) = &case.template_data {
        let sent = sent
            .as_ref()
            .filter(|d| !d.is_empty())
            .map(|d| serde_json::to_value(d).expect("json"));
        assert_eq!(
            our_template,
            sent,
            "{}",
            context("our rotate keeps the templates")
        );
    }
}

fn case_count() -> usize {
    std::env::var("SEALWRIGHT_HTTP_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(400)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_and_rotate_answer_as_upstream() {
    let ctx = TestContext::new("ctl-http-up").await;
    let pair = start_pair(&ctx).await;
    let other = sealwright_crypto::keys::generate(2048)
        .expect("key")
        .as_public_key()
        .clone();
    let seed = seed();
    eprintln!(
        "verify_and_rotate_answer_as_upstream: seed {seed} (SEALWRIGHT_SEED={seed} replays it)"
    );
    let mut rng = Rng(StdRng::seed_from_u64(seed));
    let total = case_count();
    for n in 0..total {
        let valid = random_object(&mut rng, &pair, &other, &ctx.namespace);
        let case = if rng.chance(35) {
            malformed(&mut rng, &valid)
        } else {
            valid
        };
        compare(&pair, seed, n, &case).await;
    }
    eprintln!("{total} bodies, same answers from both controllers");
}

/// The oracle pair: one password below "m", one above, each behind the probing template. A
/// controller that rendered the template would answer 200 for one and 409 (or 500) for the
/// other; both controllers must answer each alike, and exactly as for the object without it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oracle_pair_answers_identically() {
    let ctx = TestContext::new("ctl-http-oracle").await;
    let pair = start_pair(&ctx).await;
    let mut answers = Vec::new();
    for password in ["abc", "xyz"] {
        let secret = Secret {
            metadata: ObjectMeta {
                name: Some("db".into()),
                namespace: Some(ctx.namespace.clone()),
                ..Default::default()
            },
            data: Some(BTreeMap::from([(
                "password".to_string(),
                ByteString(password.as_bytes().to_vec()),
            )])),
            ..Default::default()
        };
        let mut ss = sealwright_crypto::seal::seal_secret(&secret, &pair.cert).expect("seal");
        ss.spec.template.data = Some(BTreeMap::from([(
            "probe".to_string(),
            Some(ORACLE.to_string()),
        )]));
        let case = Case {
            what: format!("oracle template, password {password:?}"),
            body: serde_json::to_vec(&ss).expect("json"),
            template_data: Some(ss.spec.template.data.clone()),
        };
        compare(&pair, 0, answers.len(), &case).await;
        let verify = answer(&ask(&pair.ours, "/v1/verify", &case.body).await);
        let rotate = answer(&ask(&pair.ours, "/v1/rotate", &case.body).await);
        answers.push((password, verify.map(|a| a.code), rotate.map(|a| a.code)));
    }
    assert_eq!(
        answers,
        vec![("abc", Some(200), Some(200)), ("xyz", Some(200), Some(200))],
        "the answers must not depend on the sealed value"
    );
}
