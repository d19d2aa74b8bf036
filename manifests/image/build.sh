#!/usr/bin/env bash
# Builds the controller's container image without a Docker engine: a static
# sealed-secrets-controller in a single layer on an empty base, assembled with crane (built from
# the Go module proxy, see go/go.mod) through a registry that lives on loopback for the duration
# of the build. Writes an OCI image layout tarball that `docker load`, `ctr import` and
# `kind load image-archive` accept, and prints the image's manifest digest on stdout.
#
#   manifests/image/build.sh [--binary FILE] [--out DIR]
#   manifests/image/build.sh --tools-only
#
# --binary FILE   package this binary instead of building the static release binary
# --out DIR       where the tarball goes (default: target/image); it is
#                 DIR/sealed-secrets-controller-v<version>.oci.tar
# --tools-only    build crane into its cache, print the directory holding it, and stop
#                 (run it before going offline)
#
# The image: /usr/local/bin/sealed-secrets-controller, entrypoint that binary, PATH=/usr/local/bin
# (the Deployment's command names the binary without a path), user 1001:1001 (the Deployment's
# runAsUser/runAsGroup), no shell or other file. Reference:
# ghcr.io/sealwright/sealed-secrets-controller:v<workspace version>, as in the Deployment.
# Same inputs, same digest: file times come from SOURCE_DATE_EPOCH (default: the last commit's
# time) and the binary is built with source paths remapped.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
repository=ghcr.io/sealwright/sealed-secrets-controller
binary_name=sealed-secrets-controller
target=x86_64-unknown-linux-gnu

binary="" out_dir=$root/target/image tools_only=0
while (($#)); do
  case $1 in
    --binary) binary=${2:?--binary needs a file}; shift 2 ;;
    --out) out_dir=${2:?--out needs a directory}; shift 2 ;;
    --tools-only) tools_only=1; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
say() { echo "build-image: $*" >&2; }

# crane, cached under a key of everything that decides its bytes.
build_crane() {
  export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0
  export GOFLAGS="-modcacherw -buildvcs=false"
  local key cache tmp
  key=$( { cat "$here/go/go.mod" "$here/go/go.sum" "$here/build.sh"; go version; } | sha256sum | cut -c1-16)
  cache=${XDG_CACHE_HOME:-$HOME/.cache}/sealwright/crane/$key
  if [[ ! -x $cache/crane ]]; then
    mkdir -p "$(dirname "$cache")"
    # Concurrent builds (parallel tests) wait for the first one.
    exec 9>"$cache.lock"
    flock 9
    if [[ ! -x $cache/crane ]]; then
      tmp=$cache.tmp.$$
      rm -rf "$tmp"
      mkdir -p "$tmp"
      say "building crane into $cache"
      (cd "$here/go" && go build -trimpath -ldflags="-s -w" -o "$tmp/" \
        github.com/google/go-containerregistry/cmd/crane) >&2
      rm -rf "$cache"
      mv "$tmp" "$cache"
    fi
    exec 9>&-
  fi
  echo "$cache"
}

crane_dir=$(build_crane)
if ((tools_only)); then
  echo "$crane_dir"
  exit 0
fi
crane=$crane_dir/crane

# Version, source and licence come from the root Cargo.toml's [workspace.package].
workspace_field() {
  sed -n '/^\[workspace.package\]/,/^\[/{s/^'"$1"' *= *"\(.*\)"$/\1/p}' "$root/Cargo.toml"
}
version=$(workspace_field version)
source_url=$(workspace_field repository)
licenses=$(workspace_field license)
[[ -n $version && -n $source_url && -n $licenses ]] || { say "cannot read [workspace.package] from Cargo.toml"; exit 1; }
tag=v$version
image=$repository:$tag

if [[ -z ${SOURCE_DATE_EPOCH:-} ]]; then
  SOURCE_DATE_EPOCH=$(git -C "$root" log -1 --format=%ct 2>/dev/null || echo 0)
fi
export SOURCE_DATE_EPOCH

if [[ -z $binary ]]; then
  # Static glibc: the controller resolves no host names (the API server comes as an address from
  # KUBERNETES_SERVICE_HOST) and uses rustls, so nothing needs NSS or dlopen at run time.
  # --target keeps these flags away from build scripts and from the host build's cache.
  say "building a static $binary_name (release, $target)"
  cargo_home=${CARGO_HOME:-$HOME/.cargo}
  flags=(-Ctarget-feature=+crt-static -Cstrip=symbols
    "--remap-path-prefix=$root=/sealwright" "--remap-path-prefix=$cargo_home=/cargo")
  (IFS=$'\x1f'; export CARGO_ENCODED_RUSTFLAGS="${flags[*]}"
    cd "$root" && cargo build --locked --release -p sealwright-controller --bin "$binary_name" \
      --target "$target") >&2
  binary=$root/target/$target/release/$binary_name
fi
[[ -f $binary && -x $binary ]] || { say "$binary is not an executable file"; exit 1; }

work=$(mktemp -d)
registry_pid=""
cleanup() {
  if [[ -n $registry_pid ]]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# tar with fixed names, order, owners, modes and times, so the same files give the same bytes.
det_tar() { # output dir paths...
  local output=$1 dir=$2; shift 2
  tar --sort=name --mtime="@$SOURCE_DATE_EPOCH" --owner=0 --group=0 --numeric-owner --mode=u=rwX,go=rX \
    --format=gnu -C "$dir" -cf "$output" "$@"
}

mkdir -p "$work/rootfs/usr/local/bin"
install -m 0755 "$binary" "$work/rootfs/usr/local/bin/$binary_name"
chmod 0755 "$work/rootfs/usr" "$work/rootfs/usr/local" "$work/rootfs/usr/local/bin"
det_tar "$work/layer.tar" "$work/rootfs" usr

# crane edits images in a registry only, so one serves on loopback until the image is pulled.
"$crane" registry serve --address 127.0.0.1:0 >"$work/registry.log" 2>&1 &
registry_pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*serving on port \([0-9][0-9]*\).*/\1/p' "$work/registry.log")
  [[ -n $port ]] && break
  kill -0 "$registry_pid" 2>/dev/null || break
  sleep 0.1
done
[[ -n $port ]] || { say "crane registry did not start: $(cat "$work/registry.log")"; exit 1; }
local_ref=127.0.0.1:$port/sealwright/$binary_name

"$crane" append --oci-empty-base --platform linux/amd64 -f "$work/layer.tar" -t "$local_ref:layer" >/dev/null 2>"$work/crane.log" \
  || { cat "$work/crane.log" >&2; exit 1; }
"$crane" mutate "$local_ref:layer" -t "$local_ref:$tag" \
  --set-platform linux/amd64 \
  --entrypoint "/usr/local/bin/$binary_name" \
  --user 1001:1001 \
  --env PATH=/usr/local/bin \
  --label "org.opencontainers.image.title=$binary_name" \
  --label "org.opencontainers.image.description=sealwright: Sealed Secrets controller" \
  --label "org.opencontainers.image.source=$source_url" \
  --label "org.opencontainers.image.version=$tag" \
  --label "org.opencontainers.image.licenses=$licenses" \
  >/dev/null 2>"$work/crane.log" || { cat "$work/crane.log" >&2; exit 1; }
"$crane" pull --format=oci "$local_ref:$tag" "$work/layout" 2>"$work/crane.log" \
  || { cat "$work/crane.log" >&2; exit 1; }
digest=$("$crane" digest "$local_ref:$tag")

# The layout's index names the image: io.containerd.image.name is what ctr import, kind and
# docker load read; ref.name is the tag, as the OCI layout spec has it. manifest.json (the
# docker save format) lets older docker load versions read the same file.
manifest=$work/layout/blobs/sha256/${digest#sha256:}
size=$(stat -c %s "$manifest")
config=$(sed -n 's/.*"config":{[^}]*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$manifest")
layer=$(sed -n 's/.*"layers":\[{[^}]*"digest":"\(sha256:[0-9a-f]*\)".*/\1/p' "$manifest")
[[ -n $config && -n $layer ]] || { say "unexpected manifest: $(cat "$manifest")"; exit 1; }
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}\n' \
  "$digest" "$size" "$image" "$tag" >"$work/layout/index.json"
printf '[{"Config":"blobs/sha256/%s","RepoTags":["%s"],"Layers":["blobs/sha256/%s"]}]\n' \
  "${config#sha256:}" "$image" "${layer#sha256:}" >"$work/layout/manifest.json"

find "$work/layout" -type f -exec chmod 0644 {} +
find "$work/layout" -type d -exec chmod 0755 {} +

mkdir -p "$out_dir"
tarball=$out_dir/$binary_name-$tag.oci.tar
det_tar "$work/image.tar" "$work/layout" oci-layout index.json manifest.json blobs
mv "$work/image.tar" "$tarball"
say "$image ($digest) -> $tarball"
echo "$digest"
