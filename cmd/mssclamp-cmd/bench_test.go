package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// benchBatch is how many calls of each tool one benchmark iteration makes,
// so that even -benchtime 1x (make bench) gives a median worth reading.
const benchBatch = 25

// BenchmarkQueryRichRule is the speed target: the wall time of one
// `mssclamp-cmd --query-rich-rule=...` (process start to exit, against
// mssclampd), and for comparison `firewall-cmd --query-rich-rule=...` for
// the same rule against firewalld 1.3.3, which holds it natively, measured
// in the same run, the calls interleaved so that both see the same load.
// Both daemons run in one namespace on one private bus, mssclampd following
// firewalld; the clients run in the test's namespace (they only talk
// D-Bus). The metrics are the medians, in milliseconds.
func BenchmarkQueryRichRule(b *testing.B) {
	w := newSysWorld(b)
	fw := systest.StartFirewalld(b, w.bus, w.ns, "nftables")
	w.startDaemon(b, "--firewalld=auto", "--firewalld-conf="+filepath.Join(fw.ConfigDir, "firewalld.conf"))
	const rule = "rule tcp-mss-clamp value=1200"
	if got := w.run([]string{"--add-rich-rule=" + rule}); got.code != 0 {
		b.Fatalf("mssclamp-cmd --add-rich-rule: %q", got)
	}
	fw.MustCmd(b, "--add-rich-rule="+rule)

	tools := []struct {
		name    string
		command func() *exec.Cmd
		samples []time.Duration
	}{
		{name: "mssclamp-cmd", command: func() *exec.Cmd { return exec.Command(w.cmd, "--query-rich-rule="+rule) }},
		{name: "firewall-cmd", command: func() *exec.Cmd {
			c := fw.Tree.ToolCommand("firewall-cmd", "--query-rich-rule="+rule)
			c.Env = fw.Tree.Env(w.bus.Env())
			return c
		}},
	}
	b.ResetTimer()
	for range b.N {
		for range benchBatch {
			for i := range tools {
				start := time.Now()
				got := runBinary(tools[i].command(), w.bus)
				tools[i].samples = append(tools[i].samples, time.Since(start))
				if got != (result{"yes\n", "", 0}) {
					b.Fatalf("%s --query-rich-rule: %q", tools[i].name, got)
				}
			}
		}
	}
	b.StopTimer()
	for _, tool := range tools {
		b.ReportMetric(float64(median(tool.samples))/float64(time.Millisecond), tool.name+"-median-ms")
	}
}

// BenchmarkQueryInProcess is one --query-rich-rule without the process: the
// command's own work and its D-Bus round trips (connect, ask the bus,
// query) against mssclampd's service and engine over a fake kernel.
func BenchmarkQueryInProcess(b *testing.B) {
	systest.RequireCommands(b, "dbus-daemon")
	w := newWorld(b, false)
	args := []string{"--add-rich-rule=rule tcp-mss-clamp value=1200"}
	if got := w.run(args); got.code != 0 {
		b.Fatalf("add: %q", got)
	}
	args = []string{"--query-rich-rule=rule tcp-mss-clamp value=1200"}
	b.ResetTimer()
	for range b.N {
		if got := w.run(args); got.code != 0 {
			b.Fatalf("query: %q", got)
		}
	}
}

func median(d []time.Duration) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
