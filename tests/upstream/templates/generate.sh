#!/usr/bin/env bash
# Generates the template corpus (see main.go): builds the generator against upstream's module
# and runs it, into a cache keyed by everything that decides the result (sources, go.mod/go.sum,
# key, seed, size, Go version). Prints the corpus file's path (stdout); progress goes to stderr.
#
#   SEALWRIGHT_TEMPLATE_SEED (default 1607) and SEALWRIGHT_TEMPLATE_COUNT (default 2400)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../../.." && pwd)
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
export GOFLAGS="-modcacherw -buildvcs=false"
# `date` and `Local` render in the controller's zone; upstream's image runs in UTC.
export TZ=UTC

seed=${SEALWRIGHT_TEMPLATE_SEED:-1607}
count=${SEALWRIGHT_TEMPLATE_COUNT:-2400}
keyfile=$repo/crypto/tests/data/appendix-a-key.pem
# buildCustomCert's snippet reads the EC pair next to the key.
pair=("$repo/crypto/tests/data/ec-cert.pem" "$repo/crypto/tests/data/ec-p256-key.pem")

key=$( { cat "$here"/go.mod "$here"/go.sum "$here"/*.go "$here/generate.sh" "$keyfile" "${pair[@]}"; echo "$seed $count"; go version; } \
  | sha256sum | cut -c1-16)
root=${XDG_CACHE_HOME:-$HOME/.cache}/sealwright/template-corpus
out=$root/$key.json
echo "template corpus: seed $seed, $count templates" >&2
if [[ -s $out ]]; then
  echo "$out"
  exit 0
fi

mkdir -p "$root"
exec 9>"$root/.lock"
flock 9
if [[ -s $out ]]; then
  echo "$out"
  exit 0
fi
tmp=$(mktemp -d "$root/build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
(cd "$here" && go build -trimpath -o "$tmp/templatecorpus" .) >&2
"$tmp/templatecorpus" -seed "$seed" -n "$count" -key "$keyfile" -out "$tmp/corpus.json" >&2
mv "$tmp/corpus.json" "$out"
echo "template corpus: generated in $(( $(date +%s) - start ))s" >&2
echo "$out"
