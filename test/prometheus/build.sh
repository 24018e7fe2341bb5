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

# shellcheck source=../go-build.sh
source "$here/../go-build.sh" prometheus podmcp.test
# BUILD_RECIPE changes when the way the binaries are built changes, so a cache built the old way is not reused.
BUILD_RECIPE=1
out="$cache_root/prometheus/$PROMETHEUS_VERSION-r$BUILD_RECIPE"
bin="$out/bin"
binaries=(prometheus promtool)

if [[ "${1:-}" == "--print" ]]; then
  echo "$bin"
  exit 0
fi

complete() {
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}

if complete; then
  say "reusing $bin"
  echo "$bin"
  exit 0
fi

if ! go_find; then
  say "Go is not installed: Prometheus is built from source and needs Go >= 1.21"
  say "(test/control-plane/ensure-go.sh makes one available)"
  exit 3
fi
go_env
go_workdir
mkdir -p "$bin"

# One throwaway module (podmcp.test/prometheus) keeps Prometheus's dependency graph its own; both commands
# share it.
say "first run: several minutes on 2 cores"
go_build_module prometheus "$PROMETHEUS_VERSION" "$bin/" "" \
  github.com/prometheus/prometheus/cmd/prometheus github.com/prometheus/prometheus/cmd/promtool

complete || { say "build finished but binaries are missing in $bin"; exit 1; }
say "built in $(elapsed): $bin"
echo "$bin"
