#!/usr/bin/env bash
# Quick start: a local Kubernetes control plane with our controller, and one secret sealed by
# our kubeseal and unsealed by our controller. The cluster keeps running afterwards.
#
#   scripts/demo.sh         start (replacing an earlier demo cluster) and run the walkthrough
#   scripts/demo.sh down    stop the demo cluster
#
# Needs root (network namespace), Go (builds Kubernetes once, cached) and cargo.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
testenv=$repo/tests/testenv
state=${SEALWRIGHT_DEMO_DIR:-/tmp/sealwright-demo}
netns=sw-demo

step() { printf '\n\033[1m==> %s\033[0m\n' "$*" >&2; }
[[ $(id -u) == 0 ]] || { echo "scripts/demo.sh must run as root (it creates a network namespace)" >&2; exit 1; }

if [[ -f $state/pids || -f $state/netns ]]; then
  step "stopping the previous demo cluster"
  "$testenv/down.sh" "$state"
fi
[[ ${1:-} == down ]] && exit 0

step "building Kubernetes (cached after the first time: ~15 min cold on 2 cores) and sealwright"
SEALWRIGHT_TESTENV_BIN=$("$testenv/build.sh")
export SEALWRIGHT_TESTENV_BIN
(cd "$repo" && cargo build -q -p sealwright-cli -p sealwright-controller -p sealwright-crypto --bin kubeseal \
  --bin sealed-secrets-controller --bin crdgen)
kubectl=$SEALWRIGHT_TESTENV_BIN/kubectl
kubeseal=$repo/target/debug/kubeseal

step "starting etcd, kube-apiserver and kube-controller-manager in network namespace $netns"
env_file=$(SEALWRIGHT_CRDGEN=$repo/target/debug/crdgen "$testenv/up.sh" --veth --dir "$state" --netns "$netns")
export KUBECONFIG=$state/admin.kubeconfig

step "starting our controller as kube-system/sealed-secrets-controller"
"$testenv/deploy-controller.sh" "$env_file" "$repo/target/debug/sealed-secrets-controller"

password=demo-$(openssl rand -hex 6)
step "sealing: kubectl create secret ... --dry-run=client -o yaml | kubeseal --format yaml"
"$kubectl" create secret generic demo-secret --namespace default --from-literal=password="$password" \
  --dry-run=client -o yaml | "$kubeseal" --format yaml | tee "$state/demo-sealed-secret.yaml"

step "applying the SealedSecret"
"$kubectl" apply -f "$state/demo-sealed-secret.yaml"

step "waiting for the controller to unseal it"
for _ in $(seq 120); do
  "$kubectl" -n default get secret demo-secret >/dev/null 2>&1 && break
  sleep 0.5
done
if ! "$kubectl" -n default get secret demo-secret -o yaml; then
  echo "the Secret did not appear; controller log: $state/log/controller-kube-system.log" >&2
  tail -n 30 "$state/log/controller-kube-system.log" >&2
  exit 1
fi
got=$("$kubectl" -n default get secret demo-secret -o jsonpath='{.data.password}' | base64 -d)
echo "password in the Secret: $got (sealed: $password)"
[[ $got == "$password" ]] || { echo "MISMATCH" >&2; exit 1; }
"$kubectl" -n default get sealedsecret demo-secret

cat <<MSG

The demo cluster keeps running. To use it from this shell:

  export KUBECONFIG=$KUBECONFIG
  export PATH=$SEALWRIGHT_TESTENV_BIN:$repo/target/debug:\$PATH    # kubectl $("$kubectl" version --client -o json | sed -n 's/.*"gitVersion": "\(.*\)".*/\1/p' | head -1), kubeseal
  kubectl get sealedsecrets,secrets -n default
  kubeseal --fetch-cert

Logs: $state/log/     Stop it: scripts/demo.sh down   (or: tests/testenv/down.sh $env_file)
MSG
