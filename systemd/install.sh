#!/bin/sh
# Installs or updates Mifos Edge as a systemd service. Safe to run again:
# existing configuration and udev rules are kept, the program and the unit
# file are replaced, and a running service is restarted on the new program.
#
# usage: sudo systemd/install.sh [path/to/mifos-edge]
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
binary=${1:-}
if [ -z "$binary" ]; then
	# Names as written by scripts/build-arm.sh.
	case $(uname -m) in
	aarch64 | arm64) arch=arm64 ;;
	armv7* | armv8l) arch=armv7 ;;
	x86_64) arch=amd64 ;;
	*) arch=unknown ;;
	esac
	for candidate in ./mifos-edge "$root/mifos-edge" "$root/dist/mifos-edge-linux-$arch"; do
		if [ -f "$candidate" ]; then binary=$candidate; break; fi
	done
fi

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "==> $*"; }

[ "$(id -u)" -eq 0 ] || die "must be run as root: sudo $0 $*"
[ -n "$binary" ] && [ -f "$binary" ] || die "mifos-edge program not found; give its path: sudo $0 path/to/mifos-edge"
command -v systemctl >/dev/null || die "systemctl not found: this script needs a systemd system"

if ! getent passwd mifos-edge >/dev/null; then
	say "creating system user mifos-edge"
	useradd --system --user-group --no-create-home --home-dir /var/lib/mifos-edge \
		--shell /usr/sbin/nologin mifos-edge
fi
if ! id -nG mifos-edge | tr ' ' '\n' | grep -qx dialout; then
	say "adding mifos-edge to group dialout (serial ports)"
	usermod -a -G dialout mifos-edge
fi

say "installing program to /usr/local/bin/mifos-edge"
install -m 0755 "$binary" /usr/local/bin/mifos-edge.new
mv -f /usr/local/bin/mifos-edge.new /usr/local/bin/mifos-edge

install -d -m 0750 -o root -g mifos-edge /etc/mifos-edge
if [ ! -e /etc/mifos-edge/mifos-edge.toml ]; then
	say "writing example configuration /etc/mifos-edge/mifos-edge.toml (edit it!)"
	install -m 0640 -o root -g mifos-edge "$root/config/example.toml" /etc/mifos-edge/mifos-edge.toml
else
	say "keeping existing /etc/mifos-edge/mifos-edge.toml"
fi

if [ ! -e /etc/udev/rules.d/99-mifos-modem.rules ]; then
	say "installing udev rule /etc/udev/rules.d/99-mifos-modem.rules (switch on your modem's line in it)"
	install -m 0644 "$here/99-mifos-modem.rules" /etc/udev/rules.d/99-mifos-modem.rules
else
	say "keeping existing /etc/udev/rules.d/99-mifos-modem.rules"
fi
if command -v udevadm >/dev/null; then
	udevadm control --reload
	udevadm trigger --subsystem-match=tty || true
fi

printf 'usbserial\noption\ncdc_acm\n' >/etc/modules-load.d/mifos-edge.conf

say "installing service unit"
install -m 0644 "$here/mifos-edge.service" /etc/systemd/system/mifos-edge.service
systemctl daemon-reload
systemctl enable mifos-edge >/dev/null
if systemctl is-active --quiet mifos-edge; then
	say "restarting mifos-edge"
	systemctl restart mifos-edge
else
	say "starting mifos-edge"
	systemctl start mifos-edge
fi
systemctl --no-pager status mifos-edge || true
[ -e /dev/mifos-modem ] || echo "note: /dev/mifos-modem does not exist yet: edit /etc/udev/rules.d/99-mifos-modem.rules and replug the modem"
