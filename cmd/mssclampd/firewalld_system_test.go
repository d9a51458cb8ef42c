package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// forwardPolicy lets every forwarded connection through firewalld, whatever
// the zones: the tests move interfaces between zones, and firewalld rejects
// forwarding between different zones by default, which would stop the
// handshake the probe needs (our clamp runs before firewalld's verdict and
// does not care).
const forwardPolicy = `<?xml version="1.0" encoding="utf-8"?>
<policy target="ACCEPT">
  <ingress-zone name="ANY"/>
  <egress-zone name="ANY"/>
</policy>
`

// configureFirewalld writes the forwarding policy and permanent interface
// bindings (zone -> interfaces) into firewalld's private configuration, then
// reloads it: one firewall-cmd call instead of one per setting.
func configureFirewalld(t testing.TB, fw *systest.Firewalld, bindings map[string][]string) {
	t.Helper()
	write := func(path, content string) {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(fw.ConfigDir, "policies", "msc-forward.xml"), forwardPolicy)
	for zone, ifaces := range bindings {
		builtin, err := os.ReadFile(filepath.Join(fw.Tree.DefaultConfig(), "zones", zone+".xml"))
		if err != nil {
			t.Fatal(err)
		}
		var lines strings.Builder
		for _, i := range ifaces {
			fmt.Fprintf(&lines, "  <interface name=%q/>\n", i)
		}
		write(filepath.Join(fw.ConfigDir, "zones", zone+".xml"),
			strings.Replace(string(builtin), "</zone>", lines.String()+"</zone>", 1))
	}
	fw.MustCmd(t, "--reload")
}

// firewalldDaemonArgs run mssclampd following fw.
func firewalldDaemonArgs(fw *systest.Firewalld) []string {
	return []string{"--firewalld=auto", "--firewalld-conf=" + filepath.Join(fw.ConfigDir, "firewalld.conf")}
}

// firewalldCase is one firewalld release the harness has (Debian 11, 12 and
// 13) with one of its backends; its subtest is named "RELEASE/BACKEND".
type firewalldCase systest.FirewalldOptions

func (c firewalldCase) String() string { return c.Release + "/" + c.Backend }

func firewalldCases() (cases []firewalldCase) {
	for _, release := range systest.FirewalldReleases() {
		for _, backend := range []string{"nftables", "iptables"} {
			cases = append(cases, firewalldCase{Release: release, Backend: backend})
		}
	}
	return cases
}

// TestFirewalld runs mssclampd beside the real firewalld, every release the
// harness has, with each of firewalld's backends (ours follows it), and checks
// with packets that the clamp follows firewalld's zones through everything
// firewalld does.
//
// rc0 (client side) is bound to internal, rs0 (server side) to dmz, with
// firewall-cmd; both zones get a value=1200 rule, so the SYN (entering at
// rc0) and the SYN-ACK (entering at rs0) are both clamped to 1200.
func TestFirewalld(t *testing.T) {
	parallelEach(t, firewalldCases(), func(t *testing.T, fc firewalldCase) {
		testFirewalld(t, systest.FirewalldOptions(fc))
	})
}

func testFirewalld(t *testing.T, fo systest.FirewalldOptions) {
	backend := fo.Backend
	tp := systest.NewTopology(t, 1400)
	bus := systest.StartBus(t, systest.BusOptions{})
	fw := systest.StartFirewalldWith(t, bus, tp.Router, fo)
	configureFirewalld(t, fw, nil)
	d := startDaemon(t, daemonOptions{NS: tp.Router, Bus: bus, ConfigDir: t.TempDir(), Args: firewalldDaemonArgs(fw)})
	c := newClient(t, bus)
	if got, err := c.property("backend"); err != nil || got != backend {
		t.Fatalf("backend property = %q, %v; want %q (firewalld's)", got, err, backend)
	}
	waitMode(t, c, "firewalld")

	unclamped := systest.ProbeResult{SynMSS: unclampedSyn4, SynAckMSS: tp.MTU - 40}
	both := systest.ProbeResult{SynMSS: 1200, SynAckMSS: 1200}
	synAckOnly := systest.ProbeResult{SynMSS: unclampedSyn4, SynAckMSS: 1200}
	// Bound at runtime while we run, and made permanent for the restart
	// below.
	fw.MustCmd(t, "--zone=internal", "--change-interface=rc0")
	fw.MustCmd(t, "--zone=dmz", "--change-interface=rs0")
	fw.MustCmd(t, "--runtime-to-permanent")
	waitProbe(t, tp, systest.ProbeOptions{}, unclamped, "no rules yet")

	// Upstream's failing order: the interfaces are bound before the rule.
	clamp := "rule tcp-mss-clamp value=1200"
	must(t, "adding to internal", c.addRule("internal", clamp, 0))
	must(t, "adding to dmz", c.addRule("dmz", clamp, 0))
	waitProbeBoth(t, tp, both, "rules added after the bindings")

	err := c.addRule("nosuchzone", clamp, 0)
	if want := mdbus.ErrorName(firewalld.InvalidZone); errorName(err) != want {
		t.Errorf("addRichRule to a zone firewalld does not know: %v, want %s", err, want)
	} else {
		t.Logf("unknown zone refused: %v", err)
	}

	fw.MustCmd(t, "--reload")
	t.Logf("log: %s", d.waitLog(t, "followed firewalld", "reloaded"))
	waitProbeBoth(t, tp, both, "after firewall-cmd --reload")

	fw.Stop(t)
	fw.Start(t)
	waitMode(t, c, "firewalld")
	waitProbeBoth(t, tp, both, "after a firewalld restart")

	// The clamp follows rc0's zone: work has no rule.
	fw.MustCmd(t, "--zone=work", "--change-interface=rc0")
	waitProbe(t, tp, systest.ProbeOptions{}, synAckOnly, "rc0 moved to work")
	fw.MustCmd(t, "--zone=internal", "--change-interface=rc0")
	waitProbe(t, tp, systest.ProbeOptions{}, both, "rc0 moved back to internal")

	// Unbound, rc0 is in the default zone: public has no rule, home has
	// one of its own value.
	must(t, "adding to home", c.addRule("home", "rule tcp-mss-clamp value=1100", 0))
	fw.MustCmd(t, "--zone=internal", "--remove-interface=rc0")
	// firewalld 2.x reloads on --set-default-zone, which would bind rc0 again
	// from the permanent configuration.
	fw.MustCmd(t, "--permanent", "--zone=internal", "--remove-interface=rc0")
	waitProbe(t, tp, systest.ProbeOptions{}, synAckOnly, "rc0 unbound, default zone public")
	fw.MustCmd(t, "--set-default-zone=home")
	waitProbe(t, tp, systest.ProbeOptions{}, systest.ProbeResult{SynMSS: 1100, SynAckMSS: 1200}, "rc0 unbound, default zone home")
	fw.MustCmd(t, "--set-default-zone=public")
	waitProbe(t, tp, systest.ProbeOptions{}, synAckOnly, "rc0 unbound, default zone public again")
}
