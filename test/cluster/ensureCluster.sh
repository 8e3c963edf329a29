#!/usr/bin/env bash
# The cluster for test/cluster/ and test/node/: etcd, and kube-apiserver, kube-controller-manager,
# kube-scheduler, kubelet and kube-proxy as one binary (test/tools/kubernetes/kube/main.go, run
# through links named for each), built with the machine's go from the pinned tools module in
# test/tools/kubernetes/ and kept in ~/.cache/gomodproxy-test-tools/ under a folder named for the
# versions and a key of go.mod, go.sum, kube/main.go and the build flags, so a change of any builds
# anew and an unchanged one builds nothing. Prints the folder on stdout (with --download, nothing).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../refuseWhileToolsBuild.sh" "etcd and the Kubernetes programs"

tools_module="$(cd "$(dirname "$0")/../tools/kubernetes" && pwd)"
kubernetes_version="$(awk '$1 == "k8s.io/kubernetes" { print $2; exit }' "$tools_module/go.mod")"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2; exit }' "$tools_module/go.mod")"
# The version the binaries report: a release build sets these; without them it says v0.0.0-master.
# kubelet refuses to register with an apiserver more than three minor versions apart, so it matters.
minor="${kubernetes_version#v1.}"; minor="${minor%%.*}"
version_flags="-X k8s.io/component-base/version.gitVersion=$kubernetes_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor"
# No symbol table or DWARF in the binaries (-s -w): the linker writes less.
build_flags=(-trimpath "-ldflags=-s -w $version_flags")
# The folder's name changes with anything that changes the binaries: the pins, kube/main.go, the flags.
pin="$(cat "$tools_module/go.mod" "$tools_module/go.sum" "$tools_module/kube/main.go" <(echo "${build_flags[@]}") | sha256sum | cut -c1-12)"
cache_root="${GOMODPROXY_TEST_TOOLS:-$HOME/.cache/gomodproxy-test-tools}"
bin_dir="$cache_root/kubernetes-$kubernetes_version-etcd-$etcd_version-$pin"
kube_programs=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy)

# --download: only fetch the modules the build needs, if it is to come (test/ensureTools.sh does this
# for every tool at once, so that downloads overlap the compiling of another tool).
if [ "${1:-}" = --download ]; then
  [ -x "$bin_dir/etcd" ] && [ -x "$bin_dir/kube" ] && exit 0
  cd "$tools_module" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" go list -deps go.etcd.io/etcd/server/v3 ./kube >/dev/null
  exit 0
fi

# Test files that start at once all call this script: one builds, the others wait for it.
mkdir -p "$cache_root"
exec 9>"$cache_root/.kubernetes-build.lock"
flock 9

# etcd and ./kube (the five Kubernetes programs in one binary, run through links named for them) in
# one `go build`, so that the packages they share are compiled once, the cores stay busy, and the
# Kubernetes packages are linked once rather than five times. They are written to a temporary
# folder and moved in when both are built, so an interrupted build leaves none.
if [ ! -x "$bin_dir/etcd" ] || [ ! -x "$bin_dir/kube" ]; then
  echo "building etcd and ${kube_programs[*]} as one binary (pinned in test/tools/kubernetes; the first build takes many minutes)" >&2
  started=$SECONDS partial="$bin_dir/.partial"
  rm -rf "$partial" && mkdir -p "$partial"
  # go's output (hundreds of "go: downloading" lines on a new machine) is shown only on failure.
  if ! (cd "$tools_module" && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
    go build "${build_flags[@]}" -o "$partial/" go.etcd.io/etcd/server/v3 ./kube) 2>"$bin_dir/.build.log"; then
    grep -v '^go: downloading' "$bin_dir/.build.log" >&2 || true
    echo "building etcd and kube failed (go's output above; full log in $bin_dir/.build.log)" >&2
    exit 1
  fi
  # go names a binary for the last element of its package path, a major version suffix skipped.
  mv "$partial/server" "$bin_dir/etcd"
  mv "$partial/kube" "$bin_dir/kube"
  rmdir "$partial"
  echo "built etcd and kube in $((SECONDS - started)) s" >&2
fi
for program in "${kube_programs[@]}"; do
  [ "$(readlink "$bin_dir/$program" 2>/dev/null)" = kube ] || ln -sfn kube "$bin_dir/$program"
done
echo "$bin_dir"
