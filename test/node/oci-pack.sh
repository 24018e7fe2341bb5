#!/usr/bin/env bash
# Packs a root filesystem folder into a one-layer OCI image archive (oci-archive) without a container engine,
# reproducibly: the same folder gives the same manifest digest (fixed mtimes, fixed creation times).
# Needs umoci and skopeo (Debian packages of the same names).
#
# Usage: oci-pack.sh --rootfs DIR --ref NAME:TAG --entrypoint PATH [--user UID:GID] --output FILE
set -euo pipefail

rootfs="" ref="" entrypoint="" user="0:0" output=""
while [[ $# -gt 0 ]]; do
  case "$1" in
  --rootfs) rootfs="$2" ;;
  --ref) ref="$2" ;;
  --entrypoint) entrypoint="$2" ;;
  --user) user="$2" ;;
  --output) output="$2" ;;
  *)
    echo "oci-pack.sh: unknown argument $1" >&2
    exit 2
    ;;
  esac
  shift 2
done
[[ -d "$rootfs" && -n "$ref" && -n "$entrypoint" && -n "$output" ]] || {
  echo "usage: oci-pack.sh --rootfs DIR --ref NAME:TAG --entrypoint PATH [--user UID:GID] --output FILE" >&2
  exit 2
}
for tool in umoci skopeo; do
  command -v "$tool" >/dev/null || {
    echo "oci-pack.sh: $tool is not installed (Debian package $tool)" >&2
    exit 3
  }
done

# A fixed instant for every timestamp the image records: the epoch, so it says nothing about when it was built.
created="1970-01-01T00:00:00Z"
work="$(mktemp -d "${TMPDIR:-/tmp}/oci-pack.XXXXXX")"
trap 'rm -rf "$work"' EXIT
layout="$work/layout"

find "$rootfs" -exec touch -h -d "@0" {} +
umoci init --layout "$layout"
umoci new --image "$layout:build"
umoci insert --image "$layout:build" --history.created "$created" "$rootfs" /
umoci config --image "$layout:build" --created "$created" --history.created "$created" \
  --config.entrypoint "$entrypoint" --config.user "$user" --config.workingdir /
rm -f "$output"
skopeo copy --quiet "oci:$layout:build" "oci-archive:$output:$ref"
