#!/bin/sh
# Runs a command (make test: go test) so that it cannot use a firewalld
# installed on the host: as root, in a private mount namespace where an empty,
# read-only tmpfs covers each of firewalld's directories and /dev/null each of
# its files. The system tests run Debian's firewalld packages unpacked into a
# private tree (internal/systest); with the host's copy out of sight, a test
# that still reached for it fails instead of passing by accident. Without root
# (the system tests skip) or without unshare(1) it runs the command as is.
#
# Usage: scripts/hide-host-firewalld.sh COMMAND [ARG...]
set -eu

paths="/usr/sbin/firewalld /usr/bin/firewall-cmd /usr/bin/firewall-offline-cmd /usr/bin/firewall-config
/usr/bin/firewall-applet /etc/firewalld /usr/lib/firewalld /usr/lib/python3/dist-packages/firewall
/usr/share/dbus-1/system.d/FirewallD.conf"

if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null; then
	exec "$@"
fi
# The mounts live and die with the namespace: nothing to undo on the host.
exec unshare --mount --propagation private sh -c '
	paths=$1; shift
	for p in $paths; do
		if [ -d "$p" ]; then
			mount -t tmpfs -o ro,mode=755,size=4k mssclamp-hidden "$p"
		elif [ -e "$p" ]; then
			mount --bind /dev/null "$p"
		fi
	done
	exec "$@"' hide-host-firewalld "$paths" "$@"
