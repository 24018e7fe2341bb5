# Shell helpers shared by the scripts that build Go programs from the Go module proxy into the podmcp cache
# (test/control-plane/build.sh, test/node/build.sh, test/interop/go/build.sh, test/prometheus/build.sh).
# Source it, don't run it:
#
#   source "$here/../go-build.sh" LABEL [MODULE_PREFIX]
#
# LABEL prefixes every progress line ("[LABEL] …"). MODULE_PREFIX, needed by go_build_module and
# go_build_kubernetes only, names their throwaway modules (MODULE_PREFIX/<name>). Each script keeps its own
# prefix: Go records the main module's path in every binary, so another prefix would change the binaries (and
# call for a new BUILD_RECIPE).
#
# Sets:
#   cache_root               ${PODMCP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/podmcp}
# Functions:
#   say MESSAGE…             a progress line on stderr (stdout is kept for what the script prints last)
#   elapsed                  seconds since the library was sourced, as "<n>s"
#   go_find                  puts an installed Go on PATH (also /usr/local/go/bin, /usr/lib/go/bin);
#                            returns 1 when there is none (the scripts then exit 3: "Go is not installed")
#   go_env [GOFLAG…]         exports GOFLAGS (${GOFLAGS:--buildvcs=false} -trimpath GOFLAG…),
#                            GOTOOLCHAIN (auto unless set) and CGO_ENABLED=0
#   go_workdir               makes $work, a temporary directory removed on exit; Go's output is appended to
#                            $work/go.log, shown only when a step fails
#   fail_with_log            prints the last 40 lines of $work/go.log, says how long the build ran, exits 1
#   go_build_module NAME VERSION OUTPUT TAGS PACKAGE…
#                            builds PACKAGE… at VERSION in a throwaway module $work/NAME (MODULE_PREFIX/NAME),
#                            so each project's dependency graph stays its own; OUTPUT is go build's -o (a
#                            directory ending in / or, for one package, a file); TAGS are build tags ("" none)
#   go_build_kubernetes OUTPUT COMMAND…
#                            builds k8s.io/kubernetes/cmd/COMMAND… at $KUBERNETES_VERSION (from
#                            test/control-plane/versions.env) with their version stamped in
# go_workdir comes before fail_with_log, go_build_module and go_build_kubernetes.

go_build_label="${1:?go-build.sh: LABEL missing}"
go_module_prefix="${2:-}"
go_build_started=$SECONDS
cache_root="${PODMCP_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/podmcp}"

say() { printf '[%s] %s\n' "$go_build_label" "$*" >&2; }

elapsed() { echo "$((SECONDS - go_build_started))s"; }

go_find() {
  if ! command -v go >/dev/null 2>&1; then
    local candidate
    for candidate in /usr/local/go/bin/go /usr/lib/go/bin/go; do
      if [[ -x "$candidate" ]]; then PATH="$(dirname "$candidate"):$PATH"; break; fi
    done
  fi
  command -v go >/dev/null 2>&1
}

go_env() {
  export GOFLAGS="${GOFLAGS:--buildvcs=false} -trimpath${*:+ $*}"
  export GOTOOLCHAIN="${GOTOOLCHAIN:-auto}"
  export CGO_ENABLED=0
}

go_workdir() {
  work="$(mktemp -d "${TMPDIR:-/tmp}/podmcp-$go_build_label-build.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
}

fail_with_log() {
  tail -n 40 "$work/go.log" >&2
  say "build failed after $(elapsed)"
  exit 1
}

go_build_module() {
  local name="$1" version="$2" output="$3" tags="$4"
  shift 4
  local dir="$work/$name" get=() p
  mkdir -p "$dir"
  printf 'module %s/%s\n\ngo 1.26\n' "${go_module_prefix:?go-build.sh: MODULE_PREFIX missing}" "$name" >"$dir/go.mod"
  say "building $name $version ($(elapsed) so far)"
  for p in "$@"; do get+=("$p@$version"); done
  (cd "$dir" && go get -tool "${get[@]}" && go build -tags "$tags" -o "$output" "$@") >>"$work/go.log" 2>&1 ||
    fail_with_log
}

# k8s.io/kubernetes resolves its k8s.io/* staging modules through replace lines pointing into its own tree; a
# module that depends on it must map each of them to the published v0.X.Y tag of the same release instead.
go_build_kubernetes() {
  local output="$1"
  shift
  local dir="$work/kubernetes" staging_version="v0${KUBERNETES_VERSION#v1}"
  mkdir -p "$dir"
  say "resolving k8s.io/kubernetes $KUBERNETES_VERSION (first run: several minutes on 2 cores)"
  local gomod
  gomod="$(cd "$dir" && GOFLAGS='' go mod download -json "k8s.io/kubernetes@$KUBERNETES_VERSION" |
    sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  [[ -f "$gomod" ]] || { say "could not download k8s.io/kubernetes@$KUBERNETES_VERSION"; exit 1; }
  {
    echo "module ${go_module_prefix:?go-build.sh: MODULE_PREFIX missing}/kubernetes"
    echo
    echo "go 1.26"
    echo
    echo "replace ("
    sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\1#p' "$gomod" |
      while read -r staged; do echo "	$staged => $staged $staging_version"; done
    echo ")"
  } >"$dir/go.mod"
  local packages=() get=() c
  for c in "$@"; do
    packages+=("k8s.io/kubernetes/cmd/$c")
    get+=("k8s.io/kubernetes/cmd/$c@$KUBERNETES_VERSION")
  done
  (cd "$dir" && go get -tool "${get[@]}" >>"$work/go.log" 2>&1) || fail_with_log
  say "compiling $* ($(elapsed) so far)"
  # Without the version stamped in, /version says v0.0.0-master and anything that reads it (kubectl's skew
  # warning, a kubelet's feature checks) is misled.
  local minor="${KUBERNETES_VERSION#v1.}"
  minor="${minor%%.*}"
  local ldflags="-X k8s.io/component-base/version.gitVersion=$KUBERNETES_VERSION"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
  (cd "$dir" && go build -ldflags "$ldflags" -o "$output" "${packages[@]}" >>"$work/go.log" 2>&1) || fail_with_log
}
