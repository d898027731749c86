#!/bin/sh
# prerm of the OpenWrt package mifos-edge: stops the service before its
# program goes. On an upgrade it is only stopped; postinst restarts it.
set -e

[ -z "${IPKG_INSTROOT:-}" ] || exit 0
init=/etc/init.d/mifos-edge
$init stop || true
# opkg marks an upgrade with PKG_UPGRADE=1 (older releases: "upgrade" as
# the argument); the administrator's enable/disable is then kept.
if [ "${PKG_UPGRADE:-0}" != 1 ] && [ "${1:-}" != upgrade ]; then
	$init disable || true
fi
exit 0
