package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// TestMetricsTranscript runs metrics.txt against the real D-Bus service and
// engine over a fake kernel whose counters the test sets.
func TestMetricsTranscript(t *testing.T) {
	systest.RequireCommands(t, "dbus-daemon")
	w := newWorld(t, false)
	w.kernel.setCounter(firewalld.ZoneScope("public"), "rule tcp-mss-clamp value=1200", backend.Counter{Packets: 12, Bytes: 720})
	w.kernel.setCounter(firewalld.PolicyScope("fwd"), "rule family=ipv6 tcp-mss-clamp", backend.Counter{Packets: 1, Bytes: 80})
	runTranscript(t, filepath.Join(transcriptDir, "metrics.txt"), w.run, nil)

	// What the transcript shows parses back as the families it names.
	got := w.run([]string{"--list-metrics"})
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(got.stdout))
	if err != nil {
		t.Fatalf("parsing --list-metrics: %v\n%s", err, got.stdout)
	}
	for name, typ := range map[string]string{"mssclamp_up": "GAUGE", "mssclamp_daemon_info": "GAUGE", "mssclamp_rules": "GAUGE",
		"mssclamp_rule_packets_total": "COUNTER", "mssclamp_rule_bytes_total": "COUNTER"} {
		if f := families[name]; f == nil || f.GetType().String() != typ {
			t.Errorf("family %s: %v, want type %s", name, f, typ)
		}
	}
	if len(families) != 5 {
		t.Errorf("%d families, want 5", len(families))
	}
}

// TestMetricsNotRunning: without mssclampd the scrape still succeeds and
// says "down", with the reason on stderr.
func TestMetricsNotRunning(t *testing.T) {
	systest.RequireCommands(t, "dbus-daemon")
	down := "# HELP mssclamp_up 1 if mssclampd answered on the system bus, 0 if it is not running.\n# TYPE mssclamp_up gauge\nmssclamp_up 0\n"
	w := &world{bus: systest.StartBus(t, systest.BusOptions{}), machine: testMachine(t)}
	want := result{down, "Warning: NOT_RUNNING: mssclampd is not running (no org.mssclamp.MssClamp1 on the system bus)\n", 0}
	if got := w.run([]string{"--list-metrics"}); got != want {
		t.Errorf("no daemon:\n got %q\nwant %q", got, want)
	}
	w.bus = &systest.Bus{Address: "unix:path=" + filepath.Join(t.TempDir(), "none")}
	got := w.run([]string{"--list-metrics"})
	if got.stdout != down || got.code != 0 || !strings.HasPrefix(got.stderr, "Warning: NOT_RUNNING: cannot connect to the system bus: ") {
		t.Errorf("no bus: %q", got)
	}
}

// TestMetricsLabelEscaping: a rule's text carries quotes (and a log prefix
// may carry backslashes); the encoder escapes them and they parse back.
func TestMetricsLabelEscaping(t *testing.T) {
	rule := `rule family="ipv4" tcp-mss-clamp value="1300" log prefix="a\b"`
	snap := &metricsSnapshot{up: true, version: "1", mode: "standalone", backend: "iptables",
		scopes: []scopeSnapshot{{Scope: firewalld.ZoneScope("public"), runtime: []listed{{rule: rule, owner: ownerOurs, counter: &backend.Counter{Packets: 1, Bytes: 60}}}}}}
	var b strings.Builder
	if err := writeMetrics(&b, snap); err != nil {
		t.Fatal(err)
	}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(b.String()))
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	m := families["mssclamp_rule_packets_total"].GetMetric()[0]
	labels := model.LabelSet{}
	for _, l := range m.GetLabel() {
		labels[model.LabelName(l.GetName())] = model.LabelValue(l.GetValue())
	}
	want := model.LabelSet{"scope_kind": "zone", "scope": "public", "owner": "mssclampd", "rule": model.LabelValue(rule)}
	if !labels.Equal(want) || m.GetCounter().GetValue() != 1 {
		t.Errorf("got %v %v, want %v 1", labels, m.GetCounter().GetValue(), want)
	}
}

// TestMetricsUnits: systemd accepts the textfile-collector units in dist/
// (TestSystemMetrics runs the service's command line).
func TestMetricsUnits(t *testing.T) {
	systest.RequireCommands(t, "systemd-analyze")
	units := []string{"../../dist/systemd/mssclamp-metrics.service", "../../dist/systemd/mssclamp-metrics.timer"}
	out, err := exec.Command("systemd-analyze", append([]string{"verify", "--man=no"}, units...)...).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}
