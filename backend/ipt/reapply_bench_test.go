package ipt

import (
	"context"
	"fmt"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// compiledZones are the zones of the daemon's benchmark router
// (cmd/mssclampd) and how many of the 1,000 rules each holds.
var compiledZones = []struct {
	name   string
	ifaces []string
	rules  int
}{{"internal", []string{"rc0"}, 400}, {"dmz", []string{"rs0"}, 200}, {"work", nil, 200}, {"home", nil, 100}, {"public", nil, 100}}

// compiledInput is the daemon benchmark's 1,000 rules: in each zone one
// zone-wide pmtu clamp, then per-site rules, 70% IPv4 source /24s, 20%
// IPv6 source /48s, 10% IPv4 destination hosts. Rule number changed (if
// any) gets another value.
func compiledInput(tb testing.TB, changed int) (*firewalld.Topology, backend.Rules) {
	tb.Helper()
	values := []int{1300, 1320, 1360, 1380, 1400, 1412, 1436, 1452}
	in := &firewalld.Topology{DefaultZone: "public"}
	rules := backend.Rules{}
	n := 0
	for zi, z := range compiledZones {
		zone := firewalld.Zone{Name: z.name, Interfaces: z.ifaces}
		texts := []string{"rule tcp-mss-clamp"}
		for i := 1; i < z.rules; i++ {
			n++
			value := values[n%len(values)]
			if n == changed {
				value = 1234
			}
			switch n % 10 {
			case 0:
				texts = append(texts, fmt.Sprintf(`rule family="ipv4" destination address="198.18.%d.%d/32" tcp-mss-clamp value="%d"`, zi*2+i/256, i%256, value))
			case 1, 2:
				texts = append(texts, fmt.Sprintf(`rule family="ipv6" source address="fd00:%x:%x::/48" tcp-mss-clamp value="%d"`, zi+1, i, value))
			default:
				texts = append(texts, fmt.Sprintf(`rule family="ipv4" source address="10.%d.%d.0/24" tcp-mss-clamp value="%d"`, 100+zi*2+i/256, i%256, value))
			}
		}
		for _, text := range texts {
			r, err := richrule.Parse(text)
			if err != nil {
				tb.Fatal(err)
			}
			rules[firewalld.ZoneScope(z.name)] = append(rules[firewalld.ZoneScope(z.name)], r)
		}
		in.Zones = append(in.Zones, zone)
	}
	return in, rules
}

// compiled is what Compile makes of compiledInput.
func compiled(tb testing.TB, changed int) *backend.Ruleset {
	tb.Helper()
	rs, _, err := backend.Compile(compiledInput(tb, changed))
	if err != nil {
		tb.Fatal(err)
	}
	return rs
}

// BenchmarkReapply1000Unchanged applies the 1,000 compiled rules the kernel
// already holds: the daemon's no-op Apply.
func BenchmarkReapply1000Unchanged(b *testing.B) {
	benchmarkSwitch(b, func(tb testing.TB) []*backend.Ruleset {
		return []*backend.Ruleset{compiled(tb, -1)}
	})
}

// BenchmarkReapply1000OneChanged switches between two compiled sets of
// 1,000 rules that differ in the value of one IPv4 source-scoped rule: the
// daemon's runtime change.
func BenchmarkReapply1000OneChanged(b *testing.B) {
	benchmarkSwitch(b, func(tb testing.TB) []*backend.Ruleset {
		return []*backend.Ruleset{compiled(tb, -1), compiled(tb, 105)}
	})
}

// BenchmarkRecovery1000: the 1,000 compiled rules are in the kernel, then
// someone wipes the mangle tables as firewalld's reload does (flushes every
// chain, deletes every user chain), and Apply puts them back.
func BenchmarkRecovery1000(b *testing.B) {
	for _, mode := range modes {
		b.Run(mode, func(b *testing.B) {
			e := newSysEnv(b, mode)
			ctx := context.Background()
			rs := compiled(b, -1)
			if err := e.b.Apply(ctx, rs); err != nil {
				b.Fatal(err)
			}
			for b.Loop() {
				b.StopTimer()
				for _, f := range allFamilies {
					for _, op := range []string{"-F", "-X"} {
						if res := e.b.run.run(ctx, e.b.tools.cmd[f], []string{"-w", "-t", Table, op}, ""); res.err != nil {
							b.Fatalf("%s -t %s %s: %v: %s", e.b.tools.cmd[f], Table, op, res.err, res.stderr)
						}
					}
				}
				b.StartTimer()
				if err := e.b.Apply(ctx, rs); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
