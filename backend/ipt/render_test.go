package ipt

import (
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

func goldenPath(name string) string {
	return filepath.Join("..", "..", "testdata", "ipt", name+".rules")
}

func TestRenderGolden(t *testing.T) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Render(tc.rs)
			if err != nil {
				t.Fatal(err)
			}
			path := goldenPath(tc.name)
			if *testutil.Update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("Render differs from %s (run with -update to accept):\n%s", path, got)
			}
			again, _ := Render(tc.rs)
			if again != got {
				t.Errorf("Render is not stable")
			}
		})
	}
}

// Every script Render writes must load into an empty table, and the
// result must be what build wants.
func TestRenderLoads(t *testing.T) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			text, err := Render(tc.rs)
			if err != nil {
				t.Fatal(err)
			}
			want, _, err := build(tc.rs)
			if err != nil {
				t.Fatal(err)
			}
			for f, script := range renderSections(text) {
				got, err := simulate(&table{}, script)
				if err != nil {
					t.Fatalf("%s: %v", families[f].name, err)
				}
				if normal(got) != normal(want[f]) {
					t.Errorf("%s: loaded\n%s\nwant\n%s", families[f].name, normal(got), normal(want[f]))
				}
			}
		})
	}
}

var chainNameRE = regexp.MustCompile(`^MSSCLAMP_[A-Za-z0-9_-]+_[a-z2-7]{10}$`)

func TestChainNames(t *testing.T) {
	for _, tc := range cases() {
		want, _, err := build(tc.rs)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, c := range want[ipv4].chains {
			if len(c.name) > maxChainName || !chainNameRE.MatchString(c.name) {
				t.Errorf("%s: chain name %q (%d bytes) is not a valid name of ours", tc.name, c.name, len(c.name))
			}
			if seen[c.name] {
				t.Errorf("%s: chain name %q used twice", tc.name, c.name)
			}
			seen[c.name] = true
		}
		// A chain of the Ruleset has one name in the tables that hold it;
		// the chains of lookup trees are only in their family's.
		byOrigin := map[string]string{}
		for _, c := range want[ipv4].chains {
			byOrigin[c.origin] = c.name
		}
		for _, c := range want[ipv6].chains {
			if v4, ok := byOrigin[c.origin]; ok && strings.HasPrefix(c.origin, "chain ") && v4 != c.name {
				t.Errorf("%s: %s has different names per family", tc.name, c.origin)
			}
		}
	}
}

// A change in one chain renames it and the chains leading to it, and
// nothing else.
func TestChainNamesFollowContent(t *testing.T) {
	a, _, _ := build(cases()[2].rs) // dispatch
	rs := cases()[2].rs
	rs.Chains[1].Rules[0].Clamp.MSS = 1301 // zone_a
	b, _, _ := build(rs)
	changed := map[string]bool{}
	for i := range a[ipv4].chains {
		changed[a[ipv4].chains[i].origin] = a[ipv4].chains[i].name != b[ipv4].chains[i].name
	}
	want := map[string]bool{"chain forward": true, "chain zone_a": true, "chain zone_b": false}
	for k, v := range want {
		if changed[k] != v {
			t.Errorf("%s renamed: %v, want %v", k, changed[k], v)
		}
	}
	if strings.HasPrefix(a[ipv4].chains[0].name, "MSSCLAMP_FWD_") != true {
		t.Errorf("base chain name %q does not say FWD", a[ipv4].chains[0].name)
	}
}

func TestRenderErrors(t *testing.T) {
	sc := zone("public")
	withClamp := func(c *backend.Clamp, ms ...backend.Match) *backend.Ruleset {
		return &backend.Ruleset{Chains: []*backend.Chain{
			{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{{Matches: ms, Clamp: c}}},
		}}
	}
	logged := func(l *backend.Log) *backend.Ruleset {
		return withClamp(clampOf(sc, "rule tcp-mss-clamp log", 1200, l))
	}
	inHook := func(hook backend.Hook, r *backend.Rule) *backend.Ruleset {
		return &backend.Ruleset{Chains: []*backend.Chain{
			{Name: "base", Hook: hook, Rules: []*backend.Rule{{Jump: "z"}}},
			{Name: "z", Rules: []*backend.Rule{r}},
		}}
	}
	for _, tc := range []struct {
		name        string
		rs          *backend.Ruleset
		unsupported bool   // wraps ErrUnsupported (else: a malformed Ruleset)
		want        string // in the message
	}{
		{"log prefix too long", logged(&backend.Log{Prefix: strings.Repeat("p", 30)}), true, "longer than 29"},
		{"nflog prefix too long", logged(&backend.Log{NFLog: true, Prefix: strings.Repeat("p", 64)}), true, "longer than 63"},
		{"log prefix newline", logged(&backend.Log{Prefix: "a\nb"}), true, "control character"},
		{"unknown log level", logged(&backend.Log{Level: "loud"}), false, "unknown log level"},
		{"rate too fast", logged(&backend.Log{Limit: &richrule.Limit{Rate: 10001, Unit: 's'}}), true, "faster than"},
		{"burst too big", logged(&backend.Log{Limit: &richrule.Limit{Rate: 1, Unit: 's', Burst: 10001}}), true, "burst 10001"},
		{"burst longer than a day", logged(&backend.Log{Limit: &richrule.Limit{Rate: 1, Unit: 'd'}}), true, "longer than a day"},
		{"bad limit unit", logged(&backend.Log{Limit: &richrule.Limit{Rate: 1, Unit: 'w'}}), false, "not a rate"},
		{"pmtu in input", inHook(backend.HookInput, &backend.Rule{Clamp: clampOf(sc, "rule tcp-mss-clamp", richrule.PMTU, nil)}), true, "input hook"},
		{"mac in output", inHook(backend.HookOutput, &backend.Rule{Matches: []backend.Match{{Kind: backend.MatchSrcMAC, MAC: "00:11:22:33:44:55"}}, Return: true}), true, "output hook"},
		{"mac lookup in output", inHook(backend.HookOutput, &backend.Rule{Dispatch: &backend.Dispatch{Key: backend.KeySrcMAC, Elements: []backend.Element{{MAC: "00:11:22:33:44:55", Verdict: ret}}}}), true, "output hook"},
		{"clamp of non-SYN", withClamp(clampOf(sc, "rule tcp-mss-clamp", 1200, nil), backend.Match{Kind: backend.MatchSYN, Invert: true}), true, "not SYN"},
		{"two input interfaces", withClamp(clampOf(sc, "rule tcp-mss-clamp", 1200, nil), backend.Match{Kind: backend.MatchInIface, Iface: "a"}, backend.Match{Kind: backend.MatchInIface, Iface: "b"}), true, "two input interfaces"},
		{"interface name too long", withClamp(clampOf(sc, "rule tcp-mss-clamp", 1200, nil), backend.Match{Kind: backend.MatchInIface, Iface: "a234567890123456"}), true, "1 to 15 bytes"},
		{"exact interface with plus", inHook(backend.HookForward, &backend.Rule{Dispatch: &backend.Dispatch{Key: backend.KeyInIface, Elements: []backend.Element{{Iface: "eth+", Verdict: ret}}}}), true, "wildcard"},
		{"bad MAC", withClamp(clampOf(sc, "rule tcp-mss-clamp", 1200, nil), backend.Match{Kind: backend.MatchSrcMAC, MAC: "00:11:22"}), false, "MAC address"},
		{"mixed families", withClamp(clampOf(sc, "rule tcp-mss-clamp", 1200, nil), backend.Match{Kind: backend.MatchSrcAddr, Prefix: pfx("10.0.0.0/8")}, backend.Match{Kind: backend.MatchDstAddr, Prefix: pfx("fd00::/8")}), false, "mixes IPv4 and IPv6"},
		{"unknown set", withClamp(clampOf(sc, "rule tcp-mss-clamp", 1200, nil), backend.Match{Kind: backend.MatchSrcSet, Set: "nosuch"}), false, `ipset "nosuch" is not in the ruleset`},
		{"missing chain", inHook(backend.HookForward, &backend.Rule{Jump: "nowhere"}), false, `"nowhere", which does not exist`},
		{"two verdicts", inHook(backend.HookForward, &backend.Rule{Return: true, Clamp: clampOf(sc, "rule tcp-mss-clamp", 1200, nil)}), false, "2 verdicts"},
		{"loop", &backend.Ruleset{Chains: []*backend.Chain{
			{Name: "base", Hook: backend.HookForward, Rules: []*backend.Rule{{Jump: "a"}}},
			{Name: "a", Rules: []*backend.Rule{{Jump: "b"}}},
			{Name: "b", Rules: []*backend.Rule{{Goto: "a"}}},
		}}, false, "leads back to itself"},
		{"duplicate chain", &backend.Ruleset{Chains: []*backend.Chain{{Name: "a"}, {Name: "a"}}}, false, "listed twice"},
		{"overlapping tree lookup", inHook(backend.HookForward, &backend.Rule{Dispatch: overlapping(defaultShape.treeMin)}), false, "not sorted and disjoint"},
		{"range of wrong family", inHook(backend.HookForward, &backend.Rule{Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr4, Elements: []backend.Element{{Range: rng("fd00::1", "fd00::2"), Verdict: ret}}}}), false, "not a range of the key's family"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Render(tc.rs)
			if err == nil {
				t.Fatal("Render succeeded")
			}
			if errors.Is(err, ErrUnsupported) != tc.unsupported {
				t.Errorf("errors.Is(ErrUnsupported) = %v, want %v", !tc.unsupported, tc.unsupported)
			}
			msg := err.Error()
			t.Log(msg)
			if !strings.HasPrefix(msg, "iptables backend: ") || !strings.Contains(msg, tc.want) {
				t.Errorf("error %q does not name the backend and say %q", msg, tc.want)
			}
			if !strings.Contains(msg, "in zone public") && !strings.Contains(msg, "chain") {
				t.Errorf("error %q does not name the rule", msg)
			}
		})
	}
}

// overlapping is a lookup of n addresses whose last element overlaps the
// one before.
func overlapping(n int) *backend.Dispatch {
	d := &backend.Dispatch{Key: backend.KeySrcAddr4}
	for i := range n {
		a := addrAt(netip.MustParseAddr("10.0.0.0"), 2*i)
		d.Elements = append(d.Elements, backend.Element{Range: backend.Range{From: a, To: a.Next()}, Verdict: ret})
	}
	d.Elements[n-1].Range.From = d.Elements[n-2].Range.To
	return d
}

func TestLimitMatch(t *testing.T) {
	for _, tc := range []struct {
		l    richrule.Limit
		want string
	}{
		{richrule.Limit{Rate: 5, Unit: 'm'}, "-m limit --limit 5/min"},
		{richrule.Limit{Rate: 5, Unit: 'm', Burst: 5}, "-m limit --limit 5/min"},
		{richrule.Limit{Rate: 60, Unit: 'm'}, "-m limit --limit 1/sec"},
		{richrule.Limit{Rate: 24, Unit: 'd', Burst: 2}, "-m limit --limit 1/hour --limit-burst 2"},
		{richrule.Limit{Rate: 7, Unit: 'm'}, "-m limit --limit 7/min"},
		{richrule.Limit{Rate: 10000, Unit: 's', Burst: 10000}, "-m limit --limit 10000/sec --limit-burst 10000"},
		{richrule.Limit{Rate: 2, Unit: 'd', Burst: 2}, "-m limit --limit 2/day --limit-burst 2"},
	} {
		got, err := limitMatch(&tc.l)
		if err != nil || got != tc.want {
			t.Errorf("limitMatch(%+v) = %q, %v; want %q", tc.l, got, err, tc.want)
		}
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"plain", "", "id:abc zone:x", `a"b`, `a\b`, "it's", `\"'`, "-j", "  lead"} {
		args, err := splitArgs("--x " + quote(s) + " -j LOG")
		if err != nil || len(args) != 4 || args[1] != s {
			t.Errorf("quote(%q) = %s reads back as %q, %v", s, quote(s), args, err)
		}
	}
	if quote("abc_-9") != "abc_-9" || quote("a b") != `"a b"` {
		t.Errorf("quote does not follow iptables-save")
	}
}

// A chain is in the tables of the families that can reach it, and only
// those tables' ipsets must exist.
func TestFamilies(t *testing.T) {
	var rs *backend.Ruleset
	for _, tc := range cases() {
		if tc.name == "families" {
			rs = tc.rs
		}
	}
	want, setUse, err := build(rs)
	if err != nil {
		t.Fatal(err)
	}
	for f, chains := range [2]string{
		"chain forward, chain output, chain v4, chain v4lookup, chain shared",
		"chain forward, chain output, chain v6, chain shared",
	} {
		var got []string
		for _, c := range want[f].chains {
			got = append(got, c.origin)
		}
		if strings.Join(got, ", ") != chains {
			t.Errorf("%s holds %s, want %s", families[f].name, strings.Join(got, ", "), chains)
		}
		if len(want[f].jumps) != 2 {
			t.Errorf("%s: %d jumps from built-in chains, want 2", families[f].name, len(want[f].jumps))
		}
		if len(setUse[f]) != 0 {
			t.Errorf("%s: ipsets to check %v, want none", families[f].name, setUse[f])
		}
	}
}
