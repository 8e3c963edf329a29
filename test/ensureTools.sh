#!/usr/bin/env bash
# The programs the tests run as real servers and clients: go, git (with git-http-backend),
# openssl, and OpenSSH's sshd for the ssh git host. Everything but sshd is on the development
# machines; sshd is installed from Debian's packages when it is missing and we may (root).
# Installing the package starts no service that the tests rely on; the tests start their own sshd.
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

if [ ! -x /usr/sbin/sshd ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing openssh-server (the tests start sshd on 127.0.0.1 themselves)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends openssh-server >/dev/null
    # A service the package may have started is not ours: stop it.
    pkill -x sshd || true
  else
    echo "the tests need OpenSSH's sshd at /usr/sbin/sshd (Debian: apt-get install openssh-server)" >&2
    exit 1
  fi
fi

# etcd, kube-apiserver and kube-controller-manager for test/cluster/, built once into ~/.cache.
bash "$(dirname "$0")/cluster/ensureCluster.sh" >/dev/null
