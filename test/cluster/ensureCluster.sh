#!/usr/bin/env bash
# The cluster for test/cluster/ and test/node/: etcd, and kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet and kube-proxy, built with the machine's go from the pinned tools module
# in test/tools/kubernetes/ and kept in ~/.cache/gomodproxy-test-tools/ under a folder named for
# the versions and the module's go.sum, so a pin change builds anew and an unchanged one builds
# nothing. Prints the folder on stdout.
set -euo pipefail

tools_module="$(cd "$(dirname "$0")/../tools/kubernetes" && pwd)"
kubernetes_version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$tools_module/go.mod")"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$tools_module/go.mod")"
pin="$(cat "$tools_module/go.mod" "$tools_module/go.sum" | sha256sum | cut -c1-12)"
cache_root="${GOMODPROXY_TEST_TOOLS:-$HOME/.cache/gomodproxy-test-tools}"
bin_dir="$cache_root/kubernetes-$kubernetes_version-etcd-$etcd_version-$pin"

# Test files that start at once all call this script: one builds, the others wait for it.
mkdir -p "$cache_root"
exec 9>"$cache_root/.kubernetes-build.lock"
flock 9

# Builds every command (name=package) of one ldflags set in one `go build`, so that the packages they share
# (most of k8s.io/kubernetes) are compiled once and the cores stay busy. Binaries are written to a
# temporary folder and moved in when all are built, so an interrupted build leaves none.
build() {
  local ldflags="$1"; shift
  local names=() packages=() command
  for command in "$@"; do
    [ -x "$bin_dir/${command%%=*}" ] && continue
    names+=("${command%%=*}"); packages+=("${command#*=}")
  done
  [ ${#packages[@]} -eq 0 ] && return 0
  echo "building ${names[*]} (pinned in test/tools/kubernetes; the first build takes many minutes)" >&2
  local started=$SECONDS partial="$bin_dir/.partial"
  rm -rf "$partial" && mkdir -p "$partial"
  # go's output (hundreds of "go: downloading" lines on a new machine) is shown only on failure.
  if ! (cd "$tools_module" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
    go build -trimpath -ldflags="-s -w $ldflags" -o "$partial/" "${packages[@]}") 2>"$bin_dir/.build.log"; then
    grep -v '^go: downloading' "$bin_dir/.build.log" >&2 || true
    echo "building ${names[*]} failed (go's output above; full log in $bin_dir/.build.log)" >&2
    exit 1
  fi
  # go names each binary for the last element of its package path, a major version suffix skipped.
  local i base
  for i in "${!names[@]}"; do
    base="${packages[$i]##*/}"
    [[ "$base" =~ ^v[0-9]+$ ]] && base="$(basename "$(dirname "${packages[$i]}")")"
    mv "$partial/$base" "$bin_dir/${names[$i]}"
  done
  rmdir "$partial"
  echo "built ${names[*]} in $((SECONDS - started)) s" >&2
}

# The version the binaries report: a release build sets these; without them it says v0.0.0-master.
# kubelet refuses to register with an apiserver more than three minor versions apart, so it matters.
minor="${kubernetes_version#v1.}"; minor="${minor%%.*}"
version_flags="-X k8s.io/component-base/version.gitVersion=$kubernetes_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"

mkdir -p "$bin_dir"
build "" etcd=go.etcd.io/etcd/server/v3
kube=k8s.io/kubernetes/cmd
build "$version_flags" kube-apiserver=$kube/kube-apiserver kube-controller-manager=$kube/kube-controller-manager \
  kube-scheduler=$kube/kube-scheduler kubelet=$kube/kubelet kube-proxy=$kube/kube-proxy
echo "$bin_dir"
