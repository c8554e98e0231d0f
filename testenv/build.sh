#!/usr/bin/env bash
# Builds the real kube-apiserver and etcd used by scripts/testcluster (once per pin change) and
# prints the directory holding both binaries on its last line. Everything else goes to stderr.
#
# Cache: ${PALISADE_CACHE:-~/.cache/palisade}/testcluster/bin-<key>, where <key> hashes the two
# helper modules' go.mod/go.sum, this script and the Go version. Needs the Go toolchain and the
# Go module proxy (the first build downloads ~200 modules). See docs/testcluster.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${PALISADE_CACHE:-$HOME/.cache/palisade}

command -v go >/dev/null || { echo "testenv/build.sh: the Go toolchain (go) is not on PATH" >&2; exit 1; }

export GOWORK=off     # never let a go.work above us change module resolution
export CGO_ENABLED=0  # upstream builds both statically

gover=$(go env GOVERSION)
key=$( { cat "$here/controlplane/go.mod" "$here/controlplane/go.sum" \
             "$here/etcd/go.mod" "$here/etcd/go.sum" "$here/build.sh"; echo "$gover"; } \
       | sha256sum | cut -c1-16)
out="$cache/testcluster/bin-$key"

if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ]; then
  echo "$out"
  exit 0
fi

mkdir -p "$cache/testcluster"
# Concurrent `testcluster up` calls must not build the same thing twice.
exec 9>"$cache/testcluster/.build-$key.lock"
flock 9
if [ -x "$out/kube-apiserver" ] && [ -x "$out/etcd" ]; then
  echo "$out"
  exit 0
fi

tmp="$out.tmp.$$"
rm -rf "$tmp"
mkdir -p "$tmp"
trap 'rm -rf "$tmp"' EXIT

# The versions come from the committed go.mod files, so bumping a pin is a go.mod change only.
k8s_v=$(cd "$here/controlplane" && go list -mod=readonly -m -f '{{.Version}}' k8s.io/kubernetes)
etcd_v=$(cd "$here/etcd" && go list -mod=readonly -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)
# Staging modules must sit at v0.<minor>.<patch> of the same release, or the build is a chimera.
staging_want="v0.${k8s_v#v1.}"
staging_have=$(cd "$here/controlplane" && go list -mod=readonly -m -f '{{.Version}}' k8s.io/apiserver)
if [ "$staging_have" != "$staging_want" ]; then
  echo "testenv/build.sh: k8s.io/apiserver is $staging_have but k8s.io/kubernetes $k8s_v needs $staging_want" >&2
  exit 1
fi

# /version must report the real release: a scanner's version checks read it.
# Upstream (hack/lib/version.sh) stamps the same variables in both packages.
minor=${k8s_v#v1.}; minor=${minor%%.*}
# Build date = the release's publication time on the proxy, so the binary is reproducible.
build_date=$(cd "$here/controlplane" && go list -mod=readonly -m -f '{{.Time}}' k8s.io/kubernetes \
             | sed -E 's/^([0-9-]+) ([0-9:]+) .*/\1T\2Z/')
ldf="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldf="$ldf -X $p.gitVersion=$k8s_v -X $p.gitMajor=1 -X $p.gitMinor=$minor"
  ldf="$ldf -X $p.gitTreeState=clean -X $p.buildDate=$build_date"
done

build() { # build <module dir> <ldflags> <package> <output>
  (cd "$here/$1" && nice -n 10 go build -mod=readonly -trimpath -ldflags "$2" -o "$4" "$3") >&2
}

echo "testenv/build.sh: building etcd $etcd_v and kube-apiserver $k8s_v into $out (first time: several minutes)" >&2
start=$(date +%s)
build etcd "-s -w -X go.etcd.io/etcd/api/v3/version.GitSHA=$etcd_v" go.etcd.io/etcd/server/v3 "$tmp/etcd"
echo "testenv/build.sh: etcd built after $(( $(date +%s) - start ))s" >&2
build controlplane "$ldf" k8s.io/kubernetes/cmd/kube-apiserver "$tmp/kube-apiserver"
echo "testenv/build.sh: kube-apiserver built after $(( $(date +%s) - start ))s" >&2

"$tmp/etcd" --version >&2
"$tmp/kube-apiserver" --version >&2
rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
echo "$out"
