#!/bin/bash
# The demo: a client, a router and a server in three network namespaces; the
# router->server link has an MTU of 1400, like a tunnel. mssclampd runs
# standalone in the router on a private D-Bus, and mssclamp-cmd adds rules.
# We open TCP connections and show the MSS the server receives in the SYN and
# the client receives in the SYN-ACK: without a rule, with
# 'rule tcp-mss-clamp' (path MTU) and with a fixed value. Everything it makes
# is removed at the end, also on failure or Ctrl-C.
#
# Usage (as root): scripts/demo.sh BINDIR
set -euo pipefail

bin=${1:?usage: demo.sh BINDIR}
[ "$(id -u)" -eq 0 ] || { echo "demo: run as root (it creates network namespaces)" >&2; exit 1; }
for c in ip tcpdump dbus-daemon python3; do
	command -v "$c" >/dev/null || { echo "demo: $c is missing (make demo installs it)" >&2; exit 1; }
done

tag=$$
C=mscdemo-client-$tag R=mscdemo-router-$tag S=mscdemo-server-$tag
work=$(mktemp -d /tmp/mssclamp-demo.XXXXXX)
daemon_pid="" bus_pid=""

cleanup() {
	set +e
	[ -n "$daemon_pid" ] && kill "$daemon_pid" 2>/dev/null && wait "$daemon_pid" 2>/dev/null
	[ -n "$bus_pid" ] && kill "$bus_pid" 2>/dev/null && wait "$bus_pid" 2>/dev/null
	for n in $C $R $S; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

bold='' plain=''
if [ -t 1 ]; then bold=$(printf '\033[1m') plain=$(printf '\033[0m'); fi
say() { printf '\n%s%s%s\n' "$bold" "$*" "$plain"; }

# mc runs mssclamp-cmd in the router and shows it as a person would type it.
mc() {
	local shown="mssclamp-cmd" a
	for a in "$@"; do
		case "$a" in
		*=*' '*) shown="$shown ${a%%=*}='${a#*=}'" ;;
		*) shown="$shown $a" ;;
		esac
	done
	printf '  # %s\n' "$shown"
	local out
	out=$(cmd "$@" 2>&1) || true
	[ -n "$out" ] || out="(nothing)"
	printf '%s\n' "$out" | sed 's/^/    /'
}

# --- the network -----------------------------------------------------------
for n in $C $R $S; do ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n "$C" link add c0 type veth peer name r0 netns "$R"
ip -n "$S" link add s0 type veth peer name r1 netns "$R"
ip -n "$C" addr add 10.71.1.2/24 dev c0
ip -n "$R" addr add 10.71.1.1/24 dev r0
ip -n "$R" addr add 10.71.2.1/24 dev r1
ip -n "$S" addr add 10.71.2.2/24 dev s0
ip -n "$C" link set c0 up
ip -n "$R" link set r0 up
ip -n "$R" link set r1 up mtu 1400
ip -n "$S" link set s0 up mtu 1400
ip -n "$C" route add default via 10.71.1.1
ip -n "$S" route add default via 10.71.2.1
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1

# --- a private system bus and the daemon -------------------------------------
cat >"$work/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$work/bus.sock</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/> <allow own="*"/>
    <allow send_type="method_call"/> <allow send_type="signal"/>
    <allow send_type="method_return"/> <allow send_type="error"/>
    <allow receive_type="method_call"/> <allow receive_type="signal"/>
    <allow receive_type="method_return"/> <allow receive_type="error"/>
  </policy>
</busconfig>
EOF
dbus-daemon --config-file="$work/bus.conf" --nofork --nopidfile 2>"$work/bus.log" &
bus_pid=$!
export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$work/bus.sock
for _ in $(seq 50); do [ -S "$work/bus.sock" ] && break; sleep 0.1; done

ip netns exec "$R" "$bin/mssclampd" --firewalld=off --config-dir="$work/config" >"$work/daemon.log" 2>&1 &
daemon_pid=$!
cmd() { ip netns exec "$R" "$bin/mssclamp-cmd" "$@"; }
for _ in $(seq 50); do [ "$(cmd --state 2>/dev/null)" = running ] && break; sleep 0.1; done
[ "$(cmd --state 2>/dev/null)" = running ] || { cat "$work/daemon.log" >&2; exit 1; }

# --- one TCP connection, seen from both ends ----------------------------------
port=7100
probe() {
	port=$((port + 1))
	local d=$work/probe-$port
	mkdir -p "$d"
	ip netns exec "$S" timeout 20 tcpdump -l -n -v -i s0 -c 1 "tcp dst port $port and tcp[tcpflags] & tcp-syn != 0" >"$d/server" 2>"$d/server.err" &
	local t1=$!
	ip netns exec "$C" timeout 20 tcpdump -l -n -v -i c0 -c 1 "tcp src port $port and tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)" >"$d/client" 2>"$d/client.err" &
	local t2=$!
	for _ in $(seq 200); do
		grep -q listening "$d/server.err" 2>/dev/null && grep -q listening "$d/client.err" 2>/dev/null && break
		sleep 0.1
	done
	ip netns exec "$S" timeout 20 python3 -c "
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('10.71.2.2', $port)); s.listen(); c, _ = s.accept(); c.close()" &
	local srv=$!
	# Connect only once the server listens (a fixed pause lost that race on a busy host).
	for _ in $(seq 200); do
		[ -n "$(ip netns exec "$S" ss -Hltn "sport = :$port")" ] && break
		sleep 0.1
	done
	ip netns exec "$C" timeout 5 python3 -c "
import socket; socket.create_connection(('10.71.2.2', $port), timeout=3).close()"
	wait $srv $t1 $t2 || true
	syn=$(grep -o 'mss [0-9]*' "$d/server" | head -1 | cut -d' ' -f2 || true)
	synack=$(grep -o 'mss [0-9]*' "$d/client" | head -1 | cut -d' ' -f2 || true)
	printf '  -> the server saw MSS %s in the SYN; the client saw MSS %s in the SYN-ACK\n' "${syn:-none}" "${synack:-none}"
}

say "client 10.71.1.2 -- router -- server 10.71.2.2; the router->server link has MTU 1400"
echo "  An MSS of 1460 means 1500-byte packets: too big for the 1400-byte link."
echo "  mssclampd runs in the router, standalone (no firewalld), on a private D-Bus."

say "1. No rule"
mc --list-rich-rules
probe

say "2. Clamp to the path MTU (1400 - 20 IPv4 - 20 TCP = 1360)"
mc --add-rich-rule='rule tcp-mss-clamp'
probe

say "3. A fixed value, 1200: both directions are clamped"
mc --remove-rich-rule='rule tcp-mss-clamp'
mc --add-rich-rule='rule tcp-mss-clamp value=1200'
probe

say "Counters: the SYN and SYN-ACK packets each rule handled"
mc --list-rich-rules --verbose

say "What the kernel holds (our own table; firewalld's would be untouched)"
mc --list-backend-rules

say "Done. Cleaning up: the daemon removes its table on exit; the namespaces and the bus go."
