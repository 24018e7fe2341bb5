#!/usr/bin/env bash
# Builds the real Prometheus used by the metric-history e2e suite: prometheus and promtool from
# github.com/prometheus/prometheus (its v0.3xx.y tags are the Prometheus 3.x releases). Everything comes from
# the Go module proxy; nothing is downloaded as a prebuilt binary. The web UI is not embedded (no
# `builtinassets` tag): the suite needs only the HTTP API.
#
# Output: $PODMCP_CACHE_DIR/prometheus/<version>/bin (default cache dir: ${XDG_CACHE_HOME:-~/.cache}/podmcp).
# A present, complete bin dir is reused, so only the first run on a machine pays for the build.
#
# Usage: build.sh            build what is missing, print the bin dir last
#        build.sh --print    print the bin dir, build nothing
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../control-plane/versions.env
source "$here/../control-plane/versions.env"

cache_root="${PODMCP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/podmcp}"
# BUILD_RECIPE changes when the way the binaries are built changes, so a cache built the old way is not reused.
BUILD_RECIPE=1
out="$cache_root/prometheus/$PROMETHEUS_VERSION-r$BUILD_RECIPE"
bin="$out/bin"
binaries=(prometheus promtool)

if [[ "${1:-}" == "--print" ]]; then
  echo "$bin"
  exit 0
fi

say() { printf '[prometheus] %s\n' "$*" >&2; }

complete() {
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}

if complete; then
  say "reusing $bin"
  echo "$bin"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    if [[ -x "$candidate" ]]; then PATH="$(dirname "$candidate"):$PATH"; break; fi
  done
fi
if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed: Prometheus is built from source and needs Go >= 1.21"
  say "(test/control-plane/ensure-go.sh makes one available)"
  exit 3
fi

export GOFLAGS="${GOFLAGS:--buildvcs=false} -trimpath"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
export CGO_ENABLED=0
mkdir -p "$bin"
work="$(mktemp -d "${TMPDIR:-/tmp}/podmcp-prometheus-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

started=$SECONDS
elapsed() { echo "$((SECONDS - started))s"; }
# Go's download chatter goes to a log that is shown only when a step fails.
fail_with_log() {
  tail -n 40 "$work/go.log" >&2
  say "build failed after $(elapsed)"
  exit 1
}

# A throwaway module keeps Prometheus's dependency graph its own; both commands share it.
mod="$work/prometheus"
mkdir -p "$mod"
printf 'module podmcp.test/prometheus\n\ngo 1.26\n' >"$mod/go.mod"
say "resolving github.com/prometheus/prometheus $PROMETHEUS_VERSION (first run: several minutes on 2 cores)"
(cd "$mod" && go get -tool "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS_VERSION" \
  "github.com/prometheus/prometheus/cmd/promtool@$PROMETHEUS_VERSION" >>"$work/go.log" 2>&1) || fail_with_log
say "compiling prometheus and promtool ($(elapsed) so far)"
(cd "$mod" && go build -o "$bin/" github.com/prometheus/prometheus/cmd/prometheus \
  github.com/prometheus/prometheus/cmd/promtool >>"$work/go.log" 2>&1) || fail_with_log

complete || { say "build finished but binaries are missing in $bin"; exit 1; }
say "built in $(elapsed): $bin"
echo "$bin"
