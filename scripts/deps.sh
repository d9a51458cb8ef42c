#!/bin/sh
# Installs the Debian packages `make test` or `make demo` drive, as root, and
# nothing else: `make build` never runs this (it needs only Go: scripts/go.sh).
#
#   scripts/deps.sh test|demo      install what is missing
#   scripts/deps.sh --list test    print the package list
#
# firewalld is not among them: the system tests run Debian's firewalld
# packages unpacked into a private tree (internal/systest), and only need the
# libraries firewalld imports. No package here ships a service that starts or
# is enabled; still, the install runs under a policy-rc.d that forbids
# starting anything, and afterwards every unit or init script a package
# enabled is disabled again and named (units a package enables statically, by
# shipping a .wants link, cannot be undone: the script then fails).
# Idempotent, and quiet when everything is there.
set -eu

# dbus-daemon and dbus-bin, not dbus: dbus (and dbus-system-bus-common) enable
# the system bus unit and socket. lintian, man-db and groff-base are the tools
# the package tests drive that cannot run unpacked in a private tree (see
# internal/systest/debian.go); every other tool the tests drive does.
demo="iproute2 dbus-daemon tcpdump python3"
test="iproute2 dbus-daemon dbus-bin nftables iptables ipset procps util-linux python3
python3-dbus python3-gi gir1.2-glib-2.0 python3-nftables debian-archive-keyring
lintian man-db groff-base"

list=no
[ "${1:-}" = --list ] && { list=yes; shift; }
case ${1:-} in
demo) packages=$demo ;;
test) packages=$test ;;
*) echo "usage: deps.sh [--list] test|demo" >&2; exit 2 ;;
esac
if [ $list = yes ]; then
	echo $packages
	exit 0
fi

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done
[ -n "$missing" ] || exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: not root, cannot install:$missing (system tests will skip)" >&2
	exit 0
fi
echo "deps: installing$missing" >&2

# Unit links and init-script links: what "enabled" means on disk, with or
# without a running systemd.
units="/etc/systemd/system /usr/lib/systemd/system"
[ /lib -ef /usr/lib ] || units="$units /lib/systemd/system"
enabled() {
	find $units /etc/rc[0-6S].d -path '*.wants/*' -o -path '*.requires/*' -o -path '/etc/rc*.d/S*' 2>/dev/null | sort
}
before=$(mktemp) after=$(mktemp)
enabled >"$before"

# Our policy-rc.d forbids every start (exit 101); an existing one is set aside
# meanwhile and put back, whatever happens.
policy=/usr/sbin/policy-rc.d saved=""
restore() {
	rm -f "$policy"
	[ -z "$saved" ] || mv "$saved" "$policy"
	rm -f "$before" "$after"
}
if [ -e "$policy" ] || [ -L "$policy" ]; then
	saved=$(mktemp /usr/sbin/policy-rc.d.mssclamp.XXXXXX)
	mv "$policy" "$saved"
fi
trap restore EXIT
trap 'exit 130' INT TERM
printf '#!/bin/sh\n# scripts/deps.sh of mssclamp: no service starts while it installs\nexit 101\n' >"$policy"
chmod 755 "$policy"

apt="apt-get -o DPkg::Lock::Timeout=300 -qq"
$apt update
DEBIAN_FRONTEND=noninteractive $apt install -y --no-install-recommends $missing >/dev/null

enabled >"$after"
new=$(comm -13 "$before" "$after")
[ -z "$new" ] && exit 0
status=0
for link in $new; do
	name=$(basename "$link")
	case $link in
	/etc/systemd/system/*)
		echo "deps: a package enabled $name; disabling it again" >&2
		deb-systemd-helper disable "$name" 2>/dev/null || rm -f "$link"
		;;
	/etc/rc*)
		echo "deps: a package enabled init script ${name#S[0-9][0-9]}; removing $link" >&2
		rm -f "$link"
		;;
	*)
		echo "deps: a package enables $name statically ($link): take it off the list in scripts/deps.sh" >&2
		status=1
		;;
	esac
done
exit $status
