#!/bin/sh
# Builds the installable packages with nfpm, run as a Go tool (its version is
# pinned in go.mod; nothing is downloaded but Go modules):
#
#   deb-amd64   Debian/Ubuntu on a PC or mini PC
#   deb-arm64   Raspberry Pi 3/4/5 with a 64-bit OS, other 64-bit ARM boards
#   deb-armhf   32-bit Raspberry Pi OS and other ARMv7 boards
#   ipk-mipsel  OpenWrt (opkg) routers with a little-endian MIPS32 CPU and no
#               FPU (mipsel_24kc: MT7621 and similar)
#
# Each program is static (CGO_ENABLED=0), without build machine paths and
# stripped, as scripts/build-arm.sh builds them.
#
# usage: scripts/package.sh [-o DIR] [-v VERSION] [TARGET...]
#   TARGET      any of the above (default: all)
#   -o DIR      where the packages are written (default: dist)
#   -v VERSION  the package version (default: from git describe: 1.2.0 at
#               tag v1.2.0, 1.2.0+git3.abc1234 three commits later,
#               0.0.0~git42.abc1234 before the first tag)
# output: DIR/mifos-edge_VERSION_ARCH.deb and DIR/mifos-edge_VERSION_mipsel_24kc.ipk
set -eu

cd "$(dirname "$0")/.."

usage() {
	sed -n 's/^# \{0,1\}//; /^usage:/,/^output:/p' "$0" >&2
	exit 2
}
die() {
	echo "package.sh: $*" >&2
	exit 1
}

out=dist
version=
while getopts o:v:h opt; do
	case $opt in
	o) out=$OPTARG ;;
	v) version=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || set -- deb-amd64 deb-arm64 deb-armhf ipk-mipsel

if [ -z "$version" ]; then
	if described=$(git describe --tags --match 'v[0-9]*' 2>/dev/null); then
		# v1.2.0-3-gabc1234 -> 1.2.0+git3.abc1234
		version=$(echo "${described#v}" | sed -E 's/-([0-9]+)-g([0-9a-f]+)$/+git\1.\2/')
	elif count=$(git rev-list --count HEAD 2>/dev/null); then
		version=0.0.0~git$count.$(git rev-parse --short HEAD)
	else
		die "no version: not a git checkout; give one with -v VERSION"
	fi
fi
# dpkg and opkg need a version that starts with a digit.
echo "$version" | grep -Eq '^[0-9][A-Za-z0-9.+~]*$' ||
	die "version \"$version\" is not a package version: digits first, then letters, digits and . + ~"

: "${MIFOS_EDGE_MAINTAINER:=Mifos Edge <mifos-edge@users.noreply.github.com>}"
export MIFOS_EDGE_MAINTAINER MIFOS_EDGE_VERSION="$version"

mkdir -p "$out"
stage_root=$(mktemp -d)
trap 'rm -rf "$stage_root"' EXIT

build() { # stage GOARCH=... [GOARM=...|GOMIPS=...]
	stage=$1
	shift
	mkdir -p "$stage"
	if ! env CGO_ENABLED=0 GOOS=linux "$@" go build -trimpath -tags nodemo \
		-ldflags "-s -w -X main.version=$version" \
		-o "$stage/mifos-edge" ./cmd/mifos-edge; then
		die "building the program ($*) failed"
	fi
}

package_deb() { # debian-arch GOARCH=... [GOARM=...]
	arch=$1
	shift
	stage=$stage_root/deb-$arch
	build "$stage" "$@"
	# The packaged program is /usr/bin/mifos-edge (a package never writes
	# /usr/local); otherwise the unit is systemd/mifos-edge.service as is.
	sed 's#/usr/local/bin/mifos-edge#/usr/bin/mifos-edge#g' systemd/mifos-edge.service >"$stage/mifos-edge.service"
	MIFOS_EDGE_ARCH=$arch MIFOS_EDGE_STAGE=$stage \
		go tool nfpm package --config packaging/nfpm-deb.yaml --packager deb --target "$out/" ||
		die "nfpm failed for the $arch .deb"
}

package_ipk() { # GOARCH=... GOMIPS=...
	stage=$stage_root/ipk
	build "$stage" "$@"
	# /var is RAM on OpenWrt: the store goes to flash (/srv), the control
	# socket stays in RAM (/var/run), and the hints name procd and logread.
	sed -e 's#/var/lib/mifos-edge/mifos-edge\.sock#/var/run/mifos-edge/mifos-edge.sock#g' \
		-e 's#^\# socket = "/var/run/mifos-edge/mifos-edge\.sock"#socket = "/var/run/mifos-edge/mifos-edge.sock"#' \
		-e 's#/var/lib/mifos-edge#/srv/mifos-edge#g' \
		-e 's#sudo systemctl restart mifos-edge#/etc/init.d/mifos-edge restart#' \
		-e 's#sudo systemctl status mifos-edge#/etc/init.d/mifos-edge status#' \
		-e 's#sudo journalctl -u mifos-edge#logread -e mifos-edge#' \
		-e 's#the udev rule shipped with Mifos Edge#the hotplug script shipped with Mifos Edge#' \
		-e 's#(99-mifos-modem\.rules)#(set up in /etc/mifos-edge/modem.conf)#' \
		config/example.toml >"$stage/mifos-edge.toml"
	MIFOS_EDGE_STAGE=$stage \
		go tool nfpm package --config packaging/nfpm-ipk.yaml --packager ipk --target "$out/" ||
		die "nfpm failed for the .ipk"
}

for target in "$@"; do
	case $target in
	deb-amd64) package_deb amd64 GOARCH=amd64 ;;
	deb-arm64) package_deb arm64 GOARCH=arm64 ;;
	deb-armhf) package_deb armhf GOARCH=arm GOARM=7 ;;
	ipk-mipsel) package_ipk GOARCH=mipsle GOMIPS=softfloat ;;
	*)
		echo "package.sh: unknown target $target" >&2
		usage
		;;
	esac
done

echo
echo "version $version"
for f in "$out"/mifos-edge_"$version"_*; do
	[ -e "$f" ] || continue
	printf '%-56s %6d KiB\n' "$f" $(($(wc -c <"$f") / 1024))
done
