package dbus

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	godbus "github.com/godbus/dbus/v5"
)

// EventKind says what changed in firewalld.
type EventKind int

// The events Watch reports. The daemon takes a new Snapshot after any of
// them; the kinds and names only say why.
const (
	// EventStarted: firewalld took its bus name (Owner). firewalld 1.3.3
	// takes it before it loads its rules and answers calls only after, so
	// a Snapshot taken now waits for the rules; check State all the same.
	EventStarted            EventKind = iota + 1
	EventStopped                      // firewalld left the bus
	EventRestarted                    // the bus name passed straight to a new process (Owner)
	EventReloaded                     // reload finished; the runtime state was rebuilt from the permanent one
	EventDefaultZoneChanged           // Zone is the new default zone

	EventInterfaceAdded         // Interface bound to Zone
	EventInterfaceRemoved       // Interface unbound from Zone
	EventZoneOfInterfaceChanged // Interface moved to Zone
	EventSourceAdded            // Source bound to Zone
	EventSourceRemoved          // Source unbound from Zone
	EventZoneOfSourceChanged    // Source moved to Zone
	EventZoneUpdated            // Zone's runtime settings (bindings included) replaced at once

	EventPolicyUpdated // Policy's runtime settings changed (ingress/egress zones, priority, ...)

	EventIPSetEntryAdded   // Entry added to IPSet
	EventIPSetEntryRemoved // Entry removed from IPSet

	// EventPermanentPolicyChanged: Policy was added, updated, removed or
	// renamed in the permanent configuration. The runtime state changes
	// only at the next EventReloaded.
	EventPermanentPolicyChanged
)

var eventKindNames = map[EventKind]string{
	EventStarted:                "started",
	EventStopped:                "stopped",
	EventRestarted:              "restarted",
	EventReloaded:               "reloaded",
	EventDefaultZoneChanged:     "default-zone-changed",
	EventInterfaceAdded:         "interface-added",
	EventInterfaceRemoved:       "interface-removed",
	EventZoneOfInterfaceChanged: "zone-of-interface-changed",
	EventSourceAdded:            "source-added",
	EventSourceRemoved:          "source-removed",
	EventZoneOfSourceChanged:    "zone-of-source-changed",
	EventZoneUpdated:            "zone-updated",
	EventPolicyUpdated:          "policy-updated",
	EventIPSetEntryAdded:        "ipset-entry-added",
	EventIPSetEntryRemoved:      "ipset-entry-removed",
	EventPermanentPolicyChanged: "permanent-policy-changed",
}

func (k EventKind) String() string {
	if s, ok := eventKindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event is one change in firewalld. Only the fields its Kind names are set.
type Event struct {
	Kind      EventKind
	Zone      string
	Interface string
	Source    string
	Policy    string
	IPSet     string
	Entry     string
	Owner     string // unique bus name of the new firewalld process
}

// fwSignal is a firewalld signal Watch subscribes to and how it becomes an
// Event. Signatures are from firewall/server/firewalld.py and config*.py.
type fwSignal struct {
	iface, member string
	decode        func(body []any) (Event, bool)
}

var fwSignals = []fwSignal{
	{fwIface, "Reloaded", func([]any) (Event, bool) { return Event{Kind: EventReloaded}, true }},
	{fwIface, "DefaultZoneChanged", func(b []any) (Event, bool) {
		zone, ok := strArg(b, 0)
		return Event{Kind: EventDefaultZoneChanged, Zone: zone}, ok
	}},
	{fwZoneIface, "InterfaceAdded", zoneIfaceEvent(EventInterfaceAdded)},
	{fwZoneIface, "InterfaceRemoved", zoneIfaceEvent(EventInterfaceRemoved)},
	{fwZoneIface, "ZoneOfInterfaceChanged", zoneIfaceEvent(EventZoneOfInterfaceChanged)},
	{fwZoneIface, "SourceAdded", zoneSourceEvent(EventSourceAdded)},
	{fwZoneIface, "SourceRemoved", zoneSourceEvent(EventSourceRemoved)},
	{fwZoneIface, "ZoneOfSourceChanged", zoneSourceEvent(EventZoneOfSourceChanged)},
	{fwZoneIface, "ZoneUpdated", func(b []any) (Event, bool) { // sa{sv}
		zone, ok := strArg(b, 0)
		return Event{Kind: EventZoneUpdated, Zone: zone}, ok
	}},
	{fwPolicyIface, "PolicyUpdated", policyEvent(EventPolicyUpdated)}, // sa{sv}
	{fwIPSetIface, "EntryAdded", ipsetEvent(EventIPSetEntryAdded)},
	{fwIPSetIface, "EntryRemoved", ipsetEvent(EventIPSetEntryRemoved)},
	// Permanent policies: config.PolicyAdded(s) on the config object,
	// Updated/Removed/Renamed(s) on each /config/policy/N object.
	{fwConfigIface, "PolicyAdded", policyEvent(EventPermanentPolicyChanged)},
	{fwConfigPolicyIface, "Updated", policyEvent(EventPermanentPolicyChanged)},
	{fwConfigPolicyIface, "Removed", policyEvent(EventPermanentPolicyChanged)},
	{fwConfigPolicyIface, "Renamed", policyEvent(EventPermanentPolicyChanged)},
}

func strArg(body []any, i int) (string, bool) {
	if i >= len(body) {
		return "", false
	}
	s, ok := body[i].(string)
	return s, ok
}

func zoneIfaceEvent(k EventKind) func([]any) (Event, bool) {
	return func(b []any) (Event, bool) {
		zone, ok1 := strArg(b, 0)
		name, ok2 := strArg(b, 1)
		return Event{Kind: k, Zone: zone, Interface: name}, ok1 && ok2
	}
}

func zoneSourceEvent(k EventKind) func([]any) (Event, bool) {
	return func(b []any) (Event, bool) {
		zone, ok1 := strArg(b, 0)
		name, ok2 := strArg(b, 1)
		return Event{Kind: k, Zone: zone, Source: name}, ok1 && ok2
	}
}

func policyEvent(k EventKind) func([]any) (Event, bool) {
	return func(b []any) (Event, bool) {
		name, ok := strArg(b, 0)
		return Event{Kind: k, Policy: name}, ok
	}
}

func ipsetEvent(k EventKind) func([]any) (Event, bool) {
	return func(b []any) (Event, bool) {
		set, ok1 := strArg(b, 0)
		entry, ok2 := strArg(b, 1)
		return Event{Kind: k, IPSet: set, Entry: entry}, ok1 && ok2
	}
}

const (
	busIface             = "org.freedesktop.DBus"
	busPath              = godbus.ObjectPath("/org/freedesktop/DBus")
	nameOwnerChangedName = busIface + ".NameOwnerChanged"
)

// decodeSignal turns a signal into an Event; false for a signal that is not
// one Watch subscribed to (the connection may carry others).
func decodeSignal(sig *godbus.Signal) (Event, bool) {
	if sig.Name == nameOwnerChangedName {
		// NameOwnerChanged(s name, s old_owner, s new_owner)
		name, ok1 := strArg(sig.Body, 0)
		old, ok2 := strArg(sig.Body, 1)
		owner, ok3 := strArg(sig.Body, 2)
		if !ok1 || !ok2 || !ok3 || name != fwBusName || sig.Sender != busIface {
			return Event{}, false
		}
		switch {
		case old == "" && owner != "":
			return Event{Kind: EventStarted, Owner: owner}, true
		case old != "" && owner == "":
			return Event{Kind: EventStopped}, true
		case old != "" && owner != "":
			return Event{Kind: EventRestarted, Owner: owner}, true
		}
		return Event{}, false
	}
	for _, s := range fwSignals {
		if sig.Name == s.iface+"."+s.member {
			return s.decode(sig.Body)
		}
	}
	return Event{}, false
}

func (s fwSignal) match() []godbus.MatchOption {
	return []godbus.MatchOption{
		godbus.WithMatchSender(fwBusName),
		godbus.WithMatchInterface(s.iface),
		godbus.WithMatchMember(s.member),
	}
}

var nameOwnerMatch = []godbus.MatchOption{
	godbus.WithMatchSender(busIface),
	godbus.WithMatchObjectPath(busPath),
	godbus.WithMatchInterface(busIface),
	godbus.WithMatchMember("NameOwnerChanged"),
	godbus.WithMatchArg(0, fwBusName),
}

// Watcher delivers firewalld's events, in the order firewalld sent them
// unless a burst overflowed the signal buffer while the reader was keeping
// up. No event is lost.
type Watcher struct {
	conn    *godbus.Conn
	signals chan *godbus.Signal
	events  chan Event
	matches [][]godbus.MatchOption
	stop    chan struct{}
	once    sync.Once
	done    chan struct{}
	err     error // set before done is closed
}

// signalBuffer absorbs bursts. When the channel is full, godbus hands each
// further signal to a goroutine of its own, which loses their order (not
// the signals); the pump puts the events it holds back in godbus' sequence.
const signalBuffer = 1024

// Watch subscribes to firewalld's events. When it returns, the subscription
// is in place: a Snapshot taken afterwards misses no change. Events are
// queued without limit and never dropped, however slowly the caller reads;
// the channel closes when ctx is done, Close is called, or the connection
// closes (Err says which).
func (f *Firewalld) Watch(ctx context.Context) (*Watcher, error) {
	w := &Watcher{
		conn:    f.conn,
		signals: make(chan *godbus.Signal, signalBuffer),
		events:  make(chan Event),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	f.conn.Signal(w.signals)
	all := [][]godbus.MatchOption{nameOwnerMatch}
	for _, s := range fwSignals {
		all = append(all, s.match())
	}
	for _, m := range all {
		if err := f.conn.AddMatchSignalContext(ctx, m...); err != nil {
			w.unsubscribe()
			return nil, fmt.Errorf("subscribing to firewalld's signals: %w", err)
		}
		w.matches = append(w.matches, m)
	}
	go w.pump(ctx)
	return w, nil
}

// Events returns the channel of events.
func (w *Watcher) Events() <-chan Event { return w.events }

// Close ends the subscription and closes the events channel.
func (w *Watcher) Close() {
	w.once.Do(func() { close(w.stop) })
	<-w.done
}

// Err returns why the events channel closed: nil after Close, ctx's error,
// or godbus.ErrClosed when the connection closed. It blocks until then.
func (w *Watcher) Err() error {
	<-w.done
	return w.err
}

func (w *Watcher) pump(ctx context.Context) {
	defer close(w.done)
	defer close(w.events)
	var queue []queued
	for {
		var out chan Event
		var next Event
		if len(queue) > 0 {
			out, next = w.events, queue[0].ev
		}
		select {
		case sig, ok := <-w.signals:
			if !ok {
				// godbus closes the channel when the connection closes.
				w.err = godbus.ErrClosed
				w.flush(ctx, queue)
				return
			}
			if ev, ok := decodeSignal(sig); ok {
				queue = enqueue(queue, queued{sig.Sequence, ev})
			}
		case out <- next:
			queue[0] = queued{}
			queue = queue[1:]
		case <-ctx.Done():
			w.err = ctx.Err()
			w.unsubscribe()
			return
		case <-w.stop:
			w.unsubscribe()
			return
		}
	}
}

// queued is an event with the sequence number godbus gave its signal.
type queued struct {
	seq godbus.Sequence
	ev  Event
}

// enqueue inserts q in sequence order; it is nearly always the last.
func enqueue(queue []queued, q queued) []queued {
	i := len(queue)
	for i > 0 && queue[i-1].seq > q.seq {
		i--
	}
	return slices.Insert(queue, i, q)
}

// flush hands the queued events over after the connection closed, so the
// last event is not lost; it gives up when the reader goes away.
func (w *Watcher) flush(ctx context.Context, queue []queued) {
	for _, q := range queue {
		select {
		case w.events <- q.ev:
		case <-ctx.Done():
			return
		case <-w.stop:
			return
		}
	}
}

func (w *Watcher) unsubscribe() {
	w.conn.RemoveSignal(w.signals)
	if !w.conn.Connected() {
		return
	}
	// The caller's ctx may be done already; removal is a courtesy to the
	// bus and must not hang.
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	for _, m := range w.matches {
		if err := w.conn.RemoveMatchSignalContext(ctx, m...); err != nil && !errors.Is(err, godbus.ErrClosed) {
			break
		}
	}
}
