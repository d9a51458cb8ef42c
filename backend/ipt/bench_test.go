package ipt

import (
	"context"
	"fmt"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// manyClamps is n clamp rules in zone public the way Compile lays out rules
// with one source address each: a lookup by source address, one chain per
// rule. changed gives rule k a different value.
func manyClamps(n, changed int) *backend.Ruleset {
	rs := &backend.Ruleset{Chains: []*backend.Chain{
		{Name: "forward", Hook: backend.HookForward, Rules: []*backend.Rule{{Matches: []backend.Match{syn()}, Goto: "zone_public"}}},
		{Name: "zone_public", Rules: []*backend.Rule{{Dispatch: &backend.Dispatch{Key: backend.KeySrcAddr4}}}},
	}}
	d := rs.Chains[1].Rules[0].Dispatch
	for i := range n {
		text := fmt.Sprintf(`rule family="ipv4" source address="10.%d.%d.0/24" tcp-mss-clamp value="1200"`, i/256, i%256)
		mss := richrule.MSS(1200)
		if i == changed {
			mss = 1300
		}
		name := fmt.Sprintf("rule_%d", i)
		from := fmt.Sprintf("10.%d.%d.0", i/256, i%256)
		to := fmt.Sprintf("10.%d.%d.255", i/256, i%256)
		d.Elements = append(d.Elements, backend.Element{Range: rng(from, to), Verdict: jumpTo(name)})
		rs.Chains = append(rs.Chains, &backend.Chain{Name: name, Rules: []*backend.Rule{{Clamp: clampOf(zone("public"), text, mss, nil)}}})
	}
	return rs
}

// BenchmarkApply100 loads 100 clamp rules into empty tables.
func BenchmarkApply100(b *testing.B) { benchmarkApply(b, 100) }

// BenchmarkApply10000 loads 10,000 clamp rules (a lookup tree) into empty
// tables.
func BenchmarkApply10000(b *testing.B) { benchmarkApply(b, 10000) }

func benchmarkApply(b *testing.B, n int) {
	for _, mode := range modes {
		b.Run(mode, func(b *testing.B) {
			e := newSysEnv(b, mode)
			ctx := context.Background()
			rs := manyClamps(n, -1)
			for b.Loop() {
				b.StopTimer()
				if err := e.b.Flush(ctx); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if err := e.b.Apply(ctx, rs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkReapply100OneChanged switches between two sets of 100 clamp
// rules that differ in one rule.
func BenchmarkReapply100OneChanged(b *testing.B) {
	benchmarkSwitch(b, func(testing.TB) []*backend.Ruleset {
		return []*backend.Ruleset{manyClamps(100, -1), manyClamps(100, 50)}
	})
}

// BenchmarkReapply100Unchanged applies what the kernel already holds.
func BenchmarkReapply100Unchanged(b *testing.B) {
	benchmarkSwitch(b, func(testing.TB) []*backend.Ruleset {
		return []*backend.Ruleset{manyClamps(100, -1)}
	})
}

// benchmarkSwitch applies the rulesets in turn, in each variant, after the
// first is in the kernel: with one ruleset, the no-op Apply.
func benchmarkSwitch(b *testing.B, rulesets func(testing.TB) []*backend.Ruleset) {
	for _, mode := range modes {
		b.Run(mode, func(b *testing.B) {
			e := newSysEnv(b, mode)
			ctx := context.Background()
			sets := rulesets(b)
			if err := e.b.Apply(ctx, sets[0]); err != nil {
				b.Fatal(err)
			}
			i := 0
			for b.Loop() {
				i++
				if err := e.b.Apply(ctx, sets[i%len(sets)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRender100 is the pure part of Apply.
func BenchmarkRender100(b *testing.B) {
	rs := manyClamps(100, -1)
	for b.Loop() {
		if _, err := Render(rs); err != nil {
			b.Fatal(err)
		}
	}
}
