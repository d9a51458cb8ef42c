package dbus

import (
	"context"
	"fmt"
	"sort"
	"strings"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// FirewalldState is what firewalld's runtime configuration says: its
// version and backend, and the zones, policies and ipsets that are the
// input of our compiler, without our rules. Zones are every zone, bound or
// not, sorted by name; policies and ipsets are sorted by name too.
type FirewalldState struct {
	Version string // firewalld's version, e.g. "1.3.3"
	State   string // "RUNNING", or "FAILED": its permanent configuration did not load
	Backend string // FirewallBackend: "nftables" or "iptables"
	firewalld.Topology
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

func (f *Firewalld) zones(ctx context.Context) ([]firewalld.Zone, error) {
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

func zoneStates(names []string, active map[string]map[string][]string) []firewalld.Zone {
	zones := make([]firewalld.Zone, 0, len(names))
	for _, name := range names {
		b := active[name]
		zones = append(zones, firewalld.Zone{Name: name, Interfaces: b["interfaces"], Sources: b["sources"]})
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].Name < zones[j].Name })
	return zones
}

func (f *Firewalld) policies(ctx context.Context) ([]firewalld.Policy, error) {
	var names []string
	err := f.call(ctx, fwPath, fwPolicyIface, "getPolicies", nil, &names)
	if isUnknownMethod(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	policies := make([]firewalld.Policy, 0, len(names))
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
func policyState(name string, settings map[string]godbus.Variant) (firewalld.Policy, error) {
	p := firewalld.Policy{Name: name, Priority: firewalld.DefaultPriority}
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

func (f *Firewalld) ipsets(ctx context.Context) ([]firewalld.IPSet, error) {
	var names []string
	if err := f.call(ctx, fwPath, fwIPSetIface, "getIPSets", nil, &names); err != nil {
		return nil, err
	}
	sort.Strings(names)
	sets := make([]firewalld.IPSet, 0, len(names))
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

func ipsetState(name string, st ipsetSettings) firewalld.IPSet {
	family := strings.ToLower(st.Options["family"])
	if family == "" {
		family = "inet"
	}
	return firewalld.IPSet{Name: name, Type: st.Type, Family: family, Options: st.Options, Entries: st.Entries}
}
