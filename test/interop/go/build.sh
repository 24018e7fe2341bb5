#!/usr/bin/env bash
# Builds the Go interop client (main.go, on the official Go SDK pinned in go.mod) once per machine into
# $PODMCP_CACHE_DIR/interop/go-<hash of the sources>/podmcp-interop-go (default cache dir:
# ${XDG_CACHE_HOME:-~/.cache}/podmcp). A present binary is reused; editing the sources builds a new one.
# The Go toolchain comes from test/control-plane/ensure-go.sh, which installs one if the machine has none.
#
# Usage: build.sh            build if missing, print the binary's path last
#        build.sh --print    print the binary's path, build nothing
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../../go-build.sh
source "$here/../../go-build.sh" interop-go
hash="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)"
out="$cache_root/interop/go-$hash"
binary="$out/podmcp-interop-go"

if [[ "${1:-}" == "--print" ]]; then
  echo "$binary"
  exit 0
fi

if [[ -x "$binary" ]]; then
  say "reusing $binary"
  echo "$binary"
  exit 0
fi

# Like the control-plane build: an installed Go is used; only CI (CI=true) installs one when there is none.
if ! go_find; then
  if [[ "${CI:-}" != "true" ]]; then
    say "Go is not installed (CI installs it with test/control-plane/ensure-go.sh)"
    exit 3
  fi
  go_bin="$(bash "$here/../../control-plane/ensure-go.sh")" || { say "ensure-go.sh failed"; exit 3; }
  PATH="$go_bin:$PATH"
fi
export PATH
go_env -mod=readonly

say "building with $(go version) into $out"
mkdir -p "$out"
# Build to a temporary name first so an interrupted build never looks complete.
(cd "$here" && go build -o "$binary.tmp" .) >&2
mv "$binary.tmp" "$binary"
say "built in $(elapsed)"
echo "$binary"
