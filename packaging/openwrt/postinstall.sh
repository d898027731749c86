#!/bin/sh
# postinst of the OpenWrt package mifos-edge. The init script prepares the
# files (directories, modes, box key, modem ports) before every start, so
# this only enables and (re)starts the service. In a firmware image being
# built (IPKG_INSTROOT set) it only enables it: the first boot does the rest.
set -e

init=/etc/init.d/mifos-edge
if [ -n "${IPKG_INSTROOT:-}" ]; then
	# rc.common reads IPKG_INSTROOT to enable the service inside the image.
	export IPKG_INSTROOT
	sh "$IPKG_INSTROOT/etc/rc.common" "$IPKG_INSTROOT$init" enable
	exit 0
fi

# opkg sets PKG_UPGRADE=1 when a newer version replaces an installed one:
# an administrator's "disable" is then kept.
if [ "${PKG_UPGRADE:-0}" = 1 ]; then
	if $init enabled; then
		$init restart
	fi
else
	$init enable
	$init start
	echo "mifos-edge: installed. Next: switch on your modem's two lines in /etc/mifos-edge/modem.conf,"
	echo "mifos-edge: edit /etc/mifos-edge/mifos-edge.toml (at least [mifos]), then: /etc/init.d/mifos-edge restart"
fi
exit 0
