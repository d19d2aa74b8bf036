//! Fuzz targets for every input the project treats as hostile, shared by two harnesses: the
//! libFuzzer wrappers in `libfuzzer/` (nightly, coverage-guided) and the stable runner
//! `fuzz-run` (seed corpus plus random mutations for a fixed time), which `scripts/fuzz.sh` runs
//! on every test run.
//!
//! Each target takes arbitrary bytes and panics only when a property is broken: a panic
//! anywhere below, a key accepted that the load checks should refuse, a ciphertext that opens
//! without the key, a template render over its time limit.
//!
//! It may import `sealwright-crypto` and `sealwright-controller` (the HTTP body reader, the key
//! ring and `/v1/rotate`, which face untrusted clients); no crate imports it.

pub mod mutate;
pub mod seeds;
pub mod targets;

/// A fuzz target: any bytes in, a panic when a property is broken.
pub type Target = fn(&[u8]);

/// Every target by name, as the runner, the seed corpus and the libFuzzer wrappers call them.
pub const TARGETS: &[(&str, Target)] = &[
    ("template", targets::template),
    ("http_body", targets::http_body),
    ("key_secret", targets::key_secret),
    ("sealed_secret", targets::sealed_secret),
    ("unseal_blob", targets::unseal_blob),
];

/// The target called `name`.
pub fn target(name: &str) -> Option<Target> {
    TARGETS.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
}
