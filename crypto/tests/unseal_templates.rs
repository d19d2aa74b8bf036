//! `spec.template.data` through `unseal` (needs `template::render`).

mod common;

use std::collections::BTreeMap;

use sealwright_crypto::SealedSecret;
use sealwright_crypto::hybrid::{self, KeySet};
use sealwright_crypto::model::SealedSecretSpec;
use sealwright_crypto::unseal::{UnsealError, UnsealOptions, unseal};

fn sealed(items: &[(&str, &[u8])], templates: &[(&str, &str)]) -> (SealedSecret, KeySet) {
    let key = common::generated_key(2048);
    let encrypted = items
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                hybrid::seal_base64(key.as_public_key(), b"ns/n", v).expect("seal"),
            )
        })
        .collect();
    let mut s = SealedSecret::new(
        "n",
        SealedSecretSpec {
            encrypted_data: encrypted,
            ..Default::default()
        },
    );
    s.metadata.namespace = Some("ns".into());
    s.spec.template.data = Some(
        templates
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect(),
    );
    (s, KeySet::new(vec![key.clone()]))
}

fn data(s: &SealedSecret, keys: &KeySet) -> BTreeMap<String, Vec<u8>> {
    let out = unseal(s, keys, UnsealOptions::default()).expect("unseals");
    out.secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect()
}

#[test]
fn templates_render_over_decrypted_items() {
    let (s, keys) = sealed(
        &[("foo", b"bar"), ("password", b"p\"w")],
        &[
            ("greeting", r#"secret {{ index . "foo" }} !"#),
            ("json", "{{ toJson .password }}"),
        ],
    );
    let d = data(&s, &keys);
    assert_eq!(d["greeting"], b"secret bar !");
    assert_eq!(d["json"], br#""p\"w""#);
    assert_eq!(d["foo"], b"bar", "items stay");
}

#[test]
fn template_without_encrypted_data_and_overrides() {
    let (s, keys) = sealed(&[], &[("foo", r#"{"foo":"bar"}"#)]);
    assert_eq!(data(&s, &keys)["foo"], br#"{"foo":"bar"}"#);
    let (s, keys) = sealed(&[("foo", b"item")], &[("foo", "template {{ .foo }}")]);
    assert_eq!(data(&s, &keys)["foo"], b"item", "the encrypted item wins");
    let (s, keys) = sealed(&[("foo", b"x")], &[("out", "{{ .missing }}")]);
    assert_eq!(data(&s, &keys)["out"], b"<no value>");
}

#[test]
fn template_errors_are_tagged_with_the_key() {
    let (s, keys) = sealed(
        &[("foo", b"x")],
        &[("bad", "{{ .foo "), ("env", "{{ env \"HOME\" }}")],
    );
    let err = unseal(&s, &keys, UnsealOptions::default()).expect_err("must fail");
    let UnsealError::Items(items) = &err else {
        panic!("{err:?}")
    };
    let tagged: Vec<&str> = items.iter().map(|e| e.item.as_str()).collect();
    assert_eq!(tagged, ["bad", "env"]);
    let text = err.to_string();
    assert!(
        text.lines()
            .any(|l| l.starts_with("template: bad:") && l.ends_with("(bad)")),
        "{text}"
    );
    assert!(text.contains("env"), "{text}");
}

#[test]
fn plain_keys_are_in_the_context() {
    let (s, keys) = sealed(
        &[("user", b"admin"), ("password", b"p@ss")],
        &[
            ("host", "db.example.com"),
            (
                "url",
                "postgres://{{ .user }}:{{ .password | urlquery }}@{{ .host }}",
            ),
            ("count", "{{ len . }}"),
            ("raw", "{{ .url | len }}"),
        ],
    );
    let d = data(&s, &keys);
    assert_eq!(d["url"], b"postgres://admin:p%40ss@db.example.com");
    assert_eq!(d["host"], b"db.example.com");
    // Two items and four plain keys.
    assert_eq!(d["count"], b"6");
    // A plain key's context value is its source text, not its rendering.
    assert_eq!(d["raw"], b"61");
}

#[test]
fn encrypted_items_win_in_the_context_and_the_secret() {
    let (s, keys) = sealed(
        &[("password", b"sealed")],
        &[("password", "plain"), ("out", "{{ .password }}")],
    );
    let d = data(&s, &keys);
    assert_eq!(d["out"], b"sealed");
    assert_eq!(d["password"], b"sealed");
    // A colliding template still executes, and its errors count.
    let (s, keys) = sealed(
        &[("password", b"sealed")],
        &[("password", "{{ fail \"no\" }}")],
    );
    let err = unseal(&s, &keys, UnsealOptions::default()).expect_err("must fail");
    assert!(err.to_string().contains("(password)"), "{err}");
}

#[test]
fn null_keys_are_left_out_of_the_secret() {
    let (mut s, keys) = sealed(
        &[("user", b"admin"), ("password", b"pw")],
        &[("out", "{{ .user }}/{{ .ghost }}")],
    );
    let t = s.spec.template.data.as_mut().expect("template data");
    t.insert("user".into(), None);
    t.insert("ghost".into(), None);
    let d = data(&s, &keys);
    assert_eq!(
        d.keys().map(String::as_str).collect::<Vec<_>>(),
        ["out", "password"]
    );
    // Removed from the Secret, still in the context; a null key is not in the context.
    assert_eq!(d["out"], b"admin/<no value>");
}

#[test]
fn null_template_values_parse() {
    let doc = r#"{"apiVersion":"bitnami.com/v1alpha1","kind":"SealedSecret",
        "metadata":{"name":"n","namespace":"ns"},
        "spec":{"encryptedData":{},"template":{"data":{"a":null,"b":"x"}}}}"#;
    let s: SealedSecret = serde_json::from_str(doc).expect("null values are accepted");
    let t = s.spec.template.data.expect("template data");
    assert_eq!(t["a"], None);
    assert_eq!(t["b"].as_deref(), Some("x"));
}
