package nft

import (
	"context"
	"errors"
	"net/netip"
	"regexp"
	"slices"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// foreignTable belongs to someone else: no test may change it. Its forward
// chain accepts everything at filter priority, after our mangle chains.
const foreignTable = `table inet foreign {
	chain accept_all {
		type filter hook forward priority filter; policy accept;
		accept
	}
	chain other {
		ip saddr 10.9.9.9 counter accept
		iifname "eth9" jump sub
	}
	chain sub {
		return
	}
}
`

// sysEnv is a namespace holding the foreign table and a Backend aimed at it.
type sysEnv struct {
	ns      *systest.NS
	b       *Backend
	foreign string
}

func newSysEnv(t *testing.T) *sysEnv {
	t.Helper()
	systest.RequireRoot(t)
	systest.RequireCommands(t, "nft")
	ns := systest.NewNS(t)
	cmd := ns.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(foreignTable)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("loading the foreign table: %v: %s", err, out)
	}
	e := &sysEnv{ns: ns, b: newSysBackend(t, ns)}
	e.foreign = ns.Run(t, "nft", "-a", "list", "table", "inet", "foreign")
	t.Cleanup(func() {
		if got := ns.Run(t, "nft", "-a", "list", "table", "inet", "foreign"); got != e.foreign {
			t.Errorf("the foreign table changed:\n%s\nwas:\n%s", got, e.foreign)
		}
	})
	return e
}

// newSysBackend is a Backend aimed at ns, closed at Cleanup.
func newSysBackend(t testing.TB, ns *systest.NS) *Backend {
	b, err := New(WithNetNS(ns.Path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

func (e *sysEnv) apply(t *testing.T, rs *backend.Ruleset) {
	t.Helper()
	if err := e.b.Apply(context.Background(), rs); err != nil {
		t.Fatalf("Apply: %v", err)
	}
}

// list is what nft lists for our table; handles says whether with handles.
func (e *sysEnv) list(t *testing.T, handles bool) string {
	t.Helper()
	args := []string{"list", "table", "inet", TableName}
	if handles {
		args = append([]string{"-a"}, args...)
	}
	return e.ns.Run(t, "nft", args...)
}

var (
	counterRE  = regexp.MustCompile(`counter packets \d+ bytes \d+`)
	elementsRE = regexp.MustCompile(`(?s)elements = \{ (.*?) \}`)
)

// normalize makes a listing comparable with Render: counters go, every
// element list is sorted (the kernel lists hash sets in no fixed order),
// and so are the blocks (a diff appends new objects at the end).
func normalize(s string) string {
	s = counterRE.ReplaceAllString(s, "counter")
	s = elementsRE.ReplaceAllStringFunc(s, func(m string) string {
		inner := elementsRE.FindStringSubmatch(m)[1]
		items := strings.Split(inner, ",")
		for i := range items {
			items[i] = strings.TrimSpace(items[i])
		}
		slices.Sort(items)
		return "elements = { " + strings.Join(items, ", ") + " }"
	})
	body := strings.TrimSuffix(strings.TrimPrefix(s, "table inet "+TableName+" {\n"), "}\n")
	blocks := strings.Split(body, "\n\n")
	for i := range blocks {
		blocks[i] = strings.TrimRight(blocks[i], "\n")
	}
	slices.Sort(blocks)
	return strings.Join(blocks, "\n\n")
}

func (e *sysEnv) wantRendered(t *testing.T, rs *backend.Ruleset) {
	t.Helper()
	got, want := normalize(e.list(t, false)), normalize(mustRender(t, rs))
	if got != want {
		t.Errorf("the kernel's table differs from Render:\n--- kernel\n%s\n--- Render\n%s", got, want)
	}
}

func TestSystemApplyMatchesRender(t *testing.T) {
	for _, tc := range renderCases() {
		t.Run(tc.name, func(t *testing.T) {
			e := newSysEnv(t)
			e.apply(t, tc.rs)
			// A full build creates objects in Render's order: only hash
			// sets' elements may come in another order.
			got := elementsRE.ReplaceAllStringFunc(counterRE.ReplaceAllString(e.list(t, false), "counter"), sortElements)
			if want := elementsRE.ReplaceAllStringFunc(mustRender(t, tc.rs), sortElements); got != want {
				t.Errorf("nft lists:\n%s\nRender:\n%s", got, want)
			}
			if out, _, err := e.ns.Exec("nft", "-j", "list", "table", "inet", TableName); err != nil || !strings.Contains(out, `"table"`) {
				t.Errorf("nft -j list: %v: %s", err, out)
			}
		})
	}
}

func sortElements(m string) string {
	inner := elementsRE.FindStringSubmatch(m)[1]
	items := strings.Split(inner, ",\n\t\t\t     ")
	if len(items) < 2 || strings.Contains(inner, ", ") {
		return m // interval sets are listed in order already
	}
	slices.Sort(items)
	return "elements = { " + strings.Join(items, ",\n\t\t\t     ") + " }"
}

// Applying the same ruleset again changes nothing: same handles, and the
// counters go on.
func TestSystemApplyTwiceChangesNothing(t *testing.T) {
	e := newSysEnv(t)
	rs := rulesetClamp()
	e.apply(t, rs)
	// A SYN from this namespace to itself passes the output chain's clamp.
	e.ns.Run(t, "python3", "-c", "import socket; s=socket.socket(); s.settimeout(2); s.connect_ex(('127.0.0.1', 9))")
	before := e.list(t, true)
	if !strings.Contains(before, "counter packets 1 ") {
		t.Errorf("no clamp counted the SYN:\n%s", before)
	}
	e.apply(t, rulesetClamp())
	if after := e.list(t, true); after != before {
		t.Errorf("the second Apply changed the table:\n%s\nwas:\n%s", after, before)
	}
	// Someone else commits: the check by listing finds nothing changed.
	e.ns.Run(t, "nft", "add", "table", "inet", "someone")
	e.apply(t, rulesetClamp())
	if after := e.list(t, true); after != before {
		t.Errorf("Apply after a foreign commit changed the table:\n%s\nwas:\n%s", after, before)
	}
	counters, err := e.b.Counters(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if c := counters["p1"]; c.Packets != 1 || c.Bytes == 0 {
		t.Errorf("Counters()[p1] = %+v, want 1 packet (the rule sits in forward and output)", c)
	}
	if _, ok := counters["q1"]; !ok || len(counters) != 8 {
		t.Errorf("Counters() = %v, want the 8 clamp IDs", counters)
	}
}

// Apply A then B leaves exactly B, whatever A and B are.
func TestSystemApplySequence(t *testing.T) {
	e := newSysEnv(t)
	changed := rulesetBasic()
	changed.Chains[1].Rules[0].Dispatch.Elements = []backend.Element{
		{Iface: "eth0", Verdict: backend.Verdict{Kind: backend.VerdictGoto, Chain: "zone_internal"}},
		{Iface: "eth2", Verdict: backend.Verdict{Kind: backend.VerdictJump, Chain: "zone_public"}},
	}
	changed.Chains[2].Rules = append(changed.Chains[2].Rules, clampRule("r3", "public", 1300, &backend.Log{Prefix: "x "}))
	moreDispatch := rulesetDispatch()
	d := moreDispatch.Chains[1].Rules[1].Dispatch
	d.Elements = append(slices.Clone(d.Elements[:2]), backend.Element{Range: rng("10.0.0.2", "10.0.0.3"), Verdict: backend.Verdict{Kind: backend.VerdictGoto, Chain: "a"}})
	moreDispatch.Chains[1].Rules[3].Dispatch.Elements[1].Verdict = backend.Verdict{Kind: backend.VerdictGoto, Chain: "b"}
	matches := rulesetMatches()
	matches.Sets[0].Elements = matches.Sets[0].Elements[1:]
	matches.Sets[2].MACs = []string{"AA:BB:CC:DD:EE:FF", "AA:BB:CC:DD:EE:FE"}
	steps := []struct {
		name string
		rs   *backend.Ruleset
	}{
		{"basic", rulesetBasic()},
		{"basic changed", changed},
		{"basic again", rulesetBasic()},
		{"dispatch", rulesetDispatch()},
		{"dispatch changed", moreDispatch},
		{"matches", rulesetMatches()},
		{"matches changed", matches},
		{"clamp", rulesetClamp()},
		{"empty", &backend.Ruleset{}},
		{"basic from empty", rulesetBasic()},
	}
	for _, s := range steps {
		e.apply(t, s.rs)
		e.wantRendered(t, s.rs)
		if t.Failed() {
			t.Fatalf("after step %q", s.name)
		}
	}
}

// Only a changed chain gets new rules: the others keep their handles.
func TestSystemOneChangeTouchesOneChain(t *testing.T) {
	e := newSysEnv(t)
	e.apply(t, rulesetScale(3, 3, 0))
	before := e.list(t, true)
	e.apply(t, rulesetScale(3, 3, 1))
	after := e.list(t, true)
	e.wantRendered(t, rulesetScale(3, 3, 1))
	diff := 0
	bl, al := strings.Split(before, "\n"), strings.Split(after, "\n")
	if len(bl) != len(al) {
		t.Fatalf("line count changed:\n%s\nwas:\n%s", after, before)
	}
	for i := range bl {
		if bl[i] != al[i] {
			diff++
			if !strings.Contains(al[i], "maxseg size set 1001") {
				t.Errorf("unexpected change: %q -> %q", bl[i], al[i])
			}
		}
	}
	if diff != 1 {
		t.Errorf("%d lines changed, want 1", diff)
	}
}

func TestSystemFlush(t *testing.T) {
	e := newSysEnv(t)
	e.apply(t, rulesetMatches())
	if err := e.b.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if out, _, err := e.ns.Exec("nft", "list", "table", "inet", TableName); err == nil {
		t.Errorf("table still there after Flush:\n%s", out)
	}
	if err := e.b.Flush(context.Background()); err != nil {
		t.Errorf("Flush without a table: %v", err)
	}
	// Apply after Flush builds everything again.
	e.apply(t, rulesetMatches())
	e.wantRendered(t, rulesetMatches())
}

// A ruleset the kernel refuses changes nothing, and the error names what
// the kernel refused.
func TestSystemKernelErrorKeepsRuleset(t *testing.T) {
	bad := rulesetBasic()
	bad.Chains[2].Rules = append(bad.Chains[2].Rules, &backend.Rule{Jump: "nowhere"})
	badMap := rulesetBasic()
	badMap.Chains[1].Rules[0].Dispatch.Elements[1].Verdict.Chain = "nowhere"
	tests := []struct {
		name string
		rs   *backend.Ruleset
		want string
	}{
		{"rule jumps to a missing chain", bad, `adding rule 1 of chain "zone_public" (jump nowhere)`},
		{"element jumps to a missing chain", badMap, `map "fwd_dispatch_0_iif"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for _, fresh := range []bool{false, true} {
				e := newSysEnv(t)
				e.apply(t, rulesetMatches())
				before := e.list(t, true)
				b := e.b
				if fresh { // a new Backend rebuilds the whole table
					b = newSysBackend(t, e.ns)
				}
				err := b.Apply(context.Background(), tc.rs)
				t.Logf("fresh %v: %v", fresh, err)
				if err == nil || !strings.Contains(err.Error(), tc.want) || !errors.Is(err, unix.ENOENT) {
					t.Errorf("Apply (fresh %v) = %v, want ENOENT naming %s", fresh, err, tc.want)
				}
				if after := e.list(t, true); after != before {
					t.Errorf("the failed Apply (fresh %v) changed the table:\n%s\nwas:\n%s", fresh, after, before)
				}
				e.apply(t, rulesetBasic())
				e.wantRendered(t, rulesetBasic())
			}
		})
	}
}

// When someone else changes our table, the next Apply rebuilds it.
func TestSystemDrift(t *testing.T) {
	tamper := [][]string{
		{"flush", "chain", "inet", TableName, "zone_public"},
		{"add", "rule", "inet", TableName, "zone_public", "accept"},
		{"delete", "map", "inet", TableName, "fwd_dispatch_0_iif"},
		{"add", "chain", "inet", TableName, "extra"},
		{"delete", "table", "inet", TableName},
		{"flush", "ruleset"},
	}
	for _, args := range tamper {
		t.Run(strings.Join(args[:2], " "), func(t *testing.T) {
			e := newSysEnv(t)
			e.apply(t, rulesetBasic())
			if args[1] == "map" {
				e.ns.Run(t, "nft", "flush", "chain", "inet", TableName, "fwd_dispatch")
			}
			e.ns.Run(t, "nft", args...)
			if args[1] == "ruleset" {
				e.foreign = ""
				t.Cleanup(func() { e.foreign = e.ns.Run(t, "nft", "-a", "list", "table", "inet", "foreign") })
				cmd := e.ns.Command("nft", "-f", "-")
				cmd.Stdin = strings.NewReader(foreignTable)
				if out, err := cmd.CombinedOutput(); err != nil {
					t.Fatalf("%v: %s", err, out)
				}
			}
			dump, err := e.b.Dump(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(dump, "# !") {
				t.Errorf("Dump flags nothing after nft %s:\n%s", strings.Join(args, " "), dump)
			}
			e.apply(t, rulesetBasic())
			e.wantRendered(t, rulesetBasic())
		})
	}
}

func TestSystemDump(t *testing.T) {
	e := newSysEnv(t)
	for _, tc := range renderCases() {
		e.apply(t, tc.rs)
		dump, err := e.b.Dump(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(dump, "# !") {
			t.Errorf("%s: Dump flags problems:\n%s", tc.name, dump)
		}
		t.Logf("%s:\n%s", tc.name, dump)
		// Without handles, comments and counters, Dump reads like Render.
		plain := regexp.MustCompile(` # handle \d+|\n\t\t# [^\n]*`).ReplaceAllString(dump, "")
		if got, want := normalize(plain), normalize(mustRender(t, tc.rs)); got != want {
			t.Errorf("%s: Dump differs from Render:\n%s\n---\n%s", tc.name, got, want)
		}
	}
	fresh, err := newSysBackend(t, e.ns).Dump(context.Background())
	if err != nil || !strings.Contains(fresh, "no ruleset applied by this Backend") {
		t.Errorf("Dump of a fresh Backend = %v\n%s", err, fresh)
	}
}

// A set too large for one netlink message is loaded in several.
func TestSystemLargeSet(t *testing.T) {
	e := newSysEnv(t)
	s := &backend.Set{Name: "big", Family: backend.FamilyIPv6}
	d := &backend.Dispatch{Key: backend.KeySrcAddr4}
	for i := 0; i < 5000; i++ {
		a := netip.AddrFrom16([16]byte{0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(i >> 8), byte(i)})
		s.Elements = append(s.Elements, backend.Range{From: a, To: a})
		v4 := netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
		d.Elements = append(d.Elements, backend.Element{Range: backend.Range{From: v4, To: v4}, Verdict: backend.Verdict{Kind: backend.VerdictGoto, Chain: "longer_chain_name_for_bigger_elements"}})
	}
	rs := &backend.Ruleset{Sets: []*backend.Set{s}, Chains: []*backend.Chain{
		{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{
			{Matches: []backend.Match{{Kind: backend.MatchSrcSet, Set: "big"}}, Dispatch: nil, Return: true},
			{Dispatch: d},
		}},
		{Name: "longer_chain_name_for_bigger_elements"},
	}}
	e.apply(t, rs)
	e.wantRendered(t, rs)
}
