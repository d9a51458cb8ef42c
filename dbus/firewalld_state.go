package dbus

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// FirewalldState is what firewalld's runtime configuration says about
// zones, policies and ipsets: the input of our compiler, without our rules.
type FirewalldState struct {
	Version     string // firewalld's version, e.g. "1.3.3"
	State       string // "RUNNING", or "FAILED": its permanent configuration did not load
	Backend     string // FirewallBackend: "nftables" or "iptables"
	DefaultZone string
	Zones       []ZoneState   // every zone, bound or not, sorted by name
	Policies    []PolicyState // nil for a firewalld without policies (< 0.9)
	IPSets      []IPSetState  // every runtime ipset, sorted by name
}

// ZoneState is a zone with its runtime bindings.
type ZoneState struct {
	Name       string
	Interfaces []string
	// Sources in firewalld's spelling: an address or network, a MAC
	// address, or "ipset:NAME".
	Sources []string
}

// PolicyState is a policy (not one firewalld derives from a zone).
type PolicyState struct {
	Name     string
	Priority int      // firewalld's default is -1; 0 is reserved
	Ingress  []string // zone names, backend.ZoneAny or backend.ZoneHost
	Egress   []string
	Target   string // "CONTINUE", "ACCEPT", "DROP" or "REJECT"
}

// IPSetState is a runtime ipset.
type IPSetState struct {
	Name    string
	Type    string            // "hash:ip", "hash:net", "hash:mac", ...
	Family  string            // "inet" or "inet6"
	Options map[string]string // firewalld's options as given ("family", "timeout", "maxelem", ...)
	// Entries; firewalld does not track the entries of an ipset with a
	// timeout, so such a set lists none.
	Entries []string
}

// HasZone reports whether firewalld has a zone of that name.
func (s *FirewalldState) HasZone(name string) bool {
	return slices.ContainsFunc(s.Zones, func(z ZoneState) bool { return z.Name == name })
}

// HasPolicy reports whether firewalld has a policy of that name.
func (s *FirewalldState) HasPolicy(name string) bool {
	return slices.ContainsFunc(s.Policies, func(p PolicyState) bool { return p.Name == name })
}

// Input returns the state as the compiler's input, with no rules: the
// daemon adds its rules to the zones and policies. Slices are copies.
func (s *FirewalldState) Input() backend.Input {
	in := backend.Input{DefaultZone: s.DefaultZone}
	for _, z := range s.Zones {
		in.Zones = append(in.Zones, backend.Zone{
			Name:       z.Name,
			Interfaces: slices.Clone(z.Interfaces),
			Sources:    slices.Clone(z.Sources),
		})
	}
	for _, p := range s.Policies {
		in.Policies = append(in.Policies, backend.Policy{
			Name:     p.Name,
			Priority: p.Priority,
			Ingress:  slices.Clone(p.Ingress),
			Egress:   slices.Clone(p.Egress),
		})
	}
	for _, set := range s.IPSets {
		in.IPSets = append(in.IPSets, backend.IPSet{
			Name:    set.Name,
			Type:    set.Type,
			Family:  set.Family,
			Entries: slices.Clone(set.Entries),
		})
	}
	return in
}

// Snapshot reads firewalld's runtime state. Every call is atomic in
// firewalld, but the state may change between calls: subscribe with Watch
// first, and take a new Snapshot after each event.
func (f *Firewalld) Snapshot(ctx context.Context) (*FirewalldState, error) {
	var (
		s   FirewalldState
		err error
	)
	if s.State, err = f.State(ctx); err != nil {
		return nil, err
	}
	if s.Version, err = f.Version(ctx); err != nil {
		return nil, err
	}
	if s.Backend, err = f.Backend(ctx); err != nil {
		return nil, err
	}
	if s.DefaultZone, err = f.DefaultZone(ctx); err != nil {
		return nil, err
	}
	if s.Zones, err = f.zones(ctx); err != nil {
		return nil, err
	}
	if s.Policies, err = f.policies(ctx); err != nil {
		return nil, err
	}
	if s.IPSets, err = f.ipsets(ctx); err != nil {
		return nil, err
	}
	return &s, nil
}

func (f *Firewalld) zones(ctx context.Context) ([]ZoneState, error) {
	var names []string
	if err := f.call(ctx, fwPath, fwZoneIface, "getZones", nil, &names); err != nil {
		return nil, err
	}
	// {zone: {"interfaces": [...], "sources": [...]}} for bound zones only.
	var active map[string]map[string][]string
	if err := f.call(ctx, fwPath, fwZoneIface, "getActiveZones", nil, &active); err != nil {
		return nil, err
	}
	return zoneStates(names, active), nil
}

func zoneStates(names []string, active map[string]map[string][]string) []ZoneState {
	zones := make([]ZoneState, 0, len(names))
	for _, name := range names {
		b := active[name]
		zones = append(zones, ZoneState{Name: name, Interfaces: b["interfaces"], Sources: b["sources"]})
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].Name < zones[j].Name })
	return zones
}

func (f *Firewalld) policies(ctx context.Context) ([]PolicyState, error) {
	var names []string
	err := f.call(ctx, fwPath, fwPolicyIface, "getPolicies", nil, &names)
	if isUnknownMethod(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	policies := make([]PolicyState, 0, len(names))
	for _, name := range names {
		var settings map[string]godbus.Variant
		if err := f.call(ctx, fwPath, fwPolicyIface, "getPolicySettings", []any{name}, &settings); err != nil {
			return nil, err
		}
		p, err := policyState(name, settings)
		if err != nil {
			return nil, err
		}
		policies = append(policies, p)
	}
	return policies, nil
}

// policyState decodes getPolicySettings' a{sv}. firewalld leaves out keys
// whose value is empty or zero.
func policyState(name string, settings map[string]godbus.Variant) (PolicyState, error) {
	p := PolicyState{Name: name, Priority: -1}
	if err := storeSetting(settings, "priority", &p.Priority); err != nil {
		return p, fmt.Errorf("policy %q: %w", name, err)
	}
	if err := storeSetting(settings, "ingress_zones", &p.Ingress); err != nil {
		return p, fmt.Errorf("policy %q: %w", name, err)
	}
	if err := storeSetting(settings, "egress_zones", &p.Egress); err != nil {
		return p, fmt.Errorf("policy %q: %w", name, err)
	}
	if err := storeSetting(settings, "target", &p.Target); err != nil {
		return p, fmt.Errorf("policy %q: %w", name, err)
	}
	return p, nil
}

// storeSetting stores settings[key] in ptr, leaving ptr alone when the key
// is absent.
func storeSetting(settings map[string]godbus.Variant, key string, ptr any) error {
	v, ok := settings[key]
	if !ok {
		return nil
	}
	if err := godbus.Store([]any{v.Value()}, ptr); err != nil {
		return fmt.Errorf("setting %q (%s): %w", key, v.Signature(), err)
	}
	return nil
}

// ipsetSettings is getIPSetSettings' (ssssa{ss}as).
type ipsetSettings struct {
	Version     string
	Short       string
	Description string
	Type        string
	Options     map[string]string
	Entries     []string
}

func (f *Firewalld) ipsets(ctx context.Context) ([]IPSetState, error) {
	var names []string
	if err := f.call(ctx, fwPath, fwIPSetIface, "getIPSets", nil, &names); err != nil {
		return nil, err
	}
	sort.Strings(names)
	sets := make([]IPSetState, 0, len(names))
	for _, name := range names {
		// The runtime settings carry the runtime entries: no getEntries.
		var st ipsetSettings
		if err := f.call(ctx, fwPath, fwIPSetIface, "getIPSetSettings", []any{name}, &st); err != nil {
			return nil, err
		}
		sets = append(sets, ipsetState(name, st))
	}
	return sets, nil
}

func ipsetState(name string, st ipsetSettings) IPSetState {
	family := strings.ToLower(st.Options["family"])
	if family == "" {
		family = "inet"
	}
	return IPSetState{Name: name, Type: st.Type, Family: family, Options: st.Options, Entries: st.Entries}
}
