#!/usr/bin/env bash
# The helm command for test/helm/: built with the machine's go from the pinned tools module in
# test/tools/helm/ and kept in ~/.cache/gomodproxy-test-tools/ under a folder named for its
# version and the module's go.sum, so an unchanged pin builds nothing. Prints the binary's path.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../refuseWhileToolsBuild.sh" "helm"

tools_module="$(cd "$(dirname "$0")/../tools/helm" && pwd)"
version="$(awk '$1 == "require" && $2 == "helm.sh/helm/v3" { print $3; exit }' "$tools_module/go.mod")"
pin="$(cat "$tools_module/go.mod" "$tools_module/go.sum" | sha256sum | cut -c1-12)"
cache_root="${GOMODPROXY_TEST_TOOLS:-$HOME/.cache/gomodproxy-test-tools}"
bin_dir="$cache_root/helm-$version-$pin"

# --download: only fetch the modules the build needs, if it is to come (as ensureCluster.sh).
if [ "${1:-}" = --download ]; then
  [ -x "$bin_dir/helm" ] && exit 0
  cd "$tools_module" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" go list -deps helm.sh/helm/v3/cmd/helm >/dev/null
  exit 0
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.helm-build.lock"
flock 9
if [ ! -x "$bin_dir/helm" ]; then
  echo "building helm $version (pinned in test/tools/helm; the first build takes minutes)" >&2
  started=$SECONDS
  mkdir -p "$bin_dir"
  # As helm's own Makefile does: its version, and the Kubernetes version its client-go speaks
  # (the version lint and template assume), so that kubeVersion constraints are checked right.
  client_go="$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$tools_module/go.mod")"
  minor="$(echo "$client_go" | cut -d. -f2)"
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$version"
  for package in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags="$ldflags -X $package.k8sVersionMajor=1 -X $package.k8sVersionMinor=$minor"
  done
  (cd "$tools_module" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
    go build -trimpath -ldflags="$ldflags" -o "$bin_dir/.helm.partial" helm.sh/helm/v3/cmd/helm)
  mv "$bin_dir/.helm.partial" "$bin_dir/helm"
  echo "built helm in $((SECONDS - started)) s" >&2
fi
echo "$bin_dir/helm"
