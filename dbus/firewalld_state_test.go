package dbus

import (
	"reflect"
	"testing"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

func TestZoneStates(t *testing.T) {
	got := zoneStates(
		[]string{"trusted", "public", "block"},
		map[string]map[string][]string{
			"public":  {"interfaces": {"veth0"}, "sources": {"10.0.0.0/8", "ipset:lan"}},
			"trusted": {"interfaces": {"veth1"}},
		})
	want := []ZoneState{
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
		want     PolicyState
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
			want: PolicyState{Name: "p", Priority: -100, Ingress: []string{"internal"}, Egress: []string{"ANY", "HOST"}, Target: "CONTINUE"},
		},
		{
			// firewalld leaves out empty and zero settings.
			name:     "empty",
			settings: map[string]godbus.Variant{"target": godbus.MakeVariant("CONTINUE")},
			want:     PolicyState{Name: "p", Priority: -1, Target: "CONTINUE"},
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
		want IPSetState
	}{
		{
			name: "ipv4 default",
			st:   ipsetSettings{Type: "hash:net", Entries: []string{"10.0.0.0/8"}},
			want: IPSetState{Name: "s", Type: "hash:net", Family: "inet", Entries: []string{"10.0.0.0/8"}},
		},
		{
			name: "ipv6",
			st:   ipsetSettings{Type: "hash:ip", Options: map[string]string{"family": "inet6"}, Entries: []string{"fd00::1"}},
			want: IPSetState{Name: "s", Type: "hash:ip", Family: "inet6", Options: map[string]string{"family": "inet6"}, Entries: []string{"fd00::1"}},
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

func testState() *FirewalldState {
	return &FirewalldState{
		Version:     "1.3.3",
		Backend:     "nftables",
		DefaultZone: "public",
		Zones: []ZoneState{
			{Name: "block"},
			{Name: "internal", Interfaces: []string{"veth1"}, Sources: []string{"ipset:lan", "52:54:00:12:34:56"}},
			{Name: "public", Interfaces: []string{"veth0"}, Sources: []string{"10.0.0.0/8"}},
		},
		Policies: []PolicyState{
			{Name: "int-to-pub", Priority: -10, Ingress: []string{"internal"}, Egress: []string{"public"}, Target: "CONTINUE"},
			{Name: "out", Priority: 5, Ingress: []string{"HOST"}, Egress: []string{"ANY"}, Target: "ACCEPT"},
		},
		IPSets: []IPSetState{
			{Name: "lan", Type: "hash:net", Family: "inet", Entries: []string{"192.168.0.0/16"}},
		},
	}
}

func TestStateInput(t *testing.T) {
	s := testState()
	got := s.Input()
	want := backend.Input{
		DefaultZone: "public",
		Zones: []backend.Zone{
			{Name: "block"},
			{Name: "internal", Interfaces: []string{"veth1"}, Sources: []string{"ipset:lan", "52:54:00:12:34:56"}},
			{Name: "public", Interfaces: []string{"veth0"}, Sources: []string{"10.0.0.0/8"}},
		},
		Policies: []backend.Policy{
			{Name: "int-to-pub", Priority: -10, Ingress: []string{"internal"}, Egress: []string{"public"}},
			{Name: "out", Priority: 5, Ingress: []string{backend.ZoneHost}, Egress: []string{backend.ZoneAny}},
		},
		IPSets: []backend.IPSet{
			{Name: "lan", Type: "hash:net", Family: "inet", Entries: []string{"192.168.0.0/16"}},
		},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Input:\n got %+v\nwant %+v", got, want)
	}
	// The daemon adds rules and may edit bindings: the state must not change.
	got.Zones[1].Interfaces[0] = "changed"
	got.IPSets[0].Entries[0] = "changed"
	got.Policies[0].Ingress[0] = "changed"
	if !reflect.DeepEqual(s, testState()) {
		t.Errorf("editing the Input changed the state: %+v", s)
	}
}

func TestStateInputEmpty(t *testing.T) {
	got := (&FirewalldState{DefaultZone: "public"}).Input()
	if !reflect.DeepEqual(got, backend.Input{DefaultZone: "public"}) {
		t.Errorf("Input of an empty state = %+v", got)
	}
}

func TestStateLookups(t *testing.T) {
	s := testState()
	tests := []struct {
		name string
		got  bool
		want bool
	}{
		{"HasZone(public)", s.HasZone("public"), true},
		{"HasZone(block)", s.HasZone("block"), true},
		{"HasZone(nosuch)", s.HasZone("nosuch"), false},
		{"HasZone(empty)", s.HasZone(""), false},
		{"HasPolicy(out)", s.HasPolicy("out"), true},
		{"HasPolicy(public)", s.HasPolicy("public"), false},
	}
	for _, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("%s = %v, want %v", tt.name, tt.got, tt.want)
		}
	}
}
