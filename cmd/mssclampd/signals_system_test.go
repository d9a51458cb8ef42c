package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	godbus "github.com/godbus/dbus/v5"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// signalTimeout bounds the wait for one D-Bus signal; a timed rule's
// expiry (1 s) is the slowest one expected.
const signalTimeout = 5 * time.Second

// signals subscribes conn to everything mssclampd sends from its object.
func signals(t testing.TB, conn *godbus.Conn) chan *godbus.Signal {
	t.Helper()
	if err := conn.AddMatchSignal(godbus.WithMatchObjectPath(mdbus.ServicePath)); err != nil {
		t.Fatal(err)
	}
	ch := make(chan *godbus.Signal, 64)
	conn.Signal(ch)
	return ch
}

// expectSignal waits for the next signal from mssclampd's object and fails
// unless it is name with body.
func expectSignal(t testing.TB, ch chan *godbus.Signal, name string, body ...any) {
	t.Helper()
	select {
	case sig := <-ch:
		same := len(sig.Body) == 0 && len(body) == 0 || reflect.DeepEqual(sig.Body, body)
		if sig.Name != name || !same {
			t.Fatalf("signal %s%v, want %s%v", sig.Name, sig.Body, name, body)
		}
		t.Logf("signal %s%v", sig.Name, sig.Body)
	case <-time.After(signalTimeout):
		t.Fatalf("no signal %s%v within %v", name, body, signalTimeout)
	}
}

// nftHolds reports whether our nft table has a clamp to value.
func nftHolds(t testing.TB, ns *systest.NS, value string) bool {
	t.Helper()
	return strings.Contains(strings.Join(nftObjects(t, ns), "\n"), `"value":`+value+`}`)
}

// TestSignals checks the signals a client sees for each change, whoever
// made it: its own calls, a timer, a reload over D-Bus and SIGHUP.
func TestSignals(t *testing.T) {
	systest.RequireRoot(t)
	t.Parallel()
	ns := systest.NewNS(t)
	bus := systest.StartBus(t, systest.BusOptions{})
	o := daemonOptions{NS: ns, Bus: bus, ConfigDir: t.TempDir(), Args: []string{"--firewalld=off"}}
	d := startDaemon(t, o)
	c := newClient(t, bus)
	ch := signals(t, c.conn)
	zoneSig := func(member string) string { return mdbus.ServiceZoneInterface + "." + member }

	must(t, "add", c.addRule("", "rule tcp-mss-clamp value=1200", 0))
	expectSignal(t, ch, zoneSig("RichRuleAdded"), "public", `rule tcp-mss-clamp value="1200"`, int32(0))
	must(t, "remove", c.removeRule("public", "rule   tcp-mss-clamp value='1200'"))
	expectSignal(t, ch, zoneSig("RichRuleRemoved"), "public", `rule tcp-mss-clamp value="1200"`)

	must(t, "timed add", c.addRule("public", "rule tcp-mss-clamp value=1210", 1))
	expectSignal(t, ch, zoneSig("RichRuleAdded"), "public", `rule tcp-mss-clamp value="1210"`, int32(1))
	if !nftHolds(t, ns, "1210") {
		t.Fatal("the timed rule is not in the kernel")
	}
	expectSignal(t, ch, zoneSig("RichRuleRemoved"), "public", `rule tcp-mss-clamp value="1210"`)
	if nftHolds(t, ns, "1210") {
		t.Fatal("the expired rule is still in the kernel")
	}

	must(t, "runtime add", c.addRule("public", "rule tcp-mss-clamp value=1220", 0))
	expectSignal(t, ch, zoneSig("RichRuleAdded"), "public", `rule tcp-mss-clamp value="1220"`, int32(0))
	must(t, "reload", c.reload())
	expectSignal(t, ch, mdbus.ServiceInterface+".Reloaded")
	if nftHolds(t, ns, "1220") {
		t.Fatal("a runtime rule survived the reload")
	}

	// SIGHUP reloads too: a zone file written meanwhile applies.
	writeZone(t, o.ConfigDir, "public", "  <rule>\n    <tcp-mss-clamp value=\"1230\"/>\n  </rule>\n")
	d.signal(t, syscall.SIGHUP)
	expectSignal(t, ch, mdbus.ServiceInterface+".Reloaded")
	t.Logf("log: %s", d.waitLog(t, "reloaded", "signal=SIGHUP"))
	if !nftHolds(t, ns, "1230") {
		t.Fatal("the rule of the zone file written before SIGHUP is not in the kernel")
	}
}

// TestSIGTERM checks what a normal stop leaves in the kernel: nothing by
// default, everything when firewalld.conf says CleanupOnExit=no.
func TestSIGTERM(t *testing.T) {
	systest.RequireRoot(t)
	t.Parallel()
	for _, backend := range []string{"nftables", "iptables"} {
		for _, conf := range []string{"", "CleanupOnExit=no"} {
			name := backend + "/default"
			if conf != "" {
				name = backend + "/" + conf
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				ns := systest.NewNS(t)
				bus := systest.StartBus(t, systest.BusOptions{})
				dir := t.TempDir()
				confPath := filepath.Join(dir, "firewalld.conf")
				if err := os.WriteFile(confPath, []byte("# firewalld.conf\n"+conf+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				o := daemonOptions{NS: ns, Bus: bus, ConfigDir: dir, Args: []string{"--firewalld=off", "--backend=" + backend, "--firewalld-conf=" + confPath}}
				d := startDaemon(t, o)
				must(t, "add", newClient(t, bus).addRule("", "rule tcp-mss-clamp value=1200", 0))
				state := func() []string {
					if backend == "iptables" {
						return iptMangle(t, ns)
					}
					return nftObjects(t, ns)
				}
				before := state()
				if len(before) == 0 {
					t.Fatal("nothing in the kernel")
				}
				d.stop(t)
				after := state()
				switch {
				case conf == "" && len(after) > 0:
					t.Errorf("after SIGTERM the kernel still holds:\n%s", strings.Join(after, "\n"))
				case conf != "" && !reflect.DeepEqual(after, before):
					t.Errorf("with %s, SIGTERM changed the kernel (- before, + after):%s", conf, diffLines(before, after))
				default:
					t.Logf("after SIGTERM: %d of our objects in the kernel (%d before)", len(after), len(before))
				}
			})
		}
	}
}

// TestBusLoss: when the system bus goes away, mssclampd exits with an error
// (for systemd to restart it once the bus is back) and leaves its rules in
// the kernel, in either mode.
func TestBusLoss(t *testing.T) {
	parallelEach(t, standaloneModes, func(t *testing.T, m standaloneMode) {
		ns := systest.NewNS(t)
		bus := systest.StartBus(t, systest.BusOptions{})
		d := startDaemon(t, daemonOptions{NS: ns, Bus: bus, ConfigDir: t.TempDir(), Args: []string{m.flag}})
		c := newClient(t, bus)
		must(t, "add", c.addRule("", "rule tcp-mss-clamp value=1200", 0))
		var pid uint32
		must(t, "bus pid", c.conn.BusObject().Call("org.freedesktop.DBus.GetConnectionUnixProcessID", 0, "org.freedesktop.DBus").Store(&pid))
		must(t, "stopping the bus", syscall.Kill(int(pid), syscall.SIGTERM))
		select {
		case <-d.exited:
			d.done = true
			if d.cmd.ProcessState.Success() {
				t.Errorf("mssclampd exited with success after losing the bus")
			}
			t.Logf("exited: %s; %s", d.cmd.ProcessState, lastLines(d.log(), 1))
		case <-time.After(settleTimeout):
			t.Fatalf("mssclampd still runs %v after the bus went away", settleTimeout)
		}
		if !nftHolds(t, ns, "1200") {
			t.Error("the rules left the kernel with the bus")
		}
	})
}
