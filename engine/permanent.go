package engine

import (
	"context"
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// Reload makes the runtime equal the permanent configuration: runtime-only
// and timed rules go, permanent ones come back. A permanent file that does
// not load is reported and its scope keeps its running rules — nothing is
// lost to a typo.
func (e *Engine) Reload(ctx context.Context) error {
	e.mu.Lock()
	defer e.unlock()
	e.loadPermanent()
	old := e.runtime
	e.runtimeFromPermanent(old)
	if err := e.refreshTopology(ctx); err != nil {
		e.runtime = old
		return err
	}
	if err := e.apply(ctx); err != nil {
		e.runtime = old
		return errorf(firewalld.CommandFailed, "%v", err)
	}
	for s, list := range old {
		for _, en := range list {
			if en.timer != nil && !slices.Contains(e.runtime[s], en) {
				en.timer.Stop()
			}
		}
	}
	e.emit(func(l Listener) { l.Reloaded() })
	return nil
}

// RuntimeToPermanent writes the runtime rules (not the timed ones: a timeout
// means "for now") into the permanent configuration.
func (e *Engine) RuntimeToPermanent(ctx context.Context) error {
	e.mu.Lock()
	defer e.unlock()
	scopes := map[firewalld.Scope]bool{}
	for s := range e.runtime {
		scopes[s] = true
	}
	for _, z := range e.permanent.Zones {
		scopes[firewalld.Scope{Name: z.Name}] = true
	}
	for _, p := range e.permanent.Policies {
		scopes[firewalld.Scope{Policy: true, Name: p.Name}] = true
	}
	var errs []error
	for s := range scopes {
		var rules []*richrule.Rule
		for _, en := range e.runtime[s] {
			if en.timeout == 0 {
				rules = append(rules, en.rule)
			}
		}
		if err := e.savePermanent(s, func([]*richrule.Rule) ([]*richrule.Rule, error) { return rules, nil }); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return errorf(firewalld.RTToPermFailed, "%v", errors.Join(errs...))
	}
	return nil
}

// AddPermanentRule adds a rule to the permanent configuration only.
func (e *Engine) AddPermanentRule(ctx context.Context, t firewalld.Scope, text string) (string, error) {
	known := e.permanentlyKnown(ctx, t)
	e.mu.Lock()
	defer e.unlock()
	s, rule, err := e.resolvePermanent(t, known, text)
	if err != nil {
		return "", err
	}
	return s.Name, e.savePermanent(s, func(rules []*richrule.Rule) ([]*richrule.Rule, error) {
		if slices.ContainsFunc(rules, rule.Equal) {
			return nil, errorf(firewalld.AlreadyEnabled, "'%s' already in '%s'", rule, s.Name)
		}
		return append(rules, rule), nil
	})
}

// RemovePermanentRule removes a rule from the permanent configuration only.
func (e *Engine) RemovePermanentRule(ctx context.Context, t firewalld.Scope, text string) (string, error) {
	known := e.permanentlyKnown(ctx, t)
	e.mu.Lock()
	defer e.unlock()
	s, rule, err := e.resolvePermanent(t, known, text)
	if err != nil {
		return "", err
	}
	return s.Name, e.savePermanent(s, func(rules []*richrule.Rule) ([]*richrule.Rule, error) {
		i := slices.IndexFunc(rules, rule.Equal)
		if i < 0 {
			return nil, errorf(firewalld.NotEnabled, "'%s' not in '%s'", rule, s.Name)
		}
		return slices.Delete(rules, i, i+1), nil
	})
}

// QueryPermanentRule reports whether the permanent configuration holds rule.
func (e *Engine) QueryPermanentRule(ctx context.Context, t firewalld.Scope, text string) (bool, error) {
	known := e.permanentlyKnown(ctx, t)
	e.mu.Lock()
	defer e.mu.Unlock()
	s, rule, err := e.resolvePermanent(t, known, text)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(e.permanentRules(s), rule.Equal), nil
}

// PermanentRules lists a scope's permanent rules in canonical form.
func (e *Engine) PermanentRules(ctx context.Context, t firewalld.Scope) ([]string, error) {
	known := e.permanentlyKnown(ctx, t)
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.permanentScope(t, known)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, r := range e.permanentRules(s) {
		out = append(out, r.String())
	}
	return out, nil
}

// Broken lists the permanent files that did not load, for the log and the CLI.
func (e *Engine) Broken() []*store.FileError {
	e.mu.Lock()
	defer e.mu.Unlock()
	var out []*store.FileError
	for _, fe := range e.broken {
		out = append(out, fe)
	}
	slices.SortFunc(out, func(a, b *store.FileError) int { return strings.Compare(a.Path, b.Path) })
	return out
}

// PermanentNamer is an Env whose permanent configuration can hold zones and
// policies its runtime does not have yet (firewalld's --permanent
// --new-zone, before a reload).
type PermanentNamer interface {
	PermanentNames(ctx context.Context) (zones, policies []string, err error)
}

// permanentlyKnown reports whether the environment has t permanently
// though its runtime lacks it (firewalld's --permanent --new-zone, before a
// reload). It asks the environment without holding the lock: the answer
// comes over D-Bus.
func (e *Engine) permanentlyKnown(ctx context.Context, t firewalld.Scope) bool {
	e.mu.Lock()
	_, err := e.scope(t)
	pn, ok := e.env.(PermanentNamer)
	e.mu.Unlock()
	if err == nil || t.Name == "" || !ok {
		return false
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	zones, policies, err := pn.PermanentNames(ctx)
	if err != nil {
		return false
	}
	if t.Policy {
		return slices.Contains(policies, t.Name)
	}
	return slices.Contains(zones, t.Name)
}

// permanentScope resolves a target for a permanent change: a zone or policy
// of the runtime, or one the environment has only permanently (known).
func (e *Engine) permanentScope(t firewalld.Scope, known bool) (firewalld.Scope, error) {
	s, err := e.scope(t)
	if err != nil && known {
		return t, nil
	}
	return s, err
}

// resolvePermanent is resolve for permanent changes.
func (e *Engine) resolvePermanent(t firewalld.Scope, known bool, text string) (firewalld.Scope, *richrule.Rule, error) {
	return e.resolveIn(func(t firewalld.Scope) (firewalld.Scope, error) { return e.permanentScope(t, known) }, t, text)
}

// savePermanent changes one scope's permanent rules through edit and writes
// the file, keeping whatever else it holds (bindings, descriptions). A scope
// whose file did not load is not written: that would destroy it.
func (e *Engine) savePermanent(s firewalld.Scope, edit func([]*richrule.Rule) ([]*richrule.Rule, error)) error {
	if fe, ok := e.broken[s]; ok {
		return errorf(firewalld.CommandFailed, "%s did not load (%v): fix or remove it first", fe.Path, fe.Err)
	}
	if s.Policy {
		p := e.permanentPolicy(s.Name)
		if p == nil {
			p = &store.Policy{Name: s.Name, Priority: store.DefaultPriority}
		}
		return saveEdited(p, func(p *store.Policy) *[]*richrule.Rule { return &p.Rules }, edit, e.store.SavePolicy, e.setPermanentPolicy)
	}
	z := e.permanentZone(s.Name)
	if z == nil {
		z = &store.Zone{Name: s.Name}
	}
	return saveEdited(z, func(z *store.Zone) *[]*richrule.Rule { return &z.Rules }, edit, e.store.SaveZone, e.setPermanentZone)
}

// saveEdited writes a copy of a zone or policy file with its rules edited,
// and keeps the copy as the permanent state once it is on disk.
func saveEdited[T any](cur *T, rules func(*T) *[]*richrule.Rule, edit func([]*richrule.Rule) ([]*richrule.Rule, error), save func(*T) error, keep func(*T)) error {
	next := *cur
	r := rules(&next)
	edited, err := edit(slices.Clone(*r))
	if err != nil {
		return err
	}
	*r = edited
	if err := save(&next); err != nil {
		return errorf(firewalld.CommandFailed, "%v", err)
	}
	keep(&next)
	return nil
}

// loadPermanent reads the store. Files that fail are remembered as broken,
// with their last good content (if any) kept in e.permanent.
func (e *Engine) loadPermanent() {
	cfg, errs := e.store.Load()
	prev := e.permanent
	e.permanent = cfg
	e.broken = map[firewalld.Scope]*store.FileError{}
	for _, fe := range errs {
		s, ok := scopeOfFile(fe.Path)
		if !ok {
			e.log.Error("permanent configuration", "err", fe)
			continue
		}
		e.log.Error("permanent file did not load; its zone or policy keeps its running rules", "file", fe.Path, "err", fe)
		e.broken[s] = fe
		if prev == nil {
			continue
		}
		if s.Policy {
			if p := findPolicy(prev, s.Name); p != nil {
				e.setPermanentPolicy(p)
			}
		} else if z := findZone(prev, s.Name); z != nil {
			e.setPermanentZone(z)
		}
	}
}

// runtimeFromPermanent replaces the runtime with the permanent rules; scopes
// whose file is broken keep what old held for them.
func (e *Engine) runtimeFromPermanent(old map[firewalld.Scope][]*entry) {
	e.runtime = map[firewalld.Scope][]*entry{}
	add := func(s firewalld.Scope, rules []*richrule.Rule) {
		for _, r := range rules {
			e.runtime[s] = append(e.runtime[s], &entry{rule: r, key: r.Key()})
		}
	}
	for _, z := range e.permanent.Zones {
		add(firewalld.Scope{Name: z.Name}, z.Rules)
	}
	for _, p := range e.permanent.Policies {
		add(firewalld.Scope{Policy: true, Name: p.Name}, p.Rules)
	}
	for s := range e.broken {
		if list, ok := old[s]; ok {
			e.runtime[s] = list
		}
	}
}

func (e *Engine) permanentRules(s firewalld.Scope) []*richrule.Rule {
	if s.Policy {
		if p := e.permanentPolicy(s.Name); p != nil {
			return p.Rules
		}
		return nil
	}
	if z := e.permanentZone(s.Name); z != nil {
		return z.Rules
	}
	return nil
}

func (e *Engine) permanentZone(name string) *store.Zone     { return findZone(e.permanent, name) }
func (e *Engine) permanentPolicy(name string) *store.Policy { return findPolicy(e.permanent, name) }

func (e *Engine) setPermanentZone(z *store.Zone) {
	e.permanent.Zones = upsert(e.permanent.Zones, z, func(o *store.Zone) bool { return o.Name == z.Name })
}

func (e *Engine) setPermanentPolicy(p *store.Policy) {
	e.permanent.Policies = upsert(e.permanent.Policies, p, func(o *store.Policy) bool { return o.Name == p.Name })
}

// upsert replaces the element same finds, or appends v.
func upsert[T any](list []T, v T, same func(T) bool) []T {
	if i := slices.IndexFunc(list, same); i >= 0 {
		list[i] = v
		return list
	}
	return append(list, v)
}

func findZone(cfg *store.Config, name string) *store.Zone {
	for _, z := range cfg.Zones {
		if z.Name == name {
			return z
		}
	}
	return nil
}

func findPolicy(cfg *store.Config, name string) *store.Policy {
	for _, p := range cfg.Policies {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// scopeOfFile maps ".../zones/NAME.xml" and ".../policies/NAME.xml" to
// their scope.
func scopeOfFile(path string) (firewalld.Scope, bool) {
	name, ok := strings.CutSuffix(filepath.Base(path), ".xml")
	if !ok {
		return firewalld.Scope{}, false
	}
	switch filepath.Base(filepath.Dir(path)) {
	case "zones":
		return firewalld.Scope{Name: name}, true
	case "policies":
		return firewalld.Scope{Policy: true, Name: name}, true
	}
	return firewalld.Scope{}, false
}
