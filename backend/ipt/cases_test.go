package ipt

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// Hand-built rulesets shared by the render goldens and the system tests.
// The ipsets they name (trusted4, trusted6) are created by the system tests;
// kernelOK is false for cases this kernel cannot load (hash:mac sets).
type rulesetCase struct {
	name     string
	rs       *backend.Ruleset
	kernelOK bool
}

func syn() backend.Match { return backend.Match{Kind: backend.MatchSYN} }

func clampOf(scope firewalld.Scope, text string, mss richrule.MSS, log *backend.Log) *backend.Clamp {
	sum := sha256.Sum256([]byte(scope.String() + "\n" + text))
	return &backend.Clamp{ID: hex.EncodeToString(sum[:8]), Scope: scope, Rule: text, MSS: mss, Log: log}
}

func zone(name string) firewalld.Scope   { return firewalld.Scope{Name: name} }
func policy(name string) firewalld.Scope { return firewalld.Scope{Policy: true, Name: name} }

func pfx(s string) netip.Prefix { return netip.MustParsePrefix(s) }

func rng(from, to string) backend.Range {
	return backend.Range{From: netip.MustParseAddr(from), To: netip.MustParseAddr(to)}
}

func jumpTo(c string) backend.Verdict { return backend.Verdict{Kind: backend.VerdictJump, Chain: c} }
func gotoTo(c string) backend.Verdict { return backend.Verdict{Kind: backend.VerdictGoto, Chain: c} }

var ret = backend.Verdict{Kind: backend.VerdictReturn}

// basicRuleset clamps forwarded SYN and SYN-ACK of both families to mss (or
// to the path MTU) in zone public.
func basicRuleset(mss richrule.MSS) *backend.Ruleset {
	return &backend.Ruleset{Chains: []*backend.Chain{
		{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
			{Matches: []backend.Match{syn()}, Goto: "zone_public"},
		}},
		{Name: "zone_public", Rules: []*backend.Rule{
			{Clamp: clampOf(zone("public"), fmt.Sprintf(`rule tcp-mss-clamp value="%d"`, mss), mss, nil)},
		}},
	}}
}

var trusted = []*backend.Set{
	{Name: "trusted4", Family: backend.FamilyIPv4, Elements: []backend.Range{rng("10.9.0.0", "10.9.255.255")}},
	{Name: "trusted6", Family: backend.FamilyIPv6, Elements: []backend.Range{rng("fd09::", "fd09::ffff")}},
}

func cases() []rulesetCase {
	return []rulesetCase{
		{name: "basic", kernelOK: true, rs: &backend.Ruleset{Chains: []*backend.Chain{
			{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
				{Matches: []backend.Match{syn()}, Goto: "zone_public"},
			}},
			{Name: "zone_public", Rules: []*backend.Rule{
				{Clamp: clampOf(zone("public"), "rule tcp-mss-clamp", richrule.PMTU, nil)},
				{Family: backend.FamilyIPv4, Clamp: clampOf(zone("public"), `rule family="ipv4" tcp-mss-clamp value="1200"`, 1200, nil)},
				{Family: backend.FamilyIPv6, Clamp: clampOf(zone("public"), `rule family="ipv6" tcp-mss-clamp value="1280"`, 1280, nil)},
			}},
		}}},
		{name: "matches", kernelOK: true, rs: &backend.Ruleset{Sets: trusted, Chains: []*backend.Chain{
			{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
				{Matches: []backend.Match{{Kind: backend.MatchSYN, Invert: true}}, Return: true},
				{Matches: []backend.Match{syn(), {Kind: backend.MatchInIface, Iface: "eth0"}}, Jump: "m"},
				{Matches: []backend.Match{{Kind: backend.MatchOutIface, Iface: "eth+", Invert: true}}, Jump: "m"},
				{Matches: []backend.Match{{Kind: backend.MatchInIface, Iface: "ppp+"}, {Kind: backend.MatchOutIface, Iface: "eth1"}}, Goto: "m"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcAddr, Prefix: pfx("10.0.0.0/8")}, {Kind: backend.MatchDstAddr, Invert: true, Prefix: pfx("192.168.0.0/16")}}, Jump: "m"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcAddr, Invert: true, Prefix: pfx("fd00::/64")}}, Jump: "m"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcMAC, MAC: "00:11:22:AA:BB:CC"}}, Jump: "m"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcMAC, Invert: true, MAC: "00:11:22:AA:BB:CD"}}, Jump: "m"},
				{Matches: []backend.Match{{Kind: backend.MatchSrcSet, Set: "trusted4"}}, Jump: "m"},
				{Matches: []backend.Match{{Kind: backend.MatchDstSet, Invert: true, Set: "trusted6"}}, Jump: "m"},
				{Family: backend.FamilyIPv6, Return: true},
			}},
			{Name: "m", Rules: []*backend.Rule{
				{Matches: []backend.Match{{Kind: backend.MatchSrcAddr, Prefix: pfx("10.1.0.0/16")}, {Kind: backend.MatchSrcAddr, Invert: true, Prefix: pfx("10.1.2.0/24")}},
					Clamp: clampOf(zone("internal"), `rule family="ipv4" source address="10.1.0.0/16" tcp-mss-clamp value="1300"`, 1300, nil)},
				{Matches: []backend.Match{{Kind: backend.MatchSrcSet, Set: "trusted6"}, {Kind: backend.MatchDstAddr, Prefix: pfx("fd00:0:0:1::/64")}},
					Clamp: clampOf(zone("internal"), `rule family="ipv6" source ipset="trusted6" tcp-mss-clamp`, richrule.PMTU, nil)},
			}},
		}}},
		{name: "dispatch", kernelOK: true, rs: &backend.Ruleset{Chains: []*backend.Chain{
			{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
				{Matches: []backend.Match{syn()}, Dispatch: &backend.Dispatch{Key: backend.KeyInIface, Elements: []backend.Element{
					{Iface: "eth0", Verdict: jumpTo("zone_a")}, {Iface: "eth1", Verdict: gotoTo("zone_b")}, {Iface: "eth2", Verdict: ret},
				}}},
				{Dispatch: &backend.Dispatch{Key: backend.KeyOutIface, Elements: []backend.Element{{Iface: "eth3", Verdict: jumpTo("zone_a")}}}},
				{Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr4, Elements: []backend.Element{
					{Range: rng("10.0.0.0", "10.0.0.255"), Verdict: jumpTo("zone_a")},
					{Range: rng("10.0.1.0", "10.0.1.5"), Verdict: gotoTo("zone_b")},
					{Range: rng("10.0.2.7", "10.0.2.7"), Verdict: ret},
				}}},
				{Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr6, Elements: []backend.Element{
					{Range: rng("fd00::", "fd00::ffff:ffff:ffff:ffff"), Verdict: jumpTo("zone_a")},
					{Range: rng("fd01::1", "fd01::9"), Verdict: jumpTo("zone_b")},
				}}},
				{Dispatch: &backend.Dispatch{Key: backend.KeyDstAddr4, Elements: []backend.Element{{Range: rng("192.168.1.0", "192.168.1.255"), Verdict: jumpTo("zone_a")}}}},
				{Dispatch: &backend.Dispatch{Key: backend.KeyDstAddr6, Elements: []backend.Element{{Range: rng("fd02::", "fd02:0:ffff:ffff:ffff:ffff:ffff:ffff"), Verdict: jumpTo("zone_b")}}}},
				{Dispatch: &backend.Dispatch{Key: backend.KeySrcMAC, Elements: []backend.Element{{MAC: "00:11:22:33:44:55", Verdict: jumpTo("zone_a")}}}},
				{Matches: []backend.Match{{Kind: backend.MatchInIface, Iface: "wlan+"}, {Kind: backend.MatchSrcAddr, Prefix: pfx("10.5.0.0/16")}},
					Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr4, Elements: []backend.Element{{Range: rng("10.5.1.0", "10.5.1.255"), Verdict: jumpTo("zone_b")}}}},
			}},
			{Name: "zone_a", Rules: []*backend.Rule{{Clamp: clampOf(zone("a"), `rule tcp-mss-clamp value="1300"`, 1300, nil)}}},
			{Name: "zone_b", Rules: []*backend.Rule{{Clamp: clampOf(zone("b"), "rule tcp-mss-clamp", richrule.PMTU, nil)}}},
		}}},
		{name: "log", kernelOK: true, rs: &backend.Ruleset{Chains: []*backend.Chain{
			{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{{Goto: "policy_p"}}},
			{Name: "policy_p", Rules: []*backend.Rule{
				{Clamp: clampOf(policy("p"), `rule tcp-mss-clamp value="1200" log prefix="mss \"q\" 'x'\" level="info" limit value="5/m" burst=7`, 1200,
					&backend.Log{Prefix: `mss "q" 'x'\`, Level: "info", Limit: &richrule.Limit{Rate: 5, Unit: 'm', Burst: 7}})},
				{Clamp: clampOf(policy("p"), `rule tcp-mss-clamp log limit value="60/m"`, richrule.PMTU,
					&backend.Log{Limit: &richrule.Limit{Rate: 60, Unit: 'm'}})},
				{Clamp: clampOf(policy("p"), `rule tcp-mss-clamp value="1400" log level="warning"`, 1400, &backend.Log{Level: "warning"})},
				{Clamp: clampOf(policy("p"), `rule tcp-mss-clamp value="1300" nflog group="5" prefix="nf" queue-size="3" limit value="24/d" burst=2`, 1300,
					&backend.Log{NFLog: true, Group: 5, Prefix: "nf", QueueSize: 3, Limit: &richrule.Limit{Rate: 24, Unit: 'd', Burst: 2}})},
				{Clamp: clampOf(policy("p"), `rule tcp-mss-clamp value="1500" nflog`, 1500, &backend.Log{NFLog: true})},
				{Clamp: clampOf(policy("p"), `rule tcp-mss-clamp value="1600" log limit value="2/h" burst=5`, 1600,
					&backend.Log{Limit: &richrule.Limit{Rate: 2, Unit: 'h', Burst: 5}})},
			}},
		}}},
		{name: "hooks", kernelOK: true, rs: &backend.Ruleset{Chains: []*backend.Chain{
			{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{{Matches: []backend.Match{syn()}, Jump: "policy_shared"}}},
			{Name: "output", Hook: backend.HookOutput, Rules: []*backend.Rule{
				{Matches: []backend.Match{syn()}, Jump: "policy_shared"},
				{Matches: []backend.Match{syn(), {Kind: backend.MatchOutIface, Iface: "eth0"}}, Goto: "policy_host_out"},
			}},
			{Name: "input", Hook: backend.HookInput, Rules: []*backend.Rule{
				{Matches: []backend.Match{syn(), {Kind: backend.MatchSrcMAC, MAC: "02:00:00:00:00:01"}}, Goto: "policy_to_host"},
			}},
			{Name: "policy_shared", Rules: []*backend.Rule{{Clamp: clampOf(policy("shared"), `rule tcp-mss-clamp value="1360"`, 1360, nil)}}},
			{Name: "policy_host_out", Rules: []*backend.Rule{{Clamp: clampOf(policy("host_out"), "rule tcp-mss-clamp", richrule.PMTU, nil)}}},
			{Name: "policy_to_host", Rules: []*backend.Rule{{Clamp: clampOf(policy("to_host"), `rule tcp-mss-clamp value="1220"`, 1220, nil)}}},
		}}},
		{name: "names", kernelOK: true, rs: &backend.Ruleset{Chains: []*backend.Chain{
			{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
				{Jump: "zone_averyveryverylongzonenamethatgoesonandon_and_on_1234567890"},
				{Jump: "zone_with spaces/and:colons \"quoted\""},
				{Jump: "zöne-ü"},
				{Jump: "zone_averyveryverylongzonenamethatgoesonandon_and_on_1234567891"},
			}},
			{Name: "zone_averyveryverylongzonenamethatgoesonandon_and_on_1234567890", Rules: []*backend.Rule{
				{Clamp: clampOf(zone("averyveryverylongzonenamethatgoesonandon_and_on_1234567890"), "rule tcp-mss-clamp", richrule.PMTU, nil)}}},
			{Name: "zone_with spaces/and:colons \"quoted\"", Rules: []*backend.Rule{
				{Clamp: clampOf(zone(`with spaces/and:colons "quoted"`), `rule tcp-mss-clamp value="1000"`, 1000, nil)}}},
			{Name: "zöne-ü", Rules: []*backend.Rule{{Clamp: clampOf(zone("zöne-ü"), `rule tcp-mss-clamp value="1100"`, 1100, nil)}}},
			{Name: "zone_averyveryverylongzonenamethatgoesonandon_and_on_1234567891"},
		}}},
		// Each chain exists in the tables of the families that reach it:
		// v4 and v4lookup in iptables only, v6 in ip6tables only, shared
		// (reached by IPv6 rules and an IPv4 lookup) in both, never in
		// neither. The ipset absent6, which no kernel table holds, is used
		// only in a chain ip6tables does not reach.
		{name: "families", kernelOK: true, rs: &backend.Ruleset{
			Sets: []*backend.Set{{Name: "absent6", Family: backend.FamilyIPv6}},
			Chains: []*backend.Chain{
				{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
					{Family: backend.FamilyIPv4, Matches: []backend.Match{syn()}, Jump: "v4"},
					{Matches: []backend.Match{{Kind: backend.MatchSrcAddr, Prefix: pfx("fd00::/64")}}, Jump: "v6"},
					{Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr4, Elements: []backend.Element{{Range: rng("10.0.0.0", "10.0.0.255"), Verdict: gotoTo("v4lookup")}}}},
				}},
				{Name: "output", Hook: backend.HookOutput, Rules: []*backend.Rule{
					{Family: backend.FamilyIPv6, Jump: "shared"},
					{Dispatch: &backend.Dispatch{Key: backend.KeyDstAddr4, Elements: []backend.Element{{Range: rng("192.0.2.1", "192.0.2.1"), Verdict: jumpTo("shared")}}}},
				}},
				{Name: "v4", Rules: []*backend.Rule{
					{Family: backend.FamilyIPv6, Jump: "never"},
					{Clamp: clampOf(zone("v4"), `rule family="ipv4" tcp-mss-clamp value="1300"`, 1300, nil)},
				}},
				{Name: "v4lookup", Rules: []*backend.Rule{
					{Matches: []backend.Match{{Kind: backend.MatchSrcSet, Set: "absent6"}}, Return: true},
					{Clamp: clampOf(zone("v4lookup"), `rule family="ipv4" source address="10.0.0.0/24" tcp-mss-clamp`, richrule.PMTU, nil)},
				}},
				{Name: "v6", Rules: []*backend.Rule{{Clamp: clampOf(zone("v6"), `rule family="ipv6" source address="fd00::/64" tcp-mss-clamp value="1280"`, 1280, nil)}}},
				{Name: "shared", Rules: []*backend.Rule{{Clamp: clampOf(policy("shared"), `rule tcp-mss-clamp value="1220"`, 1220, nil)}}},
				{Name: "never", Rules: []*backend.Rule{{Clamp: clampOf(zone("never"), `rule tcp-mss-clamp value="1400"`, 1400, nil)}}},
			}}},
		{name: "macset", rs: &backend.Ruleset{
			Sets: []*backend.Set{{Name: "macs", MAC: true, MACs: []string{"00:11:22:33:44:55"}}},
			Chains: []*backend.Chain{
				{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
					{Matches: []backend.Match{{Kind: backend.MatchSrcSet, Set: "macs"}}, Clamp: clampOf(zone("mac"), `rule source ipset="macs" tcp-mss-clamp`, richrule.PMTU, nil)},
				}},
			}}},
	}
}
