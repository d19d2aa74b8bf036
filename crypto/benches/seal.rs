//! Per-item cost of sealing and unsealing, for 2048- and 4096-bit keys.
//!
//! `cargo bench -p sealwright-crypto --bench seal`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use sealwright_crypto::hybrid::{self, KeySet};
use sealwright_crypto::keys;

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

criterion_group!(benches, per_item);
criterion_main!(benches);
