#!/usr/bin/env bash
# Builds the test binaries from the Go module proxy: kube-apiserver, etcd and helm for the kube suite,
# versitygw (a real S3 server, Apache-2.0) for the files and batch suites,
# into ~/.cache/aigateway/bin/<name>-<version>/<name>.
# Idempotent: a binary that is already there is not rebuilt. Nothing is written into the repo.
# Usage: test/kube/tools/build.sh [etcd|kube-apiserver|helm|versitygw ...]   (default: all four)
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.34.3}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.15}"
HELM_VERSION="${HELM_VERSION:-v3.19.0}"
VERSITYGW_VERSION="${VERSITYGW_VERSION:-v1.8.0}"

CACHE="${AIGW_CACHE:-$HOME/.cache/aigateway}"
SRC="$CACHE/src"
BIN="$CACHE/bin"
export CGO_ENABLED=0 GOFLAGS="-mod=mod -buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
# The machine has 2 cores: one package at a time keeps memory bounded for kube-apiserver.
GO_P="${GO_P:-2}"

# The Go toolchain lives in /usr/local/go on the project's machines; a non-login shell may lack it in PATH.
command -v go >/dev/null || export PATH="$PATH:/usr/local/go/bin"
command -v go >/dev/null || { echo "build.sh: go is required" >&2; exit 1; }

log() { echo "[build.sh $(date -u +%H:%M:%S)] $*"; }

build_etcd() {
  local out="$BIN/etcd-$ETCD_VERSION/etcd"
  [[ -x "$out" ]] && { log "etcd $ETCD_VERSION cached at $out"; return; }
  local dir="$SRC/etcd-$ETCD_VERSION"
  mkdir -p "$dir" "$(dirname "$out")"
  cat >"$dir/main.go" <<'GO'
// Command etcd is a thin wrapper over the upstream etcdmain entry point.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
GO
  (cd "$dir" && rm -f go.mod go.sum && go mod init aigw.local/etcd >/dev/null 2>&1 \
    && go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" && go mod tidy \
    && go build -p "$GO_P" -trimpath -ldflags "-s -w" -o "$out.tmp" . && mv "$out.tmp" "$out")
  log "built $out"
}

build_kube_apiserver() {
  local out="$BIN/kube-apiserver-$K8S_VERSION/kube-apiserver"
  [[ -x "$out" ]] && { log "kube-apiserver $K8S_VERSION cached at $out"; return; }
  local dir="$SRC/kube-apiserver-$K8S_VERSION"
  local staging="v0${K8S_VERSION#v1}"
  mkdir -p "$dir" "$(dirname "$out")"
  cd "$dir"
  rm -f go.mod go.sum
  # k8s.io/kubernetes replaces its staging modules with ./staging paths; a consumer has to
  # replace each with the published v0.x release of the same minor/patch.
  local upstream_mod
  upstream_mod="$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')"
  {
    echo "module aigw.local/kube-apiserver"
    echo
    echo "go $(sed -n 's/^go \([0-9.]*\).*/\1/p' "$upstream_mod")"
    echo
    echo "require k8s.io/kubernetes $K8S_VERSION"
    echo
    echo "replace ("
    grep -oE '^\s*k8s\.io/[a-z0-9./-]+ => \./staging/src/k8s\.io/[a-z0-9./-]+' "$upstream_mod" \
      | awk -v v="$staging" '{print "\t" $1 " => " $1 " " v}'
    echo ")"
  } >go.mod
  cat >tools.go <<'GO'
//go:build tools

package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
GO
  go mod tidy
  local minor="${K8S_VERSION#v1.}"; minor="${minor%%.*}"
  go build -p "$GO_P" -trimpath -o "$out.tmp" -ldflags "-s -w \
    -X k8s.io/component-base/version.gitVersion=$K8S_VERSION \
    -X k8s.io/component-base/version.gitMajor=1 \
    -X k8s.io/component-base/version.gitMinor=$minor \
    -X k8s.io/component-base/version.gitTreeState=clean \
    -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z" \
    k8s.io/kubernetes/cmd/kube-apiserver
  mv "$out.tmp" "$out"
  cd - >/dev/null
  log "built $out"
}

build_helm() {
  local out="$BIN/helm-$HELM_VERSION/helm"
  [[ -x "$out" ]] && { log "helm $HELM_VERSION cached at $out"; return; }
  local dir="$SRC/helm-$HELM_VERSION"
  mkdir -p "$dir" "$(dirname "$out")"
  cd "$dir"
  rm -f go.mod go.sum
  printf 'module aigw.local/helm\n\ngo 1.24\n\nrequire helm.sh/helm/v3 %s\n' "$HELM_VERSION" >go.mod
  cat >tools.go <<'GO'
//go:build tools

package tools

import _ "helm.sh/helm/v3/cmd/helm"
GO
  go mod tidy
  # helm's default Kubernetes version (for `helm template` and lint) comes from its client-go minor,
  # stamped as its own Makefile does; unstamped it assumes v1.20.
  local cg; cg="$(go list -m -f '{{.Version}}' k8s.io/client-go)"; cg="${cg#v0.}"; cg="${cg%%.*}"
  go build -p "$GO_P" -trimpath -o "$out.tmp" -ldflags "-s -w \
    -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION \
    -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$cg \
    -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$cg" \
    helm.sh/helm/v3/cmd/helm
  mv "$out.tmp" "$out"
  cd - >/dev/null
  log "built $out"
}

build_versitygw() {
  local out="$BIN/versitygw-$VERSITYGW_VERSION/versitygw"
  [[ -x "$out" ]] && { log "versitygw $VERSITYGW_VERSION cached at $out"; return; }
  local gobin="$SRC/versitygw-$VERSITYGW_VERSION/bin"
  mkdir -p "$gobin" "$(dirname "$out")"
  # `go install pkg@version` builds in module mode from the proxy, honouring the module's own go.mod.
  GOFLAGS="-buildvcs=false" GOBIN="$gobin" go install -p "$GO_P" -trimpath -ldflags "-s -w" \
    "github.com/versity/versitygw/cmd/versitygw@$VERSITYGW_VERSION"
  mv "$gobin/versitygw" "$out.tmp" && mv "$out.tmp" "$out"
  log "built $out"
}

targets=("$@")
[[ ${#targets[@]} -eq 0 ]] && targets=(etcd kube-apiserver helm versitygw)
for t in "${targets[@]}"; do
  case "$t" in
    etcd) build_etcd ;;
    kube-apiserver) build_kube_apiserver ;;
    helm) build_helm ;;
    versitygw) build_versitygw ;;
    *) echo "build.sh: unknown target $t" >&2; exit 2 ;;
  esac
done
# One line per binary so callers (and the test harness) can find them.
echo "KUBE_APISERVER=$BIN/kube-apiserver-$K8S_VERSION/kube-apiserver"
echo "ETCD=$BIN/etcd-$ETCD_VERSION/etcd"
echo "HELM=$BIN/helm-$HELM_VERSION/helm"
echo "VERSITYGW=$BIN/versitygw-$VERSITYGW_VERSION/versitygw"
