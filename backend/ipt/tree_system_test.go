package ipt

import (
	"context"
	"net/netip"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// The kernel takes lookup trees, lists them back as we write them, and an
// update between two trees keeps the unchanged chains.
func TestSystemTreeApply(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newSysEnv(t, mode)
			ctx := context.Background()
			for _, rs := range []*backend.Ruleset{manyClamps(300, -1), manyClamps(300, 150), manyClamps(300, 150)} {
				if err := e.b.Apply(ctx, rs); err != nil {
					t.Fatal(err)
				}
				e.check(t, "", rs)
			}
			if err := e.b.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			e.checkNothingOurs(t)
		})
	}
}

// Real packets through a tree: the client's address is one of 256
// elements whose verdicts mix jump, goto and return; its SYN must be
// clamped as the list of elements would clamp it.
func TestSystemTreePacket(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			systest.RequireRoot(t)
			tp := systest.NewTopology(t, 1500)
			b, err := New(WithNetNS(tp.Router.Path), func(c *config) { c.mode = mode })
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			t.Cleanup(func() { _ = b.Flush(ctx) })
			for _, tc := range []struct {
				name    string
				client  backend.Verdict // the element holding the client's first address
				allJump bool            // every other element jumps too
				want    [2]int          // SYN MSS at the server from the first address, IPv4 and IPv6
				wantB   [2]int          // from the second address, in no element
			}{
				{"goto", gotoTo("t"), false, [2]int{1300, 1300}, [2]int{1250, 1250}},
				{"jump", jumpTo("t"), false, [2]int{1250, 1250}, [2]int{1250, 1250}},
				{"return", ret, false, [2]int{1460, 1440}, [2]int{1250, 1250}},
				{"jump among jumps", jumpTo("t"), true, [2]int{1250, 1250}, [2]int{1250, 1250}},
			} {
				rs := treeRuleset(tp, tc.client, tc.allJump)
				if err := b.Apply(ctx, rs); err != nil {
					t.Fatal(err)
				}
				for f, v6 := range []bool{false, true} {
					src, srcB := tp.ClientAddr4, tp.ClientAddr4b
					if v6 {
						src, srcB = tp.ClientAddr6, tp.ClientAddr6b
					}
					if got := tp.Probe(t, systest.ProbeOptions{IPv6: v6, Source: src}).SynMSS; got != tc.want[f] {
						t.Errorf("%s, %s: SYN MSS %d, want %d", tc.name, families[f].name, got, tc.want[f])
					}
					if got := tp.Probe(t, systest.ProbeOptions{IPv6: v6, Source: srcB}).SynMSS; got != tc.wantB[f] {
						t.Errorf("%s, %s, address in no element: SYN MSS %d, want %d", tc.name, families[f].name, got, tc.wantB[f])
					}
				}
			}
		})
	}
}

// treeRuleset looks the source address up among every address of the
// client's /24 (and 256 of its /64) but the second client address: chain
// t clamps to 1300, chain other to 600, and the rule after the lookups to
// 1250.
func treeRuleset(tp *systest.Topology, client backend.Verdict, allJump bool) *backend.Ruleset {
	others := []backend.Verdict{jumpTo("other"), gotoTo("other"), ret}
	if allJump {
		others = others[:1]
	}
	lookup := func(key backend.DispatchKey, first, mine, skip netip.Addr) *backend.Rule {
		d := &backend.Dispatch{Key: key}
		a := first
		for i := range 256 {
			v := others[i%len(others)]
			if a == mine {
				v = client
			}
			if a != skip {
				d.Elements = append(d.Elements, backend.Element{Range: backend.Range{From: a, To: a}, Verdict: v})
			}
			a = a.Next()
		}
		return &backend.Rule{Dispatch: d}
	}
	mss := func(name string, v richrule.MSS) *backend.Rule {
		return &backend.Rule{Clamp: clampOf(zone("tree"), name, v, nil)}
	}
	return &backend.Ruleset{Chains: []*backend.Chain{
		{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{{Matches: []backend.Match{syn()}, Jump: "zone"}}},
		{Name: "zone", Rules: []*backend.Rule{
			lookup(backend.KeySrcAddr4, netip.MustParseAddr("10.71.1.0"), tp.ClientAddr4, tp.ClientAddr4b),
			lookup(backend.KeySrcAddr6, netip.MustParseAddr("fd71:1::"), tp.ClientAddr6, tp.ClientAddr6b),
			mss("after", 1250),
		}},
		{Name: "t", Rules: []*backend.Rule{mss("t", 1300)}},
		{Name: "other", Rules: []*backend.Rule{mss("other", 600)}},
	}}
}
