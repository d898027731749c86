#!/bin/sh
# Installs or updates Mifos Edge as a systemd service. Safe to run again:
# existing configuration and udev rules are kept (a rule from an older
# release that gave the modem to group dialout is converted), the program and
# the unit file are replaced, and a running service is restarted on the new
# program.
#
# The modem's serial ports end up owned by the user mifos-edge alone, mode
# 0600: no person needs, or should have, access to them (whoever can open
# them reads officers' PINs in SMS and sends from the branch SIM).
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

# The user must exist before the udev rule that names it as owner is loaded.
if ! getent passwd mifos-edge >/dev/null; then
	say "creating system user mifos-edge"
	useradd --system --user-group --no-create-home --home-dir /var/lib/mifos-edge \
		--shell /usr/sbin/nologin mifos-edge
fi
# Older releases put the service user in dialout; the ports are now its own.
if id -nG mifos-edge | tr ' ' '\n' | grep -qx dialout; then
	say "removing mifos-edge from group dialout (the modem's ports now belong to mifos-edge itself)"
	gpasswd -d mifos-edge dialout >/dev/null
fi

say "installing program to /usr/local/bin/mifos-edge"
install -m 0755 "$binary" /usr/local/bin/mifos-edge.new
mv -f /usr/local/bin/mifos-edge.new /usr/local/bin/mifos-edge

# The configuration may hold a password: readable by the service, not by others.
install -d -m 0750 -o root -g mifos-edge /etc/mifos-edge
if [ ! -e /etc/mifos-edge/mifos-edge.toml ]; then
	say "writing example configuration /etc/mifos-edge/mifos-edge.toml (edit it!)"
	install -m 0640 -o root -g mifos-edge "$root/config/example.toml" /etc/mifos-edge/mifos-edge.toml
else
	say "keeping existing /etc/mifos-edge/mifos-edge.toml"
	chown root:mifos-edge /etc/mifos-edge/mifos-edge.toml
	chmod 0640 /etc/mifos-edge/mifos-edge.toml
fi
chmod -R o-rwx /etc/mifos-edge

# The box key protects the PINs; the service cannot write /etc, so it is made
# here (once: an existing key is never replaced).
/usr/local/bin/mifos-edge keygen --config /etc/mifos-edge/mifos-edge.toml

rules=/etc/udev/rules.d/99-mifos-modem.rules
if [ ! -e "$rules" ]; then
	say "installing udev rule $rules (switch on your modem's lines in it)"
	install -m 0644 "$here/99-mifos-modem.rules" "$rules"
elif grep -v '^[[:space:]]*#' "$rules" | grep -q dialout; then
	# An older rule: its switched-on lines gave the AT port to group dialout.
	# Each becomes the pair the current rule uses: all the modem's ports owned
	# by mifos-edge, and the AT port named mifos-modem.
	say "converting $rules: the modem's ports now belong to mifos-edge alone, not to group dialout (old file kept as $rules.old)"
	cp -p "$rules" "$rules.old"
	owner=', OWNER="mifos-edge", GROUP="mifos-edge", MODE="0600", ENV{ID_MM_DEVICE_IGNORE}="1"'
	{
		cat "$here/99-mifos-modem.rules"
		echo
		echo "# Converted by install.sh from the previous rule (kept as $rules.old):"
		grep -v '^[[:space:]]*#' "$rules.old" | grep dialout | while IFS= read -r line; do
			at=$(printf '%s\n' "$line" | sed -E 's/, *(OWNER|GROUP|MODE|ENV\{ID_MM_DEVICE_IGNORE\})="[^"]*"//g')
			printf '%s%s\n' "$(printf '%s\n' "$at" | sed -E 's/, *(ENV\{ID_USB_INTERFACE_NUM\}=="[^"]*"|SYMLINK\+="[^"]*")//g')" "$owner"
			printf '%s%s\n' "$at" "$owner"
		done
	} >"$rules.new"
	chmod 0644 "$rules.new"
	mv -f "$rules.new" "$rules"
else
	say "keeping existing $rules"
fi
if command -v udevadm >/dev/null; then
	udevadm control --reload
	udevadm trigger --subsystem-match=tty || true
fi

# The unit runs nothing as root, so the serial drivers are loaded at boot
# (DeviceAllow=char-ttyUSB needs the driver loaded when the service starts,
# even if the modem is plugged in later) and now.
say "loading serial drivers at boot: /etc/modules-load.d/mifos-edge.conf"
printf 'usbserial\noption\ncdc_acm\n' >/etc/modules-load.d/mifos-edge.conf.new
chmod 0644 /etc/modules-load.d/mifos-edge.conf.new
mv -f /etc/modules-load.d/mifos-edge.conf.new /etc/modules-load.d/mifos-edge.conf
modprobe -a usbserial option cdc_acm || echo "note: could not load the serial drivers now; they load at the next boot"

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
[ -e /dev/mifos-modem ] || echo "note: /dev/mifos-modem does not exist yet: edit $rules (switch on both lines of your modem) and replug the modem"
# Membership of group mifos-edge gives full control of the service (control
# socket, database, configuration); it is for the service alone.
members=$(getent group mifos-edge | cut -d: -f4)
[ -z "$members" ] || echo "warning: group mifos-edge has members ($members): they can read the configuration and control the service; remove them with: sudo gpasswd -d USER mifos-edge"
echo "optional: to let the service reach only the Fineract server, see 'Egress allow-list' in systemd/README.md"
