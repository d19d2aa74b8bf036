#!/usr/bin/env bash
# Builds the manifest tools and downloads the schema sources, so the manifests_* tests can then
# run without network (for example inside the test control plane's network namespace).
# Run on the host, before the tests; both steps are cached and take a second when warm.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/build-tools.sh" >/dev/null
"$here/fetch-schemas.sh" >/dev/null
# crane, for the controller image tests (manifests_image, manifests_e2e).
"$here/../../manifests/image/build.sh" --tools-only >/dev/null
# A container runtime for manifests_runtime: podman, run with runc (Debian's packages).
if ! command -v podman >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  echo "installing podman and runc" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq podman runc >/dev/null
fi
echo "manifest tools and schema sources ready" >&2
