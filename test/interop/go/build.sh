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
cache_root="${PODMCP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/podmcp}"
hash="$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)"
out="$cache_root/interop/go-$hash"
binary="$out/podmcp-interop-go"

if [[ "${1:-}" == "--print" ]]; then
  echo "$binary"
  exit 0
fi

say() { printf '[interop-go] %s\n' "$*" >&2; }

if [[ -x "$binary" ]]; then
  say "reusing $binary"
  echo "$binary"
  exit 0
fi

# Like the control-plane build: an installed Go is used; only CI (CI=true) installs one when there is none.
if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    if [[ -x "$candidate" ]]; then PATH="$(dirname "$candidate"):$PATH"; break; fi
  done
fi
if ! command -v go >/dev/null 2>&1; then
  if [[ "${CI:-}" != "true" ]]; then
    say "Go is not installed (CI installs it with test/control-plane/ensure-go.sh)"
    exit 3
  fi
  go_bin="$(bash "$here/../../control-plane/ensure-go.sh")" || { say "ensure-go.sh failed"; exit 3; }
  PATH="$go_bin:$PATH"
fi
export PATH
export GOFLAGS="${GOFLAGS:--buildvcs=false} -trimpath -mod=readonly"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
export CGO_ENABLED=0

started=$SECONDS
say "building with $(go version) into $out"
mkdir -p "$out"
# Build to a temporary name first so an interrupted build never looks complete.
(cd "$here" && go build -o "$binary.tmp" .) >&2
mv "$binary.tmp" "$binary"
say "built in $((SECONDS - started))s"
echo "$binary"
