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

# shellcheck source=../go-build.sh
source "$here/../go-build.sh" node podmcp.test/node

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

binaries_complete() {
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}
images_complete() { [[ -s "$images/pause.oci.tar" && -s "$images/testapp.oci.tar" && -s "$images/refs.env" ]]; }

if binaries_complete && images_complete; then
  say "reusing $out"
  print_dirs
  exit 0
fi

if ! go_find; then
  say "Go is not installed: the node is built from source and needs Go >= 1.21"
  exit 3
fi
go_env
mkdir -p "$bin"
go_workdir

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
    CGO_ENABLED=1 go_build_module runc "$RUNC_VERSION" "$bin/" seccomp github.com/opencontainers/runc
  }
  [[ -x "$bin/bridge" && -x "$bin/loopback" && -x "$bin/host-local" ]] ||
    go_build_module cni-plugins "$CNI_PLUGINS_VERSION" "$bin/" "" \
      github.com/containernetworking/plugins/plugins/main/bridge \
      github.com/containernetworking/plugins/plugins/main/loopback \
      github.com/containernetworking/plugins/plugins/ipam/host-local
  [[ -x "$bin/containerd" && -x "$bin/containerd-shim-runc-v2" && -x "$bin/ctr" ]] ||
    go_build_module containerd "$CONTAINERD_VERSION" "$bin/" "" github.com/containerd/containerd/v2/cmd/containerd \
      github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 github.com/containerd/containerd/v2/cmd/ctr
  # kubelet and kube-proxy at the API server's version, stamped like it.
  [[ -x "$bin/kubelet" && -x "$bin/kube-proxy" ]] || go_build_kubernetes "$bin/" kubelet kube-proxy
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
