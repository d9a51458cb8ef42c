package main

import (
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"

	"errors"
	"fmt"
	"slices"
	"syscall"

	"github.com/google/nftables"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/backend/ipt"
	"github.com/firewalld-mssclamp/mssclamp/backend/nft"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// offlineBackendRules is --offline --list-backend-rules: what mssclampd
// would install for the stored rules, running standalone — the zones,
// bindings and policies of its own files, the default zone catching the
// rest — rendered for the backend it would choose (or the one asked for).
//
// Like the daemon, it leaves out what cannot be used, saying so in a
// warning: a file that does not load, a rule that does not compile (an
// ipset, which only firewalld could describe).
func offlineBackendRules(dir, defaultZone, explicit string, m machine, warn func(string)) (backend.Kind, string, error) {
	sel, err := backend.Select(explicit, offlineProber{m})
	if err != nil {
		return "", "", firewalld.Errorf(firewalld.InvalidValue, "%v", err)
	}
	cfg, problems := store.Open(dir).Load()
	for _, fe := range problems {
		warn(fmt.Sprintf("Warning: %v (file left out)", fe))
	}
	in := standaloneInput(cfg, defaultZone)
	var rs *backend.Ruleset
	for {
		rs, err = backend.Compile(in)
		var re *backend.RuleError
		if !errors.As(err, &re) {
			break
		}
		warn(fmt.Sprintf("Warning: %v (rule left out)", re))
		if !dropRule(in, re) {
			break
		}
	}
	if err != nil {
		return "", "", firewalld.Errorf(firewalld.CommandFailed, "compiling the stored rules: %v", err)
	}
	if sel.Kind == backend.KindIptables {
		text, err := ipt.Render(rs)
		if err != nil {
			return "", "", firewalld.Errorf(firewalld.CommandFailed, "rendering for iptables: %v", err)
		}
		return sel.Kind, text, nil
	}
	return sel.Kind, nft.Render(rs), nil
}

// standaloneInput is the world mssclampd sees without firewalld: the zones
// and policies of its files, and the default zone, which always exists.
func standaloneInput(cfg *store.Config, defaultZone string) *backend.Input {
	in := &backend.Input{DefaultZone: defaultZone}
	for _, z := range cfg.Zones {
		in.Zones = append(in.Zones, backend.Zone{Name: z.Name, Interfaces: z.Interfaces, Sources: z.Sources, Rules: z.Rules})
	}
	if !slices.ContainsFunc(in.Zones, func(z backend.Zone) bool { return z.Name == defaultZone }) {
		in.Zones = append(in.Zones, backend.Zone{Name: defaultZone})
	}
	for _, p := range cfg.Policies {
		in.Policies = append(in.Policies, backend.Policy{Name: p.Name, Priority: p.Priority, Ingress: p.Ingress, Egress: p.Egress, Rules: p.Rules})
	}
	return in
}

// dropRule removes the rule a RuleError names from in; false when it is not
// there (the error would come back forever).
func dropRule(in *backend.Input, re *backend.RuleError) bool {
	drop := func(rules []*richrule.Rule) ([]*richrule.Rule, bool) {
		i := slices.IndexFunc(rules, func(r *richrule.Rule) bool { return r.String() == re.Rule })
		if i < 0 {
			return rules, false
		}
		return slices.Delete(slices.Clone(rules), i, i+1), true
	}
	var ok bool
	if re.Scope.Policy {
		for i := range in.Policies {
			if in.Policies[i].Name == re.Scope.Name {
				in.Policies[i].Rules, ok = drop(in.Policies[i].Rules)
			}
		}
	} else {
		for i := range in.Zones {
			if in.Zones[i].Name == re.Scope.Name {
				in.Zones[i].Rules, ok = drop(in.Zones[i].Rules)
			}
		}
	}
	return ok
}

// offlineProber answers backend selection without asking any daemon.
type offlineProber struct{ m machine }

func (offlineProber) RunningFirewalldBackend() (string, bool) { return "", false }

func (p offlineProber) ConfiguredFirewalldBackend() (string, bool) {
	conf, err := backend.ReadFirewalldConf(p.m.firewalldConf)
	if err != nil {
		return "", false
	}
	v, ok := conf["FirewallBackend"]
	return v, ok
}

func (p offlineProber) KernelHasNftables() bool { return p.m.kernelHasNftables() }

// kernelHasNftables asks the kernel for its nftables tables, as mssclampd
// does. Only root may ask; anyone else gets nftables, firewalld's default.
func kernelHasNftables() bool {
	c, err := nftables.New()
	if err != nil {
		return false
	}
	defer c.CloseLasting()
	_, err = c.ListTables()
	return err == nil || errors.Is(err, syscall.EPERM)
}
