#!/usr/bin/env bash
# Runs upstream Sealed Secrets' own integration suite (Ginkgo, `integration/`, build tag
# `integration`, unmodified, built from the Go module proxy through go/upstream-suite/) against
# OUR kubeseal and controller: the controller runs as kube-system/sealed-secrets-controller on a
# testenv control plane, exactly where the suite expects upstream's.
#
#   upstream-suite.sh [ENV_FILE] [-- extra ginkgo flags, e.g. -ginkgo.focus=kubeseal]
#
# Without ENV_FILE it starts a control plane and stops it afterwards. Exits 0 only if every spec
# passed. SEALWRIGHT_KUBESEAL_BIN / SEALWRIGHT_CONTROLLER_BIN override the binaries under test.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

env_file=
if [[ ${1:-} && $1 != -- ]]; then env_file=$1; shift; fi
[[ ${1:-} == -- ]] && shift
require_root
require_tools go ip curl unshare

# 1. The suite binary, cached by everything that decides its bytes.
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS="-modcacherw -buildvcs=false"
mod=$here/go/upstream-suite
key=$( { cat "$mod/go.mod" "$mod/go.sum" "$here/upstream-suite.sh"; go version; } | sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/sealwright/upstream-suite/$key
if [[ ! -x $cache/integration.test ]]; then
  log "building upstream's integration suite into $cache"
  rm -rf "$cache.tmp.$$" && mkdir -p "$cache.tmp.$$"
  (cd "$mod" && go test -c -tags integration -o "$cache.tmp.$$/integration.test" \
    github.com/bitnami/sealed-secrets/integration) >&2
  rm -rf "$cache" && mv "$cache.tmp.$$" "$cache"
fi
suite=$cache/integration.test

# 2. Our binaries.
if [[ -z ${SEALWRIGHT_KUBESEAL_BIN:-} || -z ${SEALWRIGHT_CONTROLLER_BIN:-} ]]; then
  (cd "$repo" && cargo build -q -p sealwright-cli -p sealwright-controller) >&2
fi
kubeseal=${SEALWRIGHT_KUBESEAL_BIN:-$repo/target/debug/kubeseal}
controller=${SEALWRIGHT_CONTROLLER_BIN:-$repo/target/debug/sealed-secrets-controller}

# 3. A control plane, and our controller where the suite looks for it.
if [[ -z $env_file ]]; then
  env_file=$("$here/up.sh")
  trap '"$here/down.sh" "$env_file"' EXIT
fi
"$here/deploy-controller.sh" "$env_file" "$controller"
set -a; . "$env_file"; set +a

# 4. The suite, inside the network namespace (the proxy dials the controller's pod address).
work=$(mktemp -d)
log "running upstream's integration suite against $kubeseal and $controller"
set +e
(cd "$work" && ip netns exec "$SEALWRIGHT_TESTENV_NETNS" "$suite" \
  -kubeconfig "$SEALWRIGHT_TESTENV_KUBECONFIG_ADMIN" -kubeseal-bin "$kubeseal" -controller-bin "$controller" \
  -ginkgo.no-color -ginkgo.timeout=30m "$@") 2>&1 | tee "$SEALWRIGHT_TESTENV_LOGS/upstream-suite.log"
rc=${PIPESTATUS[0]}
set -e
rm -rf "$work"
echo "----- upstream suite summary -----"
grep -E '^(Ran [0-9]+ of [0-9]+ Specs|(SUCCESS|FAIL)! -- |Test Suite (Passed|Failed))' "$SEALWRIGHT_TESTENV_LOGS/upstream-suite.log" || true
if ((rc != 0)); then
  log "upstream suite failed (exit $rc); controller log tail:"
  tail -n 40 "$SEALWRIGHT_TESTENV_LOGS/controller-kube-system.log" >&2 || true
fi
exit "$rc"
