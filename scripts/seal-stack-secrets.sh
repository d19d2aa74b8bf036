#!/usr/bin/env bash
# Seals the security stack's credentials with sealwright's kubeseal and writes the SealedSecret
# manifests into manifests/*/sealed/. With --apply it deploys the whole stack in one go.
#
#   scripts/seal-stack-secrets.sh --values FILE [--generate-missing] [--cert FILE] [--apply [--k3s]]
#   scripts/seal-stack-secrets.sh --example
#
# --values FILE        KEY=VALUE lines (keep the file outside the repository, mode 600):
#                        CLOUDFLARE_TUNNEL_TOKEN      the tunnel's token from the Cloudflare dashboard
#                        CROWDSEC_BOUNCER_API_KEY     >= 32 characters
#                        CROWDSEC_LAPI_SECRET         >= 64 characters
#                        CROWDSEC_REGISTRATION_TOKEN  >= 48 characters
# --generate-missing   append random values for the three CrowdSec keys the file lacks
# --cert FILE          seal offline for this certificate instead of fetching the cluster's
# --out-dir DIR        write the sealed/ files below DIR instead of the repository root
# --apply              deploy the controller, wait for it, seal against its certificate,
#                      then apply the whole stack (kubectl apply -k manifests/)
# --k3s                with --apply: deploy the k3s variant (manifests/overlays/k3s), which
#                      configures k3s's bundled Traefik instead of installing one with ArgoCD
# --example            reseal the committed examples for a throwaway demo key whose private
#                      key is discarded at once: they can never be unsealed anywhere
#
# KUBESEAL=path picks the kubeseal binary (default: build sealwright-cli in release mode).
# Plaintext values travel only through pipes and a private temporary directory.
set -euo pipefail
umask 077
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

values_file="" cert="" apply=0 example=0 generate=0 out_dir=$root stack=manifests
while (($#)); do
  case $1 in
    --values) values_file=${2:?--values needs a file}; shift 2 ;;
    --cert) cert=${2:?--cert needs a file}; shift 2 ;;
    --out-dir) out_dir=${2:?--out-dir needs a directory}; shift 2 ;;
    --apply) apply=1; shift ;;
    --k3s) stack=manifests/overlays/k3s; shift ;;
    --example) example=1; shift ;;
    --generate-missing) generate=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "seal-stack-secrets: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
if ((!apply)) && [[ $stack != manifests ]]; then
  echo "seal-stack-secrets: --k3s chooses what --apply deploys, so it needs --apply" >&2; exit 2
fi
if ((apply)) && [[ $out_dir != "$root" ]]; then
  echo "seal-stack-secrets: --apply deploys the repository's manifests, so it takes no --out-dir" >&2; exit 2
fi
if ((example)) && [[ -n $values_file || -n $cert || $apply == 1 ]]; then
  echo "seal-stack-secrets: --example takes no other option" >&2; exit 2
fi
if ((!example)) && [[ -z $values_file ]]; then
  echo "seal-stack-secrets: --values FILE is required (see --help)" >&2; exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

kubeseal=${KUBESEAL:-}
if [[ -z $kubeseal ]]; then
  (cd "$root" && cargo build -q --release -p sealwright-cli --bin kubeseal)
  kubeseal=$root/target/release/kubeseal
fi

declare -A val=()
# Reads KEY=VALUE lines without evaluating them (a values file is data, not a script).
read_values() {
  local line key value
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -z ${line//[[:space:]]/} || $line == \#* ]] && continue
    key=${line%%=*} value=${line#*=}
    value=${value#\"} value=${value%\"}
    val[$key]=$value
  done < "$1"
}

random_value() { head -c 96 /dev/urandom | base64 -w0 | tr -d '/+=' | cut -c1-"$1"; }

need() { # name min-length
  local v=${val[$1]:-}
  if [[ -z $v ]]; then echo "seal-stack-secrets: $1 is missing from $values_file" >&2; exit 1; fi
  if ((${#v} < $2)); then echo "seal-stack-secrets: $1 must be at least $2 characters" >&2; exit 1; fi
}

# seal <namespace> <name> <output file> <key>=<values-name>...
seal() {
  local ns=$1 name=$2 out=$3; shift 3
  local data="" sep="" labels="" pair
  for pair in "$@"; do
    data+="$sep\"${pair%%=*}\":\"$(printf '%s' "${val[${pair#*=}]}" | base64 -w0)\""
    sep=","
  done
  ((example)) && labels=',"labels":{"sealwright.dev/example":"true"}'
  local args=(--format yaml)
  [[ -n $cert ]] && args+=(--cert "$cert")
  {
    if ((example)); then
      printf '# EXAMPLE ONLY, not a usable credential: sealed for a throwaway demo key whose private\n'
      printf '# key was discarded. Replace it with scripts/seal-stack-secrets.sh --values FILE.\n'
    else
      printf '# Sealed by scripts/seal-stack-secrets.sh for this cluster'"'"'s controller key.\n'
    fi
    printf '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"%s","namespace":"%s"%s},"type":"Opaque","data":{%s}}' \
      "$name" "$ns" "$labels" "$data" | "$kubeseal" "${args[@]}"
  } > "$work/out.yaml"
  mkdir -p "$(dirname "$out_dir/$out")"
  mv "$work/out.yaml" "$out_dir/$out"
  echo "sealed $ns/$name -> $out" >&2
}

if ((example)); then
  openssl req -x509 -newkey rsa:4096 -nodes -keyout "$work/demo.key" -out "$work/demo.pem" \
    -subj /CN=sealwright-demo -days 3650 2>/dev/null
  rm -f "$work/demo.key"
  cert=$work/demo.pem
  val=(
    [CLOUDFLARE_TUNNEL_TOKEN]=example-tunnel-token-not-real
    [CROWDSEC_BOUNCER_API_KEY]=example-bouncer-key-not-real-000000000
    [CROWDSEC_LAPI_SECRET]=example-lapi-secret-not-real-0000000000000000000000000000000000000000
    [CROWDSEC_REGISTRATION_TOKEN]=example-registration-token-not-real-000000000000
  )
else
  read_values "$values_file"
  if ((generate)); then
    for spec in CROWDSEC_BOUNCER_API_KEY:48 CROWDSEC_LAPI_SECRET:80 CROWDSEC_REGISTRATION_TOKEN:64; do
      key=${spec%%:*}
      if [[ -z ${val[$key]:-} ]]; then
        val[$key]=$(random_value "${spec#*:}")
        printf '%s=%s\n' "$key" "${val[$key]}" >> "$values_file"
        echo "generated $key into $values_file" >&2
      fi
    done
  fi
  need CLOUDFLARE_TUNNEL_TOKEN 1
  need CROWDSEC_BOUNCER_API_KEY 32
  need CROWDSEC_LAPI_SECRET 64
  need CROWDSEC_REGISTRATION_TOKEN 48
fi

if ((apply)); then
  kubectl apply --server-side -k "$root/manifests/sealed-secrets"
  kubectl -n kube-system rollout status deployment/sealed-secrets-controller --timeout=300s
  if [[ -z $cert ]]; then
    "$kubeseal" --fetch-cert > "$work/cluster.pem"
    cert=$work/cluster.pem
  fi
fi

seal crowdsec crowdsec-bouncer-key manifests/crowdsec/sealed/crowdsec-bouncer-key.yaml \
  api-key=CROWDSEC_BOUNCER_API_KEY
seal crowdsec crowdsec-lapi-secrets manifests/crowdsec/sealed/crowdsec-lapi-secrets.yaml \
  csLapiSecret=CROWDSEC_LAPI_SECRET registrationToken=CROWDSEC_REGISTRATION_TOKEN
seal cloudflared cloudflared-token manifests/cloudflared/sealed/cloudflared-token.yaml \
  token=CLOUDFLARE_TUNNEL_TOKEN

if ((apply)); then
  # Traefik's CRDs arrive with its Application: on a first deploy the Middleware cannot be
  # applied until ArgoCD has synced Traefik, so apply, wait for the CRD, apply again.
  if ! kubectl get crd middlewares.traefik.io >/dev/null 2>&1; then
    kubectl apply --server-side -k "$root/$stack" || true
    echo "waiting for ArgoCD to install Traefik's CRDs" >&2
    for _ in $(seq 120); do
      kubectl get crd middlewares.traefik.io >/dev/null 2>&1 && break
      sleep 5
    done
    kubectl wait --for=condition=Established crd/middlewares.traefik.io crd/ingressroutes.traefik.io --timeout=120s
  fi
  kubectl apply --server-side -k "$root/$stack"
fi
