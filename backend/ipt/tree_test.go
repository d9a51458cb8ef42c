package ipt

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// flat renders every lookup as one rule per element: the reference.
var flat = shape{treeMin: 1 << 30, fanout: 16}

// loadShaped renders rs with sh, loads family f's script into an empty
// simulated table, and checks it holds what build wants.
func loadShaped(t *testing.T, rs *backend.Ruleset, sh shape, f family) *table {
	t.Helper()
	want, _, err := buildShaped(rs, sh)
	if err != nil {
		t.Fatal(err)
	}
	got, err := simulate(&table{}, joinLines(plan(&table{}, want[f])))
	if err != nil {
		t.Fatal(err)
	}
	if normal(got) != normal(want[f]) {
		t.Fatalf("loaded\n%s\nwant\n%s", normal(got), normal(want[f]))
	}
	for _, c := range got.chains {
		if len(c.name) > maxChainName || !chainNameRE.MatchString(c.name) {
			t.Errorf("chain name %q (%d bytes) is not a valid name of ours", c.name, len(c.name))
		}
	}
	return got
}

// addrAt is the address off after base.
func addrAt(base netip.Addr, off int) netip.Addr {
	for range off {
		base = base.Next()
	}
	return base
}

// randomLookup is n sorted, disjoint ranges from base on, with gaps
// between some, some of them aligned prefixes, leading to verdicts of the
// given kinds and the chains targets; it also returns the offset past the
// last range.
func randomLookup(r *rand.Rand, key backend.DispatchKey, base netip.Addr, n int, kinds []backend.VerdictKind, targets []string) (*backend.Dispatch, int) {
	d := &backend.Dispatch{Key: key}
	pos := r.IntN(3)
	for range n {
		pos += []int{0, 0, 1, 3}[r.IntN(4)]
		size := 1 + r.IntN(4)
		if r.IntN(2) == 0 {
			size = 1 << r.IntN(4)
			pos = (pos + size - 1) / size * size
		}
		v := backend.Verdict{Kind: kinds[r.IntN(len(kinds))]}
		if v.Kind != backend.VerdictReturn {
			v.Chain = targets[r.IntN(len(targets))]
		}
		d.Elements = append(d.Elements, backend.Element{Range: backend.Range{From: addrAt(base, pos), To: addrAt(base, pos+size-1)}, Verdict: v})
		pos += size
	}
	return d, pos
}

// randomRuleset builds a zone chain holding one or two lookups among
// clamps, reached from the base chain in one of three ways, with target
// chains that clamp, return early, go elsewhere and jump elsewhere. It
// returns the ruleset and the address offsets worth probing on each side.
func randomRuleset(r *rand.Rand, v6 bool) (*backend.Ruleset, [2]int) {
	fam, base := backend.FamilyIPv4, netip.MustParseAddr("10.0.0.0")
	srcKey, dstKey := backend.KeySrcAddr4, backend.KeyDstAddr4
	if v6 {
		fam, base = backend.FamilyIPv6, netip.MustParseAddr("fd00::")
		srcKey, dstKey = backend.KeySrcAddr6, backend.KeyDstAddr6
	}
	n := 0
	cl := func(name string) *backend.Rule {
		n++
		return &backend.Rule{Clamp: clampOf(zone("z"), fmt.Sprintf("rule %s %d", name, n), richrule.MSS(1000+n), nil)}
	}
	targets := []string{"t0", "t1", "t2", "t3"}
	kinds := []backend.VerdictKind{backend.VerdictJump, backend.VerdictGoto, backend.VerdictReturn}
	if r.IntN(3) == 0 {
		kinds = kinds[:1]
	}
	var zoneRules []*backend.Rule
	if r.IntN(2) == 0 {
		zoneRules = append(zoneRules, cl("head"))
	}
	d1, span1 := randomLookup(r, srcKey, base, 1+r.IntN(90), kinds, targets)
	lookup1 := &backend.Rule{Family: fam, Dispatch: d1}
	switch r.IntN(4) {
	case 0:
		lookup1.Matches = []backend.Match{{Kind: backend.MatchInIface, Iface: "eth1"}}
	case 1:
		// Another source match makes the flat elements iprange matches.
		lookup1.Matches = []backend.Match{{Kind: backend.MatchSrcAddr, Prefix: netip.PrefixFrom(base, base.BitLen()-6)}}
	case 2:
		lookup1.Matches = []backend.Match{syn()}
	}
	zoneRules = append(zoneRules, lookup1)
	span := [2]int{span1 + 3, 8}
	if r.IntN(2) == 0 {
		zoneRules = append(zoneRules, cl("middle"))
	}
	if r.IntN(2) == 0 {
		kinds2 := []backend.VerdictKind{backend.VerdictJump, backend.VerdictGoto, backend.VerdictReturn}[:1+r.IntN(3)]
		d2, span2 := randomLookup(r, dstKey, base, 1+r.IntN(40), kinds2, targets)
		zoneRules = append(zoneRules, &backend.Rule{Dispatch: d2})
		span[1] = span2 + 3
	}
	if r.IntN(2) == 0 {
		zoneRules = append(zoneRules, cl("tail"))
	}
	rs := &backend.Ruleset{Chains: []*backend.Chain{
		{Name: "forward", Hook: backend.HookForward},
		{Name: "zone", Rules: zoneRules},
		{Name: "mid", Rules: []*backend.Rule{{Goto: "zone"}, cl("never")}},
		{Name: "t0", Rules: []*backend.Rule{cl("t0")}},
		{Name: "t1", Rules: []*backend.Rule{cl("t1"), {Return: true}, cl("t1 never")}},
		{Name: "t2", Rules: []*backend.Rule{cl("t2"), {Goto: "t0"}}},
		{Name: "t3", Rules: []*backend.Rule{{Jump: "t0"}, cl("t3")}},
	}}
	switch r.IntN(3) {
	case 0:
		rs.Chains[0].Rules = []*backend.Rule{{Jump: "zone"}, cl("after")}
	case 1:
		// A return from zone comes back here, not after "mid"'s goto.
		rs.Chains[0].Rules = []*backend.Rule{{Jump: "mid"}, cl("after")}
	default:
		rs.Chains[0].Rules = []*backend.Rule{{Goto: "zone"}}
	}
	return rs, span
}

// A tree does for every packet what the list of its elements does: the
// same clamps in the same order, whatever the verdicts, the rules around
// the lookup, and the way to its chain. Probes cover every address of the
// lookups, their gaps and what lies past them.
func TestTreeMatchesFlat(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	probes, differ := 0, 0
	for seed := range 150 {
		v6 := seed%2 == 1
		rs, span := randomRuleset(r, v6)
		f, base := ipv4, netip.MustParseAddr("10.0.0.0")
		if v6 {
			f, base = ipv6, netip.MustParseAddr("fd00::")
		}
		sh := shape{treeMin: 1 + r.IntN(4), fanout: 2 + r.IntN(4)}
		name := fmt.Sprintf("seed %d shape %+v", seed, sh)
		want := newWalker(loadShaped(t, rs, flat, f))
		got := newWalker(loadShaped(t, rs, sh, f))
		for src := range span[0] {
			p := packet{
				src: addrAt(base, src), dst: addrAt(base, r.IntN(span[1])),
				iif: []string{"eth0", "eth1"}[r.IntN(2)], syn: r.IntN(8) != 0,
			}
			wantTrace, _, err := want.walk("FORWARD", p)
			if err != nil {
				t.Fatalf("%s: flat: %v", name, err)
			}
			gotTrace, _, err := got.walk("FORWARD", p)
			if err != nil {
				t.Fatalf("%s: tree: %v", name, err)
			}
			probes++
			if !slices.Equal(gotTrace, wantTrace) {
				differ++
				if differ <= 5 {
					t.Errorf("%s, packet %v -> %v from %s: tree does\n\t%s\nflat does\n\t%s", name, p.src, p.dst, p.iif,
						strings.Join(gotTrace, "\n\t"), strings.Join(wantTrace, "\n\t"))
				}
			}
		}
	}
	if differ > 0 {
		t.Errorf("%d of %d packets differ", differ, probes)
	}
}

// The walker itself: a few packets through a known ruleset, so that the
// comparison above cannot pass by seeing nothing.
func TestWalker(t *testing.T) {
	rs := &backend.Ruleset{Chains: []*backend.Chain{
		{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{{Jump: "mid"}, {Clamp: clampOf(zone("z"), "after", 1000, nil)}}},
		{Name: "mid", Rules: []*backend.Rule{{Matches: []backend.Match{syn()}, Goto: "zone"}, {Clamp: clampOf(zone("z"), "never", 1001, nil)}}},
		{Name: "zone", Rules: []*backend.Rule{
			{Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr4, Elements: []backend.Element{
				{Range: rng("10.0.0.1", "10.0.0.1"), Verdict: jumpTo("t")},
				{Range: rng("10.0.0.2", "10.0.0.3"), Verdict: gotoTo("t")},
				{Range: rng("10.0.0.5", "10.0.0.5"), Verdict: ret},
			}}},
			{Clamp: clampOf(zone("z"), "tail", 1002, nil)},
		}},
		{Name: "t", Rules: []*backend.Rule{{Clamp: clampOf(zone("z"), "t", 1003, nil)}}},
	}}
	for _, sh := range []shape{flat, {treeMin: 1, fanout: 2}} {
		w := newWalker(loadShaped(t, rs, sh, ipv4))
		for _, tc := range []struct {
			src  string
			syn  bool
			want []int // MSS values clamped to, in order
		}{
			{"10.0.0.1", true, []int{1003, 1002, 1000}},
			{"10.0.0.3", true, []int{1003, 1000}},
			{"10.0.0.4", true, []int{1002, 1000}},
			{"10.0.0.5", true, []int{1000}},
			{"10.0.0.9", true, []int{1002, 1000}},
			{"10.0.0.1", false, nil},
		} {
			trace, _, err := w.walk("FORWARD", packet{src: netip.MustParseAddr(tc.src), dst: netip.MustParseAddr("10.1.0.1"), syn: tc.syn})
			if err != nil {
				t.Fatal(err)
			}
			var got []int
			for _, a := range trace {
				var mss int
				fmt.Sscanf(strings.TrimPrefix(a, "-j TCPMSS --set-mss "), "%d", &mss)
				got = append(got, mss)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("shape %+v, %s syn %v: clamps %v, want %v (%q)", sh, tc.src, tc.syn, got, tc.want, trace)
			}
		}
	}
}

// With 10,000 source-scoped rules a packet passes a few dozen rules, not
// thousands, and still meets its own clamp.
func TestTreeCost(t *testing.T) {
	rs := manyClamps(10000, -1)
	w := newWalker(loadShaped(t, rs, defaultShape, ipv4))
	worst := 0
	for _, i := range []int{0, 1, 4999, 5000, 9998, 9999} {
		src := netip.MustParseAddr(fmt.Sprintf("10.%d.%d.7", i/256, i%256))
		trace, n, err := w.walk("FORWARD", packet{src: src, dst: netip.MustParseAddr("192.0.2.1"), syn: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(trace) != 1 || !strings.Contains(trace[0], "--set-mss 1200") {
			t.Errorf("%v: trace %q, want one clamp to 1200", src, trace)
		}
		worst = max(worst, n)
	}
	// Also outside every element: below, above, and in no span.
	for _, a := range []string{"9.255.255.255", "10.39.16.0", "192.0.2.1"} {
		trace, n, err := w.walk("FORWARD", packet{src: netip.MustParseAddr(a), dst: netip.MustParseAddr("192.0.2.1"), syn: true})
		if err != nil || len(trace) != 0 {
			t.Errorf("%s: trace %q, %v; want nothing", a, trace, err)
		}
		worst = max(worst, n)
	}
	t.Logf("at most %d rules per packet", worst)
	if worst > 80 {
		t.Errorf("a packet passes %d rules, want at most 80", worst)
	}
}

// Changing one element's chain renames only its leaf and the chains above
// it (and the chains leading to them); the rest of the tree stays.
func TestTreeNamesFollowContent(t *testing.T) {
	names := func(rs *backend.Ruleset) map[string]bool {
		want, _, err := build(rs)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]bool{}
		for _, c := range want[ipv4].chains {
			m[c.name] = true
		}
		return m
	}
	a, b := names(manyClamps(10000, -1)), names(manyClamps(10000, 5000))
	var gone []string
	for n := range a {
		if !b[n] {
			gone = append(gone, n)
		}
	}
	// rule_5000, 4 levels of tree, zone_public, forward.
	if len(gone) != 7 || len(a) != len(b) {
		t.Errorf("%d of %d chains renamed, want 7:\n%s", len(gone), len(a), strings.Join(gone, "\n"))
	}
}

// From flat to tree and between trees: the plan loads, leaves the wanted
// state, keeps the unchanged chains, and planning again finds nothing.
func TestTreePlan(t *testing.T) {
	seq := []*backend.Ruleset{manyClamps(10, -1), manyClamps(300, -1), manyClamps(300, 150), manyClamps(299, -1), manyClamps(10, 3), {}}
	cur := &table{}
	for i, rs := range seq {
		want, _, err := build(rs)
		if err != nil {
			t.Fatal(err)
		}
		script := plan(cur, want[ipv4])
		got, err := simulate(cur, joinLines(script))
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if normal(got) != normal(want[ipv4]) {
			t.Fatalf("step %d: loaded\n%s\nwant\n%s", i, normal(got), normal(want[ipv4]))
		}
		if again := plan(got, want[ipv4]); again != nil {
			t.Errorf("step %d: planning again gives\n%s", i, joinLines(again))
		}
		declared := 0
		for _, l := range script {
			if strings.HasPrefix(l.text, ":") {
				declared++
			}
		}
		t.Logf("step %d: %d lines, %d chains declared", i, len(script), declared)
		if i == 2 && declared > 7 {
			t.Errorf("changing one rule of 300 declares %d chains, want at most 7", declared)
		}
		cur = got
	}
}
