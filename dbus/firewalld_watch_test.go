package dbus

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

func TestDecodeSignal(t *testing.T) {
	fw := func(iface, member string, body ...any) *godbus.Signal {
		return &godbus.Signal{Sender: ":1.7", Path: fwPath, Name: iface + "." + member, Body: body}
	}
	owner := func(sender, name, old, new string) *godbus.Signal {
		return &godbus.Signal{Sender: sender, Path: busPath, Name: nameOwnerChangedName, Body: []any{name, old, new}}
	}
	settings := map[string]godbus.Variant{}
	tests := []struct {
		name string
		sig  *godbus.Signal
		want Event
		ok   bool
	}{
		{"reloaded", fw(fwIface, "Reloaded"), Event{Kind: EventReloaded}, true},
		{"default zone", fw(fwIface, "DefaultZoneChanged", "internal"), Event{Kind: EventDefaultZoneChanged, Zone: "internal"}, true},
		{"interface added", fw(fwZoneIface, "InterfaceAdded", "public", "veth0"), Event{Kind: EventInterfaceAdded, Zone: "public", Interface: "veth0"}, true},
		{"interface removed", fw(fwZoneIface, "InterfaceRemoved", "public", "veth0"), Event{Kind: EventInterfaceRemoved, Zone: "public", Interface: "veth0"}, true},
		{"interface moved", fw(fwZoneIface, "ZoneOfInterfaceChanged", "dmz", "veth0"), Event{Kind: EventZoneOfInterfaceChanged, Zone: "dmz", Interface: "veth0"}, true},
		{"source added", fw(fwZoneIface, "SourceAdded", "public", "ipset:lan"), Event{Kind: EventSourceAdded, Zone: "public", Source: "ipset:lan"}, true},
		{"source removed", fw(fwZoneIface, "SourceRemoved", "public", "10.0.0.0/8"), Event{Kind: EventSourceRemoved, Zone: "public", Source: "10.0.0.0/8"}, true},
		{"source moved", fw(fwZoneIface, "ZoneOfSourceChanged", "dmz", "10.0.0.0/8"), Event{Kind: EventZoneOfSourceChanged, Zone: "dmz", Source: "10.0.0.0/8"}, true},
		{"zone updated", fw(fwZoneIface, "ZoneUpdated", "dmz", settings), Event{Kind: EventZoneUpdated, Zone: "dmz"}, true},
		{"policy updated", fw(fwPolicyIface, "PolicyUpdated", "p", settings), Event{Kind: EventPolicyUpdated, Policy: "p"}, true},
		{"entry added", fw(fwIPSetIface, "EntryAdded", "lan", "10.1.0.0/16"), Event{Kind: EventIPSetEntryAdded, IPSet: "lan", Entry: "10.1.0.0/16"}, true},
		{"entry removed", fw(fwIPSetIface, "EntryRemoved", "lan", "10.1.0.0/16"), Event{Kind: EventIPSetEntryRemoved, IPSet: "lan", Entry: "10.1.0.0/16"}, true},
		{"permanent policy added", fw(fwConfigIface, "PolicyAdded", "p"), Event{Kind: EventPermanentPolicyChanged, Policy: "p"}, true},
		{"permanent policy updated", fw(fwConfigPolicyIface, "Updated", "p"), Event{Kind: EventPermanentPolicyChanged, Policy: "p"}, true},
		{"started", owner(busIface, fwBusName, "", ":1.9"), Event{Kind: EventStarted, Owner: ":1.9"}, true},
		{"stopped", owner(busIface, fwBusName, ":1.9", ""), Event{Kind: EventStopped}, true},
		{"replaced", owner(busIface, fwBusName, ":1.9", ":1.12"), Event{Kind: EventRestarted, Owner: ":1.12"}, true},
		{"other name", owner(busIface, "org.example.Other", "", ":1.9"), Event{}, false},
		{"forged owner change", owner(":1.40", fwBusName, "", ":1.40"), Event{}, false},
		{"unsubscribed member", fw(fwZoneIface, "RichRuleAdded", "public", "rule", int32(0)), Event{}, false},
		{"short body", fw(fwZoneIface, "InterfaceAdded", "public"), Event{Kind: EventInterfaceAdded, Zone: "public"}, false},
		{"wrong type", fw(fwIface, "DefaultZoneChanged", int32(1)), Event{Kind: EventDefaultZoneChanged}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := decodeSignal(tt.sig)
			if ok != tt.ok || (ok && got != tt.want) {
				t.Errorf("decodeSignal = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestEventKindString(t *testing.T) {
	for k := EventStarted; k <= EventPermanentPolicyChanged; k++ {
		if _, ok := eventKindNames[k]; !ok {
			t.Errorf("EventKind %d has no name", int(k))
		}
	}
	if got := EventKind(99).String(); got != "EventKind(99)" {
		t.Errorf("EventKind(99).String() = %q", got)
	}
}

// fakeFirewalld owns firewalld's bus name on a private bus and emits its
// signals: enough to test Watch without root or firewalld.
type fakeFirewalld struct {
	t    *testing.T
	conn *godbus.Conn
}

func startFake(t *testing.T, bus *systest.Bus) *fakeFirewalld {
	t.Helper()
	conn := bus.Conn(t)
	reply, err := conn.RequestName(fwBusName, godbus.NameFlagDoNotQueue)
	if err != nil || reply != godbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("requesting %s: %v, %v", fwBusName, reply, err)
	}
	return &fakeFirewalld{t: t, conn: conn}
}

func (f *fakeFirewalld) emit(iface, member string, body ...any) {
	f.t.Helper()
	if err := f.conn.Emit(fwPath, iface+"."+member, body...); err != nil {
		f.t.Fatalf("emitting %s: %v", member, err)
	}
}

func (f *fakeFirewalld) stop() {
	f.t.Helper()
	if _, err := f.conn.ReleaseName(fwBusName); err != nil {
		f.t.Fatalf("releasing %s: %v", fwBusName, err)
	}
}

func nextEvent(t *testing.T, w *Watcher) Event {
	t.Helper()
	select {
	case ev, ok := <-w.Events():
		if !ok {
			t.Fatalf("events closed: %v", w.Err())
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return Event{}
}

func busForWatch(t *testing.T) *systest.Bus {
	systest.RequireCommands(t, "dbus-daemon")
	return systest.StartBus(t, systest.BusOptions{})
}

func TestWatchFake(t *testing.T) {
	bus := busForWatch(t)
	client := bus.Conn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := NewFirewalld(client).Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	fake := startFake(t, bus)
	if ev := nextEvent(t, w); ev.Kind != EventStarted || ev.Owner != fake.conn.Names()[0] {
		t.Errorf("got %+v, want started by %s", ev, fake.conn.Names()[0])
	}
	fake.emit(fwZoneIface, "RichRuleAdded", "public", "rule", int32(0)) // not subscribed
	fake.emit(fwZoneIface, "InterfaceAdded", "public", "veth0")
	fake.emit(fwIface, "Reloaded")
	// Another process emitting firewalld's signals is not firewalld: the
	// bus does not route them to us.
	other := bus.Conn(t)
	if err := other.Emit(fwPath, fwIface+".Reloaded"); err != nil {
		t.Fatal(err)
	}
	fake.emit(fwIPSetIface, "EntryAdded", "lan", "10.0.0.1")
	fake.stop()

	want := []Event{
		{Kind: EventInterfaceAdded, Zone: "public", Interface: "veth0"},
		{Kind: EventReloaded},
		{Kind: EventIPSetEntryAdded, IPSet: "lan", Entry: "10.0.0.1"},
		{Kind: EventStopped},
	}
	for _, wantEv := range want {
		if ev := nextEvent(t, w); ev != wantEv {
			t.Errorf("got %+v, want %+v", ev, wantEv)
		}
	}
}

// A reader busy for a long time (the daemon applying a ruleset) must still
// get every event, in order, and above all the last one.
func TestWatchSlowReader(t *testing.T) {
	bus := busForWatch(t)
	fake := startFake(t, bus)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client := bus.Conn(t)
	w, err := NewFirewalld(client).Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	const n = 3 * signalBuffer
	for i := range n {
		fake.emit(fwIPSetIface, "EntryAdded", "lan", fmt.Sprint(i))
	}
	fake.emit(fwIface, "Reloaded")
	// Round trips from the emitter, then from the client: godbus has read
	// every signal before the second reply. Then let the signals pile up.
	for _, c := range []*godbus.Conn{fake.conn, client} {
		if err := c.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetId", 0).Err; err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(200 * time.Millisecond)
	for i := range n {
		want := Event{Kind: EventIPSetEntryAdded, IPSet: "lan", Entry: fmt.Sprint(i)}
		if ev := nextEvent(t, w); ev != want {
			t.Fatalf("event %d: got %+v, want %+v", i, ev, want)
		}
	}
	if ev := nextEvent(t, w); ev.Kind != EventReloaded {
		t.Fatalf("last event: got %+v, want reloaded", ev)
	}
}

func TestWatchEnd(t *testing.T) {
	tests := []struct {
		name    string
		end     func(w *Watcher, cancel context.CancelFunc, conn *godbus.Conn)
		wantErr error
	}{
		{"Close", func(w *Watcher, _ context.CancelFunc, _ *godbus.Conn) { w.Close() }, nil},
		{"context", func(_ *Watcher, cancel context.CancelFunc, _ *godbus.Conn) { cancel() }, context.Canceled},
		{"connection", func(_ *Watcher, _ context.CancelFunc, conn *godbus.Conn) { conn.Close() }, godbus.ErrClosed},
	}
	bus := busForWatch(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conn := bus.Conn(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			w, err := NewFirewalld(conn).Watch(ctx)
			if err != nil {
				t.Fatal(err)
			}
			tt.end(w, cancel, conn)
			select {
			case ev, ok := <-w.Events():
				if ok {
					t.Fatalf("unexpected event %+v", ev)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("events not closed within 10s")
			}
			if err := w.Err(); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil && err != nil) {
				t.Errorf("Err() = %v, want %v", err, tt.wantErr)
			}
			w.Close() // idempotent
		})
	}
}

// After the connection closes, the events already received are still
// delivered before the channel closes.
func TestWatchFlushOnClose(t *testing.T) {
	bus := busForWatch(t)
	fake := startFake(t, bus)
	conn := bus.Conn(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	w, err := NewFirewalld(conn).Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	fake.emit(fwIface, "DefaultZoneChanged", "dmz")
	fake.emit(fwIface, "Reloaded")
	// A round trip from the emitter, then one from conn: the bus has routed
	// the signals to conn before the second reply, and godbus hands them to
	// the watcher before it reads that reply.
	for _, c := range []*godbus.Conn{fake.conn, conn} {
		if err := c.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.GetId", 0).Err; err != nil {
			t.Fatal(err)
		}
	}
	conn.Close()
	var got []Event
	for ev := range w.Events() {
		got = append(got, ev)
	}
	want := []Event{{Kind: EventDefaultZoneChanged, Zone: "dmz"}, {Kind: EventReloaded}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if !errors.Is(w.Err(), godbus.ErrClosed) {
		t.Errorf("Err() = %v, want ErrClosed", w.Err())
	}
}

func TestEnqueue(t *testing.T) {
	var q []queued
	for _, seq := range []godbus.Sequence{1, 2, 5, 3, 4, 9, 6} {
		q = enqueue(q, queued{seq: seq, ev: Event{Entry: fmt.Sprint(seq)}})
	}
	var got []string
	for _, x := range q {
		got = append(got, x.ev.Entry)
	}
	if want := []string{"1", "2", "3", "4", "5", "6", "9"}; !reflect.DeepEqual(got, want) {
		t.Errorf("order %v, want %v", got, want)
	}
}
