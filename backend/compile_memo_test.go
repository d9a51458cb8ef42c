package backend

import (
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// TestCompilerMemoFollowsChanges: a Compiler that remembers gives exactly
// what a fresh Compile gives, through a sequence of changes to rules,
// bindings and ipsets.
func TestCompilerMemoFollowsChanges(t *testing.T) {
	steps := []string{
		"default public\nzone public\nzone a src=ipset:s if=eth0\nipset s hash:ip inet 10.0.0.1\na: rule tcp-mss-clamp\npublic: rule tcp-mss-clamp value=1300",
		"default public\nzone public\nzone a src=ipset:s if=eth0\nipset s hash:ip inet6 fd00::1\na: rule tcp-mss-clamp\npublic: rule tcp-mss-clamp value=1300",
		"default public\nzone public\nzone a src=ipset:s if=eth1\nipset s hash:ip inet6 fd00::1\na: rule tcp-mss-clamp\npublic: rule tcp-mss-clamp value=1300",
		"default a\nzone public\nzone a src=ipset:s if=eth1\nipset s hash:ip inet6 fd00::1 fd00::2\na: rule tcp-mss-clamp\na: rule source ipset=s tcp-mss-clamp value=1200",
		"default a\nzone public\nzone a src=ipset:s if=eth1\nipset s hash:ip inet 10.0.0.2\na: rule tcp-mss-clamp\na: rule source ipset=s tcp-mss-clamp value=1200",
	}
	var cc Compiler
	// The daemon hands the same *richrule.Rule values to every Compile.
	same := map[string]*richrule.Rule{}
	keep := func(rules []*richrule.Rule) {
		for i, r := range rules {
			if old, ok := same[r.String()]; ok {
				rules[i] = old
			} else {
				same[r.String()] = r
			}
		}
	}
	for i, step := range append(steps, steps[0], steps[3]) {
		in := parseCase(t, step)
		for j := range in.Zones {
			keep(in.Zones[j].Rules)
		}
		want, err1 := Compile(parseCase(t, step))
		got, err2 := cc.Compile(in)
		if (err1 == nil) != (err2 == nil) {
			t.Fatalf("step %d: errors differ: %v / %v", i, err1, err2)
		}
		if err1 == nil && got.String() != want.String() {
			t.Errorf("step %d: remembering compiler gives\n%s\nfresh compile gives\n%s", i, got, want)
		}
	}
}
