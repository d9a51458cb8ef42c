// Package systest is the one harness every system test of the project uses to check its code
// against the real thing: the kernel in throwaway network namespaces, a real dbus-daemon on a
// private socket, upstream firewalld running in a namespace on that bus, and TCP handshakes
// captured packet by packet. Sharing it keeps every package's system tests honest in the same
// way (nothing touches the root namespace, nothing outlives its test) and keeps the knowledge of
// namespaces, bus policies and firewalld start-up in one place.
//
// Every helper takes the test's testing.TB, skips when the test cannot run (not root, a
// command missing: see RequireRoot), fails the test with what went wrong, and registers a
// Cleanup that deletes what it created, in reverse order, also when the test failed.
// Namespaces, buses and firewalld instances have unique names and directories, so tests and
// test processes may run in parallel.
//
// The pieces:
//
//   - NS: a named network namespace ("msc-XXXXXX"). Run a command in it (Command, Exec, Run),
//     run Go code on a thread switched into it (Do: sockets opened there stay there), or hand
//     its FD to netlink libraries (nftables.WithNetNSFd).
//   - Topology: client -- router -- server namespaces with fixed addresses and a small MTU on
//     the router->server link. Probe opens one TCP connection and returns the MSS options of
//     the SYN as the server received it and of the SYN-ACK as the client (or, FromRouter, the
//     router) received it. Without any clamp and MTU 1400: 1460/1360 (IPv4), 1440/1340 (IPv6).
//   - Bus: a private dbus-daemon playing the system bus. BusOptions{} lets anyone own and call
//     anything; SystemPolicy applies the real system-bus policy (deny by default plus
//     /usr/share/dbus-1/system.d; Debian 12's when the host has no system.conf) plus
//     ConfigDirs, for authorization tests; StartFirewalld adds firewalld's own busconfig from its
//     tree, so without polkit only root may talk to firewalld. Env and Conn connect processes and Go code to it.
//     The bus never activates services.
//   - Firewalld: upstream firewalld in a namespace, on a Bus, with its own copy of the package's
//     /etc/firewalld and the chosen FirewallBackend. Cmd runs firewall-cmd against it; Stop and
//     Start restart it. It is never the host's firewalld: FirewalldTree is one release of
//     Debian's packages (0.9.3 of Debian 11, 1.3.3 of Debian 12, 2.3.1 of Debian 13), unpacked
//     by DebianTree and run by the system python3 with PYTHONPATH into the tree and
//     --default-config pointing at its /usr/lib/firewalld.
//     StartFirewalldWith(FirewalldOptions{Release: "0.9.3"}) picks a release; StartFirewalld runs
//     $MSSCLAMP_FIREWALLD, 1.3.3 by default. Releases differ: 0.9 has policies but no
//     tcp-mss-clamp and no intra-zone forwarding (ForwardWithinZone sets the zone's target
//     instead), 2.x reloads on --set-default-zone.
//   - mssclampd: Build builds a command of this tree; StartMssclampd runs the built daemon in a
//     namespace on a Bus until it owns its name; Spawn starts any long-running child the way
//     the harness starts its daemons.
//   - DebianTree: Debian packages downloaded with apt-get and unpacked with `dpkg-deb -x` into
//     /var/tmp/mssclamp-debian, once per host, never installed (no maintainer script runs, no
//     service gets enabled): firewalld's releases from their suites, and from the host's suite
//     the tools the tests drive (ansible-core, promtool, rpm, bash-completion) with what they
//     need that the host lacks. lintian and man cannot run from a tree: scripts/deps.sh test
//     installs them.
//
// A typical test:
//
//	func TestThroughFirewalld(t *testing.T) {
//		systest.RequireRoot(t)
//		tp := systest.NewTopology(t, 1400)
//		fw := systest.StartFirewalld(t, systest.StartBus(t, systest.BusOptions{}), tp.Router, "nftables")
//		fw.MustCmd(t, "--zone=public", "--add-interface="+tp.RouterClientIf, "--add-interface="+tp.RouterServerIf)
//		if got := tp.Probe(t, systest.ProbeOptions{IPv6: true}); got != (systest.ProbeResult{SynMSS: 1440, SynAckMSS: 1340}) {
//			t.Errorf("probe = %+v, want no clamp", got)
//		}
//	}
//
// Daemons are started with a parent-death signal, so even a test binary that crashes leaves no
// dbus-daemon or firewalld running (its namespaces may then remain: `ip netns list | grep msc-`).
package systest
