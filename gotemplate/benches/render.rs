//! The cost of rendering typical `spec.template.data` templates (which the template budget must
//! not raise).
//!
//! `cargo bench -p sealwright-gotemplate --bench render`

use std::collections::BTreeMap;
use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

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
        gotemplate::render(name, source, &values).expect("renders");
        group.bench_with_input(BenchmarkId::new("render", name), source, |b, source| {
            b.iter(|| gotemplate::render(name, black_box(source), &values).expect("renders"))
        });
    }
    group.finish();
}

criterion_group!(benches, templates);
criterion_main!(benches);
