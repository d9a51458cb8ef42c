package backend_test

import (
	"context"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/backend/ipt"
	"github.com/firewalld-mssclamp/mssclamp/backend/nft"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// kernels are the two backends, aimed at the router of a topology. Each
// also loads a foreign "accept everything" forward chain at filter priority,
// like firewalld's, which must not stop the clamp.
var kernels = []struct {
	name    string
	open    func(t testing.TB, tp *systest.Topology) backend.Backend
	foreign func(t *testing.T, tp *systest.Topology)
}{
	{
		name: "nftables",
		open: func(t testing.TB, tp *systest.Topology) backend.Backend {
			b, err := nft.New(nft.WithNetNS(tp.Router.Path))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { b.Close() })
			return b
		},
		foreign: func(t *testing.T, tp *systest.Topology) {
			cmd := tp.Router.Command("nft", "-f", "-")
			cmd.Stdin = strings.NewReader("table inet foreign {\n chain forward {\n  type filter hook forward priority filter; policy accept;\n  ct state established,related accept\n  accept\n }\n}\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("foreign table: %v: %s", err, out)
			}
		},
	},
	{
		name: "iptables",
		open: func(t testing.TB, tp *systest.Topology) backend.Backend {
			b, err := ipt.New(ipt.WithNetNS(tp.Router.Path))
			if err != nil {
				t.Fatal(err)
			}
			return b
		},
		foreign: func(t *testing.T, tp *systest.Topology) {
			for _, bin := range []string{"iptables", "ip6tables"} {
				tp.Router.Run(t, bin, "-t", "filter", "-A", "FORWARD", "-j", "ACCEPT")
			}
		},
	},
}

// TestPacketSemantics compiles zone and policy rules, applies them with each
// backend, and checks with real TCP handshakes what the server sees in the
// SYN and the client in the SYN-ACK. The router->server link has MTU 1400:
// unclamped, a SYN carries 1460 (IPv4) or 1440 (IPv6), and the server's
// SYN-ACK 1360 or 1340.
func TestPacketSemantics(t *testing.T) {
	systest.RequireRoot(t)
	systest.RequireCommands(t, "nft", "iptables", "ip6tables")
	for _, k := range kernels {
		t.Run(k.name, func(t *testing.T) {
			t.Parallel()
			tp := systest.NewTopology(t, 1400)
			k.foreign(t, tp)
			b := k.open(t, tp)
			t.Cleanup(func() { _ = b.Flush(context.Background()) })
			clientB4 := tp.ClientAddr4b.String()
			for _, tc := range []struct {
				name   string
				input  string // zones, policies and rules, as in testdata/compile
				probes []probe
			}{
				{"no rule", "zone public", []probe{
					{v6: false, syn: 1460, synAck: 1360},
					{v6: true, syn: 1440, synAck: 1340},
				}},
				{"pmtu", "zone public\npublic: rule tcp-mss-clamp", []probe{
					{v6: false, syn: 1360, synAck: 1360},
					{v6: true, syn: 1340, synAck: 1340},
				}},
				{"fixed value clamps SYN and SYN-ACK", "zone public\npublic: rule tcp-mss-clamp value=1200", []probe{
					{v6: false, syn: 1200, synAck: 1200},
					{v6: true, syn: 1200, synAck: 1200},
				}},
				{"family=ipv6 leaves IPv4 alone", "zone public\npublic: rule family=ipv6 tcp-mss-clamp value=1200", []probe{
					{v6: false, syn: 1460, synAck: 1360},
					{v6: true, syn: 1200, synAck: 1200},
				}},
				{"source-scoped rule clamps only its client", "zone public\npublic: rule family=ipv4 source address=" + clientB4 + " tcp-mss-clamp value=1200", []probe{
					{v6: false, syn: 1460, synAck: 1360},
					{v6: false, second: true, syn: 1200, synAck: 1360},
				}},
				{"zone by interface: only traffic entering from it", "zone a if=" + tp.RouterClientIf + "\nzone public\na: rule tcp-mss-clamp value=1200", []probe{
					{v6: false, syn: 1200, synAck: 1360},
					{v6: true, syn: 1200, synAck: 1340},
				}},
				{"a rule of zone A leaves zone B alone", "zone a if=dummy9\nzone b if=" + tp.RouterClientIf + "\nzone public\na: rule tcp-mss-clamp value=1200", []probe{
					{v6: false, syn: 1460, synAck: 1360},
				}},
				{"source binding wins over interface", "zone a src=" + clientB4 + "\nzone b if=" + tp.RouterClientIf + "\nzone public\na: rule tcp-mss-clamp value=1200", []probe{
					{v6: false, syn: 1460, synAck: 1360},
					{v6: false, second: true, syn: 1200, synAck: 1360},
				}},
				{"zone-to-zone policy", "zone in if=" + tp.RouterClientIf + "\nzone out if=" + tp.RouterServerIf + "\nzone public\npolicy p in=in out=out\np: rule tcp-mss-clamp value=1300", []probe{
					{v6: false, syn: 1300, synAck: 1360},
					{v6: true, syn: 1300, synAck: 1340},
				}},
				{"policy towards another zone does not apply", "zone in if=" + tp.RouterClientIf + "\nzone out if=" + tp.RouterServerIf + "\nzone public\npolicy p in=in out=public\np: rule tcp-mss-clamp value=1300", []probe{
					{v6: false, syn: 1460, synAck: 1360},
				}},
				{"HOST ingress clamps connections the router opens", "zone public\npolicy p in=HOST out=ANY\np: rule tcp-mss-clamp value=1200", []probe{
					{v6: false, router: true, syn: 1200, synAck: 1360},
					{v6: true, router: true, syn: 1200, synAck: 1340},
					{v6: false, syn: 1460, synAck: 1360},
				}},
			} {
				t.Run(tc.name, func(t *testing.T) {
					rs, err := backend.CompileCase(t, "default public\n"+tc.input)
					if err != nil {
						t.Fatal(err)
					}
					if err := b.Apply(context.Background(), rs); err != nil {
						t.Fatal(err)
					}
					for _, p := range tc.probes {
						o := systest.ProbeOptions{IPv6: p.v6, FromRouter: p.router}
						if p.second {
							o.Source = tp.ClientAddr4b
						}
						got := tp.Probe(t, o)
						if got.SynMSS != p.syn || got.SynAckMSS != p.synAck {
							t.Errorf("%s: SYN %d / SYN-ACK %d, want %d / %d", p, got.SynMSS, got.SynAckMSS, p.syn, p.synAck)
						}
					}
				})
			}
		})
	}
}

type probe struct {
	v6, second, router bool
	syn, synAck        int
}

func (p probe) String() string {
	s := "IPv4"
	if p.v6 {
		s = "IPv6"
	}
	if p.second {
		s += " from the second client address"
	}
	if p.router {
		s += " from the router"
	}
	return s
}
