package main

import (
	"slices"
	"strings"

	godbus "github.com/godbus/dbus/v5"
)

// What --migrate-direct asks a running firewalld besides rich rules: its
// direct interface (runtime and permanent, with firewalld 1.3.3's
// signatures and texts) and what dbus.Firewalld.Snapshot reads. The
// topology is fixed: zone public (the default, nothing bound) and zone
// internal (interface eth1), policy fwd from ANY to ANY, no ipsets.

// fwPassthrough is one element of getAllPassthroughs' a(sas).
type fwPassthrough struct {
	IPV  string
	Args []string
}

// fwDirectRule is one element of getAllRules' a(sssias).
type fwDirectRule struct {
	IPV, Table, Chain string
	Priority          int32
	Args              []string
}

// fakeDirect is the direct configuration, runtime or permanent.
type fakeDirect struct {
	passthroughs []fwPassthrough
	rules        []fwDirectRule
}

func (d fakeDirect) clone() fakeDirect {
	return fakeDirect{passthroughs: slices.Clone(d.passthroughs), rules: slices.Clone(d.rules)}
}

// addPassthrough puts a passthrough (the command line, split at blanks)
// in the runtime or permanent direct configuration, or both.
func (f *fakeFirewalld) addPassthrough(runtime, permanent bool, ipv, args string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := fwPassthrough{IPV: ipv, Args: strings.Fields(args)}
	if runtime {
		f.runtimeDirect.passthroughs = append(f.runtimeDirect.passthroughs, p)
	}
	if permanent {
		f.permanentDirect.passthroughs = append(f.permanentDirect.passthroughs, p)
	}
}

// addDirectRule puts a direct rule in the permanent direct configuration.
func (f *fakeFirewalld) addDirectRule(ipv, table, chain string, priority int32, args string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.permanentDirect.rules = append(f.permanentDirect.rules, fwDirectRule{ipv, table, chain, priority, strings.Fields(args)})
}

// passthroughs lists the runtime or permanent passthroughs as
// firewall-cmd --direct --get-all-passthroughs does.
func (f *fakeFirewalld) passthroughs(permanent bool) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	d := &f.runtimeDirect
	if permanent {
		d = &f.permanentDirect
	}
	var out []string
	for _, p := range d.passthroughs {
		out = append(out, p.IPV+" "+strings.Join(p.Args, " "))
	}
	return out
}

func (f *fakeFirewalld) snapshotExports() []fwExport {
	return []fwExport{
		{&fwDirect{f: f}, fwPath, fwName + ".direct"},
		{&fwDirect{f: f, permanent: true}, fwPath + "/config", fwName + ".config.direct"},
		{fwPolicy{}, fwPath, fwName + ".policy"},
		{fwConfigPolicy{}, fwPolicyConfigPath, fwName + ".config.policy"},
		{fwIPSet{}, fwPath, fwName + ".ipset"},
		{fwProperties{"state": "RUNNING", "version": "1.3.3"}, fwPath, "org.freedesktop.DBus.Properties"},
		{fwProperties{"FirewallBackend": "nftables"}, fwPath + "/config", "org.freedesktop.DBus.Properties"},
	}
}

// fwDirect is interface org.fedoraproject.FirewallD1.direct, or
// .config.direct on the permanent configuration.
type fwDirect struct {
	f         *fakeFirewalld
	permanent bool
}

func (d *fwDirect) config() *fakeDirect {
	if d.permanent {
		return &d.f.permanentDirect
	}
	return &d.f.runtimeDirect
}

func (d *fwDirect) GetAllPassthroughs() ([]fwPassthrough, *godbus.Error) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	return append([]fwPassthrough{}, d.config().passthroughs...), nil
}

func (d *fwDirect) AddPassthrough(ipv string, args []string) *godbus.Error {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	c := d.config()
	p := fwPassthrough{ipv, args}
	if slices.ContainsFunc(c.passthroughs, p.equal) {
		return fwErr("ALREADY_ENABLED: passthrough '%s', '%s'", ipv, strings.Join(args, " "))
	}
	c.passthroughs = append(c.passthroughs, p)
	return nil
}

func (d *fwDirect) RemovePassthrough(ipv string, args []string) *godbus.Error {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	c := d.config()
	p := fwPassthrough{ipv, args}
	i := slices.IndexFunc(c.passthroughs, p.equal)
	switch {
	case i < 0:
		return fwErr("NOT_ENABLED: passthrough '%s', '%s'", ipv, strings.Join(args, " "))
	case d.f.failRemove && !d.permanent:
		return fwErr("COMMAND_FAILED: '/usr/sbin/iptables-restore -w -n' failed: iptables-restore: line 2 failed")
	}
	c.passthroughs = slices.Delete(c.passthroughs, i, i+1)
	return nil
}

func (d *fwDirect) GetAllRules() ([]fwDirectRule, *godbus.Error) {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	return append([]fwDirectRule{}, d.config().rules...), nil
}

func (d *fwDirect) AddRule(ipv, table, chain string, priority int32, args []string) *godbus.Error {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	c := d.config()
	r := fwDirectRule{ipv, table, chain, priority, args}
	if slices.ContainsFunc(c.rules, r.equal) {
		return fwErr("ALREADY_ENABLED: rule '%s' already is in '%s:%s:%s'", strings.Join(args, " "), ipv, table, chain)
	}
	c.rules = append(c.rules, r)
	return nil
}

func (d *fwDirect) RemoveRule(ipv, table, chain string, priority int32, args []string) *godbus.Error {
	d.f.mu.Lock()
	defer d.f.mu.Unlock()
	c := d.config()
	r := fwDirectRule{ipv, table, chain, priority, args}
	i := slices.IndexFunc(c.rules, r.equal)
	if i < 0 {
		return fwErr("NOT_ENABLED: rule '%s' is not in '%s:%s:%s'", strings.Join(args, " "), ipv, table, chain)
	}
	c.rules = slices.Delete(c.rules, i, i+1)
	return nil
}

func (p fwPassthrough) equal(q fwPassthrough) bool {
	return p.IPV == q.IPV && slices.Equal(p.Args, q.Args)
}

func (r fwDirectRule) equal(q fwDirectRule) bool {
	return r.IPV == q.IPV && r.Table == q.Table && r.Chain == q.Chain && r.Priority == q.Priority && slices.Equal(r.Args, q.Args)
}

func (z *fwZone) GetZones() ([]string, *godbus.Error) {
	return slices.Clone(fakeFirewalldZones), nil
}

// GetActiveZones is a{sa{sas}}: the zones that bind something.
func (z *fwZone) GetActiveZones() (map[string]map[string][]string, *godbus.Error) {
	return map[string]map[string][]string{"internal": {"interfaces": {"eth1"}}}, nil
}

// fwPolicy is interface org.fedoraproject.FirewallD1.policy.
type fwPolicy struct{}

func (fwPolicy) GetPolicies() ([]string, *godbus.Error) { return []string{"fwd"}, nil }

func (fwPolicy) GetPolicySettings(name string) (map[string]godbus.Variant, *godbus.Error) {
	if name != "fwd" {
		return nil, fwErr("INVALID_POLICY: %s", name)
	}
	return fwdSettings(), nil
}

// fwPolicyConfigPath is the permanent configuration object of policy fwd.
const fwPolicyConfigPath = fwPath + "/config/policy/0"

func (fwConfig) GetPolicyByName(name string) (godbus.ObjectPath, *godbus.Error) {
	if name != "fwd" {
		return "", fwErr("INVALID_POLICY: %s", name)
	}
	return fwPolicyConfigPath, nil
}

// fwConfigPolicy is interface org.fedoraproject.FirewallD1.config.policy
// of policy fwd.
type fwConfigPolicy struct{}

func (fwConfigPolicy) GetSettings() (map[string]godbus.Variant, *godbus.Error) {
	return fwdSettings(), nil
}

// fwdSettings are policy fwd's a{sv}, without rich rules: none of
// firewalld's own.
func fwdSettings() map[string]godbus.Variant {
	return map[string]godbus.Variant{
		"priority":      godbus.MakeVariant(int32(-1)),
		"ingress_zones": godbus.MakeVariant([]string{"ANY"}),
		"egress_zones":  godbus.MakeVariant([]string{"ANY"}),
		"target":        godbus.MakeVariant("CONTINUE"),
	}
}

// fwIPSet is interface org.fedoraproject.FirewallD1.ipset, without ipsets.
type fwIPSet struct{}

func (fwIPSet) GetIPSets() ([]string, *godbus.Error) { return []string{}, nil }

// fwProperties is org.freedesktop.DBus.Properties of one object, for the
// string properties the snapshot reads.
type fwProperties map[string]string

func (p fwProperties) Get(iface, name string) (godbus.Variant, *godbus.Error) {
	v, ok := p[name]
	if !ok {
		return godbus.Variant{}, godbus.NewError("org.freedesktop.DBus.Error.InvalidArgs", []any{"no property " + name})
	}
	return godbus.MakeVariant(v), nil
}
