#!/usr/bin/env bash
# Builds the real peers of the end-to-end tests from Go modules and caches them
# outside the checkout, keyed by component and version:
#   $AGENTRAIL_CACHE/bin/<component>-<version>/<binary>
# Each tool has its own module under e2e/tools/<tool>/ so that its dependency
# graph is exactly the one its upstream release pins (one shared module would let
# Go's minimal version selection move, e.g., kube-apiserver's gRPC to etcd's).
# A `.recipe` stamp beside each binary (hash of go.mod, go.sum, the link flags
# and the Go version) means a changed recipe rebuilds; an unchanged one rebuilds
# nothing and does not even start Go's build.
#
# Usage: build-tools.sh            build what is missing (idempotent)
#        build-tools.sh --paths    print a JSON map {binary: path}; fail if missing
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
cache=${AGENTRAIL_CACHE:-$HOME/.cache/agentrail}
export GOMODCACHE=${AGENTRAIL_GOMODCACHE:-$cache/go/mod}
export GOCACHE=${AGENTRAIL_GOCACHE:-$cache/go/build}
export GOFLAGS=-modcacherw
export CGO_ENABLED=0
# The machine's Go is used when it satisfies the module's `go` line; otherwise Go
# fetches the toolchain that line names from the module proxy.
export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}

# component  binary          module dir   main package                           version module
tools=(
  "kube-apiserver kube-apiserver kubernetes  k8s.io/kubernetes/cmd/kube-apiserver  k8s.io/kubernetes"
  "etcd           etcd           etcd        go.etcd.io/etcd/server/v3             go.etcd.io/etcd/server/v3"
  "helm           helm           helm        helm.sh/helm/v3/cmd/helm              helm.sh/helm/v3"
  "nats-server    nats-server    nats-server github.com/nats-io/nats-server/v2     github.com/nats-io/nats-server/v2"
)

# The version a module dir pins for a module, read from go.mod (no network).
pinned_version() { awk -v m="$2" '$1 == m && $2 ~ /^v/ { print $2; exit }' "$here/tools/$1/go.mod"; }

recipe_hash() {
  { cat "$here/tools/$1/go.mod" "$here/tools/$1/go.sum"; echo "$2"; go env GOVERSION; } | sha256sum | cut -c1-16
}

ldflags_for() {
  local component=$1 version=$2 dir=$3
  case $component in
    kube-apiserver)
      # Without these the binary reports v0.0.0-master and /version lies to clients.
      local minor=${version#v1.}; minor=${minor%%.*}
      # buildDate: the release's time on the module proxy, so rebuilds are identical.
      # gitCommit: the proxy does not carry it; empty beats the "$Format:%H$" default.
      local date; date=$(cd "$here/tools/$dir" && go list -m -f '{{.Time.UTC.Format "2006-01-02T15:04:05Z"}}' "k8s.io/kubernetes@$version")
      local p=k8s.io/component-base/version
      echo "-s -w -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitCommit= -X $p.gitTreeState=clean -X $p.buildDate=$date" ;;
    helm)
      echo "-s -w -X helm.sh/helm/v3/internal/version.version=$version" ;;
    *) echo "-s -w" ;;
  esac
}

paths_json() {
  local first=1 component binary dir pkg mod version out
  printf '{'
  for t in "${tools[@]}"; do
    read -r component binary dir pkg mod <<<"$t"
    version=$(pinned_version "$dir" "$mod")
    out=$cache/bin/$component-$version/$binary
    if [ ! -x "$out" ]; then
      echo "build-tools: $out is missing; run 'make e2e-build'" >&2
      return 1
    fi
    [ $first = 1 ] || printf ','
    first=0
    printf '"%s":"%s"' "$binary" "$out"
  done
  printf '}\n'
}

build_one() {
  local component=$1 binary=$2 dir=$3 pkg=$4 mod=$5
  local version out recipe start
  version=$(pinned_version "$dir" "$mod")
  [ -n "$version" ] || { echo "build-tools: no version of $mod in tools/$dir/go.mod" >&2; return 1; }
  out=$cache/bin/$component-$version
  ldflags=$(ldflags_for "$component" "$version" "$dir")
  recipe=$(recipe_hash "$dir" "$ldflags")
  if [ -x "$out/$binary" ] && [ "$(cat "$out/.recipe" 2>/dev/null)" = "$recipe" ]; then
    return 0
  fi
  # Progress goes to stderr: `eval "$(make -s e2e-up)"` evaluates stdout.
  echo "build-tools: building $component $version (cached in $out)" >&2
  start=$(date +%s)
  mkdir -p "$out"
  (cd "$here/tools/$dir" && go build -trimpath -ldflags "$ldflags" -o "$out/$binary.tmp" "$pkg")
  mv "$out/$binary.tmp" "$out/$binary"
  echo "$recipe" >"$out/.recipe"
  echo "build-tools: $component $version built in $(( $(date +%s) - start ))s" >&2
}

if [ "${1:-}" = "--paths" ]; then
  paths_json
  exit
fi

only=${1:-}
for t in "${tools[@]}"; do
  read -r component binary dir pkg mod <<<"$t"
  if [ -z "$only" ] || [ "$only" = "$component" ]; then
    build_one "$component" "$binary" "$dir" "$pkg" "$mod"
  fi
done
