package migrate

import (
	"slices"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

func TestExistingPolicy(t *testing.T) {
	v := View{Topology: firewalld.Topology{Policies: []firewalld.Policy{
		{Name: "b-out", Ingress: []string{"HOST"}, Egress: []string{"ANY"}},
		{Name: "a-out", Ingress: []string{"HOST"}, Egress: []string{"ANY"}},
		{Name: "mss-x", Ingress: []string{"HOST"}, Egress: []string{"ANY"}},
		{Name: "pair", Ingress: []string{"lan", "dmz"}, Egress: []string{"wan"}},
		{Name: "only-a", Ingress: []string{"HOST"}, Egress: []string{"ANY"}},
	}}}
	tests := []struct {
		in, out []string
		want    string
	}{
		{[]string{"HOST"}, []string{"ANY"}, "mss-x"},      // ours first
		{[]string{"dmz", "lan"}, []string{"wan"}, "pair"}, // order does not matter
		{[]string{"lan"}, []string{"wan"}, ""},            // a subset is another policy
		{[]string{"ANY"}, []string{"ANY"}, ""},
	}
	for _, tt := range tests {
		got, ok := v.existingPolicy(tt.in, tt.out)
		if got != tt.want || ok != (tt.want != "") {
			t.Errorf("existingPolicy(%v, %v) = %q, %v; want %q", tt.in, tt.out, got, ok, tt.want)
		}
	}
	v.Topology.Policies = v.Topology.Policies[:2]
	if got, _ := v.existingPolicy([]string{"HOST"}, []string{"ANY"}); got != "a-out" {
		t.Errorf("without ours, the first by name: %q", got)
	}
}

func TestSourcesFor(t *testing.T) {
	v := View{Topology: firewalld.Topology{IPSets: []firewalld.IPSet{
		{Name: "v4", Family: "inet", Type: "hash:net"},
		{Name: "v6", Family: "inet6", Type: "hash:ip"},
		{Name: "macs", Family: "inet", Type: "hash:mac"},
	}}}
	z := &firewalld.Zone{Name: "z", Sources: []string{
		"10.0.0.1", "10.1.0.0/16", "fd00::/8", "00:11:22:33:44:55", "ipset:v4", "ipset:v6", "ipset:macs", "ipset:unknown",
	}}
	tests := []struct {
		name     string
		ipv      string
		egress   bool
		addrs    []string
		inverted bool
		want     []string
	}{
		{"ipv4 ingress", "ipv4", false, nil, false, []string{"10.0.0.1", "10.1.0.0/16", "00:11:22:33:44:55", "ipset:v4", "ipset:macs", "ipset:unknown"}},
		{"ipv4 egress: no MAC", "ipv4", true, nil, false, []string{"10.0.0.1", "10.1.0.0/16", "ipset:v4", "ipset:unknown"}},
		{"ipv6 ingress", "ipv6", false, nil, false, []string{"fd00::/8", "00:11:22:33:44:55", "ipset:v6", "ipset:macs", "ipset:unknown"}},
		{"overlapping addresses only", "ipv4", false, []string{"10.1.2.0/24"}, false, []string{"10.1.0.0/16", "00:11:22:33:44:55", "ipset:v4", "ipset:macs", "ipset:unknown"}},
		{"a host address", "ipv4", true, []string{"10.0.0.1"}, false, []string{"10.0.0.1", "ipset:v4", "ipset:unknown"}},
		{"negated addresses overlap anything", "ipv4", true, []string{"10.1.2.0/24"}, true, []string{"10.0.0.1", "10.1.0.0/16", "ipset:v4", "ipset:unknown"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := v.sourcesFor(z, tt.ipv, tt.egress, tt.addrs, tt.inverted)
			if !slices.Equal(got, tt.want) {
				t.Errorf("sourcesFor = %q, want %q", got, tt.want)
			}
		})
	}
}
