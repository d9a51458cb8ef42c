package dbus

import (
	"fmt"
	"sync"
	"testing"
	"time"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// TestServiceConcurrentClients: 16 clients, each on its own connection, make
// 100 calls each at the same time, alternately adding and removing their own
// rule, and all race for one shared rule. Every call gets its own right
// answer, exactly one client wins the shared rule, and an observer sees one
// signal per change.
func TestServiceConcurrentClients(t *testing.T) {
	const clients, calls = 16, 100
	f := startService(t)

	observer := f.bus.Conn(t)
	sigs := make(chan *godbus.Signal, 4*clients*calls)
	observer.Signal(sigs)
	if err := observer.AddMatchSignal(godbus.WithMatchInterface(ServiceZoneInterface)); err != nil {
		t.Fatal(err)
	}

	conns := make([]*godbus.Conn, clients)
	for i := range conns {
		conns[i] = f.bus.Conn(t)
	}
	var wg sync.WaitGroup
	sharedWins := make(chan int, clients)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			zone := []string{"public", "internal", "my-zone"}[c%3]
			rule := fmt.Sprintf("rule of client %d", c)
			for i := range calls {
				var got string
				var err error
				if i%2 == 0 {
					err = call(conns[c], ServicePath, ServiceZoneInterface, "addRichRule", args(zone, rule, int32(0)), &got)
				} else {
					err = call(conns[c], ServicePath, ServiceZoneInterface, "removeRichRule", args(zone, rule), &got)
				}
				if err != nil || got != zone {
					t.Errorf("client %d call %d: %q, %v; want %q", c, i, got, err, zone)
					return
				}
			}
			err := call(conns[c], ServicePath, ServiceZoneInterface, "addRichRule", args("", "shared rule", int32(0)))
			switch de, _ := err.(godbus.Error); {
			case err == nil:
				sharedWins <- c
			case de.Name != ErrorName(firewalld.AlreadyEnabled):
				t.Errorf("client %d, shared rule: %v, want success or ALREADY_ENABLED", c, err)
			}
		}()
	}
	wg.Wait()
	close(sharedWins)
	if n := len(sharedWins); n != 1 {
		t.Errorf("%d clients added the shared rule, want 1", n)
	}

	for _, z := range fakeZones {
		var rules []string
		if err := call(f.client, ServicePath, ServiceZoneInterface, "getRichRules", args(z), &rules); err != nil {
			t.Fatal(err)
		}
		want := 0
		if z == fakeDefaultZone {
			want = 1
		}
		if len(rules) != want {
			t.Errorf("zone %s holds %q after every client removed its rule", z, rules)
		}
	}

	wantSignals := clients*calls + 1
	for n := 0; n < wantSignals; n++ {
		select {
		case <-sigs:
		case <-time.After(10 * time.Second):
			t.Fatalf("observer saw %d signals, want %d", n, wantSignals)
		}
	}
}

// BenchmarkServiceAddRemove is one runtime add and one remove by a root
// client over the bus: two calls, each with its uid lookup.
func BenchmarkServiceAddRemove(b *testing.B) {
	f := startService(b)
	b.ResetTimer()
	for range b.N {
		if err := call(f.client, ServicePath, ServiceZoneInterface, "addRichRule", args("", "rule B", int32(0))); err != nil {
			b.Fatal(err)
		}
		if err := call(f.client, ServicePath, ServiceZoneInterface, "removeRichRule", args("", "rule B")); err != nil {
			b.Fatal(err)
		}
	}
}
