#!/usr/bin/env bash
# Builds etcd, kube-apiserver, kube-controller-manager and kubectl from the wrapper Go
# modules in go/, into a cache keyed by everything that decides their bytes.
# Prints the directory holding the binaries (stdout); progress goes to stderr.
# Binaries are never committed.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
export GOFLAGS="-modcacherw -buildvcs=false"

k8s_version=$(awk '$1=="require" && $2=="k8s.io/kubernetes" {print $3}' "$here/go/k8s/go.mod")
k8s_version=${k8s_version:-$(awk '$1=="k8s.io/kubernetes" {print $2; exit}' "$here/go/k8s/go.mod")}
minor=$(echo "$k8s_version" | cut -d. -f2)

key=$( { cat "$here/go/k8s/go.mod" "$here/go/k8s/go.sum" "$here/go/etcd/go.mod" "$here/go/etcd/go.sum" "$here/build.sh"; go version; } | sha256sum | cut -c1-16)
root=${XDG_CACHE_HOME:-$HOME/.cache}/sealwright/testenv-bin
cache=$root/$key
complete() { [[ -x $cache/kube-apiserver && -x $cache/etcd && -x $cache/kube-controller-manager && -x $cache/kubectl ]]; }
if complete; then
  echo "$cache"
  exit 0
fi

# Two runs at once (a demo and a test run) would build the same thing twice on 2 cores.
mkdir -p "$root"
exec 9>"$root/.lock"
flock 9
if complete; then
  echo "$cache"
  exit 0
fi

tmp=$cache.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT
start=$(date +%s)
echo "testenv: building Kubernetes $k8s_version and etcd into $cache (cold: about 12-15 minutes on 2 cores)" >&2

ld="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ld+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
done
(cd "$here/go/k8s" && go build -trimpath -tags=selinux,notest,grpcnotrace -ldflags="$ld" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl) >&2
(cd "$here/go/etcd" && go build -trimpath -ldflags="-s -w" -o "$tmp/etcd" go.etcd.io/etcd/server/v3) >&2

rm -rf "$cache"
mv "$tmp" "$cache"
trap - EXIT
echo "testenv: built in $(( $(date +%s) - start ))s" >&2
echo "$cache"
