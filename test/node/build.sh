#!/usr/bin/env bash
# Builds the real node used by the real-node e2e suite: kubelet and kube-proxy (from k8s.io/kubernetes, the
# API server's version), containerd 2 (containerd, containerd-shim-runc-v2, ctr), runc (cgo, seccomp) and the
# CNI plugins bridge, loopback and host-local. Everything comes from the Go module proxy; nothing is
# downloaded as a prebuilt binary. It also builds the node's two own images from test/node/images: the
# sandbox ("pause") image and the test app, packed as OCI archives that containerd imports.
#
# Output: $PODMCP_CACHE_DIR/node/<versions>/bin and …/images/<source hash>/ (default cache dir:
# ${XDG_CACHE_HOME:-~/.cache}/podmcp). A complete output is reused, so only the first run pays for the build.
#
# Usage: build.sh            build what is missing, then print `bin=<dir>` and `images=<dir>` (the last lines)
#        build.sh --print    print them, build nothing
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=../control-plane/versions.env
source "$here/../control-plane/versions.env"

cache_root="${PODMCP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/podmcp}"
# BUILD_RECIPE changes when the way the binaries are built changes, so a cache built the old way is not reused.
BUILD_RECIPE=1
out="$cache_root/node/$KUBERNETES_VERSION-containerd$CONTAINERD_VERSION-runc$RUNC_VERSION-cni$CNI_PLUGINS_VERSION-r$BUILD_RECIPE"
bin="$out/bin"
binaries=(kubelet kube-proxy containerd containerd-shim-runc-v2 ctr runc bridge loopback host-local)
# The images are packed by the product image's packer, and keyed by their sources and that packer, so an edit
# to either builds them again.
packer="$here/../../packages/image/oci-pack.sh"
image_key="$(cat "$here/images/pause/main.go" "$here/images/app/main.go" "$packer" | sha256sum | cut -c1-16)"
images="$out/images/$image_key"

print_dirs() { printf 'bin=%s\nimages=%s\n' "$bin" "$images"; }
if [[ "${1:-}" == "--print" ]]; then
  print_dirs
  exit 0
fi

say() { printf '[node] %s\n' "$*" >&2; }

binaries_complete() {
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}
images_complete() { [[ -s "$images/pause.oci.tar" && -s "$images/testapp.oci.tar" && -s "$images/refs.env" ]]; }

if binaries_complete && images_complete; then
  say "reusing $out"
  print_dirs
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    if [[ -x "$candidate" ]]; then PATH="$(dirname "$candidate"):$PATH"; break; fi
  done
fi
if ! command -v go >/dev/null 2>&1; then
  say "Go is not installed: the node is built from source and needs Go >= 1.21"
  exit 3
fi

export GOFLAGS="${GOFLAGS:--buildvcs=false} -trimpath"
export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
export CGO_ENABLED=0
mkdir -p "$bin"
work="$(mktemp -d "${TMPDIR:-/tmp}/podmcp-node-build.XXXXXX")"
trap 'rm -rf "$work"' EXIT

started=$SECONDS
elapsed() { echo "$((SECONDS - started))s"; }
# Go's download chatter goes to a log that is shown only when a step fails.
fail_with_log() {
  tail -n 40 "$work/go.log" >&2
  say "build failed after $(elapsed)"
  exit 1
}

# kubelet and kube-proxy: k8s.io/kubernetes resolves its k8s.io/* staging modules through replace lines into
# its own tree; a module that depends on it maps each of them to the published v0.X.Y tag of the same release
# (the control plane's build does the same for the API server).
build_kubernetes() {
  local mod="$work/kubernetes" staging_version="v0${KUBERNETES_VERSION#v1}"
  mkdir -p "$mod"
  say "resolving k8s.io/kubernetes $KUBERNETES_VERSION"
  local gomod
  gomod="$(cd "$mod" && GOFLAGS= go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$gomod" ]] || { say "could not download k8s.io/kubernetes@$KUBERNETES_VERSION"; exit 1; }
  {
    echo "module podmcp.test/node/kubernetes"
    echo
    echo "go 1.26"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\1#p' "$gomod" |
      while read -r staged; do echo "	$staged => $staged $staging_version"; done
    echo ")"
  } >"$mod/go.mod"
  (cd "$mod" &&
    go get -tool "k8s.io/kubernetes/cmd/kubelet@$KUBERNETES_VERSION" \
      "k8s.io/kubernetes/cmd/kube-proxy@$KUBERNETES_VERSION" >>"$work/go.log" 2>&1) || fail_with_log
  say "compiling kubelet and kube-proxy ($(elapsed) so far; first run: minutes on 2 cores)"
  # Stamped like the API server: a kubelet that reports v0.0.0-master misleads version skew checks.
  local minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  local ldflags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  (cd "$mod" && go build -ldflags "$ldflags" -o "$bin/" k8s.io/kubernetes/cmd/kubelet \
    k8s.io/kubernetes/cmd/kube-proxy >>"$work/go.log" 2>&1) || fail_with_log
}

# One throwaway module per project keeps each dependency graph its own.
build_module() {
  local name="$1" version="$2" tags="$3"
  shift 3
  local dir="$work/$name"
  mkdir -p "$dir"
  printf 'module podmcp.test/node/%s\n\ngo 1.26\n' "$name" >"$dir/go.mod"
  say "building $name $version ($(elapsed) so far)"
  local packages=("$@") get=()
  for p in "${packages[@]}"; do get+=("$p@$version"); done
  (cd "$dir" && go get -tool "${get[@]}" && go build -tags "$tags" -o "$bin/" "${packages[@]}") >>"$work/go.log" 2>&1 ||
    fail_with_log
}

if ! binaries_complete; then
  [[ -x "$bin/runc" ]] || {
    # runc's namespace setup (nsenter) is C, and its seccomp filter needs libseccomp: cgo on for runc alone.
    if ! command -v gcc >/dev/null 2>&1; then
      say "runc is built with cgo and needs a C compiler (Debian: gcc)"
      exit 3
    fi
    if ! pkg-config --exists libseccomp 2>/dev/null && [[ ! -f /usr/include/seccomp.h ]]; then
      say "runc needs libseccomp's headers (Debian: libseccomp-dev)"
      exit 3
    fi
    CGO_ENABLED=1 build_module runc "$RUNC_VERSION" seccomp github.com/opencontainers/runc
  }
  [[ -x "$bin/bridge" && -x "$bin/loopback" && -x "$bin/host-local" ]] ||
    build_module cni-plugins "$CNI_PLUGINS_VERSION" "" github.com/containernetworking/plugins/plugins/main/bridge \
      github.com/containernetworking/plugins/plugins/main/loopback \
      github.com/containernetworking/plugins/plugins/ipam/host-local
  [[ -x "$bin/containerd" && -x "$bin/containerd-shim-runc-v2" && -x "$bin/ctr" ]] ||
    build_module containerd "$CONTAINERD_VERSION" "" github.com/containerd/containerd/v2/cmd/containerd \
      github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 github.com/containerd/containerd/v2/cmd/ctr
  [[ -x "$bin/kubelet" && -x "$bin/kube-proxy" ]] || build_kubernetes
  binaries_complete || { say "build finished but binaries are missing in $bin"; exit 1; }
fi

# The node's own images: static Go programs (no libc) in an otherwise empty root filesystem.
build_image() {
  local name="$1" ref="$2" source="$3"
  local rootfs="$work/rootfs-$name"
  mkdir -p "$rootfs"
  say "building image $ref"
  (cd "$work" && go build -ldflags "-s -w" -o "$rootfs/$name" "$source") >>"$work/go.log" 2>&1 || fail_with_log
  bash "$packer" --rootfs "$rootfs" --ref "$ref" --entrypoint "/$name" --user 65532:65532 \
    --output "$images/$name.oci.tar.tmp" >>"$work/go.log" 2>&1 || fail_with_log
  mv "$images/$name.oci.tar.tmp" "$images/$name.oci.tar"
}
if ! images_complete; then
  mkdir -p "$images"
  pause_ref="podmcp.test/node/pause:$image_key"
  app_ref="podmcp.test/node/testapp:$image_key"
  build_image pause "$pause_ref" "$here/images/pause/main.go"
  build_image testapp "$app_ref" "$here/images/app/main.go"
  printf 'PAUSE_IMAGE=%s\nTESTAPP_IMAGE=%s\n' "$pause_ref" "$app_ref" >"$images/refs.env"
fi
images_complete || { say "images are missing in $images"; exit 1; }

say "ready after $(elapsed): $out"
print_dirs
