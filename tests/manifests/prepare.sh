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
echo "manifest tools and schema sources ready" >&2
