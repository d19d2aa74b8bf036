#!/usr/bin/env bash
# Fails when a tracked file refers to a path outside the repository: a relative path that climbs
# above the checkout (from the file's folder or from its Cargo package), the `shared/` reference
# folder that sits beside a developer's checkout, or an absolute path into a workspace. A user's
# clone has only the repository, so such a reference breaks a fresh clone.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
python3 - <<'PY'
import os, re, subprocess, sys

files = subprocess.run(["git", "ls-files", "-z"], capture_output=True, check=True).stdout.split(b"\0")
climb = re.compile(rb"(?:\.\./)+[A-Za-z0-9_.-]*")
sibling = re.compile(rb"(?<![A-Za-z0-9_/.-])(?:\.\./)+shared(?:/|\b)|\bshared/(?:vectors|docs|hooks)/")
absolute = re.compile(rb"/work/[A-Za-z0-9_.-]+/")

def package_dir(path):
    d = os.path.dirname(path)
    while d:
        if os.path.isfile(os.path.join(d, "Cargo.toml")):
            return d
        d = os.path.dirname(d)
    return ""

def escapes(base, rel):
    return os.path.normpath(os.path.join(base, rel)).startswith("..")

found = []
for raw in files:
    if not raw:
        continue
    path = raw.decode()
    if path == "scripts/check-paths.sh":
        continue
    try:
        data = open(path, "rb").read(2_000_000)
    except OSError:
        continue
    if b"\0" in data[:8000]:
        continue
    for no, line in enumerate(data.split(b"\n"), 1):
        bad = None
        if sibling.search(line):
            bad = "the shared/ folder beside the checkout"
        elif absolute.search(line):
            bad = "an absolute workspace path"
        else:
            for m in climb.finditer(line):
                rel = m.group().decode(errors="replace")
                bases = [os.path.dirname(path)]
                if path.endswith(".rs"):
                    bases.append(package_dir(path))
                if any(escapes(b, rel) for b in bases):
                    bad = f"{rel} climbs out of the repository"
                    break
        if bad:
            found.append(f"{path}:{no}: refers to {bad}")
if found:
    print("check-paths: tracked files refer to paths outside the repository:", file=sys.stderr)
    print("\n".join(found), file=sys.stderr)
    sys.exit(1)
PY
