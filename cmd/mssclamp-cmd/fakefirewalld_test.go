package main

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// fakeFirewalld answers the zone rich-rule methods of firewalld 1.3.3's
// D-Bus API (runtime and permanent) with firewalld's texts, for zones
// public (the default) and internal. The system tests hold it to the real
// firewalld: the same transcript runs against both. For --migrate-direct
// it also has a direct interface and what a snapshot reads (see
// fakefirewalld_direct_test.go).
type fakeFirewalld struct {
	mu        sync.Mutex
	runtime   map[string][]string // zone -> canonical rules
	permanent map[string][]string

	runtimeDirect, permanentDirect fakeDirect
	// failRemove makes removing a runtime passthrough fail, as firewalld
	// fails when its kernel rule was deleted behind its back.
	failRemove bool
}

var fakeFirewalldZones = []string{"public", "internal"}

const (
	fwName      = "org.fedoraproject.FirewallD1"
	fwPath      = godbus.ObjectPath("/org/fedoraproject/FirewallD1")
	fwException = "org.fedoraproject.FirewallD1.Exception"
)

func fwErr(format string, args ...any) *godbus.Error {
	return godbus.NewError(fwException, []any{fmt.Sprintf(format, args...)})
}

func startFakeFirewalld(t testing.TB, bus *systest.Bus) *fakeFirewalld {
	t.Helper()
	f := &fakeFirewalld{runtime: map[string][]string{}, permanent: map[string][]string{}}
	conn := bus.Conn(t)
	exports := []fwExport{
		{&fwMain{f}, fwPath, fwName},
		{&fwZone{f}, fwPath, fwName + ".zone"},
		{&fwConfig{}, fwPath + "/config", fwName + ".config"},
	}
	for i, z := range fakeFirewalldZones {
		exports = append(exports, fwExport{&fwConfigZone{f, z}, godbus.ObjectPath(fmt.Sprintf("%s/config/zone/%d", fwPath, i)), fwName + ".config.zone"})
	}
	exports = append(exports, f.snapshotExports()...)
	for _, e := range exports {
		if err := conn.ExportWithMap(e.v, lowerCamel(e.v), e.path, e.iface); err != nil {
			t.Fatal(err)
		}
	}
	requestName(t, conn, fwName)
	return f
}

// fwExport is one object and interface of the fake.
type fwExport struct {
	v     any
	path  godbus.ObjectPath
	iface string
}

// lowerCamel maps Go method names to firewalld's (AddRichRule -> addRichRule).
func lowerCamel(v any) map[string]string {
	m := map[string]string{}
	for _, name := range []string{"GetDefaultZone", "Reload", "RuntimeToPermanent", "AddRichRule", "RemoveRichRule",
		"QueryRichRule", "GetRichRules", "GetZoneByName", "GetZones", "GetActiveZones", "GetPolicies",
		"GetPolicySettings", "GetIPSets", "GetAllPassthroughs", "AddPassthrough", "RemovePassthrough",
		"GetAllRules", "AddRule", "RemoveRule", "GetPolicyByName", "GetSettings"} {
		m[name] = string(name[0]+'a'-'A') + name[1:]
	}
	return m
}

func (f *fakeFirewalld) zone(name string) (string, *godbus.Error) {
	if name == "" {
		name = "public"
	}
	if !slices.Contains(fakeFirewalldZones, name) {
		return "", fwErr("INVALID_ZONE: %s", name)
	}
	return name, nil
}

func canonical(rule string) (string, *godbus.Error) {
	r, err := richrule.Parse(rule)
	if err != nil {
		return "", fwErr("%v", err)
	}
	return r.String(), nil
}

// fwMain is interface org.fedoraproject.FirewallD1.
type fwMain struct{ f *fakeFirewalld }

func (m *fwMain) GetDefaultZone() (string, *godbus.Error) { return "public", nil }

func (m *fwMain) Reload() *godbus.Error {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	m.f.runtime = map[string][]string{}
	for z, rules := range m.f.permanent {
		m.f.runtime[z] = slices.Clone(rules)
	}
	m.f.runtimeDirect = m.f.permanentDirect.clone()
	return nil
}

func (m *fwMain) RuntimeToPermanent() *godbus.Error {
	m.f.mu.Lock()
	defer m.f.mu.Unlock()
	m.f.permanent = map[string][]string{}
	for z, rules := range m.f.runtime {
		m.f.permanent[z] = slices.Clone(rules)
	}
	return nil
}

// fwZone is interface org.fedoraproject.FirewallD1.zone: firewalld names the
// zone and quotes the canonical rule in its warnings.
type fwZone struct{ f *fakeFirewalld }

// rule runs op on zone's runtime rules, under the lock, with the zone's
// name and the rule in canonical form.
func (z *fwZone) rule(zone, rule string, op func(name, canon string) *godbus.Error) (string, *godbus.Error) {
	name, derr := z.f.zone(zone)
	if derr != nil {
		return "", derr
	}
	canon, derr := canonical(rule)
	if derr != nil {
		return "", derr
	}
	z.f.mu.Lock()
	defer z.f.mu.Unlock()
	return name, op(name, canon)
}

func (z *fwZone) AddRichRule(zone, rule string, timeout int32) (string, *godbus.Error) {
	return z.rule(zone, rule, func(name, canon string) *godbus.Error {
		if slices.Contains(z.f.runtime[name], canon) {
			return fwErr("ALREADY_ENABLED: '%s' already in '%s'", canon, name)
		}
		z.f.runtime[name] = append(z.f.runtime[name], canon)
		return nil
	})
}

func (z *fwZone) RemoveRichRule(zone, rule string) (string, *godbus.Error) {
	return z.rule(zone, rule, func(name, canon string) *godbus.Error {
		i := slices.Index(z.f.runtime[name], canon)
		if i < 0 {
			return fwErr("NOT_ENABLED: '%s' not in '%s'", canon, name)
		}
		z.f.runtime[name] = slices.Delete(z.f.runtime[name], i, i+1)
		return nil
	})
}

func (z *fwZone) QueryRichRule(zone, rule string) (bool, *godbus.Error) {
	found := false
	_, derr := z.rule(zone, rule, func(name, canon string) *godbus.Error {
		found = slices.Contains(z.f.runtime[name], canon)
		return nil
	})
	return found, derr
}

func (z *fwZone) GetRichRules(zone string) ([]string, *godbus.Error) {
	name, derr := z.f.zone(zone)
	if derr != nil {
		return nil, derr
	}
	z.f.mu.Lock()
	defer z.f.mu.Unlock()
	return append([]string{}, z.f.runtime[name]...), nil
}

// fwConfig is interface org.fedoraproject.FirewallD1.config.
type fwConfig struct{}

func (fwConfig) GetZoneByName(zone string) (godbus.ObjectPath, *godbus.Error) {
	i := slices.Index(fakeFirewalldZones, zone)
	if i < 0 {
		return "", fwErr("INVALID_ZONE: %s", zone)
	}
	return godbus.ObjectPath(fmt.Sprintf("%s/config/zone/%d", fwPath, i)), nil
}

// fwConfigZone is interface org.fedoraproject.FirewallD1.config.zone of one
// zone: firewalld's warnings there echo the rule as it was given.
type fwConfigZone struct {
	f    *fakeFirewalld
	name string
}

func (z *fwConfigZone) AddRichRule(rule string) *godbus.Error {
	canon, derr := canonical(rule)
	if derr != nil {
		return derr
	}
	z.f.mu.Lock()
	defer z.f.mu.Unlock()
	if slices.Contains(z.f.permanent[z.name], canon) {
		return fwErr("ALREADY_ENABLED: %s", rule)
	}
	z.f.permanent[z.name] = append(z.f.permanent[z.name], canon)
	return nil
}

func (z *fwConfigZone) RemoveRichRule(rule string) *godbus.Error {
	canon, derr := canonical(rule)
	if derr != nil {
		return derr
	}
	z.f.mu.Lock()
	defer z.f.mu.Unlock()
	i := slices.Index(z.f.permanent[z.name], canon)
	if i < 0 {
		return fwErr("NOT_ENABLED: %s", rule)
	}
	z.f.permanent[z.name] = slices.Delete(z.f.permanent[z.name], i, i+1)
	return nil
}

func (z *fwConfigZone) QueryRichRule(rule string) (bool, *godbus.Error) {
	canon, derr := canonical(rule)
	if derr != nil {
		return false, derr
	}
	z.f.mu.Lock()
	defer z.f.mu.Unlock()
	return slices.Contains(z.f.permanent[z.name], canon), nil
}

func (z *fwConfigZone) GetRichRules() ([]string, *godbus.Error) {
	z.f.mu.Lock()
	defer z.f.mu.Unlock()
	return append([]string{}, z.f.permanent[z.name]...), nil
}
