#!/usr/bin/env bash
# The programs the tests run as real servers and clients: go, git (with git-http-backend),
# openssl, OpenSSH's sshd for the ssh git host, and podman with runc for the image. Everything but
# sshd and the container engine is on the development machines; those are installed from Debian's
# packages when they are missing and we may (root). No service of theirs is used.
set -euo pipefail

missing=()
for tool in go git openssl ssh ssh-keygen; do
  command -v "$tool" >/dev/null || missing+=("$tool")
done
[ -x /usr/lib/git-core/git-http-backend ] || missing+=("git-http-backend (Debian: git)")
if [ ${#missing[@]} -gt 0 ]; then
  echo "the tests need: ${missing[*]}" >&2
  exit 1
fi

# Debian packages the tests use that a development machine may lack: OpenSSH's sshd (the tests
# start their own on 127.0.0.1); containerd (with runc) and the CNI plugins for test/node/'s node,
# which starts its own containerd on a socket and folders of its own; Chromium (headless, driven by
# playwright-core) and a font for its text, for test/web/'s page tests and screenshots.
packages=()
[ -x /usr/sbin/sshd ] || packages+=(openssh-server)
command -v containerd >/dev/null || packages+=(containerd)
[ -x /usr/lib/cni/bridge ] || packages+=(containernetworking-plugins)
[ -x /usr/bin/chromium ] || packages+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages+=(fonts-dejavu-core)
if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing ${packages[*]} from Debian's packages" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
    # A service the packages may have started is not ours: stop it.
    pkill -x sshd || true
  else
    echo "the tests need: ${packages[*]} (Debian: apt-get install ${packages[*]})" >&2
    exit 1
  fi
fi
# The image (debootstrap, Node from npm, then podman building the Dockerfile: mostly downloads and
# disk, minutes the first time) is made while the Go programs compile, which keep both cores busy.
bash "$(dirname "$0")/image/ensureImage.sh" >/dev/null &
image_build=$!

# The Go modules of every tool still to build, fetched at once (network, not cores): each build then
# finds its modules there instead of downloading them while the cores wait.
here="$(dirname "$0")"
downloads=()
for script in storage/ensureS3Server.sh cluster/ensureCluster.sh helm/ensureHelm.sh vuln/ensureGovulncheck.sh; do
  bash "$here/$script" --download &
  downloads+=($!)
done

# MinIO for the S3 tests; etcd and the Kubernetes programs for test/cluster/ and test/node/; helm for
# test/helm/; govulncheck for test/vuln/: built one after another (each `go build` uses every core) into ~/.cache, once.
status=0
bash "$here/storage/ensureS3Server.sh" >/dev/null &&
  bash "$here/cluster/ensureCluster.sh" >/dev/null &&
  bash "$here/helm/ensureHelm.sh" >/dev/null &&
  bash "$here/vuln/ensureGovulncheck.sh" >/dev/null || status=$?
for download in "${downloads[@]}"; do wait "$download" || status=$?; done
wait "$image_build" || status=$?
exit "$status"
