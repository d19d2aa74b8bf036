#!/usr/bin/env bash
# Times our kubeseal against upstream's (tests/upstream/build.sh) sealing the same stream of
# 400 Secrets with 5 items each for a 4096-bit certificate (--cert, no cluster), side by side
# in one run, and prints ours/upstream. The goal is a ratio of at most 0.5.
# Uses hyperfine when installed (Debian package `hyperfine`), else a timed loop.
# Usage: tests/bench/kubeseal.sh [runs]   (env KUBESEAL=<path> to time another build of ours)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
runs=${1:-10}

upstream=$("$repo/tests/upstream/build.sh")/kubeseal
if [[ -z ${KUBESEAL:-} ]]; then
  (cd "$repo" && cargo build --release -p sealwright-cli --bin kubeseal >&2)
  ours=$repo/target/release/kubeseal
else
  ours=$KUBESEAL
fi
cert=$repo/tests/fixtures/upstream/keys/rsa-4096.crt

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 400); do
  printf -- '---\napiVersion: v1\nkind: Secret\nmetadata:\n  name: bench-%d\n  namespace: bench\n  labels:\n    app: bench\ntype: Opaque\nstringData:\n' "$i"
  for k in 1 2 3 4 5; do printf '  key%d: value-%d-%d-%s\n' "$k" "$i" "$k" "0123456789abcdef0123456789abcdef"; done
done > "$work/secrets.yaml"

# Both must produce the same shape of output before timing means anything.
"$upstream" --cert "$cert" -o yaml < "$work/secrets.yaml" | grep -c '^kind: SealedSecret' > "$work/u.count"
"$ours" --cert "$cert" -o yaml < "$work/secrets.yaml" | grep -c '^kind: SealedSecret' > "$work/o.count"
if [[ $(cat "$work/u.count") != 400 || $(cat "$work/o.count") != 400 ]]; then
  echo "bench: unexpected output (upstream $(cat "$work/u.count"), ours $(cat "$work/o.count") SealedSecrets)" >&2
  exit 1
fi

export KUBECONFIG=/nonexistent
if command -v hyperfine >/dev/null; then
  hyperfine --warmup 2 --runs "$runs" --export-json "$work/h.json" \
    -n upstream "$upstream --cert $cert -o yaml < $work/secrets.yaml > /dev/null" \
    -n ours "$ours --cert $cert -o yaml < $work/secrets.yaml > /dev/null" >&2
  read -r u o < <(python3 -c 'import json,sys; r={x["command"]:x["mean"] for x in json.load(open(sys.argv[1]))["results"]}; print(r["upstream"], r["ours"])' "$work/h.json")
else
  time_runs() {
    local start end
    start=$(date +%s%N)
    for _ in $(seq 1 "$runs"); do "$1" --cert "$cert" -o yaml < "$work/secrets.yaml" > /dev/null; done
    end=$(date +%s%N)
    echo "scale=6; ($end - $start) / $runs / 1000000000" | bc
  }
  time_runs "$upstream" > /dev/null; time_runs "$ours" > /dev/null  # warm-up
  u=$(time_runs "$upstream")
  o=$(time_runs "$ours")
fi
printf 'upstream: %.3f s  ours: %.3f s  ratio ours/upstream: %.3f\n' "$u" "$o" "$(echo "$o / $u" | bc -l)"
