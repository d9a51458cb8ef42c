#!/bin/sh
# Prints the path of a Go toolchain new enough for this module, for every make
# target. It installs nothing system-wide and never runs apt-get or dpkg:
#
#  1. the go in PATH, /usr/local/go/bin/go or a toolchain fetched earlier
#     (below), when it is at least $go_min;
#  2. else, when some go >= 1.21 is there but too old, Go's own toolchain
#     switch fetches go$go_want into the module cache, checked against
#     sum.golang.org (GOTOOLCHAIN);
#  3. else, with curl (or wget) and unzip (or python3), the same toolchain
#     zip from the module proxy into a private directory: /opt/mssclamp-go
#     as root, else ~/.cache/mssclamp-go (MSSCLAMP_GO_DIR overrides);
#  4. else it fails and says what to install.
set -eu

go_min=1.24
go_want=1.26.8

say() { echo "go.sh: $*" >&2; }

version_of() { "$1" env GOVERSION 2>/dev/null | sed 's/^go//'; }
at_least() { [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ]; }

if [ "$(id -u)" -eq 0 ]; then
	dir=${MSSCLAMP_GO_DIR:-/opt/mssclamp-go}
else
	dir=${MSSCLAMP_GO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/mssclamp-go}
fi

old=""
for g in "$(command -v go || true)" /usr/local/go/bin/go "$dir/bin/go"; do
	[ -n "$g" ] && [ -x "$g" ] || continue
	v=$(version_of "$g") || continue
	if at_least "$go_min" "$v"; then
		echo "$g"
		exit 0
	fi
	at_least 1.21 "$v" && old=$g
done

if [ -n "$old" ]; then
	say "$old is older than go$go_min; fetching go$go_want with GOTOOLCHAIN"
	root=$(GOTOOLCHAIN=go$go_want "$old" env GOROOT) && [ -x "$root/bin/go" ] && {
		echo "$root/bin/go"
		exit 0
	}
	say "GOTOOLCHAIN=go$go_want failed; trying the module proxy directly"
fi

case $(uname -m) in
x86_64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) say "no Go >= $go_min found and no toolchain known for $(uname -m): install Go from https://go.dev/dl/"; exit 1 ;;
esac
if command -v curl >/dev/null; then
	fetch() { curl -fsSL -o "$2" "$1"; }
elif command -v wget >/dev/null; then
	fetch() { wget -q -O "$2" "$1"; }
else
	say "no Go >= $go_min found, and neither curl nor wget to fetch one: install Go (https://go.dev/dl/) or curl"
	exit 1
fi
if command -v unzip >/dev/null; then
	extract() { unzip -q "$1" -d "$2"; }
elif command -v python3 >/dev/null; then
	extract() { python3 -m zipfile -e "$1" "$2"; }
else
	say "no Go >= $go_min found, and neither unzip nor python3 to unpack one: install Go (https://go.dev/dl/) or unzip"
	exit 1
fi

proxy=$(printf '%s' "${GOPROXY:-https://proxy.golang.org}" | cut -d, -f1)
case $proxy in direct | off | "") proxy=https://proxy.golang.org ;; esac
say "fetching go$go_want ($arch) from $proxy into $dir"
mkdir -p "$(dirname "$dir")"
tmp=$(mktemp -d "$(dirname "$dir")/.mssclamp-go.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fetch "$proxy/golang.org/toolchain/@v/v0.0.1-go$go_want.linux-$arch.zip" "$tmp/go.zip"
extract "$tmp/go.zip" "$tmp"
src="$tmp/golang.org/toolchain@v0.0.1-go$go_want.linux-$arch"
chmod -R u+rwX,go+rX "$src"
chmod +x "$src"/bin/* "$src"/pkg/tool/*/* 2>/dev/null || true
rm -rf "$dir"
mv "$src" "$dir"
echo "$dir/bin/go"
