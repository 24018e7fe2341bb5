#!/usr/bin/env bash
# Packs a root filesystem folder into a one-layer OCI image archive (oci-archive tar) without a container
# engine, reproducibly: the same folder contents give the same manifest digest, whoever builds it and whenever.
# Every mtime is set to SOURCE_DATE_EPOCH (0 unless set), permissions are normalised (no group/other write),
# files are owned by 0:0 in the layer, entries are in sorted order, and every timestamp the image
# config records (created, history) is that same instant. Needs umoci and skopeo (Debian packages).
#
# Usage:
#   oci-pack.sh --rootfs DIR --ref NAME:TAG --output FILE.oci.tar
#               [--entrypoint ARG]... [--cmd ARG]... [--user UID:GID] [--env KEY=VALUE]...
#               [--workdir DIR] [--label KEY=VALUE]...
# Repeat --entrypoint / --cmd for each argv element (e.g. --entrypoint /usr/bin/app --entrypoint --flag).
# The folder's mtimes and modes are changed in place. Prints the manifest digest (sha256:…) on stdout, alone.
set -euo pipefail

usage() {
  sed -n '9,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

rootfs="" ref="" output="" user="0:0" workdir="/"
entrypoint=() cmd=() env=() labels=()
while [[ $# -gt 0 ]]; do
  [[ $# -ge 2 ]] || usage
  case "$1" in
  --rootfs) rootfs="$2" ;;
  --ref) ref="$2" ;;
  --output) output="$2" ;;
  --entrypoint) entrypoint+=("$2") ;;
  --cmd) cmd+=("$2") ;;
  --user) user="$2" ;;
  --env) env+=("$2") ;;
  --workdir) workdir="$2" ;;
  --label) labels+=("$2") ;;
  *)
    echo "oci-pack.sh: unknown argument $1" >&2
    usage
    ;;
  esac
  shift 2
done
[[ -d "$rootfs" && -n "$ref" && -n "$output" ]] || usage
[[ "$ref" == *:* ]] || {
  echo "oci-pack.sh: --ref must be NAME:TAG" >&2
  exit 2
}
for tool in umoci skopeo; do
  command -v "$tool" >/dev/null || {
    echo "oci-pack.sh: $tool is not installed (Debian package $tool)" >&2
    exit 3
  }
done

epoch="${SOURCE_DATE_EPOCH:-0}"
created="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)"
work="$(mktemp -d "${TMPDIR:-/tmp}/oci-pack.XXXXXX")"
trap 'rm -rf "$work"' EXIT
layout="$work/layout"

# The umask of whoever built the folder must not reach the layer; sticky world-writable folders (tmp) stay so.
mapfile -t sticky < <(find "$rootfs" -type d -perm -1002)
chmod -R u+rwX,go+rX,go-w "$rootfs"
[[ ${#sticky[@]} -eq 0 ]] || chmod 1777 "${sticky[@]}"
find "$rootfs" -exec touch -h -d "@$epoch" {} +

config=(--created "$created" --history.created "$created" --history.created_by "oci-pack.sh"
  --config.user "$user" --config.workingdir "$workdir")
for arg in "${entrypoint[@]}"; do config+=(--config.entrypoint "$arg"); done
for arg in "${cmd[@]}"; do config+=(--config.cmd "$arg"); done
for arg in "${env[@]}"; do config+=(--config.env "$arg"); done
for arg in "${labels[@]}"; do config+=(--config.label "$arg"); done

# The layer is written by GNU tar, not by umoci insert, whose layers end without the tar trailer (Go readers
# accept that, GNU tar does not): sorted, fixed mtimes, every entry owned by 0:0 whoever builds it.
mapfile -t top < <(cd "$rootfs" && find . -mindepth 1 -maxdepth 1 -printf '%P\n' | LC_ALL=C sort)
tar --create --file "$work/layer.tar" --directory "$rootfs" --sort=name --mtime="@$epoch" \
  --owner=0 --group=0 --numeric-owner --format=posix \
  --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime "${top[@]}"

umoci init --layout "$layout"
umoci new --image "$layout:build"
umoci raw add-layer --image "$layout:build" --history.created "$created" \
  --history.created_by "oci-pack.sh rootfs" "$work/layer.tar"
# umoci new writes a Env PATH default; --clear drops it so only what the caller asks for is in the config.
umoci config --image "$layout:build" --clear=config.env "${config[@]}"

# A fresh layout holding only this image's blobs, its index naming the image by the ref; then the archive is
# tarred here (sorted, fixed mtimes, numeric root owner) so the archive file itself is byte-identical too.
skopeo copy --quiet "oci:$layout:build" "oci:$work/archive:$ref"
# containerd's import (ctr, kind load image-archive) names the image by this annotation first; with only the
# OCI ref.name it may keep just the tag. The manifest, and so the digest, is unchanged by it.
index="$(cat "$work/archive/index.json")"
refname="\"org.opencontainers.image.ref.name\":\"$ref\""
[[ "$index" == *"$refname"* ]] || {
  echo "oci-pack.sh: skopeo wrote an index without $refname" >&2
  exit 1
}
printf '%s' "${index/"$refname"/"\"io.containerd.image.name\":\"$ref\",$refname"}" >"$work/archive/index.json"
mkdir -p "$(dirname "$output")"
rm -f "$output"
tar --create --file "$output" --directory "$work/archive" --sort=name --mtime="@$epoch" \
  --owner=0 --group=0 --numeric-owner --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
  oci-layout index.json blobs
# The manifest is copied as it is, so its digest is the digest of the raw manifest in the archive.
echo "sha256:$(skopeo inspect --raw "oci-archive:$output" | sha256sum | cut -d' ' -f1)"
