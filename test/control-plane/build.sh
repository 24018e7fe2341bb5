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

cache_root="${PODMCP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/podmcp}"
# BUILD_RECIPE changes when the way the binaries are built changes, so a cache built the old way is not reused.
BUILD_RECIPE=2
out="$cache_root/control-plane/$KUBERNETES_VERSION-etcd$ETCD_VERSION-kwok$KWOK_VERSION-r$BUILD_RECIPE"
bin="$out/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler etcd kwok)

if [[ "${1:-}" == "--print" ]]; then
  echo "$bin"
  exit 0
fi

say() { printf '[control-plane] %s\n' "$*" >&2; }

complete() {
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
  [[ -s "$out/kwok-stages.yaml" ]]
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
  say "Go is not installed: the control plane is built from source and needs Go >= 1.21"
  say "(a newer toolchain is then fetched through the module proxy as the build asks for it)"
  exit 3
fi

export GOFLAGS="${GOFLAGS:--buildvcs=false} -trimpath"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
export CGO_ENABLED=0
mkdir -p "$bin"
work="$(mktemp -d "${TMPDIR:-/tmp}/podmcp-control-plane-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

started=$SECONDS
# Go's download chatter goes to a log that is shown only when a step fails.
fail_with_log() {
  tail -n 40 "$work/go.log" >&2
  say "build failed after $(elapsed)"
  exit 1
}
elapsed() { echo "$((SECONDS - started))s"; }

# A throwaway module per tool keeps each tool's dependency graph its own.
# k8s.io/kubernetes resolves its k8s.io/* staging modules through replace lines
# pointing into its own tree; a module that depends on it must map each of them
# to the published v0.X.Y tag of the same release instead.
build_kubernetes() {
  local mod="$work/kubernetes" staging_version="v0${KUBERNETES_VERSION#v1}"
  mkdir -p "$mod"
  say "resolving k8s.io/kubernetes $KUBERNETES_VERSION (first run: several minutes on 2 cores)"
  local gomod
  gomod="$(cd "$mod" && GOFLAGS= go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$gomod" ]] || { say "could not download k8s.io/kubernetes@$KUBERNETES_VERSION"; exit 1; }
  {
    echo "module podmcp.test/control-plane/kubernetes"
    echo
    echo "go 1.26"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\1#p' "$gomod" |
      while read -r staged; do echo "	$staged => $staged $staging_version"; done
    echo ")"
  } >"$mod/go.mod"
  (cd "$mod" &&
    go get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kube-scheduler@$KUBERNETES_VERSION" >>"$work/go.log" 2>&1) || fail_with_log
  say "compiling kube-apiserver, kube-controller-manager and kube-scheduler ($(elapsed) so far)"
  # Without the version stamped in, /version says v0.0.0-master and anything that reads it (kubectl's skew
  # warning, a kubelet's feature checks) is misled.
  local minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  local ldflags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  (cd "$mod" && go build -ldflags "$ldflags" -o "$bin/" k8s.io/kubernetes/cmd/kube-apiserver \
    k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kube-scheduler >>"$work/go.log" 2>&1) || fail_with_log
}

build_tool() {
  local name="$1" package="$2" version="$3" dir="$work/$1"
  mkdir -p "$dir"
  printf 'module podmcp.test/control-plane/%s\n\ngo 1.26\n' "$name" >"$dir/go.mod"
  say "building $name from $package@$version ($(elapsed) so far)"
  (cd "$dir" && go get -tool "$package@$version" && go build -o "$bin/$name" "$package") >>"$work/go.log" 2>&1 || fail_with_log
}

[[ -x "$bin/etcd" ]] || build_tool etcd go.etcd.io/etcd/server/v3 "$ETCD_VERSION"
[[ -x "$bin/kwok" ]] || build_tool kwok sigs.k8s.io/kwok/cmd/kwok "$KWOK_VERSION"
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
  if [[ ! -x "$bin/$b" ]]; then build_kubernetes; break; fi
done

complete || { say "build finished but binaries are missing in $bin"; exit 1; }
say "built in $(elapsed): $bin"
echo "$bin"
