#!/usr/bin/env bash
# Downloads the upstream Go modules listed in schema-sources.tsv and prints one line per
# schema file: "<name>\t<absolute path>". The files stay in the Go module cache.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export GOTOOLCHAIN=local GOWORK=off GOFLAGS="-modcacherw"

while IFS=$'\t' read -r name module version path; do
  [[ -z $name || $name == \#* ]] && continue
  # Run outside any module so go.mod/go.sum files are left alone.
  dir=$(cd / && go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p')
  if [[ -z $dir || ! -f $dir/$path ]]; then
    echo "fetch-schemas: $module@$version has no $path" >&2
    exit 1
  fi
  printf '%s\t%s\n' "$name" "$dir/$path"
done < "$here/schema-sources.tsv"
