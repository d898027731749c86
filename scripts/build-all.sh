#!/bin/sh
# Cross-compiles mifos-edge for every kind of branch box, static
# (CGO_ENABLED=0, runs on any distribution, OpenWrt's musl included) and
# stripped, and fails if a binary outgrows what a router's flash can hold.
#
#   amd64   PCs and mini-PCs
#   arm64   Raspberry Pi 3/4/5 with a 64-bit OS, arm64 routers
#   armv7   older Pis and most cheap boards, 32-bit ARM routers (ipq40xx, mvebu)
#   mipsle  MIPS routers, little-endian (ramips: MT7621, MT7628), soft float
#   mips    MIPS routers, big-endian (ath79), soft float
#
# usage: scripts/build-all.sh [version] [target ...]
#        (default: git describe, else "dev"; every target)
# output: dist/mifos-edge-linux-<target>
# MAX_KIB (default 12800, 12.5 MiB): the largest binary accepted; MIPS
# builds get MAX_KIB_MIPS (default 14080, 13.75 MiB): soft-float code calls a
# routine for every float operation and comes out about 8% larger. Both
# leave room on a 16 MB flash, where the .ipk is stored compressed (the
# mipsle binary gzips to about 4.6 MB). Raised from 12/13 MiB when mobile
# disbursement (two providers, the batch pages) added about 600 KiB.
set -eu

cd "$(dirname "$0")/.."

version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
[ $# -gt 0 ] && shift
targets=${*:-amd64 arm64 armv7 mipsle mips}
max_kib=${MAX_KIB:-12800}
max_kib_mips=${MAX_KIB_MIPS:-14080}
mkdir -p dist

build() {
	target=$1
	shift
	echo "building $target ($*)"
	# -trimpath: no build machine paths in the binary; -s -w: no symbol
	# table and debug information (a third of the file, never loaded).
	if ! env CGO_ENABLED=0 GOOS=linux "$@" go build -trimpath -tags nodemo \
		-ldflags "-s -w -X main.version=$version" \
		-o "dist/mifos-edge-linux-$target" ./cmd/mifos-edge; then
		echo "build-all.sh: building $target failed" >&2
		exit 1
	fi
}

for t in $targets; do
	case $t in
	amd64) build amd64 GOARCH=amd64 ;;
	arm64) build arm64 GOARCH=arm64 ;;
	armv7) build armv7 GOARCH=arm GOARM=7 ;;
	mipsle) build mipsle GOARCH=mipsle GOMIPS=softfloat ;;
	mips) build mips GOARCH=mips GOMIPS=softfloat ;;
	*)
		echo "build-all.sh: unknown target $t (amd64, arm64, armv7, mipsle, mips)" >&2
		exit 2
		;;
	esac
done

echo
echo "version $version"
too_big=0
for t in $targets; do
	f=dist/mifos-edge-linux-$t
	kib=$(($(wc -c <"$f") / 1024))
	printf '%-32s %6d KiB\n' "$f" "$kib"
	limit=$max_kib
	case $t in mips*) limit=$max_kib_mips ;; esac
	if [ "$kib" -gt "$limit" ]; then
		echo "build-all.sh: $f is larger than $limit KiB (MAX_KIB, MAX_KIB_MIPS): what grew?" >&2
		too_big=1
	fi
done
exit $too_big
