#!/usr/bin/env bash
# Builds the upstream-Kubernetes oracle used by the differential tests (once per source
# change) and prints the binary's path on its last line. Cache: $PALISADE_CACHE or
# ~/.cache/palisade. Needs the Go toolchain and the Go module proxy.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${PALISADE_CACHE:-$HOME/.cache/palisade}
key=$(cat "$here/go.mod" "$here/go.sum" "$here/main.go" | sha256sum | cut -c1-16)
bin="$cache/oracle/oracle-$key"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache/oracle"
  (cd "$here" && go build -mod=readonly -o "$bin.tmp" .) >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
