package engine

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// StandaloneDefaultZone catches every packet no binding claims when no
// firewalld tells us otherwise — the embedded default.
const StandaloneDefaultZone = "public"

// Env says which zones, bindings, policies and ipsets exist right now. The
// rules in the returned Input are ignored.
type Env interface {
	Name() string
	Topology(ctx context.Context) (*backend.Input, error)
}

// Listener hears about changes, to emit them as D-Bus signals. It is called
// after the change is in the kernel, never with the engine's lock held.
type Listener interface {
	RuleAdded(s backend.Scope, rule string, timeout time.Duration)
	RuleRemoved(s backend.Scope, rule string)
	Reloaded()
}

// Config wires an Engine.
type Config struct {
	Backend  backend.Backend
	Store    *store.Store
	Log      *slog.Logger
	Listener Listener // may be nil
}

// Engine is the daemon's state. All methods are safe for concurrent use:
// one lock serialises every change, so concurrent clients see the same
// order the kernel does.
type Engine struct {
	backend  backend.Backend
	store    *store.Store
	log      *slog.Logger
	listener Listener

	mu        sync.Mutex
	env       Env // nil: standalone
	topo      *backend.Input
	runtime   map[backend.Scope][]*entry
	permanent *store.Config
	broken    map[backend.Scope]*store.FileError // permanent files that did not load
	excluded  map[string]string                  // rule ID -> why the kernel does not hold it
	compiler  backend.Compiler                   // remembers unchanged zones between changes
	waiting   map[backend.Scope]bool             // scopes with rules the environment lacks, as last logged
	events    []func()                           // listener calls queued under the lock
}

// entry is one runtime rule.
type entry struct {
	rule    *richrule.Rule
	key     string
	timeout time.Duration
	timer   *time.Timer
}

// New returns an Engine that has not touched the kernel yet; call Start.
func New(cfg Config) *Engine {
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Engine{
		backend:  cfg.Backend,
		store:    cfg.Store,
		log:      log,
		listener: cfg.Listener,
		runtime:  map[backend.Scope][]*entry{},
		broken:   map[backend.Scope]*store.FileError{},
		excluded: map[string]string{},
	}
}

// Start loads the permanent configuration into the runtime and makes the
// kernel equal it, removing whatever a previous run left behind. env is nil
// for standalone operation.
func (e *Engine) Start(ctx context.Context, env Env) error {
	e.mu.Lock()
	defer e.unlock()
	e.env = env
	e.loadPermanent()
	e.runtimeFromPermanent(nil)
	if err := e.refreshTopology(ctx); err != nil {
		return err
	}
	return e.apply(ctx)
}

// SetEnv switches between firewalld and standalone (env nil) and re-applies;
// it is how the daemon follows firewalld starting and stopping.
func (e *Engine) SetEnv(ctx context.Context, env Env) error {
	e.mu.Lock()
	defer e.unlock()
	e.env = env
	if err := e.refreshTopology(ctx); err != nil {
		return err
	}
	return e.apply(ctx)
}

// Resync takes a fresh look at the environment (zones, bindings, policies,
// ipsets) and makes the kernel follow; the daemon calls it for every
// firewalld signal, including Reloaded (firewalld's iptables backend wipes
// every table on reload, ours included).
func (e *Engine) Resync(ctx context.Context) error {
	e.mu.Lock()
	defer e.unlock()
	if err := e.refreshTopology(ctx); err != nil {
		return err
	}
	return e.apply(ctx)
}

// Mode names the current environment: "firewalld" or "standalone".
func (e *Engine) Mode() string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.envName()
}

// Shutdown stops timers and, when cleanup is set (firewalld's CleanupOnExit),
// removes our kernel objects.
func (e *Engine) Shutdown(ctx context.Context, cleanup bool) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, list := range e.runtime {
		for _, en := range list {
			if en.timer != nil {
				en.timer.Stop()
			}
		}
	}
	if !cleanup {
		return nil
	}
	if err := e.backend.Flush(ctx); err != nil {
		return fmt.Errorf("removing our kernel objects: %w", err)
	}
	return nil
}

// unlock releases the lock and then tells the listener what happened, so a
// listener may call back into the engine.
func (e *Engine) unlock() {
	events := e.events
	e.events = nil
	e.mu.Unlock()
	for _, ev := range events {
		ev()
	}
}

func (e *Engine) emit(ev func(l Listener)) {
	if e.listener != nil {
		l := e.listener
		e.events = append(e.events, func() { ev(l) })
	}
}

// refreshTopology asks the environment what exists now. Standalone, it is
// our own permanent configuration.
func (e *Engine) refreshTopology(ctx context.Context) error {
	if e.env == nil {
		e.topo = standaloneTopology(e.permanent)
		e.noteWaiting()
		return nil
	}
	topo, err := e.env.Topology(ctx)
	if err != nil {
		return fmt.Errorf("reading zones from %s: %w", e.env.Name(), err)
	}
	e.topo = topo
	e.noteWaiting()
	return nil
}

// noteWaiting logs the scopes whose rules the kernel cannot hold because
// the environment has no such zone or policy (yet): they apply as soon as
// it does.
func (e *Engine) noteWaiting() {
	known := map[backend.Scope]bool{}
	for _, z := range e.topo.Zones {
		known[backend.Scope{Name: z.Name}] = true
	}
	for _, p := range e.topo.Policies {
		known[backend.Scope{Policy: true, Name: p.Name}] = true
	}
	waiting := map[backend.Scope]bool{}
	for s, list := range e.runtime {
		if !known[s] {
			waiting[s] = true
			if !e.waiting[s] {
				e.log.Warn("rules wait for a zone or policy that does not exist", "scope", s.String(), "rules", len(list), "env", e.envName())
			}
		}
	}
	e.waiting = waiting
}

func (e *Engine) envName() string {
	if e.env == nil {
		return "standalone"
	}
	return e.env.Name()
}

// apply compiles the desired state and makes the kernel hold it. A rule the
// compiler cannot place (its ipset vanished, say) is left out and reported,
// rather than holding every other rule hostage.
func (e *Engine) apply(ctx context.Context) error {
	rs, err := e.compile(nil)
	if err != nil {
		return err
	}
	if err := e.backend.Apply(ctx, rs); err != nil {
		return fmt.Errorf("applying the ruleset: %w", err)
	}
	return nil
}

// compile builds the Ruleset, leaving out rules that cannot compile. When
// must is set and is one of them, compile fails with its error instead.
func (e *Engine) compile(must *entry) (*backend.Ruleset, error) {
	skip := map[string]bool{}
	for {
		rs, err := e.compiler.Compile(e.input(skip))
		var re *backend.RuleError
		if err == nil {
			e.noteExcluded(skip)
			return rs, nil
		}
		if !errors.As(err, &re) {
			return nil, fmt.Errorf("compiling the ruleset: %w", err)
		}
		if must != nil && re.Rule == must.rule.String() {
			return nil, re
		}
		id := re.Scope.String() + "\n" + re.Rule
		if skip[id] {
			return nil, fmt.Errorf("compiling the ruleset: %w", err)
		}
		skip[id] = true
		if e.excluded[id] != re.Err.Error() {
			e.log.Error("rule not applied", "scope", re.Scope.String(), "rule", re.Rule, "err", re.Err)
		}
		e.excluded[id] = re.Err.Error()
	}
}

// noteExcluded forgets exclusions that no longer happen, logging recoveries.
func (e *Engine) noteExcluded(skip map[string]bool) {
	for id := range e.excluded {
		if !skip[id] {
			delete(e.excluded, id)
			e.log.Info("rule applied again", "rule", id)
		}
	}
}

// input is the topology with our runtime rules for the zones and policies
// that exist; rules of scopes the environment does not know wait until it
// does.
func (e *Engine) input(skip map[string]bool) *backend.Input {
	in := &backend.Input{
		DefaultZone: e.topo.DefaultZone,
		IPSets:      e.topo.IPSets,
		Zones:       make([]backend.Zone, len(e.topo.Zones)),
		Policies:    make([]backend.Policy, len(e.topo.Policies)),
	}
	rules := func(s backend.Scope) []*richrule.Rule {
		list := e.runtime[s]
		out := make([]*richrule.Rule, 0, len(list))
		for _, en := range list {
			// Printing every rule for the lookup costs more than the rest
			// of input together; nearly always there is nothing to skip.
			if len(skip) == 0 || !skip[s.String()+"\n"+en.rule.String()] {
				out = append(out, en.rule)
			}
		}
		return out
	}
	for i, z := range e.topo.Zones {
		z.Rules = rules(backend.Scope{Name: z.Name})
		in.Zones[i] = z
	}
	for i, p := range e.topo.Policies {
		p.Rules = rules(backend.Scope{Policy: true, Name: p.Name})
		in.Policies[i] = p
	}
	return in
}
