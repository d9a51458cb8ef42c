package nft

import (
	"fmt"
	"net/netip"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// Hand-built rulesets shared by the render goldens, the netlink goldens and
// the system tests: together they use every Match kind, Dispatch key,
// verdict kind, Family, both clamp kinds and both kinds of logging.

var (
	syn = backend.Match{Kind: backend.MatchSYN}
	pfx = netip.MustParsePrefix
	ip  = netip.MustParseAddr
)

func rng(from, to string) backend.Range { return backend.Range{From: ip(from), To: ip(to)} }

func clampRule(id, zone string, mss richrule.MSS, log *backend.Log, m ...backend.Match) *backend.Rule {
	return &backend.Rule{Matches: m, Clamp: &backend.Clamp{
		ID: id, Scope: firewalld.Scope{Name: zone}, Rule: "rule tcp-mss-clamp", MSS: mss, Log: log,
	}}
}

// rulesetBasic is a small ruleset of the shape Compile produces: SYN in
// forward, dispatched by input interface to a zone chain that clamps.
func rulesetBasic() *backend.Ruleset {
	return &backend.Ruleset{Chains: []*backend.Chain{
		{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
			{Matches: []backend.Match{syn}, Goto: "fwd_dispatch"},
		}},
		{Name: "fwd_dispatch", Rules: []*backend.Rule{
			{Dispatch: &backend.Dispatch{Key: backend.KeyInIface, Elements: []backend.Element{
				{Iface: "eth0", Verdict: backend.Verdict{Kind: backend.VerdictGoto, Chain: "zone_public"}},
				{Iface: "eth1", Verdict: backend.Verdict{Kind: backend.VerdictGoto, Chain: "zone_internal"}},
			}}},
		}},
		{Name: "zone_public", Rules: []*backend.Rule{
			clampRule("r1", "public", 1200, nil),
		}},
		{Name: "zone_internal", Rules: []*backend.Rule{
			clampRule("r2", "internal", richrule.PMTU, nil),
		}},
	}}
}

// rulesetMatches uses every Match kind, Family and plain verdict.
func rulesetMatches() *backend.Ruleset {
	return &backend.Ruleset{
		Sets: []*backend.Set{
			{Name: "nets4", Family: backend.FamilyIPv4, Elements: []backend.Range{
				rng("10.0.0.0", "10.255.255.255"), rng("172.16.0.1", "172.16.0.9"), rng("192.168.1.1", "192.168.1.1"),
			}},
			{Name: "nets6", Family: backend.FamilyIPv6, Elements: []backend.Range{
				rng("fd00::", "fd00::ffff:ffff:ffff:ffff"), rng("fd01::1", "fd01::1"),
			}},
			{Name: "macs", MAC: true, MACs: []string{"00:11:22:33:44:55", "AA:BB:CC:DD:EE:FF"}},
			{Name: "empty", Family: backend.FamilyIPv4},
		},
		Chains: []*backend.Chain{
			{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
				{Matches: []backend.Match{syn}, Jump: "m"},
			}},
			{Name: "output", Hook: backend.HookOutput, Rules: []*backend.Rule{
				{Family: backend.FamilyIPv4, Matches: []backend.Match{syn}, Goto: "m"},
			}},
			{Name: "input", Hook: backend.HookInput, Rules: []*backend.Rule{
				{Family: backend.FamilyIPv6, Matches: []backend.Match{syn}, Goto: "m"},
			}},
			{Name: "m", Rules: []*backend.Rule{
				{Matches: []backend.Match{{Kind: backend.MatchInIface, Iface: "eth0"}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchInIface, Iface: "eth+"}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchInIface, Iface: "ppp+", Invert: true}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchOutIface, Iface: "wan0", Invert: true}}, Goto: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcAddr, Prefix: pfx("10.0.0.0/8")},
					{Kind: backend.MatchDstAddr, Prefix: pfx("10.0.0.0/8"), Invert: true}}, Jump: "t"},
				{Family: backend.FamilyIPv4, Matches: []backend.Match{{Kind: backend.MatchInIface, Iface: "eth0"},
					{Kind: backend.MatchSrcAddr, Prefix: pfx("10.16.0.0/12")}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcAddr, Prefix: pfx("192.0.2.7/32")}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcAddr, Prefix: pfx("0.0.0.0/0")}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcAddr, Prefix: pfx("fd00::/64")},
					{Kind: backend.MatchDstAddr, Prefix: pfx("fd00:1234::/33"), Invert: true}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcMAC, MAC: "00:11:22:33:44:55"}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcMAC, MAC: "00:11:22:33:44:56", Invert: true}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcSet, Set: "nets4"}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchDstSet, Set: "nets4", Invert: true}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcSet, Set: "nets6", Invert: true},
					{Kind: backend.MatchDstSet, Set: "nets6"}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcSet, Set: "macs"}}, Jump: "t"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcSet, Set: "empty"}}, Jump: "t"},
				{Family: backend.FamilyIPv6, Matches: []backend.Match{{Kind: backend.MatchSrcSet, Set: "macs", Invert: true}}, Goto: "t"},
				{Family: backend.FamilyIPv4, Return: true},
				{Return: true},
			}},
			{Name: "t"},
		},
	}
}

// rulesetDispatch uses every Dispatch key and every element verdict.
func rulesetDispatch() *backend.Ruleset {
	goTo := func(c string) backend.Verdict { return backend.Verdict{Kind: backend.VerdictGoto, Chain: c} }
	jump := func(c string) backend.Verdict { return backend.Verdict{Kind: backend.VerdictJump, Chain: c} }
	ret := backend.Verdict{Kind: backend.VerdictReturn}
	return &backend.Ruleset{Chains: []*backend.Chain{
		{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
			{Matches: []backend.Match{syn}, Goto: "d"},
		}},
		{Name: "d", Rules: []*backend.Rule{
			{Dispatch: &backend.Dispatch{Key: backend.KeySrcMAC, Elements: []backend.Element{
				{MAC: "02:00:00:00:00:01", Verdict: goTo("a")}, {MAC: "02:00:00:00:00:02", Verdict: ret},
			}}},
			{Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr4, Elements: []backend.Element{
				{Range: rng("0.0.0.0", "9.255.255.255"), Verdict: jump("a")},
				{Range: rng("10.0.0.1", "10.0.0.1"), Verdict: goTo("a")},
				{Range: rng("10.0.0.2", "10.0.0.2"), Verdict: goTo("b")},
				{Range: rng("10.1.0.0", "10.1.255.255"), Verdict: ret},
				{Range: rng("10.2.0.5", "10.2.0.9"), Verdict: goTo("b")},
				{Range: rng("255.255.255.0", "255.255.255.255"), Verdict: goTo("b")},
			}}},
			{Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr6, Elements: []backend.Element{
				{Range: rng("fd00::", "fd00::ffff:ffff:ffff:ffff"), Verdict: goTo("a")},
				{Range: rng("fd01::1", "fd01::1"), Verdict: goTo("b")},
			}}},
			{Dispatch: &backend.Dispatch{Key: backend.KeyInIface, Elements: []backend.Element{
				{Iface: "eth0", Verdict: goTo("a")}, {Iface: "lo", Verdict: ret},
			}}},
			{Matches: []backend.Match{{Kind: backend.MatchInIface, Iface: "veth+"}}, Goto: "b"},
			{Dispatch: &backend.Dispatch{Key: backend.KeyDstAddr4, Elements: []backend.Element{
				{Range: rng("192.0.2.0", "192.0.2.255"), Verdict: goTo("a")},
			}}},
			{Dispatch: &backend.Dispatch{Key: backend.KeyDstAddr6, Elements: []backend.Element{
				{Range: rng("2001:db8::", "2001:db8::ffff"), Verdict: goTo("b")},
			}}},
			{Dispatch: &backend.Dispatch{Key: backend.KeyOutIface, Elements: []backend.Element{
				{Iface: "eth1", Verdict: jump("b")},
			}}},
			{Dispatch: &backend.Dispatch{Key: backend.KeyOutIface}},
		}},
		{Name: "a", Rules: []*backend.Rule{clampRule("a1", "a", 1400, nil)}},
		{Name: "b", Rules: []*backend.Rule{clampRule("b1", "b", richrule.PMTU, nil)}},
	}}
}

// rulesetClamp uses both clamp kinds and every way of logging.
func rulesetClamp() *backend.Ruleset {
	lim := func(rate uint32, unit byte, burst uint32) *richrule.Limit {
		return &richrule.Limit{Rate: rate, Unit: unit, Burst: burst}
	}
	return &backend.Ruleset{Chains: []*backend.Chain{
		{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
			clampRule("p1", "public", richrule.PMTU, nil, syn),
			clampRule("p2", "public", 1200, nil, syn, backend.Match{Kind: backend.MatchSrcAddr, Prefix: pfx("10.0.0.0/8")}),
			{Family: backend.FamilyIPv6, Matches: []backend.Match{syn}, Clamp: &backend.Clamp{
				ID: "q1", Scope: firewalld.Scope{Policy: true, Name: "lan-to-wan"}, MSS: 1300,
				Log: &backend.Log{Prefix: "mss ", Limit: lim(1, 'm', 0)},
			}},
			clampRule("p3", "public", richrule.PMTU, &backend.Log{Prefix: "clamp: ", Level: "info", Limit: lim(3, 's', 10)}, syn),
			clampRule("p4", "public", 536, &backend.Log{Level: "error", Limit: lim(2, 'h', 1)}, syn),
			clampRule("p5", "public", 1400, &backend.Log{Level: "warning"}, syn),
			clampRule("p6", "public", 1200, &backend.Log{NFLog: true, Group: 2, Prefix: "nf", QueueSize: 10, Limit: lim(5, 'd', 0)}, syn),
			clampRule("p7", "public", 1200, &backend.Log{NFLog: true}, syn),
		}},
		{Name: "output", Hook: backend.HookOutput, Rules: []*backend.Rule{
			clampRule("p1", "public", richrule.PMTU, nil, syn),
		}},
	}}
}

// rulesetScale is the benchmark's ruleset, built the way Compile builds
// one: forward sends SYNs to a dispatch chain, which dispatches by input
// interface to zones zones; each zone dispatches by source address to
// perZone rule chains, each holding one clamp. version changes the clamp
// of the rule (0, 0) so that two rulesets differ in exactly one rule.
func rulesetScale(zones, perZone, version int) *backend.Ruleset {
	rs := &backend.Ruleset{}
	dispatch := &backend.Dispatch{Key: backend.KeyInIface}
	rs.Chains = append(rs.Chains,
		&backend.Chain{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{{Matches: []backend.Match{syn}, Goto: "fwd_dispatch"}}},
		&backend.Chain{Name: "fwd_dispatch", Rules: []*backend.Rule{{Dispatch: dispatch}}})
	var ruleChains []*backend.Chain
	for z := 0; z < zones; z++ {
		zone := fmt.Sprintf("zone_%03d", z)
		dispatch.Elements = append(dispatch.Elements, backend.Element{Iface: fmt.Sprintf("if%03d", z), Verdict: backend.Verdict{Kind: backend.VerdictGoto, Chain: zone}})
		src := &backend.Dispatch{Key: backend.KeySrcAddr4}
		rs.Chains = append(rs.Chains, &backend.Chain{Name: zone, Rules: []*backend.Rule{{Dispatch: src}}})
		for r := 0; r < perZone; r++ {
			name := fmt.Sprintf("%s_r%03d", zone, r)
			a := netip.AddrFrom4([4]byte{10, byte(z), byte(r / 256), byte(r % 256)})
			src.Elements = append(src.Elements, backend.Element{Range: backend.Range{From: a, To: a}, Verdict: backend.Verdict{Kind: backend.VerdictJump, Chain: name}})
			mss := richrule.MSS(1200 + r%100)
			if z == 0 && r == 0 {
				mss = richrule.MSS(1000 + version)
			}
			ruleChains = append(ruleChains, &backend.Chain{Name: name, Rules: []*backend.Rule{
				clampRule(fmt.Sprintf("z%dr%d", z, r), zone, mss, nil),
			}})
		}
	}
	rs.Chains = append(rs.Chains, ruleChains...)
	return rs
}
