package ipt

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// countSaves makes e's backend run iptables-save through a wrapper that
// counts its runs, and returns the count so far.
func countSaves(t *testing.T, e *sysEnv) func() int {
	t.Helper()
	dir := t.TempDir()
	log := filepath.Join(dir, "saves")
	for _, f := range allFamilies {
		wrapper := filepath.Join(dir, families[f].name+"-save")
		script := fmt.Sprintf("#!/bin/sh\necho >> %s\nexec %s \"$@\"\n", log, e.b.tools.save[f])
		if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
		e.b.tools.save[f] = wrapper
	}
	return func() int {
		data, _ := os.ReadFile(log)
		return strings.Count(string(data), "\n")
	}
}

// outputZone is laid out as Compile lays out a zone: a zone-wide clamp,
// then a lookup by destination leading to the chain of a rule scoped to
// host.
func outputZone(host string) *backend.Ruleset {
	return &backend.Ruleset{Chains: []*backend.Chain{
		{Name: "output", Hook: backend.HookOutput, Rules: []*backend.Rule{{Matches: []backend.Match{syn()}, Goto: "zone_public"}}},
		{Name: "zone_public", Rules: []*backend.Rule{
			{Clamp: clampOf(zone("public"), `rule tcp-mss-clamp value="1300"`, 1300, nil)},
			{Dispatch: &backend.Dispatch{Key: backend.KeyDstAddr4, Elements: []backend.Element{{Range: rng(host, host), Verdict: jumpTo("rule_host")}}}},
		}},
		{Name: "rule_host", Rules: []*backend.Rule{
			{Clamp: clampOf(zone("public"), `rule family="ipv4" destination address="`+host+`" tcp-mss-clamp value="1200"`, 1200, nil)},
		}},
	}}
}

// With the nf_tables variant, Apply reads the kernel back only when
// someone else has committed since our last Apply; it still carries the
// counters of rebuilt rules over. Counters and Dump always read it. The
// legacy variant reads it every time.
func TestSystemReadsBack(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := newSysEnv(t, mode)
			saves := countSaves(t, e)
			ctx := context.Background()
			held := map[bool]int{true: 0, false: 2}[mode == "nf_tables"]
			apply := func(what string, rs *backend.Ruleset, reads int) {
				t.Helper()
				before := saves()
				if err := e.b.Apply(ctx, rs); err != nil {
					t.Fatalf("%s: %v", what, err)
				}
				if got := saves() - before; got != reads {
					t.Errorf("%s: Apply ran iptables-save %d times, want %d", what, got, reads)
				}
				e.check(t, "", rs)
			}
			a, b := outputZone("192.0.2.1"), outputZone("192.0.2.2")
			id := a.Chains[1].Rules[0].Clamp.ID

			apply("first Apply", a, 2)
			apply("same again", a, held)
			if err := e.ns.Do(func() error {
				dialRefused("127.0.0.1:9")
				dialRefused("127.0.0.1:9")
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			before := saves()
			got, err := e.b.Counters(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := e.b.Dump(ctx); err != nil {
				t.Fatal(err)
			}
			if n := saves() - before; n != 4 || got[id].Packets != 2 {
				t.Errorf("Counters and Dump ran iptables-save %d times and counted %+v; want 4 times, 2 packets", n, got[id])
			}
			apply("one lookup element changed", b, held)
			if now := clampsOf(t, e, ipv4)[id]; now != got[id] {
				t.Errorf("the zone-wide clamp counts %+v after the change, counted %+v before", now, got[id])
			}

			// What others do changes the foreign rules the checks expect.
			others := func() {
				for _, f := range allFamilies {
					e.foreign[f] = e.foreignPart(t, f)
				}
			}
			e.ns.Run(t, e.b.tools.cmd[ipv6], "-t", "filter", "-N", "SOMEONE_ELSE")
			others()
			apply("after someone else's commit", a, 2)
			// As firewalld's reload does.
			for _, f := range allFamilies {
				for _, op := range []string{"-F", "-X"} {
					e.ns.Run(t, e.b.tools.cmd[f], "-t", Table, op)
				}
			}
			others()
			apply("after a wipe", a, 2)
			if err := e.b.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			apply("after Flush", a, 2)
		})
	}
}
