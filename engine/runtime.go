package engine

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// AddRule adds a runtime rule and returns the zone or policy it went to.
// timeout > 0 removes it again after that time (and tells the listener).
func (e *Engine) AddRule(ctx context.Context, t firewalld.Scope, text string, timeout time.Duration) (string, error) {
	e.mu.Lock()
	defer e.unlock()
	s, rule, err := e.resolve(t, text)
	if err != nil {
		return "", err
	}
	key := rule.Key()
	if e.find(s, key) >= 0 {
		return "", errorf(firewalld.AlreadyEnabled, "'%s' already in '%s'", rule, s.Name)
	}
	en := &entry{rule: rule, key: key, timeout: timeout}
	e.runtime[s] = append(e.runtime[s], en)
	if err := e.applyOrUndo(ctx, en, func() { e.drop(s, key) }); err != nil {
		return "", err
	}
	if timeout > 0 {
		en.timer = time.AfterFunc(timeout, func() { e.expire(s, en) })
	}
	canonical := rule.String()
	e.emit(func(l Listener) { l.RuleAdded(s, canonical, timeout) })
	return s.Name, nil
}

// RemoveRule removes a runtime rule and returns its zone or policy.
func (e *Engine) RemoveRule(ctx context.Context, t firewalld.Scope, text string) (string, error) {
	e.mu.Lock()
	defer e.unlock()
	s, rule, err := e.resolve(t, text)
	if err != nil {
		return "", err
	}
	i := e.find(s, rule.Key())
	if i < 0 {
		return "", errorf(firewalld.NotEnabled, "'%s' not in '%s'", rule, s.Name)
	}
	en := e.runtime[s][i]
	e.drop(s, en.key)
	if err := e.applyOrUndo(ctx, nil, func() { e.insert(s, i, en) }); err != nil {
		return "", err
	}
	if en.timer != nil {
		en.timer.Stop()
	}
	canonical := en.rule.String()
	e.emit(func(l Listener) { l.RuleRemoved(s, canonical) })
	return s.Name, nil
}

// QueryRule reports whether the runtime holds the rule.
func (e *Engine) QueryRule(_ context.Context, t firewalld.Scope, text string) (bool, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, rule, err := e.resolve(t, text)
	if err != nil {
		return false, err
	}
	return e.find(s, rule.Key()) >= 0, nil
}

// Rules lists a zone's or policy's runtime rules in canonical form, in the
// order they were added.
func (e *Engine) Rules(_ context.Context, t firewalld.Scope) ([]string, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	s, err := e.scope(t)
	if err != nil {
		return nil, err
	}
	out := []string{}
	for _, en := range e.runtime[s] {
		out = append(out, en.rule.String())
	}
	return out, nil
}

// RuleCounter is what the kernel counted for one runtime rule.
type RuleCounter struct {
	Rule string
	backend.Counter
}

// Counters reads the kernel counters of a zone's or policy's runtime rules.
// The kernel is read before taking the lock (the backend serialises its
// own calls); a rule added meanwhile counts zero.
func (e *Engine) Counters(ctx context.Context, t firewalld.Scope) ([]RuleCounter, error) {
	all, err := e.backend.Counters(ctx)
	e.mu.Lock()
	defer e.mu.Unlock()
	s, serr := e.scope(t)
	if serr != nil {
		return nil, serr
	}
	if err != nil {
		return nil, errorf(firewalld.CommandFailed, "reading counters: %v", err)
	}
	out := []RuleCounter{}
	for _, en := range e.runtime[s] {
		out = append(out, RuleCounter{Rule: en.rule.String(), Counter: all[backend.RuleID(s, en.rule)]})
	}
	return out, nil
}

// DefaultZone is the zone that catches unbound traffic.
func (e *Engine) DefaultZone() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.topo.DefaultZone
}

// applyOrUndo applies the changed state; if the compiler refuses the new
// entry or the kernel refuses the ruleset, undo restores the previous state,
// which the kernel still holds.
func (e *Engine) applyOrUndo(ctx context.Context, added *entry, undo func()) error {
	rs, err := e.compile(added)
	if err == nil {
		err = e.backend.Apply(ctx, rs)
		if err != nil {
			err = errorf(firewalld.CommandFailed, "%v", err)
		}
	} else {
		err = ruleError(err)
	}
	if err != nil {
		undo()
	}
	return err
}

// ruleError gives a compile error the firewalld code a client expects.
func ruleError(err error) error {
	var re *backend.Diagnostic
	if !errors.As(err, &re) {
		return errorf(firewalld.CommandFailed, "%v", err)
	}
	if errors.Is(err, backend.ErrPMTUToHost) {
		return errorf(firewalld.InvalidRule, "%v", re.Err)
	}
	return errorf(firewalld.InvalidRule, "%s", re.Err)
}

// expire removes a timed rule when its time is up.
func (e *Engine) expire(s firewalld.Scope, en *entry) {
	e.mu.Lock()
	defer e.unlock()
	i := slices.Index(e.runtime[s], en)
	if i < 0 {
		return // removed or reloaded meanwhile
	}
	e.drop(s, en.key)
	if err := e.apply(context.Background()); err != nil {
		e.log.Error("expiring rule", "scope", s.String(), "rule", en.rule.String(), "err", err)
		e.insert(s, i, en)
		return
	}
	e.log.Info("rule expired", "scope", s.String(), "rule", en.rule.String())
	canonical := en.rule.String()
	e.emit(func(l Listener) { l.RuleRemoved(s, canonical) })
}

// resolve parses a rule for a target, checking it is ours and may go there.
func (e *Engine) resolve(t firewalld.Scope, text string) (firewalld.Scope, *richrule.Rule, error) {
	return e.resolveIn(e.scope, t, text)
}

// resolveIn is resolve with the way the target's scope is found: the
// runtime's zones and policies, or (permanentScope) the permanent ones too.
func (e *Engine) resolveIn(scope func(firewalld.Scope) (firewalld.Scope, error), t firewalld.Scope, text string) (firewalld.Scope, *richrule.Rule, error) {
	s, err := scope(t)
	if err != nil {
		return s, nil, err
	}
	rule, err := parseClamp(text)
	if err != nil {
		return s, nil, err
	}
	if err := e.checkPolicyRule(s, rule); err != nil {
		return s, nil, err
	}
	return s, rule, nil
}

// checkPolicyRule refuses what a policy's ingress and egress make
// impossible (a pmtu clamp towards HOST, say).
func (e *Engine) checkPolicyRule(s firewalld.Scope, rule *richrule.Rule) error {
	if p := e.topo.Policy(s.Name); s.Policy && p != nil {
		if err := backend.CheckPolicyRule(p, rule); err != nil {
			return errorf(firewalld.InvalidRule, "%s: %v", rule, err)
		}
	}
	return nil
}

// parseClamp parses a rule and refuses those that are not tcp-mss-clamp.
func parseClamp(text string) (*richrule.Rule, error) {
	rule, err := richrule.Parse(text)
	if err != nil {
		return nil, err
	}
	if rule.Clamp() == nil {
		return nil, errorf(firewalld.InvalidRule, "'%s' has no tcp-mss-clamp element: it belongs to firewalld (use firewall-cmd)", rule)
	}
	return rule, nil
}

// scope resolves a target to a zone or policy that exists.
func (e *Engine) scope(t firewalld.Scope) (firewalld.Scope, error) {
	if !t.Policy && t.Name == "" {
		t.Name = e.topo.DefaultZone
	}
	switch {
	case e.topo.Has(t):
		return t, nil
	case t.Policy:
		return firewalld.Scope{}, errorf(firewalld.InvalidPolicy, "%s", t.Name)
	}
	return firewalld.Scope{}, errorf(firewalld.InvalidZone, "%s", t.Name)
}

func (e *Engine) find(s firewalld.Scope, key string) int {
	return slices.IndexFunc(e.runtime[s], func(en *entry) bool { return en.key == key })
}

func (e *Engine) drop(s firewalld.Scope, key string) {
	if i := e.find(s, key); i >= 0 {
		e.runtime[s] = slices.Delete(e.runtime[s], i, i+1)
	}
	if len(e.runtime[s]) == 0 {
		delete(e.runtime, s)
	}
}

func (e *Engine) insert(s firewalld.Scope, i int, en *entry) {
	e.runtime[s] = slices.Insert(e.runtime[s], min(i, len(e.runtime[s])), en)
}

// errorf makes an error with a firewalld code, the form clients understand.
func errorf(code firewalld.Code, format string, args ...any) error {
	return firewalld.Errorf(code, format, args...)
}

// Zones lists the zones that exist now.
func (e *Engine) Zones() []string { return e.names(false) }

// Policies lists the policies that exist now.
func (e *Engine) Policies() []string { return e.names(true) }

func (e *Engine) names(policies bool) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	if out := e.topo.Names(policies); out != nil {
		return out
	}
	return []string{}
}

// Dump describes what the kernel holds for us now, counters included. It
// takes no lock: the backend serialises its own calls.
func (e *Engine) Dump(ctx context.Context) (string, error) {
	return e.backend.Dump(ctx)
}
