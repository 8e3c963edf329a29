#!/usr/bin/env bash
# The S3-compatible server the storage tests start on 127.0.0.1: MinIO, built from its Go module
# with the machine's go (the version and every dependency pinned by test/tools/minio/go.mod and
# go.sum) into a cache folder outside the repository, named for the version and a key of the pins
# and build flags, so that it is built once per machine and again only when one of them changes.
# Prints the binary's path; with --where it only prints it (test/fixtures/s3Server.ts asks so);
# with --download it only fetches the modules the build needs.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../refuseWhileToolsBuild.sh" "MinIO"

tools="$(cd "$(dirname "$0")/../tools/minio" && pwd)"
version="$(awk '$1 == "github.com/minio/minio" { print $2 }' "$tools/go.mod")"
if [ -z "$version" ]; then
  echo "test/tools/minio/go.mod does not require github.com/minio/minio" >&2
  exit 1
fi
# No symbol table or DWARF in the binary (-s -w): the linker writes less.
build_flags=(-trimpath "-ldflags=-s -w")
key="$(cat "$tools/go.mod" "$tools/go.sum" <(echo "${build_flags[@]}") | sha256sum | cut -c1-12)"
cache="${GOMODPROXY_TEST_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/gomodproxy-test-tools}"
target="$cache/minio-$version-$key/minio"
if [ "${1:-}" = --where ] || [ -x "$target" ]; then
  [ "${1:-}" = --download ] || echo "$target"
  exit 0
fi
# --download: only fetch the modules the build needs (as test/cluster/ensureCluster.sh).
if [ "${1:-}" = --download ]; then
  cd "$tools" && GOTOOLCHAIN=local GOFLAGS='-mod=readonly -buildvcs=false' go list -deps github.com/minio/minio >/dev/null
  exit 0
fi

mkdir -p "$(dirname "$target")"
exec 9>"$(dirname "$target")/.lock"
# Another run may be building the same version: wait for it rather than build twice.
flock 9
if [ ! -x "$target" ]; then
  echo "building MinIO $version for the S3 storage tests into $target (once per machine; many minutes)" >&2
  started=$SECONDS
  # -mod=readonly: the build uses exactly what go.sum pins; GOTOOLCHAIN=local: the machine's go.
  (cd "$tools" && GOTOOLCHAIN=local GOFLAGS='-mod=readonly -buildvcs=false' \
    go build "${build_flags[@]}" -o "$target.partial" github.com/minio/minio)
  mv "$target.partial" "$target"
  echo "built MinIO in $((SECONDS - started))s" >&2
fi
echo "$target"
