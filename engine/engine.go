package engine

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// StandaloneDefaultZone catches every packet no binding claims when no
// firewalld tells us otherwise — the embedded default.
const StandaloneDefaultZone = "public"

// Env says which zones, bindings, policies and ipsets exist right now.
type Env interface {
	Name() string
	Topology(ctx context.Context) (*firewalld.Topology, error)
}

// Listener hears about changes, to emit them as D-Bus signals. It is called
// after the change is in the kernel, never with the engine's lock held.
type Listener interface {
	RuleAdded(s firewalld.Scope, rule string, timeout time.Duration)
	RuleRemoved(s firewalld.Scope, rule string)
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
	topo      *firewalld.Topology
	runtime   map[firewalld.Scope][]*entry
	permanent *store.Config
	broken    map[firewalld.Scope]*store.FileError // permanent files that did not load
	excluded  map[string]string                    // rule ID -> why the kernel does not hold it
	compiler  backend.Compiler                     // remembers unchanged zones between changes
	waiting   map[firewalld.Scope]bool             // scopes with rules the environment lacks, as last logged
	events    []func()                             // listener calls queued under the lock
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
		runtime:  map[firewalld.Scope][]*entry{},
		broken:   map[firewalld.Scope]*store.FileError{},
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
		e.topo = e.permanent.Topology(StandaloneDefaultZone)
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
	waiting := map[firewalld.Scope]bool{}
	for s, list := range e.runtime {
		if !e.topo.Has(s) {
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

// compile builds the Ruleset, leaving out rules that cannot compile and
// logging each once. When must is set and is one of them, compile fails
// with its diagnostic instead.
func (e *Engine) compile(must *entry) (*backend.Ruleset, error) {
	rules := make(backend.Rules, len(e.runtime))
	for s, list := range e.runtime {
		out := make([]*richrule.Rule, len(list))
		for i, en := range list {
			out[i] = en.rule
		}
		rules[s] = out
	}
	rs, diags, err := e.compiler.Compile(e.topo, rules)
	if err != nil {
		return nil, fmt.Errorf("compiling the ruleset: %w", err)
	}
	excluded := make(map[string]string, len(diags))
	for _, d := range diags {
		if must != nil && d.Rule == must.rule.String() {
			return nil, d
		}
		id := d.Scope.String() + "\n" + d.Rule
		if e.excluded[id] != d.Err.Error() {
			e.log.Error("rule not applied", "scope", d.Scope.String(), "rule", d.Rule, "err", d.Err)
		}
		excluded[id] = d.Err.Error()
	}
	for id := range e.excluded {
		if _, still := excluded[id]; !still {
			e.log.Info("rule applied again", "rule", id)
		}
	}
	e.excluded = excluded
	return rs, nil
}
