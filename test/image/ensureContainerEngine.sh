#!/usr/bin/env bash
# The container engine the image tests use: Debian's podman, run with Debian's runc (crun, podman's
# default, fails on hybrid cgroup v1 machines), and debootstrap, which makes the base image from
# Debian's packages (no image registry is reachable from the test machines). Installed from
# Debian's packages when missing and we may (root); nothing else is changed.
set -euo pipefail

packages=()
command -v podman >/dev/null || packages+=(podman)
command -v runc >/dev/null || packages+=(runc)
command -v debootstrap >/dev/null || packages+=(debootstrap)
[ ${#packages[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
  echo "the image tests need: ${packages[*]} (Debian: apt-get install ${packages[*]})" >&2
  exit 1
fi
echo "installing ${packages[*]} from Debian's packages" >&2
# Another installer may hold dpkg's lock for a while: wait for it rather than fail.
apt_options=(-o DPkg::Lock::Timeout=600 -qq)
apt-get "${apt_options[@]}" update >/dev/null
DEBIAN_FRONTEND=noninteractive apt-get "${apt_options[@]}" install -y --no-install-recommends "${packages[@]}" >/dev/null
