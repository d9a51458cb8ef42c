package dbus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/engine"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// fakeCore behaves like engine.Engine as far as the service can tell, without
// a kernel: zones "public" (the default), "internal" and "my-zone", policy
// "allow-out"; a rule is any text, "bad…" is INVALID_RULE, "broken…" fails
// without a code. Like the engine, it tells its listener after unlocking.
type fakeCore struct {
	mu        sync.Mutex
	listener  engine.Listener
	mode      string
	runtime   map[firewalld.Scope][]string
	timeouts  map[string]time.Duration // target/rule -> timeout of the last add
	permanent map[firewalld.Scope][]string
	calls     []string
}

const fakeDefaultZone = "public"

var (
	fakeZones    = []string{"internal", "my-zone", "public"}
	fakePolicies = []string{"allow-out"}
)

func newFakeCore() *fakeCore {
	return &fakeCore{
		mode:      "standalone",
		runtime:   map[firewalld.Scope][]string{},
		timeouts:  map[string]time.Duration{},
		permanent: map[firewalld.Scope][]string{},
	}
}

func fakeErr(code firewalld.Code, format string, args ...any) error {
	return &firewalld.Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// resolve returns the target with the default zone filled in, or the
// engine's INVALID_ZONE / INVALID_POLICY / INVALID_RULE.
func (f *fakeCore) resolve(t firewalld.Scope, rule *string) (firewalld.Scope, error) {
	if t.Policy {
		if !slices.Contains(fakePolicies, t.Name) {
			return t, fakeErr(firewalld.InvalidPolicy, "%s", t.Name)
		}
	} else {
		if t.Name == "" {
			t.Name = fakeDefaultZone
		}
		if !slices.Contains(fakeZones, t.Name) {
			return t, fakeErr(firewalld.InvalidZone, "%s", t.Name)
		}
	}
	switch {
	case rule == nil:
	case strings.HasPrefix(*rule, "bad"):
		return t, fakeErr(firewalld.InvalidRule, "'%s' is not a rule", *rule)
	case strings.HasPrefix(*rule, "broken"):
		return t, errors.New("the kernel said no")
	}
	return t, nil
}

func (f *fakeCore) record(format string, args ...any) {
	for i, a := range args {
		if s, ok := a.(firewalld.Scope); ok {
			args[i] = struct { // as the calls are written: {false internal}
				policy bool
				name   string
			}{s.Policy, s.Name}
		}
	}
	f.calls = append(f.calls, fmt.Sprintf(format, args...))
}

// Calls returns and forgets the calls made so far.
func (f *fakeCore) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.calls
	f.calls = nil
	return c
}

func (f *fakeCore) notify(ev func(engine.Listener)) {
	if f.listener != nil {
		ev(f.listener)
	}
}

func scopeOf(t firewalld.Scope) firewalld.Scope {
	return firewalld.Scope{Policy: t.Policy, Name: t.Name}
}

func (f *fakeCore) AddRule(_ context.Context, t firewalld.Scope, rule string, timeout time.Duration) (string, error) {
	f.mu.Lock()
	f.record("AddRule %v %q %v", t, rule, timeout)
	t, err := f.resolve(t, &rule)
	if err == nil && slices.Contains(f.runtime[t], rule) {
		err = fakeErr(firewalld.AlreadyEnabled, "'%s' already in '%s'", rule, t.Name)
	}
	if err != nil {
		f.mu.Unlock()
		return "", err
	}
	f.runtime[t] = append(f.runtime[t], rule)
	f.timeouts[t.Name+"/"+rule] = timeout
	f.mu.Unlock()
	f.notify(func(l engine.Listener) { l.RuleAdded(scopeOf(t), rule, timeout) })
	return t.Name, nil
}

func (f *fakeCore) RemoveRule(_ context.Context, t firewalld.Scope, rule string) (string, error) {
	f.mu.Lock()
	f.record("RemoveRule %v %q", t, rule)
	t, err := f.resolve(t, &rule)
	i := slices.Index(f.runtime[t], rule)
	if err == nil && i < 0 {
		err = fakeErr(firewalld.NotEnabled, "'%s' not in '%s'", rule, t.Name)
	}
	if err != nil {
		f.mu.Unlock()
		return "", err
	}
	f.runtime[t] = slices.Delete(f.runtime[t], i, i+1)
	f.mu.Unlock()
	f.notify(func(l engine.Listener) { l.RuleRemoved(scopeOf(t), rule) })
	return t.Name, nil
}

func (f *fakeCore) QueryRule(_ context.Context, t firewalld.Scope, rule string) (bool, error) {
	return f.query("QueryRule", false, t, rule)
}

func (f *fakeCore) Rules(_ context.Context, t firewalld.Scope) ([]string, error) {
	return f.list("Rules", false, t)
}

// Counters counts 10*(i+1) packets and 1000*(i+1) bytes for the i-th rule.
func (f *fakeCore) Counters(_ context.Context, t firewalld.Scope) ([]engine.RuleCounter, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("Counters %v", t)
	t, err := f.resolve(t, nil)
	if err != nil {
		return nil, err
	}
	out := []engine.RuleCounter{}
	for i, r := range f.runtime[t] {
		n := uint64(i + 1)
		out = append(out, engine.RuleCounter{Rule: r, Counter: backend.Counter{Packets: 10 * n, Bytes: 1000 * n}})
	}
	return out, nil
}

func (f *fakeCore) AddPermanentRule(_ context.Context, t firewalld.Scope, rule string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("AddPermanentRule %v %q", t, rule)
	t, err := f.resolve(t, &rule)
	if err == nil && slices.Contains(f.permanent[t], rule) {
		err = fakeErr(firewalld.AlreadyEnabled, "'%s' already in '%s'", rule, t.Name)
	}
	if err != nil {
		return "", err
	}
	f.permanent[t] = append(f.permanent[t], rule)
	return t.Name, nil
}

func (f *fakeCore) RemovePermanentRule(_ context.Context, t firewalld.Scope, rule string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RemovePermanentRule %v %q", t, rule)
	t, err := f.resolve(t, &rule)
	i := slices.Index(f.permanent[t], rule)
	if err == nil && i < 0 {
		err = fakeErr(firewalld.NotEnabled, "'%s' not in '%s'", rule, t.Name)
	}
	if err != nil {
		return "", err
	}
	f.permanent[t] = slices.Delete(f.permanent[t], i, i+1)
	return t.Name, nil
}

func (f *fakeCore) QueryPermanentRule(_ context.Context, t firewalld.Scope, rule string) (bool, error) {
	return f.query("QueryPermanentRule", true, t, rule)
}

func (f *fakeCore) PermanentRules(_ context.Context, t firewalld.Scope) ([]string, error) {
	return f.list("PermanentRules", true, t)
}

func (f *fakeCore) Reload(context.Context) error {
	f.mu.Lock()
	f.record("Reload")
	f.runtime = map[firewalld.Scope][]string{}
	for t, rules := range f.permanent {
		f.runtime[t] = append([]string{}, rules...)
	}
	f.mu.Unlock()
	f.notify(func(l engine.Listener) { l.Reloaded() })
	return nil
}

func (f *fakeCore) RuntimeToPermanent(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.record("RuntimeToPermanent")
	f.permanent = map[firewalld.Scope][]string{}
	for t, rules := range f.runtime {
		for _, r := range rules {
			if f.timeouts[t.Name+"/"+r] == 0 {
				f.permanent[t] = append(f.permanent[t], r)
			}
		}
	}
	return nil
}

func (f *fakeCore) DefaultZone() string { return fakeDefaultZone }
func (f *fakeCore) Zones() []string     { return slices.Clone(fakeZones) }
func (f *fakeCore) Policies() []string  { return slices.Clone(fakePolicies) }

func (f *fakeCore) Mode() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.mode
}

func (f *fakeCore) setMode(m string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.mode = m
}

func (f *fakeCore) Dump(context.Context) (string, error) {
	return "table inet mssclamp {\n}\n", nil
}

func zone(name string) firewalld.Scope { return firewalld.Scope{Name: name} }

// seed gives a zone or policy rules at runtime and in the permanent
// configuration, under the lock: handlers may already run.
func (f *fakeCore) seed(t firewalld.Scope, runtime, permanent []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.runtime[t] = runtime
	f.permanent[t] = permanent
}

// query and list serve the runtime and the permanent rules alike.
func (f *fakeCore) query(op string, permanent bool, t firewalld.Scope, rule string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rules := f.rules(permanent)
	f.record(op+" %v %q", t, rule)
	t, err := f.resolve(t, &rule)
	return err == nil && slices.Contains(rules[t], rule), err
}

func (f *fakeCore) list(op string, permanent bool, t firewalld.Scope) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	rules := f.rules(permanent)
	f.record(op+" %v", t)
	t, err := f.resolve(t, nil)
	if err != nil {
		return nil, err
	}
	return append([]string{}, rules[t]...), nil
}

func (f *fakeCore) rules(permanent bool) map[firewalld.Scope][]string {
	if permanent {
		return f.permanent
	}
	return f.runtime
}
