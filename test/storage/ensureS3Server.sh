#!/usr/bin/env bash
# The S3-compatible server the storage tests start on 127.0.0.1: MinIO, built from its Go module
# with the machine's go (the version and every dependency pinned by test/tools/minio/go.mod and
# go.sum) into a cache folder outside the repository, one folder per version, so that it is built
# once per machine and again only when the pin changes. Prints nothing when the build is there.
set -euo pipefail

tools="$(cd "$(dirname "$0")/../tools/minio" && pwd)"
version="$(awk '$1 == "github.com/minio/minio" { print $2 }' "$tools/go.mod")"
if [ -z "$version" ]; then
  echo "test/tools/minio/go.mod does not require github.com/minio/minio" >&2
  exit 1
fi
cache="${GOMODPROXY_TEST_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/gomodproxy-test-tools}"
target="$cache/minio-$version/minio"
[ -x "$target" ] && exit 0

mkdir -p "$cache/minio-$version"
exec 9>"$cache/minio-$version/.lock"
# Another run may be building the same version: wait for it rather than build twice.
flock 9
[ -x "$target" ] && exit 0

echo "building MinIO $version for the S3 storage tests into $target (once per machine; a few minutes)" >&2
started=$SECONDS
# -mod=readonly: the build uses exactly what go.sum pins; GOTOOLCHAIN=local: the machine's go.
(cd "$tools" && GOTOOLCHAIN=local GOFLAGS='-mod=readonly -buildvcs=false' go build -trimpath -o "$target.partial" github.com/minio/minio)
mv "$target.partial" "$target"
echo "built MinIO in $((SECONDS - started))s" >&2
