#!/usr/bin/env bash
# Builds upstream Sealed Secrets' `kubeseal` and `controller` (the reference the compatibility
# tests compare against) from the wrapper module beside this script, into a cache keyed by
# everything that decides their bytes. Prints the directory holding the binaries (stdout);
# progress goes to stderr. Binaries are never committed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
export GOFLAGS="-modcacherw -buildvcs=false"

# The version is pinned by go.mod (the replace target); the binaries report it too.
version=$(awk '$1=="replace" && $2=="github.com/bitnami/sealed-secrets" {print $5}' "$here/go.mod")
if [[ -z $version ]]; then
  echo "upstream: cannot find the pinned version in $here/go.mod" >&2
  exit 1
fi

key=$( { cat "$here/go.mod" "$here/go.sum" "$here/build.sh"; go version; } | sha256sum | cut -c1-16)
root=${XDG_CACHE_HOME:-$HOME/.cache}/sealwright/upstream-bin
cache=$root/$key
complete() { [[ -x $cache/kubeseal && -x $cache/controller ]]; }
if complete; then
  echo "$cache"
  exit 0
fi

# Parallel test binaries may all ask for the build at once; build it once.
mkdir -p "$root"
exec 9>"$root/.lock"
flock 9
if complete; then
  echo "$cache"
  exit 0
fi

tmp=$cache.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
echo "upstream: building sealed-secrets $version (kubeseal, controller) into $cache" >&2

(cd "$here" && go build -trimpath -ldflags="-s -w -X main.VERSION=$version" -o "$tmp/" \
  github.com/bitnami/sealed-secrets/cmd/kubeseal github.com/bitnami/sealed-secrets/cmd/controller) >&2

rm -rf "$cache"
mv "$tmp" "$cache"
trap - EXIT
echo "upstream: built in $(( $(date +%s) - start ))s" >&2
echo "$cache"
