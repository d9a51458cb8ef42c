package main

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// writeZone writes a zone file into mssclampd's configuration directory as
// an administrator would.
func writeZone(t testing.TB, dir, zone, body string) {
	t.Helper()
	path := filepath.Join(dir, "zones", zone+".xml")
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		t.Fatal(err)
	}
	content := "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<zone>\n" + body + "</zone>\n"
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// standaloneModes are the two ways to run without firewalld: told so, and
// looking for a firewalld that is not there.
var standaloneModes = []standaloneMode{
	{"firewalld=off", "--firewalld=off"},
	{"firewalld absent", "--firewalld=auto"},
}

type standaloneMode struct{ name, flag string }

func (m standaloneMode) String() string { return m.name }

// parallelEach runs test for each case as a parallel subtest named after it,
// in a parallel system test.
func parallelEach[C any](t *testing.T, cases []C, test func(t *testing.T, c C)) {
	systest.RequireRoot(t)
	t.Parallel()
	for _, c := range cases {
		t.Run(fmt.Sprint(c), func(t *testing.T) {
			t.Parallel()
			test(t, c)
		})
	}
}

// TestStandalone checks the clamp without firewalld: the default zone public
// catches every interface, a zone file binds one, and permanent rules added
// over D-Bus survive a restart while runtime ones do not.
func TestStandalone(t *testing.T) {
	parallelEach(t, standaloneModes, func(t *testing.T, m standaloneMode) {
		tp := systest.NewTopology(t, 1400)
		bus := systest.StartBus(t, systest.BusOptions{})
		o := daemonOptions{NS: tp.Router, Bus: bus, ConfigDir: t.TempDir(), Args: []string{m.flag}}
		d := startDaemon(t, o)
		c := newClient(t, bus)
		waitMode(t, c, "standalone")

		must(t, "runtime add to the default zone", c.addRule("", "rule tcp-mss-clamp value=1200", 0))
		waitProbeBoth(t, tp, systest.ProbeResult{SynMSS: 1200, SynAckMSS: 1200}, "public catches rc0 and rs0")

		must(t, "permanent add to public", c.addPermanentRule("public", "rule tcp-mss-clamp value=1300"))
		writeZone(t, o.ConfigDir, "internal", "  <rule>\n    <tcp-mss-clamp value=\"1250\"/>\n  </rule>\n  <interface name=\"rc0\"/>\n")
		waitProbe(t, tp, systest.ProbeOptions{}, systest.ProbeResult{SynMSS: 1200, SynAckMSS: 1200}, "permanent changes wait for a reload")

		d.stop(t)
		startDaemon(t, o)
		// rc0 is internal's now, rs0 still public's; the runtime 1200 is gone.
		waitProbeBoth(t, tp, systest.ProbeResult{SynMSS: 1250, SynAckMSS: 1300}, "after a restart")
	})
}

// TestKillRestart kills mssclampd with SIGKILL twenty times, each time after
// adding runtime rules, and checks after every new start that the kernel
// holds exactly what a clean start holds: the permanent rules, nothing of
// the killed run's runtime rules, and nothing twice.
func TestKillRestart(t *testing.T) {
	parallelEach(t, []string{"nftables", "iptables"}, func(t *testing.T, backend string) {
		tp := systest.NewTopology(t, 1400)
		bus := systest.StartBus(t, systest.BusOptions{})
		o := daemonOptions{NS: tp.Router, Bus: bus, ConfigDir: t.TempDir(), Args: []string{"--firewalld=off", "--backend=" + backend}}
		writeZone(t, o.ConfigDir, "public", "  <rule>\n    <tcp-mss-clamp value=\"1300\"/>\n  </rule>\n")
		writeZone(t, o.ConfigDir, "internal", "  <rule family=\"ipv4\">\n    <source address=\"10.71.1.0/24\"/>\n    <tcp-mss-clamp value=\"1250\"/>\n  </rule>\n  <interface name=\"rc0\"/>\n")
		state := func() []string {
			if backend == "iptables" {
				return iptMangle(t, tp.Router)
			}
			return nftObjects(t, tp.Router)
		}
		d := startDaemon(t, o)
		want := state()
		if len(want) == 0 {
			t.Fatal("a clean start left nothing in the kernel")
		}
		c := newClient(t, bus)
		const restarts = 20
		for i := range restarts {
			must(t, "runtime add", c.addRule("internal", fmt.Sprintf("rule family=ipv4 source address=10.71.1.%d tcp-mss-clamp value=%d", 10+i, 1000+i), 0))
			if i%2 == 0 {
				must(t, "runtime add", c.addRule("public", fmt.Sprintf("rule family=ipv6 tcp-mss-clamp value=%d", 1100+i), 0))
			}
			if got := state(); slices.Equal(got, want) {
				t.Fatalf("restart %d: the runtime rules did not reach the kernel", i)
			}
			d.kill(t)
			d = startDaemon(t, o)
			got := state()
			if dup := duplicates(got); len(dup) > 0 {
				t.Fatalf("restart %d: duplicates in the kernel:\n%s", i, strings.Join(dup, "\n"))
			}
			if !slices.Equal(got, want) {
				t.Fatalf("restart %d: kernel differs from a clean start (- clean, + now):%s", i, diffLines(want, got))
			}
		}
		t.Logf("%d kill -9 restarts: the kernel held the clean state (%d objects) after each", restarts, len(want))
		// internal's rule is IPv4 only.
		waitProbe(t, tp, systest.ProbeOptions{}, systest.ProbeResult{SynMSS: 1250, SynAckMSS: 1300}, "after the last restart")
		waitProbe(t, tp, systest.ProbeOptions{IPv6: true}, systest.ProbeResult{SynMSS: unclampedSyn6, SynAckMSS: 1300}, "after the last restart")
	})
}

// TestBrokenZoneFile: a zone file that does not load is reported with its
// file and line, and the other zones' rules apply.
func TestBrokenZoneFile(t *testing.T) {
	systest.RequireRoot(t)
	t.Parallel()
	tp := systest.NewTopology(t, 1400)
	bus := systest.StartBus(t, systest.BusOptions{})
	o := daemonOptions{NS: tp.Router, Bus: bus, ConfigDir: t.TempDir(), Args: []string{"--firewalld=off"}}
	writeZone(t, o.ConfigDir, "public", "  <rule>\n    <tcp-mss-clamp value=\"1300\"/>\n  </rule>\n")
	writeZone(t, o.ConfigDir, "internal", "  <rule>\n    <tcp-mss-clamp value=\"1250\"/>\n  </rule>\n  <interface name=\"rc0\"/>\n")
	// A syntax error on line 4, and a value the rule language refuses on
	// line 5.
	writeZone(t, o.ConfigDir, "syntax", "  <rule>\n    <tcp-mss-clamp value=\"1200\">\n  </rule>\n")
	writeZone(t, o.ConfigDir, "badvalue", "  <interface name=\"rs0\"/>\n  <rule>\n    <tcp-mss-clamp value=\"100\"/>\n  </rule>\n")
	d := startDaemon(t, o)
	for _, file := range []string{"syntax.xml:5", "badvalue.xml:5"} {
		t.Logf("reported: %s", d.waitLog(t, "level=ERROR", file))
	}
	// rs0 stays in public: badvalue.xml's binding is left out with the rest.
	waitProbeBoth(t, tp, systest.ProbeResult{SynMSS: 1250, SynAckMSS: 1300}, "the other zones apply")
}

// TestFollowFirewalld starts mssclampd --firewalld=auto while firewalld is
// absent, then starts and stops firewalld (every release, both backends):
// mssclampd switches to firewalld's zones and back to its own without a
// restart.
//
// Our configuration: public has a 1300 rule, internal (no interfaces) a 1250
// rule. Standalone, public catches both interfaces. Under firewalld, rc0
// is bound to internal and rs0 to dmz (no rule of ours).
func TestFollowFirewalld(t *testing.T) {
	parallelEach(t, firewalldCases(), func(t *testing.T, fc firewalldCase) {
		tp := systest.NewTopology(t, 1400)
		bus := systest.StartBus(t, systest.BusOptions{})
		fw := systest.StartFirewalldWith(t, bus, tp.Router, systest.FirewalldOptions(fc))
		configureFirewalld(t, fw, map[string][]string{"internal": {"rc0"}, "dmz": {"rs0"}})
		fw.Stop(t)

		o := daemonOptions{NS: tp.Router, Bus: bus, ConfigDir: t.TempDir(), Args: firewalldDaemonArgs(fw)}
		writeZone(t, o.ConfigDir, "public", "  <rule>\n    <tcp-mss-clamp value=\"1300\"/>\n  </rule>\n")
		writeZone(t, o.ConfigDir, "internal", "  <rule>\n    <tcp-mss-clamp value=\"1250\"/>\n  </rule>\n")
		startDaemon(t, o)
		c := newClient(t, bus)
		waitMode(t, c, "standalone")
		standalone := systest.ProbeResult{SynMSS: 1300, SynAckMSS: 1300}
		waitProbeBoth(t, tp, standalone, "standalone, firewalld absent")

		fw.Start(t)
		waitMode(t, c, "firewalld")
		waitProbeBoth(t, tp, systest.ProbeResult{SynMSS: 1250, SynAckMSS: tp.MTU - 40}, "firewalld started: its zones")

		fw.Stop(t)
		waitMode(t, c, "standalone")
		waitProbeBoth(t, tp, standalone, "firewalld stopped: our zones again")
	})
}
