#!/bin/sh
# postrm of the Debian package mifos-edge.
#
# Neither removal nor purge deletes the store (/var/lib/mifos-edge: messages
# not yet handled, postings waiting for Fineract, officers' PIN hashes) or
# the box key (without it every PIN must be set again and a backup of the
# store cannot be checked against PINs). A purge removes what dpkg owns (the
# configuration and the udev rule, as conffiles) and systemd's record of the
# service; the store, the key and the user stay, and the message below says
# how to delete them when the box is being retired.
set -e

unit=mifos-edge.service
say() { echo "mifos-edge: $*"; }

if [ -d /run/systemd/system ]; then
	systemctl --system daemon-reload >/dev/null || true
fi

case "$1" in
remove)
	if [ -x /usr/bin/deb-systemd-helper ]; then
		deb-systemd-helper mask $unit >/dev/null || true
	fi
	say "removed the program; kept the configuration, the box key and the store (/var/lib/mifos-edge)"
	;;
purge)
	if [ -x /usr/bin/deb-systemd-helper ]; then
		deb-systemd-helper purge $unit >/dev/null || true
		deb-systemd-helper unmask $unit >/dev/null || true
	fi
	say "kept the store /var/lib/mifos-edge, the box key (by default /etc/mifos-edge/mifos-edge.key) and the user mifos-edge."
	say "To retire the box for good, delete them too (messages and PIN hashes are lost):"
	say "  sudo rm -rf /var/lib/mifos-edge /etc/mifos-edge && sudo userdel mifos-edge"
	;;
esac
exit 0
