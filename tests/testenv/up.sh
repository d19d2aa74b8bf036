#!/usr/bin/env bash
# Starts a local Kubernetes control plane (etcd, kube-apiserver, kube-controller-manager)
# inside a network namespace of its own, and prints the path of its env file on stdout.
#
#   up.sh [--veth] [--dir DIR] [--netns NAME]
#
# Run as root from the host. The processes keep running after this script; stop them with
# `down.sh <env file>`. Every setting the tests need is in the env file (KEY=VALUE lines).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib.sh"

veth=; W=; ns=
while (($#)); do
  case $1 in
    --veth) veth=--veth ;;
    --dir) W=$2; shift ;;
    --netns) ns=$2; shift ;;
    *) die "unknown argument $1 (usage: up.sh [--veth] [--dir DIR] [--netns NAME])" ;;
  esac
  shift
done
require_root
require_tools ip openssl curl nohup awk

started=$(date +%s)
bin=${SEALWRIGHT_TESTENV_BIN:-$("$here/build.sh")}
for b in etcd kube-apiserver kube-controller-manager kubectl; do
  [[ -x $bin/$b ]] || die "$bin/$b is missing: run tests/testenv/build.sh"
done
ns=${ns:-sw-$$}
if [[ -z $W ]]; then
  W=$(mktemp -d "${TMPDIR:-/tmp}/sealwright-testenv.XXXXXX")
else
  [[ ! -e $W/pids ]] || die "$W already holds a control plane (run down.sh $W/env first)"
  mkdir -p "$W"
fi
W=$(cd "$W" && pwd)
mkdir -p "$W/log" "$W/pki" "$W/etcd" "$W/ip-locks"
chmod 700 "$W/pki" "$W/etcd"
: >"$W/pids"
echo "$ns" >"$W/netns"

ok=
cleanup_on_failure() {
  [[ -n $ok ]] && return
  log "startup failed; component logs follow"
  tail_logs "$W/log" 80
  "$here/down.sh" --keep "$W" || true
  log "logs kept in $W/log"
}
trap cleanup_on_failure EXIT

inns() { ip netns exec "$ns" "$@"; }
# start NAME BINARY ARGS...: a background process inside the namespace, PID recorded.
start() {
  local name=$1; shift
  nohup ip netns exec "$ns" "$@" >"$W/log/$name.log" 2>&1 </dev/null &
  echo "$name $!" >>"$W/pids"
}

log "network namespace $ns, state in $W"
"$here/netns.sh" create "$ns" $veth

# --- PKI: a real CA (rustls rejects a leaf used as CA), a serving cert with IP SANs, SA keys.
P=$W/pki
san="IP:127.0.0.1,IP:$TESTENV_NODE_IP,IP:$TESTENV_VETH_NS_IP,IP:10.96.0.1,DNS:localhost,DNS:kubernetes"
san+=",DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
{
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -keyout "$P/ca.key" -out "$P/ca.crt" -subj /CN=sealwright-testenv-ca \
    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$P/apiserver.key" \
    -out "$P/apiserver.csr" -subj /CN=kube-apiserver
  printf '%s\n' "subjectAltName=$san" "basicConstraints=CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$P/apiserver.ext"
  openssl x509 -req -in "$P/apiserver.csr" -CA "$P/ca.crt" -CAkey "$P/ca.key" -CAcreateserial \
    -days 3650 -out "$P/apiserver.crt" -extfile "$P/apiserver.ext"
  openssl genrsa -out "$P/sa.key" 2048
  openssl rsa -in "$P/sa.key" -pubout -out "$P/sa.pub"
} >"$W/log/pki.log" 2>&1 || die "openssl failed: $(tail -5 "$W/log/pki.log")"
chmod 600 "$P"/*.key

# --- Identities: admin is cluster-admin through system:masters; alice and bob get no RBAC
# at all (only what system:authenticated has), so tests can show what is forbidden.
declare -A token
for u in admin alice bob; do token[$u]=$(openssl rand -hex 24); done
{
  echo "${token[admin]},sealwright-admin,uid-admin,\"system:masters\""
  echo "${token[alice]},alice,uid-alice,\"team-a\""
  echo "${token[bob]},bob,uid-bob,\"team-b\""
} >"$P/tokens.csv"
chmod 600 "$P/tokens.csv"

server_ip=$TESTENV_NODE_IP
[[ -n $veth ]] && server_ip=$TESTENV_VETH_NS_IP # reachable from the host shell as well
server=https://$server_ip:$TESTENV_APISERVER_PORT
kubeconfig() { # USER TOKEN FILE
  cat >"$3" <<KC
apiVersion: v1
kind: Config
clusters:
- name: sealwright-testenv
  cluster:
    server: $server
    certificate-authority: $P/ca.crt
users:
- name: $1
  user:
    token: $2
contexts:
- name: $1
  context:
    cluster: sealwright-testenv
    user: $1
    namespace: default
current-context: $1
KC
  chmod 600 "$3"
}
for u in admin alice bob; do kubeconfig "$u" "${token[$u]}" "$W/$u.kubeconfig"; done
kc() { inns "$bin/kubectl" --kubeconfig "$W/admin.kubeconfig" "$@"; }

# --- etcd
start etcd "$bin/etcd" --name=t0 --data-dir="$W/etcd" \
  --listen-client-urls=http://127.0.0.1:2379 --advertise-client-urls=http://127.0.0.1:2379 \
  --listen-peer-urls=http://127.0.0.1:2380 --initial-advertise-peer-urls=http://127.0.0.1:2380 \
  --initial-cluster=t0=http://127.0.0.1:2380 --unsafe-no-fsync=true --log-level=warn
wait_for 30 "etcd /readyz" inns curl -fsS http://127.0.0.1:2379/readyz || die "etcd did not become ready"
log "etcd ready after $(( $(date +%s) - started ))s"

# --- kube-apiserver. It binds every address of the namespace; nothing outside can reach it
# except through the optional veth.
start kube-apiserver "$bin/kube-apiserver" \
  --etcd-servers=http://127.0.0.1:2379 \
  --bind-address=0.0.0.0 --secure-port="$TESTENV_APISERVER_PORT" \
  --advertise-address="$TESTENV_NODE_IP" \
  --tls-cert-file="$P/apiserver.crt" --tls-private-key-file="$P/apiserver.key" \
  --client-ca-file="$P/ca.crt" --token-auth-file="$P/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$P/sa.pub" --service-account-signing-key-file="$P/sa.key" \
  --service-cluster-ip-range=10.96.0.0/16 \
  --disable-admission-plugins=ServiceAccount \
  --allow-privileged=true --endpoint-reconciler-type=none \
  --enable-priority-and-fairness=false --profiling=false --v=1
readyz() { inns curl -fsS --cacert "$P/ca.crt" -H "Authorization: Bearer ${token[admin]}" \
  "https://$TESTENV_NODE_IP:$TESTENV_APISERVER_PORT/readyz"; }
wait_for 120 "kube-apiserver /readyz" readyz || die "kube-apiserver did not become ready"
log "kube-apiserver ready after $(( $(date +%s) - started ))s"

# --- The SealedSecret CRD, before KCM starts so the garbage collector sees the type at once.
crd=$W/crd.yaml
crd_from_manifests() {
  local f
  for f in "$repo"/manifests/sealed-secrets/*.yaml; do
    [[ -f $f ]] || continue
    # One YAML document per `---`; keep the one that is a CustomResourceDefinition.
    awk 'function flush(){ if (doc ~ /(^|\n)kind: CustomResourceDefinition/) printf "---\n%s", doc; doc="" }
         /^---/ { flush(); next } { doc = doc $0 "\n" } END { flush() }' "$f"
  done
}
crd_from_manifests >"$crd"
if [[ -s $crd ]]; then
  log "CRD from manifests/sealed-secrets/"
elif [[ -n ${SEALWRIGHT_CRDGEN:-} && -x $SEALWRIGHT_CRDGEN ]]; then
  "$SEALWRIGHT_CRDGEN" >"$crd"
else
  # cargo runs on the host side (this script is not inside the namespace), so it may fetch.
  (cd "$repo" && cargo run -q -p sealwright-crypto --bin crdgen) >"$crd" \
    || die "could not generate the CRD (cargo run -p sealwright-crypto --bin crdgen)"
fi
kc apply -f "$crd" >"$W/log/crd.log" 2>&1 || die "applying the CRD failed: $(cat "$W/log/crd.log")"
kc wait --for=condition=Established --timeout=60s crd/sealedsecrets.bitnami.com >>"$W/log/crd.log" 2>&1 \
  || die "the CRD was not established: $(cat "$W/log/crd.log")"

# --- kube-controller-manager: the garbage collector, the namespace controller, and the Deployment
# and ReplicaSet controllers, so an applied Deployment gets its ReplicaSet, Pods and rollout
# status (`kubectl rollout status` reads them). No scheduler or kubelet runs: a test that plays
# the node marks such a Pod Running and Ready itself.
start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig="$W/admin.kubeconfig" \
  --controllers=garbage-collector-controller,namespace-controller,deployment-controller,replicaset-controller \
  --leader-elect=false --secure-port=0 --use-service-account-credentials=false --v=1

# GC probe: an owned ConfigMap must disappear once its owner is deleted.
kc -n default create configmap testenv-gc-owner >/dev/null
owner_uid=$(kc -n default get configmap testenv-gc-owner -o jsonpath='{.metadata.uid}')
kc apply -f - >/dev/null <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: testenv-gc-dependent
  namespace: default
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: testenv-gc-owner, uid: "$owner_uid"}
YAML
kc -n default delete configmap testenv-gc-owner --wait=false >/dev/null
gone() { ! kc -n default get configmap testenv-gc-dependent >/dev/null 2>&1; }
wait_for 120 "the garbage collector (probe)" gone || die "the garbage collector did not delete the probe"
log "kube-controller-manager and GC ready after $(( $(date +%s) - started ))s"

cat >"$W/env" <<ENV
SEALWRIGHT_TESTENV=$W/env
SEALWRIGHT_TESTENV_DIR=$W
SEALWRIGHT_TESTENV_NETNS=$ns
SEALWRIGHT_TESTENV_BIN=$bin
SEALWRIGHT_TESTENV_KUBECTL=$bin/kubectl
SEALWRIGHT_TESTENV_REPO=$repo
SEALWRIGHT_TESTENV_SERVER=$server
SEALWRIGHT_TESTENV_APISERVER_HOST=$TESTENV_NODE_IP
SEALWRIGHT_TESTENV_APISERVER_PORT=$TESTENV_APISERVER_PORT
SEALWRIGHT_TESTENV_CA=$P/ca.crt
SEALWRIGHT_TESTENV_POD_IPS=10.213.0.$TESTENV_POOL_FIRST-10.213.0.$TESTENV_POOL_LAST
SEALWRIGHT_TESTENV_IP_LOCKS=$W/ip-locks
SEALWRIGHT_TESTENV_LOGS=$W/log
SEALWRIGHT_TESTENV_KUBECONFIG_ADMIN=$W/admin.kubeconfig
SEALWRIGHT_TESTENV_KUBECONFIG_ALICE=$W/alice.kubeconfig
SEALWRIGHT_TESTENV_KUBECONFIG_BOB=$W/bob.kubeconfig
SEALWRIGHT_TESTENV_TOKEN_ADMIN=${token[admin]}
SEALWRIGHT_TESTENV_TOKEN_ALICE=${token[alice]}
SEALWRIGHT_TESTENV_TOKEN_BOB=${token[bob]}
KUBECONFIG=$W/admin.kubeconfig
ENV
chmod 600 "$W/env"
ok=1
log "control plane up in $(( $(date +%s) - started ))s; env file: $W/env"
echo "$W/env"
