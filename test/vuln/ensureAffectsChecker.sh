#!/usr/bin/env bash
# govulncheck's own decision of which advisories affect a module version, as a command for the
# tests of proxy/vulndb/affects.ts: the pinned golang.org/x/vuln module (the version
# test/tools/govulncheck pins, from the module cache) copied to a temporary folder with the two
# files of test/vuln/affects/ added (one exports affectingVulnerabilities and FixedVersion from
# internal/vulncheck, the other reads cases on stdin), built there with the module's own go.mod and
# kept in ~/.cache/gomodproxy-test-tools/ under a folder named for the version and the two files.
# Prints the binary's path. Nothing of x/vuln is copied into this repository.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
tools_gomod="$here/../tools/govulncheck/go.mod"
version="v1.10.0"
if [ -f "$tools_gomod" ]; then
  version="$(awk '$1 == "require" && $2 == "golang.org/x/vuln" { print $3; exit }' "$tools_gomod")"
fi
pin="$(cat "$here/affects/export.go" "$here/affects/main.go" | sha256sum | cut -c1-12)"
cache_root="${GOMODPROXY_TEST_TOOLS:-$HOME/.cache/gomodproxy-test-tools}"
bin_dir="$cache_root/govulncheck-affects-$version-$pin"

mkdir -p "$cache_root"
exec 9>"$cache_root/.govulncheck-affects-build.lock"
flock 9
if [ ! -x "$bin_dir/affects" ]; then
  source_dir="$(GOTOOLCHAIN=local go env GOMODCACHE)/golang.org/x/vuln@$version"
  if [ ! -d "$source_dir" ]; then
    echo "golang.org/x/vuln@$version is not in the module cache: run test/vuln/ensureGovulncheck.sh first" >&2
    exit 1
  fi
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cp -r "$source_dir" "$work/vuln"
  chmod -R u+w "$work/vuln"
  mkdir -p "$work/vuln/cmd/gomodproxyaffects"
  sed '/^\/\/go:build ignore$/d' "$here/affects/export.go" > "$work/vuln/internal/vulncheck/zz_gomodproxy_export.go"
  sed '/^\/\/go:build ignore$/d' "$here/affects/main.go" > "$work/vuln/cmd/gomodproxyaffects/main.go"
  mkdir -p "$bin_dir"
  (cd "$work/vuln" && GOTOOLCHAIN=local CGO_ENABLED=0 GOPROXY=off GOFLAGS="-mod=mod -buildvcs=false" \
    go build -trimpath -o "$bin_dir/.affects.partial" ./cmd/gomodproxyaffects)
  mv "$bin_dir/.affects.partial" "$bin_dir/affects"
fi
echo "$bin_dir/affects"
