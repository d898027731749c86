#!/bin/sh
# Cross-compiles mifos-edge for the branch boxes: 64-bit ARM (Raspberry Pi 3/4/5
# with a 64-bit OS) and 32-bit ARMv7 (older Pis and most cheap boards).
# Static binaries (CGO_ENABLED=0) so they run on any distribution.
#
# usage: scripts/build-arm.sh [version]     (default: git describe, else "dev")
# output: dist/mifos-edge-linux-arm64, dist/mifos-edge-linux-armv7
set -eu

cd "$(dirname "$0")/.."

version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
mkdir -p dist

build() {
	name=$1
	shift
	echo "building $name ($*)"
	# -trimpath: no build machine paths in the binary; -s -w: smaller files
	# for slow rural links.
	if ! env CGO_ENABLED=0 GOOS=linux "$@" go build -trimpath -tags nodemo \
		-ldflags "-s -w -X main.version=$version" \
		-o "dist/$name" ./cmd/mifos-edge; then
		echo "build-arm.sh: building $name failed" >&2
		exit 1
	fi
}

build mifos-edge-linux-arm64 GOARCH=arm64
build mifos-edge-linux-armv7 GOARCH=arm GOARM=7

echo
echo "version $version"
for f in dist/mifos-edge-linux-arm64 dist/mifos-edge-linux-armv7; do
	size=$(wc -c <"$f")
	printf '%-32s %6d KiB\n' "$f" $((size / 1024))
done
