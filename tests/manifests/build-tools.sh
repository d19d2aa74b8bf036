#!/usr/bin/env bash
# Builds kubeconform and kustomize from the wrapper module in go/ into a cache keyed by
# everything that decides their bytes, and prints the directory holding them.
# Binaries are never committed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
export GOFLAGS="-modcacherw -buildvcs=false"

key=$( { cat "$here/go/go.mod" "$here/go/go.sum" "$here/build-tools.sh"; go version; } | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sealwright/manifest-tools/$key
if [[ -x $cache/kubeconform && -x $cache/kustomize ]]; then
  echo "$cache"
  exit 0
fi

# Test processes may start this concurrently: one builds, the others wait for it.
mkdir -p "$(dirname "$cache")"
exec 9>"$cache.lock"
flock 9
if [[ -x $cache/kubeconform && -x $cache/kustomize ]]; then
  echo "$cache"
  exit 0
fi

tmp=$cache.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
echo "manifest-tools: building kubeconform and kustomize into $cache" >&2
(cd "$here/go" && go build -trimpath -ldflags="-s -w" -o "$tmp/" \
  github.com/yannh/kubeconform/cmd/kubeconform sigs.k8s.io/kustomize/kustomize/v5) >&2
rm -rf "$cache"
mv "$tmp" "$cache"
trap - EXIT
echo "$cache"
