#!/usr/bin/env bash
# The project's one test command (CI runs exactly this): installs what is missing, builds the
# local Kubernetes control plane (cached) and the workspace, checks formatting and lints, starts
# the control plane in a network namespace of its own, runs every test (unit and cluster) inside
# it, and tears it down. Exits non-zero on any failure. Needs root (network namespaces).
#
#   scripts/test.sh [--no-upstream-suite|--upstream-suite] [--no-lint] [-- cargo test arguments (default: --workspace --no-fail-fast)]
#
# After our tests, upstream's own Ginkgo integration suite runs, unmodified, against our kubeseal
# and controller (tests/testenv/upstream-suite.sh). --no-upstream-suite (or
# SEALWRIGHT_UPSTREAM_SUITE=0) skips it; with a custom `-- cargo test` selection it is skipped
# unless --upstream-suite is given.
# --no-lint skips `cargo fmt --check` and clippy (local iteration only; CI always lints).
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
testenv=$repo/tests/testenv

upstream_suite=${SEALWRIGHT_UPSTREAM_SUITE:-}
lint=1
cargo_args=()
while (($#)); do
  case $1 in
    --upstream-suite) upstream_suite=1 ;;
    --no-upstream-suite) upstream_suite=0 ;;
    --no-lint) lint= ;;
    --) shift; cargo_args=("$@"); break ;;
    *) echo "usage: scripts/test.sh [--no-upstream-suite|--upstream-suite] [--no-lint] [-- cargo test args]" >&2; exit 2 ;;
  esac
  shift
done
custom_selection=
((${#cargo_args[@]})) && custom_selection=1
if [[ -z $upstream_suite ]]; then
  if [[ -n $custom_selection ]]; then upstream_suite=0; else upstream_suite=1; fi
fi

step() { echo "==> $* ($(date -u +%H:%M:%S))" >&2; }
[[ $(id -u) == 0 ]] || { echo "scripts/test.sh must run as root (it creates a network namespace)" >&2; exit 1; }

step "no path outside the repository"
"$repo/scripts/check-paths.sh"

step "prerequisites"
missing=()
for tool in openssl:openssl ip:iproute2 unshare:util-linux flock:util-linux mount:mount curl:curl; do
  command -v "${tool%%:*}" >/dev/null 2>&1 || missing+=("${tool#*:}")
done
if ((${#missing[@]})); then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v go >/dev/null || { echo "Go (1.25 or newer) is required to build the control plane" >&2; exit 1; }
command -v cargo >/dev/null || { echo "cargo is required" >&2; exit 1; }
if command -v rustup >/dev/null; then
  for component in rustfmt clippy; do
    rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
  done
fi

step "Go binaries (etcd, kube-apiserver, kube-controller-manager, kubectl; cached)"
bin=$("$testenv/build.sh")
export SEALWRIGHT_TESTENV_BIN=$bin
if [[ -x $repo/tests/upstream/build.sh ]] || [[ -f $repo/tests/upstream/build.sh ]]; then
  step "upstream kubeseal and controller (cached)"
  SEALWRIGHT_UPSTREAM_BIN=$(bash "$repo/tests/upstream/build.sh")
  export SEALWRIGHT_UPSTREAM_BIN
fi
step "template corpus rendered by upstream's Unseal (cached)"
SEALWRIGHT_TEMPLATE_CORPUS=$("$repo/tests/upstream/templates/generate.sh")
export SEALWRIGHT_TEMPLATE_CORPUS

step "manifest tools and schema sources (cached)"
"$repo/tests/manifests/prepare.sh"

# Everything that needs crates.io happens here, outside the network namespace.
step "cargo build --workspace --all-targets"
cargo build --locked --workspace --all-targets
# The shipped image (static release binary; cargo keeps it warm), which manifests_runtime runs in
# a container runtime. Built here, where crates.io is reachable.
step "controller release image (target/image)"
"$repo/manifests/image/build.sh" >/dev/null
if [[ -n $lint ]]; then
  step "cargo fmt --check"
  cargo fmt --all --check
  step "cargo clippy"
  cargo clippy --locked --workspace --all-targets -- -D warnings
fi

step "control plane"
export SEALWRIGHT_CRDGEN=$repo/target/debug/crdgen
env_file=$("$testenv/up.sh")
state=$(dirname "$env_file")
ns=$(cat "$state/netns")
status=1
finish() {
  if ((status != 0)); then
    echo "==> FAILED; log tails follow (all logs: $state/log)" >&2
    for f in "$state"/log/*.log; do
      [[ -f $f ]] || continue
      echo "----- last 60 lines of $f -----" >&2
      tail -n 60 "$f" >&2
    done
    "$testenv/down.sh" --keep "$env_file" || true
  else
    "$testenv/down.sh" "$env_file" || true
  fi
}
trap finish EXIT

step "cargo test (inside network namespace $ns)"
((${#cargo_args[@]})) || cargo_args=(--workspace --no-fail-fast)
ip netns exec "$ns" env SEALWRIGHT_TESTENV="$env_file" cargo test --locked --offline "${cargo_args[@]}"

# Upstream's suite gets a control plane of its own: its controller watches every namespace, and the
# hundreds of objects our tests leave behind (sealed for keys it does not hold) would only delay it.
"$testenv/down.sh" "$env_file" || true
trap - EXIT
# The fuzz targets run for a bounded time (SEALWRIGHT_FUZZ_SECONDS per target, default 20) with
# the full selection; a custom `-- cargo test` selection skips them.
if [[ -z $custom_selection ]]; then
  step "fuzz targets (scripts/fuzz.sh, ${SEALWRIGHT_FUZZ_SECONDS:-20} s each)"
  "$repo/scripts/fuzz.sh"
fi
if [[ $upstream_suite == 1 ]]; then
  step "upstream integration suite (unmodified, against our kubeseal and controller, fresh control plane)"
  "$testenv/upstream-suite.sh"
fi
status=0
step "all tests passed"
