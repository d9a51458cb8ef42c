package nft

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// TestPacketClamp sends TCP handshakes through a router that holds a
// Ruleset and checks the MSS the server sees in the SYN and the client in
// the SYN-ACK. The router also has a foreign table whose forward chain
// accepts everything at filter priority: it must not stop our clamp.
func TestPacketClamp(t *testing.T) {
	systest.RequireRoot(t)
	systest.RequireCommands(t, "nft")
	tp := systest.NewTopology(t, 1400)
	cmd := tp.Router.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(foreignTable)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("loading the foreign table: %v: %s", err, out)
	}
	b := newSysBackend(t, tp.Router)

	single := func(a netip.Addr) backend.Range { return backend.Range{From: a, To: a} }
	jump := func(c string) backend.Verdict { return backend.Verdict{Kind: backend.VerdictJump, Chain: c} }
	goTo := func(c string) backend.Verdict { return backend.Verdict{Kind: backend.VerdictGoto, Chain: c} }
	forward := func(rules ...*backend.Rule) *backend.Chain {
		return &backend.Chain{Name: "forward", Hook: backend.HookForward, Rules: rules}
	}
	dispatched := &backend.Ruleset{Chains: []*backend.Chain{
		forward(&backend.Rule{Matches: []backend.Match{syn}, Goto: "d"}),
		{Name: "d", Rules: []*backend.Rule{{Dispatch: &backend.Dispatch{Key: backend.KeyInIface, Elements: []backend.Element{
			{Iface: tp.RouterClientIf, Verdict: goTo("from_client")},
			{Iface: tp.RouterServerIf, Verdict: goTo("from_server")},
		}}}}},
		{Name: "from_client", Rules: []*backend.Rule{
			{Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr4, Elements: []backend.Element{
				{Range: single(tp.ClientAddr4), Verdict: jump("r1")}, {Range: single(tp.ClientAddr4b), Verdict: jump("r2")},
			}}},
			{Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr6, Elements: []backend.Element{
				{Range: single(tp.ClientAddr6), Verdict: jump("r1")},
			}}},
		}},
		{Name: "from_server", Rules: []*backend.Rule{clampRule("s", "server", 1200, nil)}},
		{Name: "r1", Rules: []*backend.Rule{clampRule("r1", "client", 1200, nil)}},
		{Name: "r2", Rules: []*backend.Rule{clampRule("r2", "client", 1100, &backend.Log{Prefix: "r2 ", Limit: &richrule.Limit{Rate: 1, Unit: 'm'}})}},
	}}
	tests := []struct {
		name   string
		rs     *backend.Ruleset
		probe  systest.ProbeOptions
		syn    int
		synAck int
	}{
		{"none ipv4", &backend.Ruleset{}, systest.ProbeOptions{}, 1460, 1360},
		{"fixed ipv4", &backend.Ruleset{Chains: []*backend.Chain{forward(clampRule("f", "z", 1200, nil, syn))}}, systest.ProbeOptions{}, 1200, 1200},
		{"fixed ipv6", &backend.Ruleset{Chains: []*backend.Chain{forward(clampRule("f", "z", 1200, nil, syn))}}, systest.ProbeOptions{IPv6: true}, 1200, 1200},
		{"pmtu ipv4", &backend.Ruleset{Chains: []*backend.Chain{forward(clampRule("p", "z", richrule.PMTU, nil, syn))}}, systest.ProbeOptions{}, 1360, 1360},
		{"pmtu ipv6", &backend.Ruleset{Chains: []*backend.Chain{forward(clampRule("p", "z", richrule.PMTU, nil, syn))}}, systest.ProbeOptions{IPv6: true}, 1340, 1340},
		{"ipv4 only", &backend.Ruleset{Chains: []*backend.Chain{forward(&backend.Rule{Family: backend.FamilyIPv4, Matches: []backend.Match{syn},
			Clamp: &backend.Clamp{ID: "v4", MSS: 1000}})}}, systest.ProbeOptions{IPv6: true}, 1440, 1340},
		{"dispatched ipv4", dispatched, systest.ProbeOptions{}, 1200, 1200},
		{"dispatched ipv4 other source", dispatched, systest.ProbeOptions{Source: tp.ClientAddr4b}, 1100, 1200},
		{"dispatched ipv6", dispatched, systest.ProbeOptions{IPv6: true}, 1200, 1200},
		{"dispatched ipv6 unknown source", dispatched, systest.ProbeOptions{IPv6: true, Source: tp.ClientAddr6b}, 1440, 1200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := b.Apply(context.Background(), tc.rs); err != nil {
				t.Fatal(err)
			}
			got := tp.Probe(t, tc.probe)
			if got.SynMSS != tc.syn || got.SynAckMSS != tc.synAck {
				t.Errorf("SYN MSS %d, SYN-ACK MSS %d; want %d, %d", got.SynMSS, got.SynAckMSS, tc.syn, tc.synAck)
			}
		})
	}
	counters, err := b.Counters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := counters["s"]; c.Packets == 0 {
		t.Errorf("the SYN-ACK clamp counted nothing: %v", counters)
	}
}
