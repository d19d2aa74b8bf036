#!/usr/bin/env bash
# Creates or deletes the network namespace a control plane lives in.
#   netns.sh create NAME [--veth]   lo up, the node address and the pod pool on lo;
#                                   --veth also links it to the host (for the demo)
#   netns.sh delete NAME
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$here/lib.sh"

cmd=${1:-}; ns=${2:-}
[[ -n $cmd && -n $ns ]] || die "usage: netns.sh create|delete NAME [--veth]"
require_root
require_tools ip

# Interface names are at most 15 bytes; derive them from the namespace name.
host_if="swh${ns//[^0-9a-z]/}"; host_if=${host_if:0:15}

case $cmd in
  create)
    ip netns del "$ns" 2>/dev/null || true
    ip netns add "$ns"
    ip -n "$ns" link set lo up
    ip -n "$ns" addr add "$TESTENV_NODE_IP/32" dev lo
    ip -n "$ns" addr add "$TESTENV_SYSTEM_CONTROLLER_IP/32" dev lo
    for i in $(seq "$TESTENV_POOL_FIRST" "$TESTENV_POOL_LAST"); do
      ip -n "$ns" addr add "10.213.0.$i/32" dev lo
    done
    if [[ ${3:-} == --veth ]]; then
      ip link del "$host_if" 2>/dev/null || true
      ip link add "$host_if" type veth peer name eth0 netns "$ns"
      ip addr add "$TESTENV_VETH_HOST_IP/30" dev "$host_if"
      ip link set "$host_if" up
      ip -n "$ns" addr add "$TESTENV_VETH_NS_IP/30" dev eth0
      ip -n "$ns" link set eth0 up
    fi
    ;;
  delete)
    # Deleting the namespace also removes the veth pair (both ends go with it).
    ip netns del "$ns" 2>/dev/null || true
    ip link del "$host_if" 2>/dev/null || true
    ;;
  *) die "usage: netns.sh create|delete NAME [--veth]" ;;
esac
