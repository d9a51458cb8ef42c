package main

import (
	"context"
	"log/slog"
	"time"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/engine"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// firewalldEnv is the engine's view of a running firewalld: its zones,
// bindings, policies and ipsets, read over D-Bus.
type firewalldEnv struct{ fw *mdbus.Firewalld }

func (firewalldEnv) Name() string { return "firewalld" }

func (e firewalldEnv) Topology(ctx context.Context) (*firewalld.Topology, error) {
	st, err := e.fw.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	return &st.Topology, nil
}

// PermanentNames lets permanent rules go to zones and policies firewalld
// has created permanently but not yet loaded.
func (e firewalldEnv) PermanentNames(ctx context.Context) ([]string, []string, error) {
	return e.fw.PermanentNames(ctx)
}

// currentEnv is firewalld when it runs, else nil (standalone).
func currentEnv(ctx context.Context, fw *mdbus.Firewalld) engine.Env {
	if fw == nil || !fw.Running(ctx) {
		return nil
	}
	return firewalldEnv{fw}
}

// drain collects the events already queued behind first: a burst of
// firewalld signals (a reload sends many) costs one resync.
func drain(first mdbus.Event, events <-chan mdbus.Event) []mdbus.Event {
	batch := []mdbus.Event{first}
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				return batch
			}
			batch = append(batch, ev)
		default:
			return batch
		}
	}
}

// follow brings the kernel back in line after firewalld changed: a start or
// restart switches us to firewalld's zones, a stop to our own, anything else
// (a reload, a binding, the default zone, an ipset entry) is a resync.
func follow(ctx context.Context, eng *engine.Engine, svc *mdbus.Service, fw *mdbus.Firewalld, batch []mdbus.Event, log *slog.Logger) {
	if permanentOnly(batch) {
		// firewalld emits these during every reload, before Reloaded, and
		// for every --permanent policy edit; its runtime changes only at
		// the next Reloaded. A resync now would wait for the reload to
		// finish and then do the Reloaded one's work twice.
		return
	}
	start := time.Now()
	kinds := make([]string, 0, len(batch))
	for _, ev := range batch {
		kinds = append(kinds, ev.Kind.String())
	}
	env := currentEnv(ctx, fw)
	var err error
	switch {
	case env == nil && eng.Mode() != "standalone":
		err = eng.SetEnv(ctx, nil)
		svc.ModeChanged()
	case env != nil && eng.Mode() == "standalone":
		err = eng.SetEnv(ctx, env)
		svc.ModeChanged()
	case env != nil:
		err = eng.Resync(ctx)
	default:
		return
	}
	if err != nil {
		log.Error("following firewalld", "events", kinds, "err", err)
		return
	}
	log.Info("followed firewalld", "events", kinds, "mode", eng.Mode(), "took", time.Since(start).Round(time.Microsecond))
}

// permanentOnly reports whether every event of batch is a change to
// firewalld's permanent configuration, which its runtime does not see.
func permanentOnly(batch []mdbus.Event) bool {
	for _, ev := range batch {
		if ev.Kind != mdbus.EventPermanentPolicyChanged {
			return false
		}
	}
	return true
}

// runningBackend asks a running firewalld for its FirewallBackend.
func runningBackend(ctx context.Context, fw *mdbus.Firewalld) func() (string, bool) {
	return func() (string, bool) {
		if fw == nil || !fw.Running(ctx) {
			return "", false
		}
		v, err := fw.Backend(ctx)
		return v, err == nil && v != ""
	}
}
