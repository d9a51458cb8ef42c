package migrate

import (
	"context"
	"path/filepath"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// The adapters between the pure core and the running system: firewalld's
// direct interface and state over D-Bus, and firewalld's configuration
// files when firewalld is not running (mssclampd's D-Bus API is
// dbus.Client, which is Rules).

// FirewalldDirect is Direct over a running firewalld.
type FirewalldDirect struct{ FW *mdbus.Firewalld }

var _ Direct = FirewalldDirect{}

// Entries lists the passthroughs, then the direct rules.
func (d FirewalldDirect) Entries(ctx context.Context, permanent bool) ([]Entry, error) {
	pts, err := d.FW.DirectPassthroughs(ctx, permanent)
	if err != nil {
		return nil, err
	}
	rules, err := d.FW.DirectRules(ctx, permanent)
	if err != nil {
		return nil, err
	}
	var out []Entry
	for _, p := range pts {
		out = append(out, Entry{Kind: Passthrough, IPV: p.IPV, Args: p.Args, Runtime: !permanent, Permanent: permanent})
	}
	for _, r := range rules {
		out = append(out, Entry{Kind: DirectRule, IPV: r.IPV, Table: r.Table, Chain: r.Chain, Priority: int(r.Priority),
			Args: r.Args, Runtime: !permanent, Permanent: permanent})
	}
	return out, nil
}

func (d FirewalldDirect) Remove(ctx context.Context, e Entry, permanent bool) error {
	if e.Kind == DirectRule {
		return d.FW.RemoveDirectRule(ctx, permanent, directRule(e))
	}
	return d.FW.RemoveDirectPassthrough(ctx, permanent, mdbus.DirectPassthrough{IPV: e.IPV, Args: e.Args})
}

func (d FirewalldDirect) Add(ctx context.Context, e Entry, permanent bool) error {
	if e.Kind == DirectRule {
		return d.FW.AddDirectRule(ctx, permanent, directRule(e))
	}
	return d.FW.AddDirectPassthrough(ctx, permanent, mdbus.DirectPassthrough{IPV: e.IPV, Args: e.Args})
}

func directRule(e Entry) mdbus.DirectRule {
	return mdbus.DirectRule{IPV: e.IPV, Table: e.Table, Chain: e.Chain, Priority: int32(e.Priority), Args: e.Args}
}

// ViewOf is the view of a firewalld snapshot; a firewalld without policies
// (< 0.9) reports none at all.
func ViewOf(st *mdbus.FirewalldState) View {
	return View{Topology: st.Topology, NoPolicies: st.Policies == nil}
}

// ConfigView is the view of firewalld's permanent configuration, for when
// firewalld is not running: the zones and policies of the system directory
// (/usr/lib/firewalld) overridden by those of the configuration directory
// (/etc/firewalld), and DefaultZone from its firewalld.conf. Files that do
// not load are returned as errors beside the view: their bindings are
// missing from it, so the caller must show them.
func ConfigView(systemDir, configDir string) (View, []error) {
	var v View
	var problems []error
	zones := map[string]int{}
	policies := map[string]int{}
	for _, dir := range []string{systemDir, configDir} {
		cfg, errs := store.Open(dir).Load()
		for _, e := range errs {
			problems = append(problems, e)
		}
		for _, z := range cfg.Zones {
			bz := firewalld.Zone{Name: z.Name, Interfaces: z.Interfaces, Sources: z.Sources}
			if i, ok := zones[z.Name]; ok {
				v.Topology.Zones[i] = bz
			} else {
				zones[z.Name] = len(v.Topology.Zones)
				v.Topology.Zones = append(v.Topology.Zones, bz)
			}
		}
		for _, p := range cfg.Policies {
			bp := firewalld.Policy{Name: p.Name, Priority: p.Priority, Ingress: p.Ingress, Egress: p.Egress}
			if i, ok := policies[p.Name]; ok {
				v.Topology.Policies[i] = bp
			} else {
				policies[p.Name] = len(v.Topology.Policies)
				v.Topology.Policies = append(v.Topology.Policies, bp)
			}
		}
	}
	conf, err := firewalld.ReadConf(filepath.Join(configDir, "firewalld.conf"))
	if err != nil {
		problems = append(problems, err)
	}
	v.Topology.DefaultZone = conf["DefaultZone"]
	if v.Topology.DefaultZone == "" {
		v.Topology.DefaultZone = "public" // firewalld's built-in default
	}
	return v, problems
}
