#!/bin/sh
# prerm of the Debian package mifos-edge: stops the service before its
# program is removed. On an upgrade the service keeps running and postinst
# restarts it on the new program, so SMS wait only for the restart.
set -e

if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
	deb-systemd-invoke stop mifos-edge.service >/dev/null || true
fi
exit 0
