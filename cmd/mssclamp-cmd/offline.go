package main

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/firewalld-mssclamp/mssclamp/backend/nft"
	"github.com/firewalld-mssclamp/mssclamp/engine"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/migrate"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// machine is what offline mode reads besides mssclampd's own files: where
// firewalld keeps its configuration, which decides the zones and policies
// that exist and the default zone. --migrate-direct reads the same, and
// direct.xml, when firewalld is not running. Tests point it elsewhere.
type machine struct {
	firewalldConf string // firewalld.conf: DefaultZone, FirewallBackend
	// firewalldDirs are firewalld's configuration trees, each with zones/
	// and policies/: the system one first, the administrator's last (it
	// also holds firewalld.conf and direct.xml).
	firewalldDirs []string
	directFile    string // firewalld's permanent direct configuration
	// kernelHasNftables answers backend selection's last question.
	kernelHasNftables func() bool
}

var defaultMachine = machine{
	firewalldConf:     firewalld.DefaultConf,
	firewalldDirs:     []string{"/usr/lib/firewalld", "/etc/firewalld"},
	directFile:        migrate.DefaultDirectFile,
	kernelHasNftables: nft.KernelHasNftables,
}

// offlineHost edits mssclampd's permanent files directly, as
// firewall-offline-cmd edits firewalld's: the zone or policy is read once,
// every rule of the command is applied to it in memory, and commit writes
// it back once (through the store, atomically). Only tcp-mss-clamp rules
// live here; firewalld's own rules are firewall-offline-cmd's business.
//
// A zone exists when mssclampd has a file for it, firewalld has one (in
// /usr/lib/firewalld or /etc/firewalld), or it is the default zone; a
// policy likewise. This is the set of zones mssclampd can meet at runtime,
// with firewalld or without it.
type offlineHost struct {
	st          *store.Store
	m           machine
	defaultName string

	cfg     *store.Config   // the file being edited
	scope   firewalld.Scope // its zone or policy
	rules   []*richrule.Rule
	changed bool
}

func newOfflineHost(dir string, m machine) (*offlineHost, error) {
	h := &offlineHost{st: store.Open(dir), m: m, defaultName: engine.StandaloneDefaultZone}
	conf, err := firewalld.ReadConf(m.firewalldConf)
	if err != nil {
		return nil, firewalld.Errorf(firewalld.CommandFailed, "%v", err)
	}
	if z := conf["DefaultZone"]; z != "" {
		h.defaultName = z
	}
	return h, nil
}

func (h *offlineHost) defaultZone(context.Context) (string, error) { return h.defaultName, nil }

// open reads t's zone or policy for editing. Unknown names fail as
// firewall-offline-cmd's lookups do, with the name of the function that
// failed in the text, which is what firewall-offline-cmd prints.
func (h *offlineHost) open(t target) error {
	if t.Policy {
		if firewalld.ValidPolicyName(t.Name) != nil {
			return firewalld.Errorf(firewalld.InvalidPolicy, "get_policy_object(): %s", t.Name)
		}
		p, err := h.st.LoadPolicy(t.Name)
		switch {
		case err == nil:
		case errors.Is(err, fs.ErrNotExist) && h.firewalldHas("policies", t.Name):
			p = &store.Policy{Name: t.Name, Priority: store.DefaultPriority}
		case errors.Is(err, fs.ErrNotExist):
			return firewalld.Errorf(firewalld.InvalidPolicy, "get_policy_object(): %s", t.Name)
		default:
			return firewalld.Errorf(firewalld.CommandFailed, "%v", err)
		}
		h.open1(t.Scope, &store.Config{Policies: []*store.Policy{p}})
		return nil
	}
	name := t.Name
	if name == "" {
		name = h.defaultName
	}
	if firewalld.ValidZoneName(name) != nil {
		return firewalld.Errorf(firewalld.InvalidZone, "get_zone(): %s", name)
	}
	z, err := h.st.LoadZone(name)
	switch {
	case err == nil:
	case errors.Is(err, fs.ErrNotExist) && (name == h.defaultName || h.firewalldHas("zones", name)):
		z = &store.Zone{Name: name}
	case errors.Is(err, fs.ErrNotExist):
		return firewalld.Errorf(firewalld.InvalidZone, "get_zone(): %s", name)
	default:
		return firewalld.Errorf(firewalld.CommandFailed, "%v", err)
	}
	h.open1(firewalld.ZoneScope(name), &store.Config{Zones: []*store.Zone{z}})
	return nil
}

func (h *offlineHost) open1(s firewalld.Scope, cfg *store.Config) {
	h.cfg, h.scope, h.rules = cfg, s, cfg.RulesOf(s)
}

// firewalldHas reports whether firewalld has a zone or policy file of that
// (valid) name; kind is "zones" or "policies".
func (h *offlineHost) firewalldHas(kind, name string) bool {
	for _, dir := range h.m.firewalldDirs {
		if _, err := os.Stat(filepath.Join(dir, kind, name+".xml")); err == nil {
			return true
		}
	}
	return false
}

func (h *offlineHost) setRules(rules []*richrule.Rule) {
	h.rules = rules
	h.changed = true
}

// ourRule refuses a rule that belongs to firewalld.
func ourRule(r ruleArg) error {
	if !r.ours() {
		return firewalld.Errorf(firewalld.InvalidRule, "'%s' has no tcp-mss-clamp element: it belongs to firewalld (use firewall-offline-cmd)", r.rule)
	}
	return nil
}

// add, remove and query word their warnings as firewall-offline-cmd does:
// the canonical rule alone.
func (h *offlineHost) add(_ context.Context, _ target, r ruleArg, _ int32) error {
	if err := ourRule(r); err != nil {
		return err
	}
	if slices.ContainsFunc(h.rules, r.rule.Equal) {
		return firewalld.Errorf(firewalld.AlreadyEnabled, "%s", r.rule)
	}
	h.setRules(append(slices.Clone(h.rules), r.rule))
	return nil
}

func (h *offlineHost) remove(_ context.Context, _ target, r ruleArg) error {
	if err := ourRule(r); err != nil {
		return err
	}
	i := slices.IndexFunc(h.rules, r.rule.Equal)
	if i < 0 {
		return firewalld.Errorf(firewalld.NotEnabled, "%s", r.rule)
	}
	h.setRules(slices.Delete(slices.Clone(h.rules), i, i+1))
	return nil
}

func (h *offlineHost) query(_ context.Context, _ target, r ruleArg) (bool, error) {
	if err := ourRule(r); err != nil {
		return false, err
	}
	return slices.ContainsFunc(h.rules, r.rule.Equal), nil
}

func (h *offlineHost) list(context.Context, target, bool) ([]listed, error) {
	var out []listed
	for _, r := range h.rules {
		out = append(out, listed{rule: r.String(), owner: ownerOurs})
	}
	return out, nil
}

func (h *offlineHost) check(context.Context, target) error { return nil }

// commit writes what changed.
func (h *offlineHost) commit() error {
	if !h.changed {
		return nil
	}
	if err := h.st.SaveRules(h.cfg, h.scope, h.rules); err != nil {
		return firewalld.Errorf(firewalld.CommandFailed, "%v", err)
	}
	return nil
}
