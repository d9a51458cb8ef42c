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

func benchBackend(b *testing.B) (*systest.NS, int) {
	systest.RequireRoot(b)
	ns := systest.NewNS(b)
	return ns, ns.FD(b)
}

// BenchmarkApplyFull builds the whole table, as after a start: each
// iteration is a new Backend, which deletes the table and loads it again.
func BenchmarkApplyFull(b *testing.B) {
	_, fd := benchBackend(b)
	rs := rulesetScale(benchZones, benchPerZone, 0)
	ctx := context.Background()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := New(WithNetNSFd(fd)).Apply(ctx, rs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkApplyOneChange re-applies the ruleset with one clamp changed.
func BenchmarkApplyOneChange(b *testing.B) {
	_, fd := benchBackend(b)
	rss := []*backend.Ruleset{rulesetScale(benchZones, benchPerZone, 0), rulesetScale(benchZones, benchPerZone, 1)}
	be := New(WithNetNSFd(fd))
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
	_, fd := benchBackend(b)
	rs := rulesetScale(benchZones, benchPerZone, 0)
	be := New(WithNetNSFd(fd))
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
