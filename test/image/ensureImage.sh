#!/usr/bin/env bash
# The project's image, built for real from its Dockerfile with podman, on the base image made here
# (ensureBaseImage.sh, given as NODE_IMAGE: no image registry is reachable from the test machines).
# Built once per key: the Dockerfile, .dockerignore, the base and every file the Dockerfile copies
# from the build context; an unchanged tree builds nothing.
#
# Prints two lines on stdout (progress goes to stderr):
#   image=localhost/gomodproxy:<key>        the image in podman's store (loaded from the archive
#                                           when podman lacks it)
#   archive=<path>.tar                      the same image as a docker-archive (`podman save`), for
#                                           other engines: `ctr -n k8s.io images import <path>`
#                                           gives containerd the image under the same reference
# The archive is in ~/.cache/gomodproxy-test-tools/image/; the three images used last are kept.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../refuseWhileToolsBuild.sh" "the project's image"
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here/../.."

bash "$here/ensureContainerEngine.sh"
base=$(bash "$here/ensureBaseImage.sh")

# The sources of the Dockerfile's COPY instructions that come from the build context.
mapfile -t sources < <(awk 'toupper($1) == "COPY" && $2 !~ /^--from/ { for (i = 2; i < NF; i++) print $i }' Dockerfile | sort -u)
key=$( {
  echo "$base"
  sha256sum Dockerfile .dockerignore
  find "${sources[@]}" -type f -print0 | sort -z | xargs -0 sha256sum
} | sha256sum | cut -c1-12)
reference="localhost/gomodproxy:$key"
cache="${GOMODPROXY_TEST_TOOLS:-$HOME/.cache/gomodproxy-test-tools}/image"
archive="$cache/gomodproxy-$key.tar"
host_ca_bundle=${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}

mkdir -p "$cache"
exec 9>"$cache/.image.lock"
flock 9

if ! podman image exists "$reference"; then
  if [ -f "$archive" ]; then
    podman load --quiet --input "$archive" >/dev/null
  else
    echo "building $reference from the Dockerfile on $base" >&2
    started=$SECONDS
    # runc: crun fails on hybrid cgroup v1 machines; the ulimits: without them setrlimit is refused
    # in this sandbox. The host network lets RUN reach Debian's and npm's registries without a
    # bridge, and npm trusts the certificate authorities this machine trusts (a TLS-inspecting
    # egress proxy is one): npm's global settings file, mounted for the build only, names them.
    npmrc=$(mktemp)
    trap 'rm -f "$npmrc"' EXIT
    echo "cafile=/usr/local/etc/build-host-ca.crt" >"$npmrc"
    if ! podman --runtime runc build --quiet --network host \
      --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
      --volume "$npmrc:/usr/local/etc/npmrc:ro" \
      --volume "$host_ca_bundle:/usr/local/etc/build-host-ca.crt:ro" \
      --build-arg "NODE_IMAGE=$base" --tag "$reference" --file Dockerfile . >"$cache/build-$key.log" 2>&1; then
      tail -30 "$cache/build-$key.log" >&2
      echo "building the image failed (the log's end above; all of it in $cache/build-$key.log)" >&2
      exit 1
    fi
    echo "built $reference in $((SECONDS - started)) s" >&2
  fi
fi
if [ ! -f "$archive" ]; then
  rm -f "$archive.partial"
  podman save --quiet --format docker-archive --output "$archive.partial" "$reference"
  mv "$archive.partial" "$archive"
fi
# Each change of a copied source makes a new image of some 600 MB: keep the three used last, in
# the cache and in podman (an image a container still uses stays in podman).
touch "$archive"
ls -t "$cache"/gomodproxy-*.tar | tail -n +4 | while read -r stale; do
  stale_key=$(basename "$stale" .tar)
  stale_key=${stale_key#gomodproxy-}
  rm -f "$stale" "$cache/build-$stale_key.log"
  podman rmi "localhost/gomodproxy:$stale_key" >/dev/null 2>&1 || true
done

echo "image=$reference"
echo "archive=$archive"
