package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// nobody is the unprivileged user the metrics are read as.
const nobody = 65534

// TestSystemMetrics: one real SYN through the router is counted once by the
// zone rule and once by the policy rule it passes; --list-metrics, run as
// uid 65534 under the real system-bus policy and our busconfig, reports
// that, and its output passes `promtool check metrics`.
//
// rc0 (the client's side) is bound to zone internal, which has the rule;
// rs0 falls to public, which has none. Our zone rules clamp SYN and SYN-ACK
// entering from the zone, so the SYN (entering by rc0) matches and the
// SYN-ACK (entering by rs0) does not; the policy internal -> public sees
// the SYN only, too.
func TestSystemMetrics(t *testing.T) {
	systest.RequireRoot(t)
	t.Parallel()
	promtool := filepath.Join(systest.DebianTree(t, "", "prometheus"), "usr/bin/promtool")
	tp := systest.NewTopology(t, 1400)
	dist, err := filepath.Abs("../../dist/dbus-1/system.d")
	if err != nil {
		t.Fatal(err)
	}
	w := &sysWorld{bus: systest.StartBus(t, systest.BusOptions{SystemPolicy: true, ConfigDirs: []string{dist}}), ns: tp.Router, dir: t.TempDir()}
	w.cmd, w.daemon = systest.Build(t, "../mssclamp-cmd"), systest.Build(t, "../mssclampd")
	writeConfig(t, w.dir, "zones/internal.xml", `<zone>
  <interface name="rc0"/>
  <rule>
    <tcp-mss-clamp value="1300"/>
  </rule>
</zone>`)
	writeConfig(t, w.dir, "policies/out.xml", `<policy target="CONTINUE">
  <rule family="ipv4">
    <tcp-mss-clamp value="1350"/>
  </rule>
  <ingress-zone name="internal"/>
  <egress-zone name="public"/>
</policy>`)
	w.startDaemon(t, "--firewalld=off")

	if got := tp.Probe(t, systest.ProbeOptions{}); got != (systest.ProbeResult{SynMSS: 1300, SynAckMSS: 1360}) {
		t.Fatalf("probe = %+v, want the SYN clamped to 1300 and the SYN-ACK left at 1360", got)
	}

	// The binary where uid 65534 can run it (t.TempDir is root's alone).
	dir, err := os.MkdirTemp("", "msc-metrics-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	cmdPath := filepath.Join(dir, "mssclamp-cmd")
	data, err := os.ReadFile(w.cmd)
	if err == nil {
		err = os.WriteFile(cmdPath, data, 0o755)
	}
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(cmdPath, "--list-metrics")
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	got := runBinary(cmd, w.bus)
	if got.code != 0 || got.stderr != "" {
		t.Fatalf("--list-metrics as uid %d: %q", nobody, got)
	}
	t.Logf("--list-metrics as uid %d:\n%s", nobody, got.stdout)

	check := exec.Command(promtool, "check", "metrics")
	check.Stdin = strings.NewReader(got.stdout)
	if out, err := check.CombinedOutput(); err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Errorf("promtool check metrics: %v\n%s", err, out)
	}

	checkPacketCounters(t, got.stdout)
	checkMetricsUnit(t, w.bus, cmdPath, got.stdout)
}

// checkPacketCounters: each rule counted the one SYN.
func checkPacketCounters(t *testing.T, metrics string) {
	t.Helper()
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(metrics))
	if err != nil {
		t.Fatal(err)
	}
	packets := map[string]float64{}
	for _, m := range families["mssclamp_rule_packets_total"].GetMetric() {
		var key []string
		for _, l := range m.GetLabel() {
			key = append(key, l.GetName()+"="+l.GetValue())
		}
		packets[strings.Join(key, ",")] = m.GetCounter().GetValue()
	}
	want := map[string]float64{
		`owner=mssclampd,rule=rule tcp-mss-clamp value="1300",scope=internal,scope_kind=zone`:            1,
		`owner=mssclampd,rule=rule family="ipv4" tcp-mss-clamp value="1350",scope=out,scope_kind=policy`: 1,
	}
	if len(packets) != len(want) {
		t.Errorf("packet counters %v, want %v", packets, want)
	}
	for k, v := range want {
		if packets[k] != v {
			t.Errorf("mssclamp_rule_packets_total{%s} = %v, want %v", k, packets[k], v)
		}
	}
}

// checkMetricsUnit runs the command line of dist/systemd's
// mssclamp-metrics.service as uid 65534, with OUT in a directory of its
// own: the file it leaves is what --list-metrics printed, and nothing else
// is left beside it.
func checkMetricsUnit(t *testing.T, bus *systest.Bus, cmdPath, want string) {
	t.Helper()
	unit, err := os.ReadFile("../../dist/systemd/mssclamp-metrics.service")
	if err != nil {
		t.Fatal(err)
	}
	var script string
	for _, line := range strings.Split(string(unit), "\n") {
		if rest, ok := strings.CutPrefix(line, "ExecStart=/bin/sh -c '"); ok {
			script = strings.TrimSuffix(rest, "'")
		}
	}
	if script == "" {
		t.Fatalf("no ExecStart=/bin/sh -c '...' in mssclamp-metrics.service:\n%s", unit)
	}
	dir, err := os.MkdirTemp("", "msc-textfile-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chown(dir, nobody, nobody); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "mssclamp.prom")
	// systemd substitutes ${OUT}; the test's binary stands in for /usr/bin's.
	script = strings.NewReplacer("${OUT}", out, "/usr/bin/mssclamp-cmd", cmdPath).Replace(script)
	sh := exec.Command("/bin/sh", "-c", script)
	sh.Dir = "/"
	sh.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	if got := runBinary(sh, bus); got != (result{}) {
		t.Fatalf("the unit's command %q: %q", script, got)
	}
	if data, err := os.ReadFile(out); err != nil || string(data) != want {
		t.Errorf("%s: %v\n%s\nwant:\n%s", out, err, data, want)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("%s holds %d entries, want only mssclamp.prom", dir, len(entries))
	}
}

// writeConfig writes one file of mssclampd's configuration, as an
// administrator would.
func writeConfig(t testing.TB, dir, name, body string) {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"+body+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
