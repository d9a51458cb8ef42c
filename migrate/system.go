package migrate

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// The adapters between the pure core and the running system: firewalld's
// direct interface and state over D-Bus, mssclampd's D-Bus API, and
// firewalld's configuration files when firewalld is not running.

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
	conf, err := backend.ReadFirewalldConf(filepath.Join(configDir, "firewalld.conf"))
	if err != nil {
		problems = append(problems, err)
	}
	v.Topology.DefaultZone = conf["DefaultZone"]
	if v.Topology.DefaultZone == "" {
		v.Topology.DefaultZone = "public" // firewalld's built-in default
	}
	return v, problems
}

// DaemonRules is Rules over mssclampd's D-Bus API on conn: runtime rules on
// the zone and policy interfaces, permanent ones on the objects
// getZoneByName and getPolicyByName return.
type DaemonRules struct{ Conn *godbus.Conn }

var _ Rules = DaemonRules{}

func (d DaemonRules) AddRule(ctx context.Context, t firewalld.Scope, permanent bool, rule string) error {
	if permanent {
		return d.configCall(ctx, t, "addRichRule", rule)
	}
	var applied string
	return d.call(ctx, mdbus.ServicePath, runtimeIface(t)+".addRichRule", []any{t.Name, rule, int32(0)}, &applied)
}

func (d DaemonRules) RemoveRule(ctx context.Context, t firewalld.Scope, permanent bool, rule string) error {
	if permanent {
		return d.configCall(ctx, t, "removeRichRule", rule)
	}
	var applied string
	return d.call(ctx, mdbus.ServicePath, runtimeIface(t)+".removeRichRule", []any{t.Name, rule}, &applied)
}

func (d DaemonRules) QueryRule(ctx context.Context, t firewalld.Scope, permanent bool, rule string) (bool, error) {
	var found bool
	if permanent {
		return found, d.configCall(ctx, t, "queryRichRule", rule, &found)
	}
	return found, d.call(ctx, mdbus.ServicePath, runtimeIface(t)+".queryRichRule", []any{t.Name, rule}, &found)
}

func runtimeIface(t firewalld.Scope) string {
	if t.Policy {
		return mdbus.ServicePolicyInterface
	}
	return mdbus.ServiceZoneInterface
}

// configCall calls a method of the permanent configuration object of t.
func (d DaemonRules) configCall(ctx context.Context, t firewalld.Scope, method, rule string, out ...any) error {
	find, iface := "getZoneByName", mdbus.ServiceConfigZoneInterface
	if t.Policy {
		find, iface = "getPolicyByName", mdbus.ServiceConfigPolicyInterface
	}
	var path godbus.ObjectPath
	if err := d.call(ctx, mdbus.ServiceConfigPath, mdbus.ServiceConfigInterface+"."+find, []any{t.Name}, &path); err != nil {
		return err
	}
	return d.call(ctx, path, iface+"."+method, []any{rule}, out...)
}

// call calls mssclampd; NoAutoStart, as the command-line client does.
func (d DaemonRules) call(ctx context.Context, path godbus.ObjectPath, method string, args []any, out ...any) error {
	c := d.Conn.Object(mdbus.ServiceName, path).CallWithContext(ctx, method, godbus.FlagNoAutoStart, args...)
	if c.Err != nil {
		var de godbus.Error
		if errors.As(c.Err, &de) && len(de.Body) > 0 {
			if text, ok := de.Body[0].(string); ok {
				return fmt.Errorf("mssclampd %s: %s", method, text)
			}
		}
		return fmt.Errorf("mssclampd %s: %w", method, c.Err)
	}
	if len(out) == 0 {
		return nil
	}
	return c.Store(out...)
}
