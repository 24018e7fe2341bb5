#!/usr/bin/env bash
# Makes a Go toolchain new enough for build.sh available, for CI on a machine that may have none: an
# installed go >= 1.21 is used as it is (it fetches any newer toolchain the build asks for by itself);
# otherwise Debian's golang-go is installed and used only to download the pinned Go toolchain module
# through the Go module proxy. Prints the directory to put first on PATH.
set -euo pipefail
GO_TOOLCHAIN_VERSION=1.26.8

say() { printf '[ensure-go] %s\n' "$*" >&2; }

usable() {
  local go="$1" minor
  minor="$("$go" env GOVERSION 2>/dev/null | sed -n 's/^go1\.\([0-9]*\).*/\1/p')"
  [[ -n "$minor" && "$minor" -ge 21 ]]
}

for candidate in "$(command -v go 2>/dev/null || true)" /usr/local/go/bin/go /usr/lib/go/bin/go; do
  if [[ -n "$candidate" && -x "$candidate" ]] && usable "$candidate"; then
    dirname "$candidate"
    exit 0
  fi
done

if ! command -v go >/dev/null 2>&1; then
  say "no Go found; installing Debian's golang-go to bootstrap the pinned toolchain"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq golang-go >&2
fi
arch="$(go env GOARCH)"
module="golang.org/toolchain@v0.0.1-go${GO_TOOLCHAIN_VERSION}.linux-${arch}"
say "downloading $module"
dir="$(cd "$(mktemp -d)" && GOFLAGS=-mod=mod go mod download -json "$module" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
[[ -x "$dir/bin/go" ]] || { say "the toolchain module has no bin/go"; exit 1; }
chmod +x "$dir/bin/"* "$dir/pkg/tool/"*/* 2>/dev/null || true
echo "$dir/bin"
