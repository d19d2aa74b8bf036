//! Secret → SealedSecret → Secret, without templates (see `unseal_templates.rs` for those).

mod common;

use std::collections::BTreeMap;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use sealwright_crypto::hybrid::{self, KeySet};
use sealwright_crypto::model::{SKIP_SET_OWNER_REFERENCES_ANNOTATION, SealedSecretSpec};
use sealwright_crypto::scope::{self, CLUSTER_WIDE_ANNOTATION, NAMESPACE_WIDE_ANNOTATION, Scope};
use sealwright_crypto::seal::{SealSecretError, seal_secret};
use sealwright_crypto::unseal::{ItemError, UnsealError, UnsealOptions, unseal};
use sealwright_crypto::{RsaPrivateKey, SealedSecret, b64};

fn key() -> &'static RsaPrivateKey {
    common::generated_key(2048)
}

fn keys() -> KeySet {
    KeySet::new(vec![key().clone()])
}

fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn secret(ns: &str, name: &str, annotations: &[(&str, &str)], data: &[(&str, &[u8])]) -> Secret {
    Secret {
        metadata: ObjectMeta {
            name: Some(name.into()),
            namespace: Some(ns.into()),
            annotations: (!annotations.is_empty()).then(|| map(annotations)),
            ..Default::default()
        },
        data: Some(
            data.iter()
                .map(|(k, v)| (k.to_string(), ByteString(v.to_vec())))
                .collect(),
        ),
        type_: Some("Opaque".into()),
        ..Default::default()
    }
}

fn data_of(secret: &Secret) -> BTreeMap<String, Vec<u8>> {
    secret
        .data
        .clone()
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect()
}

/// A bare SealedSecret holding `items` (already base64 text).
fn sealed_with(
    ns: &str,
    name: &str,
    annotations: &[(&str, &str)],
    items: &[(&str, &str)],
) -> SealedSecret {
    let mut s = SealedSecret::new(
        name,
        SealedSecretSpec {
            encrypted_data: map(items),
            ..Default::default()
        },
    );
    s.metadata.namespace = Some(ns.into());
    s.metadata.uid = Some("uid-1".into());
    s.metadata.annotations = (!annotations.is_empty()).then(|| map(annotations));
    s
}

#[test]
fn seal_then_unseal_round_trip() {
    let input = secret("ns1", "s1", &[], &[("a", b"one"), ("b", b"")]);
    let sealed = seal_secret(&input, key().as_public_key()).expect("seal");
    assert_eq!(sealed.metadata.name.as_deref(), Some("s1"));
    assert_eq!(sealed.metadata.namespace.as_deref(), Some("ns1"));
    assert_eq!(sealed.metadata.annotations, None);
    let out = unseal(&sealed, &keys(), UnsealOptions::default()).expect("unseal");
    assert_eq!(
        data_of(&out.secret),
        BTreeMap::from([("a".into(), b"one".to_vec()), ("b".into(), vec![])])
    );
    assert_eq!(out.keys_used, vec![0]);
    assert_eq!(out.secret.type_.as_deref(), Some("Opaque"));
    let owner = &out
        .secret
        .metadata
        .owner_references
        .as_ref()
        .expect("owner")[0];
    assert_eq!(
        (
            owner.api_version.as_str(),
            owner.kind.as_str(),
            owner.name.as_str(),
            owner.controller,
            owner.block_owner_deletion
        ),
        (
            "bitnami.com/v1alpha1",
            "SealedSecret",
            "s1",
            Some(true),
            None
        )
    );
    assert!(
        !format!("{out:?}").contains("one"),
        "Debug must not show plaintext"
    );
}

#[test]
fn seal_shapes_the_object_like_upstream() {
    let mut input = secret(
        "ns",
        "n",
        &[
            (NAMESPACE_WIDE_ANNOTATION, "true"),
            (
                "kubectl.kubernetes.io/last-applied-configuration",
                "{\"data\":\"plaintext\"}",
            ),
            ("kubecfg.ksonnet.io/last-applied-configuration", "x"),
            ("keep", "me"),
        ],
        &[("dup", b"from-data"), ("d", b"1")],
    );
    input.string_data = Some(map(&[("dup", "from-stringData"), ("s", "2")]));
    input.immutable = Some(true);
    input.metadata.labels = Some(map(&[("app", "x")]));
    input.metadata.uid = Some("u".into());
    input.metadata.resource_version = Some("9".into());
    input.metadata.generation = Some(3);
    input.metadata.self_link = Some("/x".into());
    input.metadata.generate_name = Some("gen-".into());
    input.metadata.finalizers = Some(vec!["f".into()]);
    input.metadata.owner_references = Some(vec![Default::default()]);

    let sealed = seal_secret(&input, key().as_public_key()).expect("seal");
    assert_eq!(
        sealed.metadata.annotations,
        Some(map(&[(NAMESPACE_WIDE_ANNOTATION, "true")]))
    );
    assert_eq!(
        sealed.metadata.labels, None,
        "labels stay out of the top level"
    );
    let t = sealed
        .spec
        .template
        .metadata
        .as_ref()
        .expect("template metadata");
    assert_eq!(
        t.annotations,
        Some(map(&[(NAMESPACE_WIDE_ANNOTATION, "true"), ("keep", "me")]))
    );
    assert_eq!(t.labels, Some(map(&[("app", "x")])));
    assert_eq!(
        (
            t.uid.as_ref(),
            t.resource_version.as_ref(),
            t.generation,
            t.self_link.as_ref()
        ),
        (None, None, None, None)
    );
    assert_eq!(t.owner_references, None);
    assert_eq!(t.generate_name.as_deref(), Some("gen-"));
    assert_eq!(t.finalizers, Some(vec!["f".to_string()]));
    assert_eq!(t.namespace.as_deref(), Some("ns"));
    assert_eq!(sealed.spec.template.immutable, Some(true));
    assert_eq!(sealed.spec.template.type_.as_deref(), Some("Opaque"));
    assert_eq!(sealed.spec.data, None);
    assert_eq!(
        sealed.spec.encrypted_data.keys().collect::<Vec<_>>(),
        ["d", "dup", "s"]
    );

    let out = unseal(&sealed, &keys(), UnsealOptions::default()).expect("unseal");
    let data = data_of(&out.secret);
    assert_eq!(data["dup"], b"from-stringData", "stringData wins");
    assert_eq!(out.secret.immutable, Some(true));
    assert_eq!(out.secret.metadata.labels, Some(map(&[("app", "x")])));
}

#[test]
fn seal_errors() {
    let mut no_ns = secret("", "n", &[], &[("a", b"1")]);
    assert_eq!(
        seal_secret(&no_ns, key().as_public_key()).map(|_| ()),
        Err(SealSecretError::MissingNamespace)
    );
    no_ns.metadata.annotations = Some(map(&[(CLUSTER_WIDE_ANNOTATION, "true")]));
    assert!(
        seal_secret(&no_ns, key().as_public_key()).is_ok(),
        "cluster-wide needs no namespace"
    );
    let no_name = secret("ns", "", &[], &[]);
    let err = seal_secret(&no_name, key().as_public_key()).expect_err("must fail");
    assert_eq!(
        (err.name(), err.to_string().as_str()),
        ("MissingName", "missing metadata.name in input Secret")
    );
}

/// Sealed scope, opening namespace and name, top-level annotations, expected to open.
type Case<'a> = (Scope, &'a str, &'a str, &'a [(&'a str, &'a str)], bool);

/// Upstream's `TestRaw`-style matrix: a raw value sealed for (ns, name, scope), placed in a
/// SealedSecret with other coordinates and annotations.
#[test]
fn scope_rename_and_move_matrix() {
    let cw = [(CLUSTER_WIDE_ANNOTATION, "true")];
    let nw = [(NAMESPACE_WIDE_ANNOTATION, "true")];
    #[rustfmt::skip]
    let cases: &[Case] = &[
        (Scope::Strict, "myns", "mysecret", &[], true),
        (Scope::Strict, "myns", "aBadName", &[], false),
        (Scope::Strict, "youGiveRest", "mysecret", &[], false),
        (Scope::Strict, "myns", "mysecret", &nw, false),
        (Scope::Strict, "myns", "mysecret", &cw, false),
        (Scope::NamespaceWide, "myns", "mysecret", &nw, true),
        (Scope::NamespaceWide, "myns", "aBadName", &nw, true),
        (Scope::NamespaceWide, "youGiveRest", "mysecret", &nw, false),
        (Scope::NamespaceWide, "myns", "mysecret", &[], false),
        (Scope::ClusterWide, "myns", "mysecret", &cw, true),
        (Scope::ClusterWide, "youGiveRest", "aBadName", &cw, true),
        (Scope::ClusterWide, "myns", "mysecret", &nw, false),
        (Scope::ClusterWide, "myns", "mysecret", &[(CLUSTER_WIDE_ANNOTATION, "True")], false),
        (Scope::ClusterWide, "x", "y", &[(CLUSTER_WIDE_ANNOTATION, "true"), (NAMESPACE_WIDE_ANNOTATION, "true")], true),
    ];
    for (scope, ns, name, annotations, ok) in cases {
        let raw = hybrid::seal_base64(
            key().as_public_key(),
            &scope::label("myns", "mysecret", *scope),
            b"v",
        )
        .expect("seal");
        let sealed = sealed_with(ns, name, annotations, &[("foo", &raw)]);
        let result = unseal(&sealed, &keys(), UnsealOptions::default());
        assert_eq!(
            result.is_ok(),
            *ok,
            "{scope} sealed, opened as {ns}/{name} {annotations:?}: {result:?}"
        );
        if !ok {
            assert_eq!(
                result.expect_err("must fail").to_string(),
                "no key could decrypt secret (foo)"
            );
        }
    }
}

#[test]
fn label_comes_from_top_level_not_template() {
    let raw = hybrid::seal_base64(
        key().as_public_key(),
        &scope::label("ns", "n", Scope::Strict),
        b"v",
    )
    .expect("seal");
    let mut sealed = sealed_with("ns", "n", &[], &[("foo", &raw)]);
    sealed.spec.template.metadata = Some(ObjectMeta {
        annotations: Some(map(&[(CLUSTER_WIDE_ANNOTATION, "true")])),
        name: Some("other".into()),
        namespace: Some("elsewhere".into()),
        ..Default::default()
    });
    let out =
        unseal(&sealed, &keys(), UnsealOptions::default()).expect("strict label from top level");
    assert_eq!(
        out.secret.metadata.name.as_deref(),
        Some("n"),
        "name forced"
    );
    assert_eq!(
        out.secret.metadata.namespace.as_deref(),
        Some("ns"),
        "namespace forced"
    );
    assert_eq!(
        out.secret.metadata.annotations,
        Some(map(&[(CLUSTER_WIDE_ANNOTATION, "true")]))
    );
}

#[test]
fn item_errors_are_aggregated_like_upstream() {
    let good = hybrid::seal_base64(key().as_public_key(), b"ns/n", b"v").expect("seal");
    let foreign = hybrid::seal_base64(key().as_public_key(), b"other/n", b"v").expect("seal");
    let url_safe = good.replace('+', "-").replace('/', "_");
    let url_safe = if url_safe == good {
        format!("{}-", &good[..good.len() - 4])
    } else {
        url_safe
    };
    let unpadded = {
        let blob = hybrid::seal(key().as_public_key(), b"ns/n", b"v").expect("seal");
        assert_ne!(blob.len() % 3, 0);
        b64::encode(&blob).trim_end_matches('=').to_string()
    };
    let sealed = sealed_with(
        "ns",
        "n",
        &[],
        &[
            ("ok", &good),
            ("b", &foreign),
            ("a", &foreign),
            ("url", &url_safe),
            ("nopad", &unpadded),
            ("empty", ""),
        ],
    );
    let err = unseal(&sealed, &keys(), UnsealOptions::default()).expect_err("must fail");
    assert_eq!(err.name(), "Items");
    let UnsealError::Items(items) = &err else {
        panic!("{err:?}")
    };
    let by_item: BTreeMap<&str, &str> = items
        .iter()
        .map(|e| (e.item.as_str(), e.message.as_str()))
        .collect();
    assert_eq!(by_item.len(), 5, "{by_item:?}");
    assert_eq!(
        by_item["empty"], "no key could decrypt secret",
        "empty decodes to nothing: too short"
    );
    for item in ["url", "nopad"] {
        assert!(
            by_item[item].starts_with("illegal base64 data at input byte "),
            "{item}: {}",
            by_item[item]
        );
        assert!(!by_item[item].contains("decrypt"));
    }
    let text = err.to_string();
    assert!(
        text.contains("no key could decrypt secret (a, b, empty)"),
        "{text}"
    );
    assert!(
        text.lines()
            .any(|l| l.ends_with("(nopad)") && l.starts_with("illegal base64")),
        "{text}"
    );
    assert_eq!(text.lines().count(), 3, "{text}");
}

#[test]
fn format_merges_and_sorts() {
    let e = |item: &str, message: &str| ItemError {
        item: item.into(),
        message: message.into(),
    };
    let err = UnsealError::Items(vec![e("z", "m1"), e("b", "m2"), e("a", "m1")]);
    assert_eq!(err.to_string(), "m1 (a, z)\nm2 (b)");
}

#[test]
fn newlines_inside_base64_are_ignored() {
    let good = hybrid::seal_base64(key().as_public_key(), b"ns/n", b"v").expect("seal");
    let wrapped: String = good
        .as_bytes()
        .chunks(60)
        .map(|c| format!("{}\r\n", String::from_utf8_lossy(c)))
        .collect();
    let sealed = sealed_with("ns", "n", &[], &[("foo", &wrapped)]);
    assert_eq!(
        data_of(
            &unseal(&sealed, &keys(), UnsealOptions::default())
                .expect("ok")
                .secret
        )["foo"],
        b"v"
    );
}

#[test]
fn owner_reference_rules() {
    let good = hybrid::seal_base64(key().as_public_key(), b"ns/n", b"v").expect("seal");
    let mut sealed = sealed_with("ns", "n", &[], &[("foo", &good)]);
    sealed.spec.template.metadata = Some(ObjectMeta {
        owner_references: Some(vec![Default::default(), Default::default()]),
        ..Default::default()
    });
    let out = unseal(&sealed, &keys(), UnsealOptions::default()).expect("ok");
    let refs = out.secret.metadata.owner_references.expect("refs");
    assert_eq!(
        (refs.len(), refs[0].uid.as_str()),
        (1, "uid-1"),
        "template refs replaced"
    );

    for (value, skipped) in [("true", true), ("True", false), ("false", false)] {
        sealed.spec.template.metadata = Some(ObjectMeta {
            annotations: Some(map(&[(SKIP_SET_OWNER_REFERENCES_ANNOTATION, value)])),
            ..Default::default()
        });
        let out = unseal(&sealed, &keys(), UnsealOptions::default()).expect("ok");
        assert_eq!(
            out.secret.metadata.owner_references.is_none(),
            skipped,
            "{value}"
        );
    }
}

#[test]
fn template_type_and_immutable_are_applied() {
    let good = hybrid::seal_base64(key().as_public_key(), b"ns/n", b"v").expect("seal");
    let mut sealed = sealed_with("ns", "n", &[], &[("foo", &good)]);
    sealed.spec.template.type_ = Some("kubernetes.io/dockerconfigjson".into());
    sealed.spec.template.immutable = Some(true);
    let out = unseal(&sealed, &keys(), UnsealOptions::default()).expect("ok");
    assert_eq!(
        out.secret.type_.as_deref(),
        Some("kubernetes.io/dockerconfigjson")
    );
    assert_eq!(out.secret.immutable, Some(true));
}

#[test]
fn keys_used_lists_each_opening_key_once() {
    let k1 = common::generated_key(2048);
    let k2 = common::generated_key(3072);
    let set = KeySet::new(vec![k2.clone(), k1.clone()]);
    let a = hybrid::seal_base64(k1.as_public_key(), b"ns/n", b"1").expect("seal");
    let b = hybrid::seal_base64(k1.as_public_key(), b"ns/n", b"2").expect("seal");
    let sealed = sealed_with("ns", "n", &[], &[("a", &a), ("b", &b)]);
    assert_eq!(
        unseal(&sealed, &set, UnsealOptions::default())
            .expect("ok")
            .keys_used,
        vec![1]
    );
    let c = hybrid::seal_base64(k2.as_public_key(), b"ns/n", b"3").expect("seal");
    let sealed = sealed_with("ns", "n", &[], &[("a", &a), ("c", &c)]);
    assert_eq!(
        unseal(&sealed, &set, UnsealOptions::default())
            .expect("ok")
            .keys_used,
        vec![0, 1]
    );
}

/// A pre-v0.7 object: the whole Secret sealed as one JSON blob.
fn v1_object(inner: &serde_json::Value, label: &[u8]) -> SealedSecret {
    let blob =
        hybrid::seal(key().as_public_key(), label, inner.to_string().as_bytes()).expect("seal");
    let mut s = sealed_with("ns", "n", &[], &[]);
    s.spec.data = Some(ByteString(blob));
    s
}

#[test]
fn v1_blobs() {
    let inner = serde_json::json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "old", "namespace": "oldns", "labels": {"l": "1"}},
        "type": "Opaque",
        "data": {"foo": "YmFy"}
    });
    let sealed = v1_object(&inner, b"ns/n");
    let out = unseal(&sealed, &keys(), UnsealOptions::default()).expect("v1 accepted by default");
    assert_eq!(data_of(&out.secret)["foo"], b"bar");
    assert_eq!(out.secret.metadata.name.as_deref(), Some("n"));
    assert_eq!(out.secret.metadata.namespace.as_deref(), Some("ns"));
    assert_eq!(out.secret.metadata.labels, Some(map(&[("l", "1")])));
    assert_eq!(out.keys_used, vec![0]);
    assert!(out.secret.metadata.owner_references.is_some());

    let rejected = unseal(
        &sealed,
        &keys(),
        UnsealOptions {
            accept_v1_data: false,
        },
    )
    .expect_err("must fail");
    assert_eq!(
        rejected.to_string(),
        "using deprecated 'data' field, use 'encryptedData' or flip the feature flag"
    );

    let mut both = sealed.clone();
    both.spec.encrypted_data = map(&[("x", "AAAA")]);
    assert_eq!(
        unseal(&both, &keys(), UnsealOptions::default())
            .expect_err("must fail")
            .to_string(),
        "cannot use the field 'encryptedData' and the deprecated field 'data' at the same time"
    );

    let foreign = v1_object(&inner, b"other/n");
    assert_eq!(
        unseal(&foreign, &keys(), UnsealOptions::default())
            .expect_err("must fail")
            .to_string(),
        "no key could decrypt secret"
    );

    let mut empty = sealed_with("ns", "n", &[], &[]);
    empty.spec.data = Some(ByteString(Vec::new()));
    assert_eq!(
        unseal(&empty, &keys(), UnsealOptions::default())
            .expect_err("must fail")
            .name(),
        "V1"
    );
}

#[test]
fn encrypted_data_parsing_is_lenient() {
    let json = |encrypted: &str| {
        format!(
            r#"{{"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret","metadata":{{"name":"n","namespace":"ns"}},"spec":{{"encryptedData":{encrypted}}}}}"#
        )
    };
    let parse = |text: &str| serde_json::from_str::<SealedSecret>(text).expect("parses");
    assert_eq!(
        parse(&json(r#"{"a":"x","b":1,"c":null,"d":{"e":"f"}}"#))
            .spec
            .encrypted_data,
        map(&[("a", "x")])
    );
    for garbage in ["null", "42", "\"text\"", "[1,2]", "true"] {
        assert!(
            parse(&json(garbage)).spec.encrypted_data.is_empty(),
            "{garbage}"
        );
    }
    let yaml = "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata: {name: n}\nspec:\n  encryptedData:\n    a: x\n    b: [1]\n";
    assert_eq!(
        serde_yaml::from_str::<SealedSecret>(yaml)
            .expect("yaml")
            .spec
            .encrypted_data,
        map(&[("a", "x")])
    );
    let missing = r#"{"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret","metadata":{"name":"n"},"spec":{}}"#;
    assert!(parse(missing).spec.encrypted_data.is_empty());
}

#[test]
fn upstream_shaped_manifest_unseals() {
    // The deterministic vector (`tests/data/appendix-a-vectors.tsv`) in a SealedSecret, with the key in the set.
    let (vectors, appendix_key) = common::appendix_a();
    let strict = vectors
        .iter()
        .find(|v| v.scope == Scope::Strict)
        .expect("strict row");
    let yaml = format!(
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nmetadata:\n  name: mysecret\n  namespace: mynamespace\n\
         spec:\n  encryptedData:\n    foo: {}\n  template:\n    metadata:\n      name: mysecret\n      namespace: mynamespace\n    type: Opaque\n",
        strict.ciphertext
    );
    let sealed: SealedSecret = serde_yaml::from_str(&yaml).expect("parses");
    let set = KeySet::new(vec![key().clone(), appendix_key]);
    let out = unseal(&sealed, &set, UnsealOptions::default()).expect("unseals");
    assert_eq!(data_of(&out.secret)["foo"], b"bar");
    assert_eq!(out.keys_used, vec![1]);
    let json = serde_json::to_value(&out.secret).expect("json");
    assert_eq!(json["data"]["foo"], "YmFy");
}
