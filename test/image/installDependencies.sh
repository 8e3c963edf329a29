#!/usr/bin/env bash
# The image's production dependencies, installed the way its Dockerfile installs them (the
# "RUN npm ci …" line of the dependency stage, run as it stands) into a folder outside the
# repository, keyed by the lockfile and that line. test/image/image.test.ts runs the image's
# command line with them. Prints the folder.
set -euo pipefail
cd "$(dirname "$0")/../.."

install_line=$(grep -m1 '^RUN npm ci' Dockerfile | sed 's/^RUN //')
[ -n "$install_line" ] || { echo "Dockerfile: no 'RUN npm ci' line" >&2; exit 1; }
key=$( (cat package-lock.json; echo "$install_line") | sha256sum | cut -c1-16)
cache="${GOMODPROXY_TEST_TOOLS:-$HOME/.cache/gomodproxy-test-tools}/image-dependencies/$key"

if [ ! -d "$cache/node_modules" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp package.json package-lock.json "$work/"
  (cd "$work" && eval "$install_line --loglevel=error" >/dev/null)
  mkdir -p "$cache"
  mv "$work/node_modules" "$cache/node_modules.partial"
  mv "$cache/node_modules.partial" "$cache/node_modules"
  echo "installed the image's dependencies ($install_line) into $cache" >&2
fi
echo "$cache"
