package dbus

import (
	"reflect"
	"testing"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

func TestZoneStates(t *testing.T) {
	got := zoneStates(
		[]string{"trusted", "public", "block"},
		map[string]map[string][]string{
			"public":  {"interfaces": {"veth0"}, "sources": {"10.0.0.0/8", "ipset:lan"}},
			"trusted": {"interfaces": {"veth1"}},
		})
	want := []firewalld.Zone{
		{Name: "block"},
		{Name: "public", Interfaces: []string{"veth0"}, Sources: []string{"10.0.0.0/8", "ipset:lan"}},
		{Name: "trusted", Interfaces: []string{"veth1"}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("zoneStates:\n got %+v\nwant %+v", got, want)
	}
}

func TestPolicyState(t *testing.T) {
	tests := []struct {
		name     string
		settings map[string]godbus.Variant
		want     firewalld.Policy
		wantErr  bool
	}{
		{
			name: "full",
			settings: map[string]godbus.Variant{
				"priority":      godbus.MakeVariant(int32(-100)),
				"ingress_zones": godbus.MakeVariant([]string{"internal"}),
				"egress_zones":  godbus.MakeVariant([]string{"ANY", "HOST"}),
				"target":        godbus.MakeVariant("CONTINUE"),
				"rich_rules":    godbus.MakeVariant([]string{"rule tcp-mss-clamp"}),
			},
			want: firewalld.Policy{Name: "p", Priority: -100, Ingress: []string{"internal"}, Egress: []string{"ANY", "HOST"}, Target: "CONTINUE"},
		},
		{
			// firewalld leaves out empty and zero settings.
			name:     "empty",
			settings: map[string]godbus.Variant{"target": godbus.MakeVariant("CONTINUE")},
			want:     firewalld.Policy{Name: "p", Priority: -1, Target: "CONTINUE"},
		},
		{
			name:     "wrong type",
			settings: map[string]godbus.Variant{"ingress_zones": godbus.MakeVariant(int32(3))},
			wantErr:  true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := policyState("p", tt.settings)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("policyState = %+v, want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("policyState:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestIPSetState(t *testing.T) {
	tests := []struct {
		name string
		st   ipsetSettings
		want firewalld.IPSet
	}{
		{
			name: "ipv4 default",
			st:   ipsetSettings{Type: "hash:net", Entries: []string{"10.0.0.0/8"}},
			want: firewalld.IPSet{Name: "s", Type: "hash:net", Family: "inet", Entries: []string{"10.0.0.0/8"}},
		},
		{
			name: "ipv6",
			st:   ipsetSettings{Type: "hash:ip", Options: map[string]string{"family": "inet6"}, Entries: []string{"fd00::1"}},
			want: firewalld.IPSet{Name: "s", Type: "hash:ip", Family: "inet6", Options: map[string]string{"family": "inet6"}, Entries: []string{"fd00::1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ipsetState("s", tt.st); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ipsetState:\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}
