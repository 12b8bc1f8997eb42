#!/usr/bin/env bash
# Pins a tool of the e2e harness to another upstream version by rewriting its
# module under e2e/tools/<tool>/ (go.mod + go.sum). `make e2e-build` then builds
# and caches the new version beside the old one.
#
#   e2e/scripts/pin.sh kubernetes v1.37.2     kube-apiserver
#   e2e/scripts/pin.sh etcd v3.7.3
#   e2e/scripts/pin.sh helm v3.22.0
#   e2e/scripts/pin.sh nats-server v2.15.2
#
# k8s.io/kubernetes and etcd's server module point their sibling modules at
# directories of their own repositories (`replace k8s.io/api => ./staging/…`),
# which a dependent module cannot follow: their go.mod lists those replacements,
# and we replace each with the version published alongside (v0.Y.Z for
# Kubernetes' staging modules, the same version for etcd's).
set -euo pipefail
tool=${1:?usage: pin.sh kubernetes|etcd|helm|nats-server VERSION}
version=${2:?usage: pin.sh TOOL VERSION}
here=$(cd "$(dirname "$0")/.." && pwd)
cache=${AGENTRAIL_CACHE:-$HOME/.cache/agentrail}
export GOMODCACHE=${AGENTRAIL_GOMODCACHE:-$cache/go/mod} GOFLAGS=-modcacherw GOTOOLCHAIN=${GOTOOLCHAIN:-auto}

case $tool in
  kubernetes) module=k8s.io/kubernetes; pkg=k8s.io/kubernetes/cmd/kube-apiserver; sibling=v0.${version#v1.} ;;
  etcd) module=go.etcd.io/etcd/server/v3; pkg=$module; sibling=$version ;;
  helm) module=helm.sh/helm/v3; pkg=helm.sh/helm/v3/cmd/helm; sibling= ;;
  nats-server) module=github.com/nats-io/nats-server/v2; pkg=$module; sibling= ;;
  *) echo "pin.sh: unknown tool $tool" >&2; exit 2 ;;
esac

dir=$here/tools/$tool
mkdir -p "$dir"
upstream_mod=$(go mod download -json "$module@$version" | sed -n 's/.*"GoMod": *"\([^"]*\)".*/\1/p')
go_line=$(awk '$1 == "go" { print $2; exit }' "$upstream_mod")
{
  echo "module agentrail.dev/e2e/tools/$tool"
  echo
  echo "go $go_line"
  if [ -n "$sibling" ]; then
    echo
    echo "replace ("
    sed -n '/^replace (/,/^)/p' "$upstream_mod" | awk -v v="$sibling" '$2 == "=>" && $3 ~ /^\.\.?\// { print "\t" $1 " => " $1 " " v }'
    echo ")"
  fi
} >"$dir/go.mod"
rm -f "$dir/go.sum"
(cd "$dir" && go get -tool "$pkg@$version")
echo "pinned $tool $version in e2e/tools/$tool; run 'make e2e-build'"
