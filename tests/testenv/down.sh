#!/usr/bin/env bash
# Stops a control plane started by up.sh: every recorded process by PID (controller-manager,
# apiserver, etcd, then anything else still inside the network namespace), the namespace
# itself, and the state directory.
#
#   down.sh [--keep] ENV_FILE|STATE_DIR      --keep: leave the state directory (logs) in place
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

keep=
[[ ${1:-} == --keep ]] && { keep=1; shift; }
target=${1:-${SEALWRIGHT_TESTENV:-}}
[[ -n $target ]] || die "usage: down.sh [--keep] ENV_FILE|STATE_DIR"
if [[ -f $target ]]; then W=$(dirname "$target"); else W=$target; fi
[[ -d $W ]] || { log "$W does not exist; nothing to stop"; exit 0; }
require_root

# stop PID: TERM, up to 20 s, then KILL (envtest's grace period).
stop() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 80; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.25
  done
  kill -KILL "$pid" 2>/dev/null || true
}

if [[ -f $W/pids ]]; then
  # Newest first: controllers, then KCM, apiserver, etcd.
  tac "$W/pids" | while read -r name pid; do
    [[ -n $pid ]] && stop "$pid" && log "stopped $name ($pid)"
  done
fi

ns=$(cat "$W/netns" 2>/dev/null || true)
if [[ -n $ns ]] && ip netns list | grep -qw "^$ns"; then
  # Whatever a test spawned and leaked is still in the namespace; those PIDs are ours.
  for pid in $(ip netns pids "$ns" 2>/dev/null); do stop "$pid"; done
  "$here/netns.sh" delete "$ns"
  log "deleted network namespace $ns"
fi

if [[ -z $keep ]]; then
  rm -rf "$W"
fi
