// Package engine holds the daemon's state — runtime and permanent
// tcp-mss-clamp rules per zone and policy — and is the one place that changes
// it and makes the kernel follow.
//
// It exists apart from the D-Bus service so that the service stays a thin
// translation layer and everything that decides (which zone, is it a
// duplicate, what happens after a reload, when a timed rule expires) can be
// tested without a bus.
//
// The model: an Env says what zones, bindings, policies and ipsets exist
// right now (firewalld over D-Bus, or our own configuration when running
// standalone); the runtime rules say what to clamp; backend.Compile turns
// both into a Ruleset and a backend.Backend makes the kernel hold it. Every
// change recompiles and re-applies the whole desired state (the backends only
// touch what changed), so the kernel never drifts from a sequence of edits:
// it always equals the current state. A change the kernel refuses is undone
// before the call returns, so nothing is ever half-applied.
//
// Permanent rules live in a store.Store; Reload makes runtime equal
// permanent, RuntimeToPermanent the reverse. Zones and policies are named by
// firewalld.Scope (an empty zone name is the default zone); errors are
// *firewalld.Error with the code a client expects.
//
// One lock serialises the state. Nothing that can wait on another process
// runs under it where that changes no behaviour: the question to firewalld
// for its permanent-only zones and policies is asked before the lock, with
// the caller's context, and Dump and the kernel read of Counters take no
// lock (each backend serialises its own calls). What stays under it is what
// keeps the kernel in the order of the changes: Apply, and reading the
// environment's topology before a resync. Every entry point that works on
// rules takes a context.
package engine
