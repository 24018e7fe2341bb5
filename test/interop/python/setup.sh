#!/usr/bin/env bash
# Makes the Python interop client's virtualenv (the official MCP Python SDK, pinned in requirements.txt) once
# per machine in $PODMCP_CACHE_DIR/interop/python-<hash of requirements.txt and the Python version> (default
# cache dir: ${XDG_CACHE_HOME:-~/.cache}/podmcp), installing from PyPI with pip. A complete venv is reused.
#
# Usage: setup.sh            create if missing, print the venv's python last
#        setup.sh --print    print the venv's python, create nothing
# Exits 3 when there is no python3 with venv and pip to make it with.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${PODMCP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/podmcp}"
python="${PODMCP_PYTHON:-python3}"

say() { printf '[interop-python] %s\n' "$*" >&2; }

if ! version="$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)"; then
  say "no $python found"
  exit 3
fi
hash="$({ cat "$here/requirements.txt"; echo "python $version"; } | sha256sum | cut -c1-16)"
venv="$cache_root/interop/python-$hash"
# Written last, so a venv whose install was interrupted is never taken for a complete one.
marker="$venv/.podmcp-complete"

if [[ "${1:-}" == "--print" ]]; then
  echo "$venv/bin/python"
  exit 0
fi

if [[ -f "$marker" && -x "$venv/bin/python" ]]; then
  say "reusing $venv"
  echo "$venv/bin/python"
  exit 0
fi

if ! "$python" -m venv --help >/dev/null 2>&1; then
  say "$python has no venv module (Debian: apt-get install python3-venv)"
  exit 3
fi

started=$SECONDS
say "creating $venv with Python $version"
rm -rf "$venv"
mkdir -p "$(dirname "$venv")"
"$python" -m venv "$venv" >&2 || { say "python3 -m venv failed (Debian: apt-get install python3-venv)"; exit 3; }
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input -r "$here/requirements.txt" >&2
touch "$marker"
say "ready in $((SECONDS - started))s"
echo "$venv/bin/python"
