#!/usr/bin/env bash
# Builds the real control plane used by the e2e suites and `npm run demo`:
# kube-apiserver, kube-controller-manager and kube-scheduler from k8s.io/kubernetes, etcd from
# go.etcd.io/etcd, kwok from sigs.k8s.io/kwok. Everything comes from the Go
# module proxy; nothing is downloaded as a prebuilt binary.
#
# Output: $PODMCP_CACHE_DIR/control-plane/<kubernetes-version>/bin (default
# cache dir: ${XDG_CACHE_HOME:-~/.cache}/podmcp). A present, complete bin dir
# is reused, so only the first run on a machine pays for the build.
#
# Usage: build.sh            build what is missing, print the bin dir last
#        build.sh --print    print the bin dir, build nothing
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=versions.env
source "$here/versions.env"

# shellcheck source=../go-build.sh
source "$here/../go-build.sh" control-plane podmcp.test/control-plane

# BUILD_RECIPE changes when the way the binaries are built changes, so a cache built the old way is not reused.
BUILD_RECIPE=2
out="$cache_root/control-plane/$KUBERNETES_VERSION-etcd$ETCD_VERSION-kwok$KWOK_VERSION-r$BUILD_RECIPE"
bin="$out/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)

if [[ "${1:-}" == "--print" ]]; then
  echo "$bin"
  exit 0
fi

complete() {
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
  [[ -s "$out/kwok-stages.yaml" ]]
}

if complete; then
  say "reusing $bin"
  echo "$bin"
  exit 0
fi

if ! go_find; then
  say "Go is not installed: the control plane is built from source and needs Go >= 1.21"
  say "(a newer toolchain is then fetched through the module proxy as the build asks for it)"
  exit 3
fi
go_env
mkdir -p "$bin"
go_workdir

[[ -x "$bin/etcd" ]] || go_build_module etcd "$ETCD_VERSION" "$bin/etcd" "" go.etcd.io/etcd/server/v3
[[ -x "$bin/kwok" ]] || go_build_module kwok "$KWOK_VERSION" "$bin/kwok" "" sigs.k8s.io/kwok/cmd/kwok
# kwok ships no lifecycle by default: its Stages (how a node becomes Ready and heartbeats, how a pod becomes
# Running) come as YAML in its module. They are copied from the module cache, not kept in this repository.
assemble_kwok_stages() {
  local dir
  dir="$(cd "$work" && GOFLAGS= go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')"
  local stages="$dir/kustomize/stage"
  local files=("$stages/node/fast/node-initialize.yaml" "$stages/node/heartbeat/node-heartbeat.yaml"
    "$stages/pod/fast/pod-ready.yaml" "$stages/pod/fast/pod-complete.yaml" "$stages/pod/fast/pod-delete.yaml")
  : >"$out/kwok-stages.yaml.tmp"
  for f in "${files[@]}"; do
    [[ -f "$f" ]] || { say "kwok $KWOK_VERSION has no $f"; exit 1; }
    { echo "---"; cat "$f"; } >>"$out/kwok-stages.yaml.tmp"
  done
  mv "$out/kwok-stages.yaml.tmp" "$out/kwok-stages.yaml"
}
[[ -s "$out/kwok-stages.yaml" ]] || assemble_kwok_stages

for b in kube-apiserver kube-controller-manager kube-scheduler; do
  if [[ ! -x "$bin/$b" ]]; then
    go_build_kubernetes "$bin/" kube-apiserver kube-controller-manager kube-scheduler
    break
  fi
done

complete || { say "build finished but binaries are missing in $bin"; exit 1; }
say "built in $(elapsed): $bin"
echo "$bin"
