#!/usr/bin/env bash
# Our controller against upstream's (tests/upstream/build.sh), one after the other on the same
# local control plane, in one run; prints a table of ours/upstream ratios:
#   a) N SealedSecrets x ITEMS items (4096-bit key) applied at once: seconds until every Secret
#      exists (goal <= 1/3);
#   b) restart over those N unchanged objects: CPU seconds (utime+stime from /proc) until caught
#      up (goal <= 1/10);
#   c) peak RSS (VmHWM) with NOISE unrelated NOISE_KIB-KiB Secrets in a watched namespace
#      (goal <= 1/4);
#   d) seconds from start to serving /v1/cert.pem (both include the same deployment steps);
#   e) API requests per object during a), with the busiest request kinds on stderr;
#   floor: the per-item unseal cost measured first in this run (release build, one thread)
#      x N x ITEMS / cores, the least any controller can take for a) on this machine.
# Objects are sealed offline before any clock starts.
#
# Usage: tests/bench/controller.sh            (full sizes: N=1000 ITEMS=3 NOISE=10000 NOISE_KIB=64)
#        N=100 NOISE=1000 tests/bench/controller.sh   (a quick run)
#        SCALE=1 tests/bench/controller.sh    (ours only, N=10000: start over N SealedSecrets,
#          a new one applied during that catch-up, restart, peak RSS, API requests per object;
#          upstream's column is its last full run here scaled linearly, as it says)
#        OURS_ARGS="--workers=8" tests/bench/controller.sh  (our controller with other flags)
#        PROFILE=DIR tests/bench/controller.sh  (also samples each controller's CPU with perf
#          during a) into DIR/<label>.perf and prints the top entries; needs `perf`)
# Uses the control plane named by $SEALWRIGHT_TESTENV when set, else starts one and stops it.
# Needs root (network namespace), Go and cargo, like scripts/test.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
export SCALE=${SCALE:-0}
if [[ $SCALE == 1 ]]; then
  export N=${N:-10000} NOISE=${NOISE:-0}
fi
export N=${N:-1000} ITEMS=${ITEMS:-3} NOISE=${NOISE:-10000} NOISE_KIB=${NOISE_KIB:-64}
if [[ -n ${PROFILE:-} ]]; then
  mkdir -p "$PROFILE"
  PROFILE=$(cd "$PROFILE" && pwd)
  export PROFILE
  command -v perf >/dev/null || { echo "bench: PROFILE needs perf (Debian package linux-perf)" >&2; exit 1; }
fi

(cd "$repo" && cargo build --release -p sealwright-controller --bin sealed-secrets-controller >&2)
(cd "$repo" && cargo test --no-run -p sealwright-tests --test controller_ha_bench >&2)
(cd "$repo" && cargo build --release -p sealwright-crypto --example unseal_cost >&2)
FLOOR_ITEM_S=$("$repo/target/release/examples/unseal_cost" "$repo/tests/fixtures/upstream/keys/rsa-4096.key" 40)
export FLOOR_ITEM_S
# Measured again right before and right after our controller's run: the machine's speed drifts.
export FLOOR_CMD="$repo/target/release/examples/unseal_cost $repo/tests/fixtures/upstream/keys/rsa-4096.key 40"
echo "bench: unseal cost per item (4096-bit, median of 40): $FLOOR_ITEM_S s" >&2
upstream_dir=$("$repo/tests/upstream/build.sh")

envfile=${SEALWRIGHT_TESTENV:-}
started=
if [[ -z $envfile ]]; then
  envfile=$("$repo/tests/testenv/up.sh" | tail -n1)
  started=1
fi
cleanup() { if [[ -n $started ]]; then "$repo/tests/testenv/down.sh" "$envfile" >&2 || true; fi; }
trap cleanup EXIT
netns=$(sed -n 's/^SEALWRIGHT_TESTENV_NETNS=//p' "$envfile" | tr -d '"')

echo "bench: SCALE=${SCALE:-0} N=$N ITEMS=$ITEMS NOISE=$NOISE NOISE_KIB=$NOISE_KIB on $envfile" >&2
cd "$repo"
ip netns exec "$netns" env \
  SEALWRIGHT_TESTENV="$envfile" \
  SEALWRIGHT_CONTROLLER_BIN="$repo/target/release/sealed-secrets-controller" \
  SEALWRIGHT_UPSTREAM_BIN="$upstream_dir" \
  cargo test --offline -q -p sealwright-tests --test controller_ha_bench -- --ignored --nocapture

if [[ -n ${PROFILE:-} ]]; then
  for data in "$PROFILE"/*.perf; do
    [[ -e $data ]] || continue
    label=$(basename "$data" .perf)
    pid=$(cat "$PROFILE/$label.pid" 2>/dev/null || true)
    report() {
      perf report -i "$data" --stdio --no-children --percent-limit 1 "$@" 2>/dev/null |
        grep -v '^#' | grep -v '^$' | awk '{ $1 = $1; sub(/( -)+$/, ""); print }' | cut -c1-160 | head -25
    }
    echo
    echo "profile: $label, the machine's CPU samples during a) by process"
    report --sort comm
    if [[ -n $pid ]]; then
      echo
      echo "profile: $label, the controller's own samples (pid $pid) by function"
      report --pid "$pid" --sort dso,symbol
    fi
  done
fi
