#!/bin/sh
# Installs what `make test` and `make demo` need on a fresh Debian machine, as
# root: the Debian packages the system tests drive, and a Go toolchain. It is
# idempotent and quiet when everything is already there.
#
# Debian starts services from a package's postinst; firewalld must never start
# in the root namespace (it would take over the host's firewall), so the
# install runs under a policy-rc.d that forbids starting anything.
set -eu

packages="nftables iptables ipset iproute2 dbus firewalld tcpdump python3"
go_min=1.24
go_want=1.26.8

missing=""
for p in $packages; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing="$missing $p"
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "deps: not root, cannot install:$missing (system tests will skip)" >&2
	else
		echo "deps: installing$missing" >&2
		created_policy=""
		if [ ! -e /usr/sbin/policy-rc.d ]; then
			printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
			chmod +x /usr/sbin/policy-rc.d
			created_policy=yes
		fi
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >/dev/null
		[ -n "$created_policy" ] && rm -f /usr/sbin/policy-rc.d
	fi
fi

# Go: use the one on PATH or in /usr/local/go when new enough, else fetch the
# toolchain from the module proxy (the same zip GOTOOLCHAIN downloads).
go_ok() {
	v=$("$1" env GOVERSION 2>/dev/null | sed 's/^go//') || return 1
	[ "$(printf '%s\n%s\n' "$go_min" "$v" | sort -V | head -n1)" = "$go_min" ]
}
for g in "$(command -v go || true)" /usr/local/go/bin/go /opt/mssclamp-go/bin/go; do
	if [ -n "$g" ] && [ -x "$g" ] && go_ok "$g"; then
		echo "$g"
		exit 0
	fi
done
echo "deps: fetching go$go_want from the module proxy" >&2
proxy=$(printf '%s' "${GOPROXY:-https://proxy.golang.org}" | cut -d, -f1)
tmp=$(mktemp -d)
command -v curl >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl unzip >/dev/null; }
command -v unzip >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq unzip >/dev/null
curl -fsSL -o "$tmp/go.zip" "$proxy/golang.org/toolchain/@v/v0.0.1-go$go_want.linux-amd64.zip"
unzip -q "$tmp/go.zip" -d "$tmp"
rm -rf /opt/mssclamp-go
mv "$tmp/golang.org/toolchain@v0.0.1-go$go_want.linux-amd64" /opt/mssclamp-go
chmod +x /opt/mssclamp-go/bin/* /opt/mssclamp-go/pkg/tool/*/* 2>/dev/null || true
rm -rf "$tmp"
echo /opt/mssclamp-go/bin/go
