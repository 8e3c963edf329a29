#!/usr/bin/env bash
# The govulncheck command for the vulnerability database tests: built with the machine's go from
# the pinned tools module in test/tools/govulncheck/ and kept in ~/.cache/gomodproxy-test-tools/
# under a folder named for its version and the module's go.sum, so an unchanged pin builds nothing.
# Prints the binary's path.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../refuseWhileToolsBuild.sh" "govulncheck"

tools_module="$(cd "$(dirname "$0")/../tools/govulncheck" && pwd)"
version="$(awk '$1 == "require" && $2 == "golang.org/x/vuln" { print $3; exit }' "$tools_module/go.mod")"
pin="$(cat "$tools_module/go.mod" "$tools_module/go.sum" | sha256sum | cut -c1-12)"
cache_root="${GOMODPROXY_TEST_TOOLS:-$HOME/.cache/gomodproxy-test-tools}"
bin_dir="$cache_root/govulncheck-$version-$pin"

# --download: only fetch the modules the build needs, if it is to come (as ensureHelm.sh).
if [ "${1:-}" = --download ]; then
  [ -x "$bin_dir/govulncheck" ] && exit 0
  cd "$tools_module" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" go list -deps golang.org/x/vuln/cmd/govulncheck >/dev/null
  exit 0
fi

mkdir -p "$cache_root"
exec 9>"$cache_root/.govulncheck-build.lock"
flock 9
if [ ! -x "$bin_dir/govulncheck" ]; then
  echo "building govulncheck $version (pinned in test/tools/govulncheck)" >&2
  started=$SECONDS
  mkdir -p "$bin_dir"
  (cd "$tools_module" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
    go build -trimpath -ldflags="-s -w" -o "$bin_dir/.govulncheck.partial" golang.org/x/vuln/cmd/govulncheck)
  mv "$bin_dir/.govulncheck.partial" "$bin_dir/govulncheck"
  echo "built govulncheck in $((SECONDS - started)) s" >&2
fi
echo "$bin_dir/govulncheck"
