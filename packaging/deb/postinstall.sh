#!/bin/sh
# postinst of the Debian package mifos-edge: what systemd/install.sh does
# for a hand install, for the packaged files.
#
# On a running system (systemd is PID 1) it also acts on the system now:
# udev rules reloaded, serial drivers loaded, the service (re)started. In a
# chroot or an image being built it only prepares the files; the drivers
# load and the service starts at the next boot.
set -e

config=/etc/mifos-edge/mifos-edge.toml
unit=mifos-edge.service

say() { echo "mifos-edge: $*"; }
running_system() { [ -d /run/systemd/system ]; }

prepare_files() {
	# The configuration may hold a password, and the box key, a password
	# file or a CA file may sit beside it: readable by the service, by no
	# one else, writable by root alone. dpkg unpacks the configuration so
	# already; this repairs a box set up by hand or changed since.
	chown -R root:mifos-edge /etc/mifos-edge
	chmod 0750 /etc/mifos-edge
	if [ -e "$config" ]; then
		chmod 0640 "$config"
	fi
	chmod -R g-w,o-rwx /etc/mifos-edge

	# The state directory holds the store (every message until it is
	# handled). It is made here rather than shipped in the package so that
	# dpkg never owns it and never removes it; StateDirectory= in the unit
	# would make it too, but commands such as doctor may run first.
	install -d -m 0750 -o mifos-edge -g mifos-edge /var/lib/mifos-edge

	# The box key: the service cannot write /etc, so it is made here, once.
	# keygen never replaces an existing key (officers' PINs depend on it).
	if [ -e "$config" ]; then
		if ! /usr/bin/mifos-edge keygen --config "$config"; then
			say "WARNING: could not create the box key (see above); the service will not start without it."
			say "Fix what it names, then run: sudo mifos-edge keygen --config $config"
		fi
	else
		say "WARNING: $config is missing (removed by hand?); write one from /usr/share/doc/mifos-edge/example.toml"
	fi
}

act_on_running_system() {
	if command -v udevadm >/dev/null && [ -d /run/udev ]; then
		udevadm control --reload || true
		udevadm trigger --subsystem-match=tty || true
	fi
	if command -v modprobe >/dev/null; then
		modprobe -a usbserial option cdc_acm 2>/dev/null ||
			say "note: could not load the serial drivers now; they load at the next boot"
	fi
}

# Leftovers of a hand install (systemd/install.sh or 'mifos-edge service
# install') would shadow the package: a unit in /etc/systemd/system wins
# over the packaged one and runs /usr/local/bin/mifos-edge.
warn_about_hand_install() {
	if [ -f /etc/systemd/system/$unit ] && [ ! -L /etc/systemd/system/$unit ]; then
		say "WARNING: /etc/systemd/system/$unit (from a hand install) overrides the packaged unit."
		say "Remove it to use the package's: sudo rm /etc/systemd/system/$unit && sudo systemctl daemon-reload && sudo systemctl restart mifos-edge"
	fi
	if [ -e /usr/local/bin/mifos-edge ]; then
		say "note: /usr/local/bin/mifos-edge (from a hand install) comes before /usr/bin/mifos-edge in PATH; remove it: sudo rm /usr/local/bin/mifos-edge"
	fi
	rules=/etc/udev/rules.d/99-mifos-modem.rules
	if [ -e "$rules" ] && grep -v '^[[:space:]]*#' "$rules" | grep -q dialout; then
		say "WARNING: $rules gives the modem to group dialout; the service no longer is in it and cannot open the modem."
		say "Compare it with /usr/share/doc/mifos-edge/99-mifos-modem.rules and give every port of the modem OWNER=\"mifos-edge\", MODE=\"0600\"."
	fi
	members=$(getent group mifos-edge | cut -d: -f4)
	if [ -n "$members" ]; then
		say "WARNING: group mifos-edge has members ($members): they can read the configuration and control the service; remove them with: sudo gpasswd -d USER mifos-edge"
	fi
}

# Enabling follows debhelper's scheme: enabled on the first install, the
# administrator's choice kept on upgrades (deb-systemd-helper remembers it,
# even across a removal without purge).
enable_and_start() {
	deb-systemd-helper unmask $unit >/dev/null || true
	if deb-systemd-helper --quiet was-enabled $unit; then
		deb-systemd-helper enable $unit >/dev/null || true
	else
		deb-systemd-helper update-state $unit >/dev/null || true
	fi
	if running_system; then
		systemctl --system daemon-reload >/dev/null || true
		if [ -n "$2" ]; then
			# An upgrade: the new program takes over if the service was running.
			deb-systemd-invoke try-restart $unit >/dev/null || true
		else
			deb-systemd-invoke start $unit >/dev/null || true
		fi
	fi
}

case "$1" in
configure)
	prepare_files
	if running_system; then
		act_on_running_system
	fi
	warn_about_hand_install
	enable_and_start "$1" "$2"
	if [ -z "$2" ]; then
		say "installed. Next: switch on your modem's two lines in /etc/udev/rules.d/99-mifos-modem.rules,"
		say "edit $config (at least [mifos]), then: sudo mifos-edge doctor --config $config && sudo systemctl restart mifos-edge"
	fi
	;;
abort-upgrade | abort-remove | abort-deconfigure)
	enable_and_start "$1" "$2"
	;;
esac
exit 0
