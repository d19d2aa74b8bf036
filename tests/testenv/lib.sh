# Shared helpers for the testenv scripts (sourced, not run).
# shellcheck shell=bash

# The address plan, inside each run's own network namespace (nothing routes there from outside):
#   10.213.0.1        the "node": kube-apiserver advertises it
#   10.213.0.2        the controller deploy-controller.sh runs as kube-system/sealed-secrets-controller
#   10.213.0.10-.60   "pod" addresses, one per controller instance (tests lock them)
#   10.213.254.1/.2   optional veth pair host/netns, so a user's shell can reach the demo cluster
TESTENV_NODE_IP=10.213.0.1
TESTENV_SYSTEM_CONTROLLER_IP=10.213.0.2
TESTENV_POOL_FIRST=10
TESTENV_POOL_LAST=60
TESTENV_VETH_HOST_IP=10.213.254.1
TESTENV_VETH_NS_IP=10.213.254.2
TESTENV_APISERVER_PORT=6443

log() { echo "testenv: $*" >&2; }
die() { echo "testenv: error: $*" >&2; exit 1; }

# Prints the last lines of every log in a directory, so a failure explains itself.
tail_logs() {
  local dir=$1 lines=${2:-60} f
  for f in "$dir"/*.log; do
    [[ -f $f ]] || continue
    echo "----- last $lines lines of $f -----" >&2
    tail -n "$lines" "$f" >&2
  done
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.5 s.
wait_for() {
  local secs=$1 what=$2 deadline
  shift 2
  deadline=$(( $(date +%s) + secs ))
  until "$@" >/dev/null 2>&1; do
    if (( $(date +%s) >= deadline )); then
      log "timed out after ${secs}s waiting for $what"
      return 1
    fi
    sleep 0.5
  done
}

require_root() {
  [[ $(id -u) == 0 ]] || die "must run as root: it creates a network namespace (ip netns) and bind mounts"
}

require_tools() {
  local t missing=()
  for t in "$@"; do command -v "$t" >/dev/null 2>&1 || missing+=("$t"); done
  ((${#missing[@]} == 0)) || die "missing tools: ${missing[*]} (scripts/test.sh installs them)"
}
