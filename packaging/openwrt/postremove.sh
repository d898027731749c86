#!/bin/sh
# postrm of the OpenWrt package mifos-edge. The store (/srv/mifos-edge), the
# box key (/etc/mifos-edge/mifos-edge.key) and the user stay: messages not
# yet handled and officers' PIN hashes survive a removal and a reinstall.
set -e

[ -z "${IPKG_INSTROOT:-}" ] || exit 0
[ "${PKG_UPGRADE:-0}" != 1 ] && [ "${1:-}" != upgrade ] || exit 0
rm -f /dev/mifos-modem
echo "mifos-edge: kept the store /srv/mifos-edge, the box key in /etc/mifos-edge and the user mifos-edge."
echo "mifos-edge: to retire the box for good: rm -rf /srv/mifos-edge /etc/mifos-edge and remove mifos-edge from /etc/passwd, /etc/group and /etc/shadow"
exit 0
