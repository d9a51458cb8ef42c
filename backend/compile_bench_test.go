package backend

import (
	"fmt"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// benchInput is 100 zones with 10 interfaces each, the default zone, and n
// rules spread over them, a third scoped to a source address.
func benchInput(b *testing.B, n int) (*firewalld.Topology, Rules) {
	in := &firewalld.Topology{DefaultZone: "z0"}
	rules := Rules{}
	for z := 0; z < 100; z++ {
		zone := firewalld.Zone{Name: fmt.Sprintf("z%d", z)}
		for i := 0; i < 10; i++ {
			zone.Interfaces = append(zone.Interfaces, fmt.Sprintf("eth%d_%d", z, i))
		}
		in.Zones = append(in.Zones, zone)
	}
	for i := 0; i < n; i++ {
		text := fmt.Sprintf("rule priority=%d tcp-mss-clamp value=%d", i%7, 600+i%1000)
		if i%3 == 0 {
			text = fmt.Sprintf("rule family=ipv4 source address=10.%d.%d.0/24 tcp-mss-clamp value=%d", i/256%256, i%256, 600+i%1000)
		}
		r, err := richrule.Parse(text)
		if err != nil {
			b.Fatal(err)
		}
		s := firewalld.ZoneScope(in.Zones[i%100].Name)
		rules[s] = append(rules[s], r)
	}
	return in, rules
}

func BenchmarkCompile(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			in, rules := benchInput(b, n)
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := Compile(in, rules); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCompileOneChange is the daemon's case: one rule added to one zone
// of many, with the Compiler remembering the rest.
func BenchmarkCompileOneChange(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("rules=%d", n), func(b *testing.B) {
			in, rules := benchInput(b, n)
			addAndRemove(b, in, rules, firewalld.ZoneScope(in.Zones[7].Name), "rule tcp-mss-clamp value=1234")
		})
	}
}

// BenchmarkCompileOneZone: 1000 rules in the one default zone, half scoped
// to a source address, one rule added and removed in turn.
func BenchmarkCompileOneZone(b *testing.B) {
	in := &firewalld.Topology{DefaultZone: "public", Zones: []firewalld.Zone{{Name: "public", Interfaces: []string{"eth0", "eth1"}}}}
	z := firewalld.ZoneScope("public")
	rules := Rules{}
	for i := 0; i < 1000; i++ {
		text := fmt.Sprintf("rule tcp-mss-clamp value=%d", 600+i)
		if i%2 == 0 {
			text = fmt.Sprintf("rule family=ipv4 source address=10.0.%d.%d tcp-mss-clamp value=%d", i/256, i%256, 600+i)
		}
		r, err := richrule.Parse(text)
		if err != nil {
			b.Fatal(err)
		}
		rules[z] = append(rules[z], r)
	}
	addAndRemove(b, in, rules, z, "rule family=ipv4 source address=192.0.2.1 tcp-mss-clamp value=1234")
}

// addAndRemove measures a remembering Compiler as the daemon uses it: one
// rule added to scope z and removed again, in turn.
func addAndRemove(b *testing.B, in *firewalld.Topology, rules Rules, z firewalld.Scope, rule string) {
	var cc Compiler
	if _, _, err := cc.Compile(in, rules); err != nil {
		b.Fatal(err)
	}
	extra, _ := richrule.Parse(rule)
	base := rules[z]
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%2 == 0 {
			rules[z] = append(base[:len(base):len(base)], extra)
		} else {
			rules[z] = base
		}
		i++
		if _, _, err := cc.Compile(in, rules); err != nil {
			b.Fatal(err)
		}
	}
}
