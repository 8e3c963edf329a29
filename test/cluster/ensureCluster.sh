#!/usr/bin/env bash
# The control plane for test/cluster/: etcd, kube-apiserver and kube-controller-manager, built
# with the machine's go from the pinned tools module in test/tools/kubernetes/ and kept in
# ~/.cache/gomodproxy-test-tools/ under a folder named for the versions and the module's go.sum,
# so a pin change builds anew and an unchanged one builds nothing. Prints the folder on stdout.
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

build() {
  local name="$1" package="$2" ldflags="$3"
  [ -x "$bin_dir/$name" ] && return 0
  echo "building $name from $package (pinned in test/tools/kubernetes; the first build takes minutes)" >&2
  local started=$SECONDS
  mkdir -p "$bin_dir"
  # Written under a temporary name and renamed, so that an interrupted build leaves no binary.
  # go's output (hundreds of "go: downloading" lines on a new machine) is shown only on failure.
  if ! (cd "$tools_module" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
    go build -trimpath -ldflags="-s -w $ldflags" -o "$bin_dir/.$name.partial" "$package") 2>"$bin_dir/.$name.log"; then
    grep -v '^go: downloading' "$bin_dir/.$name.log" >&2 || true
    echo "building $name failed (go's output above; full log in $bin_dir/.$name.log)" >&2
    exit 1
  fi
  mv "$bin_dir/.$name.partial" "$bin_dir/$name"
  echo "built $name in $((SECONDS - started)) s" >&2
}

# The version the binaries report: a release build sets these; without them it says v0.0.0-master.
minor="${kubernetes_version#v1.}"; minor="${minor%%.*}"
version_flags="-X k8s.io/component-base/version.gitVersion=$kubernetes_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"

build etcd go.etcd.io/etcd/server/v3 ""
build kube-apiserver k8s.io/kubernetes/cmd/kube-apiserver "$version_flags"
build kube-controller-manager k8s.io/kubernetes/cmd/kube-controller-manager "$version_flags"
echo "$bin_dir"
