package nft

import (
	"context"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// The benchmarks' ruleset: 10,000 clamp rules over 100 zones (see
// rulesetScale). Targets: a full apply in one transaction <= 200 ms, a
// re-apply with one rule changed <= 20 ms.
const benchZones, benchPerZone = 100, 100

func benchNS(b *testing.B) *systest.NS {
	systest.RequireRoot(b)
	return systest.NewNS(b)
}

// BenchmarkApplyFull loads the whole table into a kernel without it, as at
// a first start.
func BenchmarkApplyFull(b *testing.B) {
	ns := benchNS(b)
	rs := rulesetScale(benchZones, benchPerZone, 0)
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		be := newSysBackend(b, ns)
		if err := be.Flush(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := be.Apply(ctx, rs); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		be.Close()
		b.StartTimer()
	}
}

// BenchmarkApplyFullReplace rebuilds the whole table over an existing one,
// as at a restart: a new Backend deletes the table and loads it again, in
// the same transaction.
func BenchmarkApplyFullReplace(b *testing.B) {
	ns := benchNS(b)
	rs := rulesetScale(benchZones, benchPerZone, 0)
	ctx := context.Background()
	if err := newSysBackend(b, ns).Apply(ctx, rs); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		be := newSysBackend(b, ns)
		if err := be.Apply(ctx, rs); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		be.Close()
		b.StartTimer()
	}
}

// BenchmarkApplyOneChange re-applies the ruleset with one clamp changed.
func BenchmarkApplyOneChange(b *testing.B) {
	rss := []*backend.Ruleset{rulesetScale(benchZones, benchPerZone, 0), rulesetScale(benchZones, benchPerZone, 1)}
	be := newSysBackend(b, benchNS(b))
	ctx := context.Background()
	if err := be.Apply(ctx, rss[0]); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := be.Apply(ctx, rss[(i+1)%2]); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyUnchanged re-applies the same ruleset: nothing is sent.
func BenchmarkApplyUnchanged(b *testing.B) {
	rs := rulesetScale(benchZones, benchPerZone, 0)
	be := newSysBackend(b, benchNS(b))
	ctx := context.Background()
	if err := be.Apply(ctx, rs); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := be.Apply(ctx, rs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRender renders the ruleset (no kernel involved).
func BenchmarkRender(b *testing.B) {
	rs := rulesetScale(benchZones, benchPerZone, 0)
	for i := 0; i < b.N; i++ {
		Render(rs)
	}
}

// BenchmarkEncodeOneChange is BenchmarkApplyOneChange without a kernel (a
// fake answers through WithTestDial): the work done in Go alone.
func BenchmarkEncodeOneChange(b *testing.B) {
	rss := []*backend.Ruleset{rulesetScale(benchZones, benchPerZone, 0), rulesetScale(benchZones, benchPerZone, 1)}
	k := &fakeKernel{quiet: true}
	be, _ := New(WithTestDial(k.dial))
	ctx := context.Background()
	if err := be.Apply(ctx, rss[0]); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := be.Apply(ctx, rss[(i+1)%2]); err != nil {
			b.Fatal(err)
		}
		k.take()
	}
}

// BenchmarkEncodeFull is BenchmarkApplyFull without a kernel.
func BenchmarkEncodeFull(b *testing.B) {
	rs := rulesetScale(benchZones, benchPerZone, 0)
	k := &fakeKernel{quiet: true}
	ctx := context.Background()
	for i := 0; i < b.N; i++ {
		if be, _ := New(WithTestDial(k.dial)); be.Apply(ctx, rs) != nil {
			b.Fatal("Apply failed")
		}
		b.StopTimer()
		k.take()
		b.StartTimer()
	}
}
