package firewalld

import (
	"slices"
	"testing"
)

func TestTopologyLookups(t *testing.T) {
	topo := &Topology{
		DefaultZone: "public",
		Zones:       []Zone{{Name: "block"}, {Name: "public"}},
		Policies:    []Policy{{Name: "out"}, {Name: "in"}},
	}
	for _, tt := range []struct {
		s    Scope
		want bool
	}{
		{ZoneScope("public"), true}, {ZoneScope("block"), true}, {ZoneScope("nosuch"), false},
		{ZoneScope(""), true}, {PolicyScope("out"), true}, {PolicyScope("public"), false},
	} {
		if got := topo.Has(tt.s); got != tt.want {
			t.Errorf("Has(%v) = %v, want %v", tt.s, got, tt.want)
		}
	}
	if topo.Policy("in") == nil || topo.Policy("block") != nil {
		t.Error("Policy finds the wrong policies")
	}
	if got := topo.Names(true); !slices.Equal(got, []string{"in", "out"}) {
		t.Errorf("Names(policies) = %v", got)
	}
	if s := PolicyScope("p"); s.String() != "policy p" || ZoneScope("z").String() != "zone z" {
		t.Errorf("String: %q", s)
	}
}
