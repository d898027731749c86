#!/bin/sh
# preinst of the Debian package mifos-edge.
#
# The service user must exist before the files that name its group are
# unpacked (/etc/mifos-edge and its configuration are root:mifos-edge), and
# before the udev rule that gives it the modem is loaded.
#
# The user is in no supplementary group, dialout least of all: the modem's
# serial ports belong to mifos-edge alone (99-mifos-modem.rules), because
# whoever can open them reads the officers' PINs in SMS and sends from the
# branch SIM.
set -e

case "$1" in
install | upgrade) ;;
*) exit 0 ;;
esac

if ! getent passwd mifos-edge >/dev/null; then
	# A group left behind by an earlier install is reused, not duplicated.
	if getent group mifos-edge >/dev/null; then
		group_option="--gid mifos-edge"
	else
		group_option="--user-group"
	fi
	# shellcheck disable=SC2086 # group_option is two words on purpose
	useradd --system $group_option --no-create-home --home-dir /var/lib/mifos-edge \
		--shell /usr/sbin/nologin --comment "Mifos Edge SMS gateway" mifos-edge
	echo "mifos-edge: created the system user mifos-edge"
fi

# Releases before the udev rule gave the modem to its user put that user in
# dialout, which would open every other serial device on the box to it.
if id -nG mifos-edge | tr ' ' '\n' | grep -qx dialout; then
	gpasswd -d mifos-edge dialout >/dev/null
	echo "mifos-edge: removed mifos-edge from group dialout (the modem's ports belong to mifos-edge itself)"
fi
exit 0
