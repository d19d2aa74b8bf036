#!/usr/bin/env bash
# Runs every fuzz target for a bounded time: SEALWRIGHT_FUZZ_SECONDS per target (default 20).
# With cargo-fuzz and a nightly toolchain installed it uses libFuzzer (tests/fuzz/libfuzzer);
# otherwise the stable runner `fuzz-run` feeds the seed corpus plus random mutations through the
# same target functions. Either way the committed corpus (tests/fuzz/corpus) is the seed and
# is never modified. Exits non-zero on the first failing input, and names it.
#
#   scripts/fuzz.sh [TARGET...]
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
seconds=${SEALWRIGHT_FUZZ_SECONDS:-20}
targets=("$@")
((${#targets[@]})) || targets=(template http_body key_secret sealed_secret unseal_blob)

if command -v rustup >/dev/null && rustup toolchain list 2>/dev/null | grep -q '^nightly' \
  && cargo +nightly fuzz --version >/dev/null 2>&1; then
  for target in "${targets[@]}"; do
    # libFuzzer writes what it finds into its first corpus directory: a scratch one.
    scratch=$(mktemp -d)
    trap 'rm -rf "$scratch"' EXIT
    cargo +nightly fuzz run --fuzz-dir tests/fuzz/libfuzzer "$target" \
      "$scratch" "tests/fuzz/corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -print_final_stats=1
    rm -rf "$scratch"
  done
else
  cargo run --locked --quiet -p sealwright-fuzz --bin fuzz-run -- --seconds "$seconds" "${targets[@]}"
fi
