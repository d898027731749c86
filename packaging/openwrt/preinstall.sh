#!/bin/sh
# preinst of the OpenWrt package mifos-edge: the service user and its group,
# in no other group (the modem's ports are given to it alone by the hotplug
# script). OpenWrt has no useradd, and /lib/functions.sh's helpers changed
# behaviour between releases, so the entries are written here.
#
# IPKG_INSTROOT is set when the package goes into a firmware image being
# built: the account files are then the image's.
set -e

root=${IPKG_INSTROOT:-}
passwd=$root/etc/passwd
group=$root/etc/group
shadow=$root/etc/shadow

grep -q '^mifos-edge:' "$passwd" && exit 0

# One number free both as a user id and as a group id, above the ids
# OpenWrt's own packages use.
gid=$(sed -n 's/^mifos-edge:[^:]*:\([0-9]*\):.*/\1/p' "$group")
if [ -z "$gid" ]; then
	id=900
	while cut -d: -f3 "$passwd" "$group" | grep -qx "$id"; do
		id=$((id + 1))
	done
	gid=$id
	echo "mifos-edge:x:$gid:" >>"$group"
fi
id=$gid
while cut -d: -f3 "$passwd" | grep -qx "$id"; do
	id=$((id + 1))
done
echo "mifos-edge:x:$id:$gid:Mifos Edge SMS gateway:/var/run/mifos-edge:/bin/false" >>"$passwd"
if [ -f "$shadow" ]; then
	echo "mifos-edge:*:0:0:99999:7:::" >>"$shadow"
fi
echo "mifos-edge: created the user mifos-edge ($id)"
exit 0
