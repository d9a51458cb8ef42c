package backend

import (
	"fmt"
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
		// A rule left out for an ipset that does not exist comes back
		// when the ipset does.
		"default public\nzone public\npublic: rule tcp-mss-clamp\npublic: rule source ipset=t tcp-mss-clamp value=1200",
		"default public\nzone public\nipset t hash:ip inet 10.0.0.3\npublic: rule tcp-mss-clamp\npublic: rule source ipset=t tcp-mss-clamp value=1200",
		"default public\nzone public\nipset t hash:mac inet 00:11:22:33:44:55\npolicy p in=HOST out=public\np: rule source ipset=t tcp-mss-clamp value=1200\np: rule tcp-mss-clamp value=1300",
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
	for i, step := range append(steps, steps[0], steps[3], steps[5], steps[6], steps[5]) {
		in, rules := parseCase(t, step)
		for _, list := range rules {
			keep(list)
		}
		want, wantDiags, err1 := Compile(parseCase(t, step))
		got, gotDiags, err2 := cc.Compile(in, rules)
		if (err1 == nil) != (err2 == nil) || fmt.Sprint(wantDiags) != fmt.Sprint(gotDiags) {
			t.Fatalf("step %d: errors differ: %v %v / %v %v", i, err1, wantDiags, err2, gotDiags)
		}
		if err1 == nil && got.String() != want.String() {
			t.Errorf("step %d: remembering compiler gives\n%s\nfresh compile gives\n%s", i, got, want)
		}
	}
}
