package main

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// TestConcurrentClients: 16 D-Bus clients, each on its own connection, make
// 100 changes each at the same time (60 adds, and 40 removes of what they
// added). Afterwards the daemon's rule list is exactly the expected final
// set, and the kernel holds exactly one clamp per rule in it.
func TestConcurrentClients(t *testing.T) {
	systest.RequireRoot(t)
	t.Parallel()
	ns := systest.NewNS(t)
	bus := systest.StartBus(t, systest.BusOptions{})
	startDaemon(t, daemonOptions{NS: ns, Bus: bus, ConfigDir: t.TempDir(), Args: []string{"--firewalld=off", "--backend=nftables"}})

	const clients, adds = 16, 60 // and 40 removes: 100 changes a client
	var want []string
	var wg sync.WaitGroup
	for c := 0; c < clients; c++ {
		cl := newClient(t, bus)
		for i := 0; i < adds; i++ {
			if i%3 == 0 {
				want = append(want, rule(c, i))
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < adds; i++ {
				if err := cl.addRule("", rule(c, i), 0); err != nil {
					t.Errorf("client %d: add %d: %v", c, i, err)
					return
				}
				if i%3 != 0 {
					if err := cl.removeRule("", rule(c, i)); err != nil {
						t.Errorf("client %d: remove %d: %v", c, i, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()

	var got []string
	must(t, "getRichRules", newClient(t, bus).call(mdbus.ServicePath, mdbus.ServiceZoneInterface+".getRichRules", []any{""}, &got))
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("the daemon holds %d rules, want %d:\n%s", len(got), len(want), diffLines(want, got))
	}
	// Every rule of ours carries "id:ID zone:public" in the kernel; count the
	// clamp statements per ID: one each, and as many IDs as rules.
	out := ns.Run(t, "nft", "list", "table", "inet", "mssclamp")
	ids := map[string]int{}
	for _, line := range strings.Split(out, "\n") {
		if strings.Contains(line, "maxseg size set") {
			_, rest, _ := strings.Cut(line, `comment "id:`)
			id, _, _ := strings.Cut(rest, " ")
			ids[id]++
		}
	}
	if len(ids) != len(want) {
		t.Errorf("the kernel holds clamps of %d rules, want %d", len(ids), len(want))
	}
	for id, n := range ids {
		if n != 1 {
			t.Errorf("rule %s is in the kernel %d times", id, n)
		}
	}
}

// rule is client c's i-th rule: a source-scoped clamp of its own.
func rule(c, i int) string {
	return fmt.Sprintf(`rule family="ipv4" source address="10.%d.%d.0/24" tcp-mss-clamp value="%d"`, 100+c, i, 600+i)
}
