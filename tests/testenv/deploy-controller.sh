#!/usr/bin/env bash
# Runs a controller binary against a testenv control plane as
# kube-system/sealed-secrets-controller, the way upstream's controller.yaml deploys it:
# the ServiceAccount and RBAC (shipped manifests, else controller-rbac.yaml), a bound token and
# the in-cluster environment, and a Service without port name whose Endpoints/EndpointSlice
# point at a Pod carrying the process's address. The process keeps running; down.sh stops it.
#
#   deploy-controller.sh ENV_FILE CONTROLLER_BINARY [CONTROLLER ARGS...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

env_file=${1:-}; binary=${2:-}
[[ -f $env_file && -x $binary ]] || die "usage: deploy-controller.sh ENV_FILE CONTROLLER_BINARY [ARGS...]"
shift 2
require_root
set -a; . "$env_file"; set +a
W=$SEALWRIGHT_TESTENV_DIR
ns=$SEALWRIGHT_TESTENV_NETNS
name=sealed-secrets-controller
cns=kube-system
ip=$TESTENV_SYSTEM_CONTROLLER_IP
kc() { ip netns exec "$ns" "$SEALWRIGHT_TESTENV_KUBECTL" --kubeconfig "$SEALWRIGHT_TESTENV_KUBECONFIG_ADMIN" "$@"; }

# RBAC: the RBAC documents of the shipped manifests, or upstream's rules.
rbac=$W/controller-rbac.yaml
: >"$rbac"
for f in "$repo"/manifests/sealed-secrets/*.yaml; do
  [[ -f $f ]] || continue
  awk 'function flush(){ if (doc ~ /(^|\n)kind: (ServiceAccount|ClusterRole|Role|ClusterRoleBinding|RoleBinding)\n/) printf "---\n%s", doc; doc="" }
       /^---/ { flush(); next } { doc = doc $0 "\n" } END { flush() }' "$f" >>"$rbac"
done
grep -q '^kind: ClusterRole$' "$rbac" || cp "$here/controller-rbac.yaml" "$rbac"
kc apply -f "$rbac" >"$W/log/deploy-rbac.log" 2>&1 || die "applying RBAC failed: $(cat "$W/log/deploy-rbac.log")"

# The address plumbing for the service proxy (see tests/testenv/README.md).
kc apply -f - >"$W/log/deploy-objects.log" 2>&1 <<YAML || die "creating the Service/Pod failed: $(cat "$W/log/deploy-objects.log")"
apiVersion: v1
kind: Service
metadata: {name: $name, namespace: $cns, labels: {name: $name}}
spec:
  type: ClusterIP
  ports: [{port: 8080, targetPort: 8080, protocol: TCP}]
---
apiVersion: v1
kind: Service
metadata: {name: $name-metrics, namespace: $cns, labels: {name: $name}}
spec:
  type: ClusterIP
  ports: [{port: 8081, targetPort: 8081, protocol: TCP}]
---
apiVersion: v1
kind: Pod
metadata: {name: $name-0, namespace: $cns, labels: {name: $name}}
spec:
  serviceAccountName: $name
  containers: [{name: $name, image: none.invalid/sealwright-testenv:none}]
YAML
kc -n "$cns" patch pod "$name-0" --subresource=status --type=merge -p \
  "{\"status\":{\"phase\":\"Running\",\"podIP\":\"$ip\",\"podIPs\":[{\"ip\":\"$ip\"}],\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}" \
  >>"$W/log/deploy-objects.log" 2>&1 || die "setting the Pod status failed: $(cat "$W/log/deploy-objects.log")"
uid=$(kc -n "$cns" get pod "$name-0" -o jsonpath='{.metadata.uid}')
for svc in "$name:8080" "$name-metrics:8081"; do
  s=${svc%:*}; port=${svc#*:}
  kc apply -f - >>"$W/log/deploy-objects.log" 2>&1 <<YAML || die "creating the endpoints failed: $(cat "$W/log/deploy-objects.log")"
apiVersion: v1
kind: Endpoints
metadata: {name: $s, namespace: $cns, labels: {name: $name}}
subsets:
- addresses: [{ip: $ip, targetRef: {kind: Pod, namespace: $cns, name: $name-0, uid: "$uid"}}]
  ports: [{port: $port, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: $s-testenv
  namespace: $cns
  labels: {kubernetes.io/service-name: $s, endpointslice.kubernetes.io/managed-by: sealwright-testenv}
addressType: IPv4
endpoints:
- addresses: [$ip]
  conditions: {ready: true}
  targetRef: {kind: Pod, namespace: $cns, name: $name-0, uid: "$uid"}
ports: [{port: $port, protocol: TCP}]
YAML
done

# What the kubelet would mount: a bound token, the cluster CA and the namespace.
sa=$W/serviceaccounts/$cns-$name
mkdir -p "$sa"
kc -n "$cns" create token "$name" --duration=24h >"$sa/token" || die "TokenRequest for $cns/$name failed"
cp "$SEALWRIGHT_TESTENV_CA" "$sa/ca.crt"
printf '%s' "$cns" >"$sa/namespace"

# A private mount namespace with a tmpfs over /run holds only this process's token; the same
# files client-go's InClusterConfig and kube-rs read in a real Pod.
wrapper='set -e
run=$(readlink -f /var/run)
mount -t tmpfs -o mode=0755,size=1m sealwright-run "$run"
mkdir -p "$run/secrets/kubernetes.io/serviceaccount"
cp "$1/token" "$1/ca.crt" "$1/namespace" "$run/secrets/kubernetes.io/serviceaccount/"
shift
exec "$@"'
log_file=$W/log/controller-$cns.log
HOME=$sa KUBERNETES_SERVICE_HOST=$SEALWRIGHT_TESTENV_APISERVER_HOST \
  KUBERNETES_SERVICE_PORT=$SEALWRIGHT_TESTENV_APISERVER_PORT \
  nohup env -u KUBECONFIG ip netns exec "$ns" unshare --mount --propagation private -- \
  sh -c "$wrapper" sh "$sa" "$binary" --listen-addr="$ip:8080" --listen-metrics-addr="$ip:8081" "$@" \
  >"$log_file" 2>&1 </dev/null &
pid=$!
echo "controller-$cns $pid" >>"$W/pids"

healthy() { kill -0 "$pid" 2>/dev/null && ip netns exec "$ns" curl -fsS "http://$ip:8080/healthz"; }
if ! wait_for 180 "the controller's /healthz" healthy; then
  kill -0 "$pid" 2>/dev/null || log "the controller exited"
  tail -n 60 "$log_file" >&2
  die "controller $binary did not become healthy (log: $log_file)"
fi
log "controller $binary running as $cns/$name (pid $pid, $ip:8080, log $log_file)"
