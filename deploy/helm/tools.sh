#!/usr/bin/env bash
# Offline chart checks need two tools nobody has pre-installed; this script installs them from
# registries into ${HOOKLINE_CACHE:-~/.cache/hookline} (like the Kafka jars) and prints their paths.
#   helm                : `go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION` (the Go module proxy)
#   kubernetes-validate : PyPI, in its own venv; it ships the Kubernetes API JSON schemas, so
#                         validation needs no network.
#   bash deploy/helm/tools.sh helm|validate
set -Eeuo pipefail
HELM_VERSION=v3.22.0
KUBERNETES_VALIDATE_VERSION=1.37.0
CACHE_DIR=${HOOKLINE_CACHE:-$HOME/.cache/hookline}
mkdir -p "$CACHE_DIR"
exec 7>"$CACHE_DIR/.tools.lock"
flock 7

now() { date +%s; }

helm_bin() {
  local dir=$CACHE_DIR/helm-$HELM_VERSION
  if [[ ! -x $dir/helm ]]; then
    command -v go >/dev/null || { echo "error: go is needed to build helm (apt-get install golang-go, or Go 1.24+)" >&2; exit 1; }
    local t0 tmp
    t0=$(now)
    tmp=$(mktemp -d "$CACHE_DIR/.helm.XXXXXX")
    echo "building helm $HELM_VERSION with go install (first time only)..." >&2
    GOBIN=$tmp GOFLAGS=-mod=mod CGO_ENABLED=0 go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >&2 ||
      { rm -rf "$tmp"; echo "error: go install helm failed" >&2; exit 1; }
    rm -rf "$dir"
    mv "$tmp" "$dir"
    echo "helm $HELM_VERSION built in $(($(now) - t0))s" >&2
  fi
  echo "$dir/helm"
}

validate_bin() {
  # A venv cannot be moved (its scripts name their own path), so it is built in place and a
  # .complete marker makes a half-finished install invisible.
  local dir=$CACHE_DIR/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION
  if [[ ! -f $dir/.complete ]]; then
    local t0
    t0=$(now)
    rm -rf "$dir"
    python3 -m venv "$dir" >&2
    "$dir/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" >&2 ||
      { rm -rf "$dir"; echo "error: pip install kubernetes-validate failed" >&2; exit 1; }
    touch "$dir/.complete"
    echo "kubernetes-validate $KUBERNETES_VALIDATE_VERSION installed in $(($(now) - t0))s" >&2
  fi
  echo "$dir/bin/kubernetes-validate"
}

case ${1:-} in
  helm) helm_bin ;;
  validate) validate_bin ;;
  *) echo "usage: $0 helm|validate" >&2; exit 2 ;;
esac
