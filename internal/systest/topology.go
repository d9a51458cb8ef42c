package systest

import (
	"fmt"
	"net/netip"
	"os"
	"testing"
)

// Topology is client -- router -- server, each in its own namespace. The router forwards
// between rc0 (client side, MTU 1500) and rs0 (server side, MTU Topology.MTU), so a SYN from the
// client carries MSS 1460/1440 (IPv4/IPv6) and a SYN-ACK from the server MTU-40/MTU-60 unless
// something on the router clamps them.
type Topology struct {
	Client, Router, Server *NS

	RouterClientIf, RouterServerIf string // "rc0", "rs0"

	ClientAddr4, ClientAddr4b, ClientAddr6, ClientAddr6b, ServerAddr4, ServerAddr6 netip.Addr

	MTU int
}

// Interface names on the client and server side (each exists only inside its namespace).
const (
	clientIf = "mc0"
	serverIf = "ms0"
)

var (
	routerClientAddr4 = netip.MustParseAddr("10.71.1.1")
	routerClientAddr6 = netip.MustParseAddr("fd71:1::1")
	routerServerAddr4 = netip.MustParseAddr("10.71.2.1")
	routerServerAddr6 = netip.MustParseAddr("fd71:2::1")
)

// NewTopology builds the three namespaces and their links; the router->server link (rs0, ms0)
// has the given MTU. Everything is deleted at Cleanup.
func NewTopology(t testing.TB, mtu int) *Topology {
	t.Helper()
	tp := &Topology{
		Client:         NewNS(t),
		Router:         NewNS(t),
		Server:         NewNS(t),
		RouterClientIf: "rc0",
		RouterServerIf: "rs0",
		ClientAddr4:    netip.MustParseAddr("10.71.1.2"),
		ClientAddr4b:   netip.MustParseAddr("10.71.1.3"),
		ClientAddr6:    netip.MustParseAddr("fd71:1::2"),
		ClientAddr6b:   netip.MustParseAddr("fd71:1::3"),
		ServerAddr4:    netip.MustParseAddr("10.71.2.2"),
		ServerAddr6:    netip.MustParseAddr("fd71:2::2"),
		MTU:            mtu,
	}
	// Duplicate address detection would keep each link-local address tentative for a second or
	// two, and neighbour discovery waits for it: probes would stall on SYN retransmissions.
	for _, n := range []*NS{tp.Client, tp.Router, tp.Server} {
		if err := n.Do(func() error {
			return writeSysctls("net/ipv6/conf/all/accept_dad", "net/ipv6/conf/default/accept_dad")("0")
		}); err != nil {
			t.Fatalf("topology %s: %v", n.Name, err)
		}
	}
	// The veth pairs are created inside the end namespaces, so no name ever shows up in the
	// root namespace. All links are up before any address is added: an IPv6 address present
	// when its link comes up is tentative again for up to a second (rtr_solicit_delay), nodad
	// or not.
	steps := []struct {
		ns    *NS
		lines []string
	}{
		{tp.Client, []string{
			fmt.Sprintf("link add %s type veth peer name %s netns %s", clientIf, tp.RouterClientIf, tp.Router.Name),
			fmt.Sprintf("link set %s up", clientIf),
		}},
		{tp.Server, []string{
			fmt.Sprintf("link add %s type veth peer name %s netns %s", serverIf, tp.RouterServerIf, tp.Router.Name),
			fmt.Sprintf("link set %s up mtu %d", serverIf, mtu),
		}},
		{tp.Router, []string{
			fmt.Sprintf("link set %s up", tp.RouterClientIf),
			fmt.Sprintf("link set %s up mtu %d", tp.RouterServerIf, mtu),
			fmt.Sprintf("addr add %s/24 dev %s", routerClientAddr4, tp.RouterClientIf),
			fmt.Sprintf("addr add %s/64 dev %s nodad", routerClientAddr6, tp.RouterClientIf),
			fmt.Sprintf("addr add %s/24 dev %s", routerServerAddr4, tp.RouterServerIf),
			fmt.Sprintf("addr add %s/64 dev %s nodad", routerServerAddr6, tp.RouterServerIf),
		}},
		{tp.Client, []string{
			fmt.Sprintf("addr add %s/24 dev %s", tp.ClientAddr4, clientIf),
			fmt.Sprintf("addr add %s/24 dev %s", tp.ClientAddr4b, clientIf),
			fmt.Sprintf("addr add %s/64 dev %s nodad", tp.ClientAddr6, clientIf),
			fmt.Sprintf("addr add %s/64 dev %s nodad", tp.ClientAddr6b, clientIf),
			fmt.Sprintf("route add default via %s", routerClientAddr4),
			fmt.Sprintf("route add default via %s", routerClientAddr6),
		}},
		{tp.Server, []string{
			fmt.Sprintf("addr add %s/24 dev %s", tp.ServerAddr4, serverIf),
			fmt.Sprintf("addr add %s/64 dev %s nodad", tp.ServerAddr6, serverIf),
			fmt.Sprintf("route add default via %s", routerServerAddr4),
			fmt.Sprintf("route add default via %s", routerServerAddr6),
		}},
	}
	for _, st := range steps {
		if err := st.ns.ipBatch(st.lines...); err != nil {
			t.Fatalf("topology: %v", err)
		}
	}
	if err := tp.Router.Do(func() error {
		return writeSysctls("net/ipv4/ip_forward", "net/ipv6/conf/all/forwarding")("1")
	}); err != nil {
		t.Fatalf("topology router %s: %v", tp.Router.Name, err)
	}
	return tp
}

// writeSysctls returns a function setting the given /proc/sys keys to value, in the network
// namespace of the calling thread (call it inside NS.Do).
func writeSysctls(keys ...string) func(value string) error {
	return func(value string) error {
		for _, k := range keys {
			if err := os.WriteFile("/proc/sys/"+k, []byte(value+"\n"), 0); err != nil {
				return fmt.Errorf("sysctl %s=%s: %w", k, value, err)
			}
		}
		return nil
	}
}
