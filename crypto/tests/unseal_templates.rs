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
            .map(|(k, v)| (k.to_string(), v.to_string()))
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
    assert_eq!(data(&s, &keys)["foo"], b"template item", "template wins");
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
