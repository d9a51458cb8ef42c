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
	for s := range e.permanent.Rules() {
		scopes[s] = true
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
	return e.editPermanent(ctx, t, text, func(s firewalld.Scope, rule *richrule.Rule, rules []*richrule.Rule) ([]*richrule.Rule, error) {
		if slices.ContainsFunc(rules, rule.Equal) {
			return nil, errorf(firewalld.AlreadyEnabled, "'%s' already in '%s'", rule, s.Name)
		}
		return append(rules, rule), nil
	})
}

// RemovePermanentRule removes a rule from the permanent configuration only.
func (e *Engine) RemovePermanentRule(ctx context.Context, t firewalld.Scope, text string) (string, error) {
	return e.editPermanent(ctx, t, text, func(s firewalld.Scope, rule *richrule.Rule, rules []*richrule.Rule) ([]*richrule.Rule, error) {
		i := slices.IndexFunc(rules, rule.Equal)
		if i < 0 {
			return nil, errorf(firewalld.NotEnabled, "'%s' not in '%s'", rule, s.Name)
		}
		return slices.Delete(rules, i, i+1), nil
	})
}

// editPermanent changes t's permanent rules through edit and returns the
// zone or policy it changed.
func (e *Engine) editPermanent(ctx context.Context, t firewalld.Scope, text string,
	edit func(firewalld.Scope, *richrule.Rule, []*richrule.Rule) ([]*richrule.Rule, error)) (string, error) {
	known := e.permanentlyKnown(ctx, t)
	e.mu.Lock()
	defer e.unlock()
	s, rule, err := e.resolvePermanent(t, known, text)
	if err != nil {
		return "", err
	}
	return s.Name, e.savePermanent(s, func(rules []*richrule.Rule) ([]*richrule.Rule, error) { return edit(s, rule, rules) })
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
	return slices.ContainsFunc(e.permanent.RulesOf(s), rule.Equal), nil
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
	for _, r := range e.permanent.RulesOf(s) {
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
	rules, err := edit(slices.Clone(e.permanent.RulesOf(s)))
	if err != nil {
		return err
	}
	if err := e.store.SaveRules(e.permanent, s, rules); err != nil {
		return errorf(firewalld.CommandFailed, "%v", err)
	}
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
		if prev != nil {
			e.permanent.Keep(s, prev)
		}
	}
}

// runtimeFromPermanent replaces the runtime with the permanent rules; scopes
// whose file is broken keep what old held for them.
func (e *Engine) runtimeFromPermanent(old map[firewalld.Scope][]*entry) {
	e.runtime = map[firewalld.Scope][]*entry{}
	for s, rules := range e.permanent.Rules() {
		for _, r := range rules {
			e.runtime[s] = append(e.runtime[s], &entry{rule: r, key: r.Key()})
		}
	}
	for s := range e.broken {
		if list, ok := old[s]; ok {
			e.runtime[s] = list
		}
	}
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
