//! Per-item cost of sealing and unsealing, for 2048- and 4096-bit keys, and the cost of
//! rendering typical `spec.template.data` templates (which the template budget must not raise).
//!
//! `cargo bench -p sealwright-crypto --bench seal`

use std::hint::black_box;

use std::collections::BTreeMap;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sealwright_crypto::hybrid::{self, KeySet};
use sealwright_crypto::{keys, template};

const LABEL: &[u8] = b"mynamespace/mysecret";
/// A typical secret value (a password or token).
const VALUE: &[u8] = b"correct-horse-battery-staple-0123456789";

fn per_item(c: &mut Criterion) {
    let mut group = c.benchmark_group("item");
    for bits in [2048, 4096] {
        let key = keys::generate(bits).expect("key generation");
        let public = key.to_public_key();
        let keyset = KeySet::new(vec![key]);
        let blob = hybrid::seal(&public, LABEL, VALUE).expect("seal");
        group.bench_with_input(BenchmarkId::new("seal", bits), &public, |b, public| {
            b.iter(|| hybrid::seal(black_box(public), LABEL, black_box(VALUE)).expect("seal"))
        });
        group.bench_with_input(BenchmarkId::new("unseal", bits), &blob, |b, blob| {
            b.iter(|| hybrid::unseal(black_box(&keyset), LABEL, black_box(blob)).expect("unseal"))
        });
    }
    group.finish();
}

/// Templates as users write them: a DSN, a config file, JSON, encodings and a loop.
const TEMPLATES: &[(&str, &str)] = &[
    (
        "dsn",
        "postgres://{{ .user }}:{{ .password | urlquery }}@{{ .host }}:5432/app?sslmode=require",
    ),
    (
        "config",
        "[client]\nuser = {{ .user | quote }}\npassword = {{ .password | quote }}\n{{- range $i, $h := splitList \",\" .hosts }}\nhost{{ $i }} = {{ $h | trim | upper }}{{ end }}\n",
    ),
    (
        "json",
        "{{ dict \"user\" .user \"password\" .password \"hosts\" (splitList \",\" .hosts) | toPrettyJson }}",
    ),
    (
        "auth",
        "{{ printf \"%s:%s\" .user .password | b64enc }} {{ .password | sha256sum | trunc 16 }}",
    ),
    (
        "loop",
        "{{ range $k, $v := . }}{{ $k }}={{ $v | default \"none\" | replace \"a\" \"b\" }};{{ end }}{{ join \",\" (until 20) }}",
    ),
];

fn templates(c: &mut Criterion) {
    let values = BTreeMap::from([
        ("user".to_string(), "app_user".to_string()),
        (
            "password".to_string(),
            "c0rrect h0rse/battery+staple".to_string(),
        ),
        ("host".to_string(), "db.example.com".to_string()),
        (
            "hosts".to_string(),
            "db-0.example.com, db-1.example.com, db-2.example.com".to_string(),
        ),
    ]);
    let mut group = c.benchmark_group("template");
    for (name, source) in TEMPLATES {
        template::render(name, source, &values).expect("renders");
        group.bench_with_input(BenchmarkId::new("render", name), source, |b, source| {
            b.iter(|| template::render(name, black_box(source), &values).expect("renders"))
        });
    }
    group.finish();
}

criterion_group!(benches, per_item, templates);
criterion_main!(benches);
