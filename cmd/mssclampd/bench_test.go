package main

import (
	"context"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	godbus "github.com/godbus/dbus/v5"
	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// The benchmarks run the daemon at the size the targets name: 1,000 rules.
// They set up once per run (firewalld starts and reloads take seconds), so
// run them with -benchtime 1x (as `make bench` does); each measures a
// series of its own and reports the median with b.ReportMetric.

// benchRule is one tcp-mss-clamp rule of the benchmark set.
type benchRule struct {
	zone, family, source, dest, value string
}

func (r benchRule) text() string {
	var b strings.Builder
	b.WriteString("rule")
	if r.family != "" {
		fmt.Fprintf(&b, " family=%q", r.family)
	}
	if r.source != "" {
		fmt.Fprintf(&b, " source address=%q", r.source)
	}
	if r.dest != "" {
		fmt.Fprintf(&b, " destination address=%q", r.dest)
	}
	b.WriteString(" tcp-mss-clamp")
	if r.value != "" {
		fmt.Fprintf(&b, " value=%q", r.value)
	}
	return b.String()
}

// xml is the rule as an element of a zone file, as richrule writes it.
func (r benchRule) xml(b testing.TB) string {
	parsed, err := richrule.Parse(r.text())
	if err != nil {
		b.Fatalf("%s: %v", r.text(), err)
	}
	var out strings.Builder
	enc := xml.NewEncoder(&out)
	enc.Indent("  ", "  ")
	if err := enc.EncodeElement(parsed, xml.StartElement{Name: xml.Name{Local: "rule"}}); err != nil {
		b.Fatal(err)
	}
	return out.String() + "\n"
}

// benchZones are the zones of the benchmark router and how many of the
// 1,000 rules each holds: the client side carries most.
var benchZones = []struct {
	name  string
	rules int
}{{"internal", 400}, {"dmz", 200}, {"work", 200}, {"home", 100}, {"public", 100}}

// benchRules is 1,000 rules spread as on a VPN concentrator or an access
// router with per-site clamps: in each zone one zone-wide pmtu clamp, then
// per-site rules — 70% IPv4 source networks (a /24 per site), 20% IPv6
// source networks (a /48 per site), 10% IPv4 destination hosts (/32,
// servers behind tunnels) — with the values tunnels need (1300..1452).
// No two rules are equal.
func benchRules() []benchRule {
	values := []string{"1300", "1320", "1360", "1380", "1400", "1412", "1436", "1452"}
	var rules []benchRule
	n := 0
	for zi, z := range benchZones {
		rules = append(rules, benchRule{zone: z.name})
		for i := 1; i < z.rules; i++ {
			n++
			r := benchRule{zone: z.name, family: "ipv4", value: values[n%len(values)]}
			switch n % 10 {
			case 0:
				r.dest = fmt.Sprintf("198.18.%d.%d/32", zi*2+i/256, i%256)
			case 1, 2:
				r.family = "ipv6"
				r.source = fmt.Sprintf("fd00:%x:%x::/48", zi+1, i)
			default:
				r.source = fmt.Sprintf("10.%d.%d.0/24", 100+zi*2+i/256, i%256)
			}
			rules = append(rules, r)
		}
	}
	return rules
}

// writeOurRules writes the rules into mssclampd's permanent configuration.
func writeOurRules(b testing.TB, dir string, rules []benchRule) {
	b.Helper()
	st := store.Open(dir)
	byZone := map[string][]*richrule.Rule{}
	for _, r := range rules {
		parsed, err := richrule.Parse(r.text())
		if err != nil {
			b.Fatalf("%s: %v", r.text(), err)
		}
		byZone[r.zone] = append(byZone[r.zone], parsed)
	}
	for zone, list := range byZone {
		if err := st.SaveZone(&store.Zone{Name: zone, Rules: list}); err != nil {
			b.Fatal(err)
		}
	}
}

// writeFirewalldRules appends the rules to firewalld's zone files (its
// builtin zones, with their services) in its private configuration; a
// reload loads them.
func writeFirewalldRules(b testing.TB, fw *systest.Firewalld, rules []benchRule, bindings map[string][]string) {
	b.Helper()
	extra := map[string]*strings.Builder{}
	for _, z := range benchZones {
		extra[z.name] = &strings.Builder{}
	}
	for _, r := range rules {
		extra[r.zone].WriteString(r.xml(b))
	}
	for zone, ifaces := range bindings {
		for _, i := range ifaces {
			fmt.Fprintf(extra[zone], "  <interface name=%q/>\n", i)
		}
	}
	for zone, add := range extra {
		builtin, err := os.ReadFile(filepath.Join(fw.Tree.DefaultConfig(), "zones", zone+".xml"))
		if err != nil {
			b.Fatal(err)
		}
		path := filepath.Join(fw.ConfigDir, "zones", zone+".xml")
		if err := os.WriteFile(path, []byte(strings.Replace(string(builtin), "</zone>", add.String()+"</zone>", 1)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
}

// benchWorld is firewalld and mssclampd on one bus in the router namespace
// of a topology, each holding the 1,000 benchmark rules.
type benchWorld struct {
	tp     *systest.Topology
	bus    *systest.Bus
	fw     *systest.Firewalld
	d      *daemon
	c      *client
	fwConn *godbus.Conn
}

var benchBindings = map[string][]string{"internal": {"rc0"}, "dmz": {"rs0"}}

// newBenchWorld starts both daemons; firewaldRules says whether firewalld
// gets the 1,000 rules too (it only needs them to be compared with).
func newBenchWorld(b *testing.B, backend string, firewalldRules bool) *benchWorld {
	b.Helper()
	systest.RequireRoot(b)
	w := &benchWorld{tp: systest.NewTopology(b, 1400), bus: systest.StartBus(b, systest.BusOptions{})}
	w.fw = systest.StartFirewalld(b, w.bus, w.tp.Router, backend)
	rules := benchRules()
	var fwRules []benchRule
	if firewalldRules {
		fwRules = rules
	}
	writeFirewalldRules(b, w.fw, fwRules, benchBindings)
	start := time.Now()
	configureFirewalld(b, w.fw, nil)
	b.Logf("firewalld (%s) reloaded with %d rich rules in %v", backend, len(fwRules), time.Since(start).Round(time.Millisecond))

	dir := b.TempDir()
	writeOurRules(b, dir, rules)
	start = time.Now()
	w.d = startDaemon(b, daemonOptions{NS: w.tp.Router, Bus: w.bus, ConfigDir: dir, Args: firewalldDaemonArgs(w.fw)})
	b.Logf("mssclampd (%s) started with %d rules in %v", backend, len(rules), time.Since(start).Round(time.Millisecond))
	w.c = newClient(b, w.bus)
	w.fwConn = w.bus.Conn(b)
	ours, theirs := 0, 0
	fw := w.fwConn.Object("org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1")
	for _, z := range benchZones {
		var got []string
		must(b, "getRichRules", w.c.call(mdbus.ServicePath, mdbus.ServiceZoneInterface+".getRichRules", []any{z.name}, &got))
		ours += len(got)
		must(b, "firewalld's getRichRules", fw.Call("org.fedoraproject.FirewallD1.zone.getRichRules", 0, z.name).Store(&got))
		theirs += len(got)
	}
	if ours != len(rules) || theirs != len(fwRules) {
		b.Fatalf("mssclampd holds %d rules, firewalld %d; want %d and %d", ours, theirs, len(rules), len(fwRules))
	}
	return w
}

// rss reads the daemon's resident set (VmRSS) and its peak (VmHWM) in KiB.
func rss(b testing.TB, pid int) (cur, peak int) {
	b.Helper()
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "Name:":
			if f[1] != "mssclampd" {
				b.Fatalf("pid %d is %s, not mssclampd", pid, f[1])
			}
		case "VmRSS:":
			cur, _ = strconv.Atoi(f[1])
		case "VmHWM:":
			peak, _ = strconv.Atoi(f[1])
		}
	}
	return cur, peak
}

func reportRSS(b *testing.B, d *daemon) {
	cur, peak := rss(b, d.pid())
	b.ReportMetric(float64(cur)/1024, "MiB-rss")
	b.ReportMetric(float64(peak)/1024, "MiB-peak-rss")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// addSamples is how many rules each side adds; the median of so many is
// steady on a loaded machine.
const addSamples = 25

// BenchmarkAddRichRule: the latency of one runtime addRichRule over D-Bus
// with 1,000 rules present, mssclampd against firewalld 1.3.3 (nftables
// backends both) on the same bus and namespace, each holding the same
// 1,000 rules (benchRules). Each side adds the same new per-site rules to
// internal, one side after the other: interleaved, each call would also pay
// for the other daemon's aftermath on a small machine (firewalld keeps a
// core busy for a while after it answers). ns/op is our median.
func BenchmarkAddRichRule(b *testing.B) {
	w := newBenchWorld(b, "nftables", true)
	fwZone := w.fwConn.Object("org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1")
	samples := max(b.N, addSamples)
	rule := func(i int) string {
		return benchRule{family: "ipv4", source: fmt.Sprintf("10.250.%d.0/24", i), value: "1400"}.text()
	}
	var ours, theirs []time.Duration
	b.ResetTimer()
	for i := range samples {
		start := time.Now()
		must(b, "our addRichRule", w.c.addRule("internal", rule(i), 0))
		ours = append(ours, time.Since(start))
	}
	b.StopTimer()
	for i := range samples {
		start := time.Now()
		var zone string
		must(b, "firewalld's addRichRule", fwZone.Call("org.fedoraproject.FirewallD1.zone.addRichRule", 0, "internal", rule(i), int32(0)).Store(&zone))
		theirs = append(theirs, time.Since(start))
	}
	m, fm := median(ours), median(theirs)
	b.ReportMetric(float64(m.Nanoseconds()), "ns/op")
	b.ReportMetric(ms(m), "ms/add")
	b.ReportMetric(ms(fm), "firewalld-ms/add")
	b.ReportMetric(float64(fm)/float64(m), "x-faster")
	b.Logf("addRichRule with 1,000 rules, median of %d: mssclampd %v (max %v), firewalld %v (max %v): %.1fx",
		samples, m, slices.Max(ours), fm, slices.Max(theirs), float64(fm)/float64(m))
	reportRSS(b, w.d)
}

// BenchmarkReloadRecovery: the time from firewalld's Reloaded signal until
// our 1,000 rules are back in the kernel, watched over netlink. With
// firewalld's iptables backend the reload flushes every iptables table,
// ours included; with nftables our table is not touched.
//
// Our backends change the kernel in one transaction per table (nftables)
// or per family (iptables-restore), so the watch polls only for our jump
// from the built-in chain (cheap: a poll is well under a millisecond) and,
// once it is there, checks that the whole of what we held before the reload
// is back. A recovery is the time from the signal to the end of the first
// poll that finds it (polls are a millisecond apart); 0 when the rules were
// never gone.
func BenchmarkReloadRecovery(b *testing.B) {
	for _, backend := range []string{"nftables", "iptables"} {
		b.Run(backend, func(b *testing.B) {
			w := newBenchWorld(b, backend, false)
			k := newKernelWatch(b, w.tp.Router, backend)
			want := k.count(b)
			if want.rules == 0 || !k.ready(b) {
				b.Fatal("none of our rules in the kernel")
			}
			b.Logf("the kernel holds %d rules and %d set elements of ours", want.rules, want.elements)
			start := time.Now()
			if _, err := mdbus.NewFirewalld(w.fwConn).Snapshot(context.Background()); err != nil {
				b.Fatal(err)
			}
			b.Logf("one snapshot of firewalld's state (what mssclampd reads after each signal) takes %v", time.Since(start).Round(time.Microsecond))

			if err := w.fwConn.AddMatchSignal(godbus.WithMatchInterface("org.fedoraproject.FirewallD1"), godbus.WithMatchMember("Reloaded")); err != nil {
				b.Fatal(err)
			}
			sigs := make(chan *godbus.Signal, 16)
			w.fwConn.Signal(sigs)
			fw := w.fwConn.Object("org.fedoraproject.FirewallD1", "/org/fedoraproject/FirewallD1")
			const reloads = 5
			var took []time.Duration
			wiped := 0
			b.ResetTimer()
			for range max(b.N, reloads) {
				call := fw.Go("org.fedoraproject.FirewallD1.reload", 0, nil)
				var t0 time.Time
				select {
				case <-sigs:
					t0 = time.Now()
				case <-time.After(60 * time.Second):
					b.Fatal("no Reloaded signal")
				}
				var back time.Duration
				for polls := 0; ; polls++ {
					ok := k.ready(b)
					if ok && polls == 0 {
						break // never gone
					}
					back = time.Since(t0)
					if ok {
						break
					}
					if polls == 0 {
						wiped++
					}
					if back > 10*time.Second {
						b.Fatal("10 s after Reloaded our jump is not back")
					}
					// Leave the CPU to the daemon and iptables-restore.
					time.Sleep(time.Millisecond)
				}
				took = append(took, back)
				if got := k.count(b); got != want {
					b.Fatalf("after the reload the kernel holds %+v of ours, want %+v", got, want)
				}
				if err := (<-call.Done).Err; err != nil {
					b.Fatalf("reload: %v", err)
				}
			}
			b.StopTimer()
			m := median(took)
			b.ReportMetric(float64(m.Nanoseconds()), "ns/op")
			b.ReportMetric(ms(m), "ms/recovery")
			b.ReportMetric(ms(slices.Max(took)), "max-ms/recovery")
			b.Logf("%s: %d reloads, our rules gone at Reloaded in %d; back after median %v, max %v (%v)",
				backend, len(took), wiped, m, slices.Max(took), took)
			b.Logf("mssclampd log, last lines:\n%s", lastLines(w.d.log(), 2*reloads))
			reportRSS(b, w.d)
		})
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// kernelWatch looks at our objects over netlink: nftables' table inet
// mssclamp, or the MSSCLAMP_ chains that iptables-nft keeps in the ip and
// ip6 mangle tables.
type kernelWatch struct {
	conn    *nftables.Conn
	backend string
}

// kernelCount is what count finds: rules in our chains (the jumps to them
// from the built-in chains included) and elements of our sets and maps.
type kernelCount struct{ rules, elements int }

func newKernelWatch(b *testing.B, ns *systest.NS, backend string) *kernelWatch {
	c, err := nftables.New(nftables.WithNetNSFd(ns.FD(b)), nftables.AsLasting())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.CloseLasting() })
	return &kernelWatch{conn: c, backend: backend}
}

// ready reports whether our entry point is in the kernel: the rule of our
// forward base chain (nftables), or a jump to a MSSCLAMP_ chain from the
// mangle FORWARD chain of both families (iptables).
func (k *kernelWatch) ready(b *testing.B) bool {
	if k.backend != "iptables" {
		t := &nftables.Table{Name: "mssclamp", Family: nftables.TableFamilyINet}
		rules, err := k.conn.GetRules(t, &nftables.Chain{Name: "forward", Table: t})
		return err == nil && len(rules) > 0
	}
	for _, fam := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		t := &nftables.Table{Name: "mangle", Family: fam}
		rules, err := k.conn.GetRules(t, &nftables.Chain{Name: "FORWARD", Table: t})
		if err != nil || jumps(rules) == 0 {
			return false
		}
	}
	return true
}

func jumps(rules []*nftables.Rule) int {
	n := 0
	for _, r := range rules {
		for _, e := range r.Exprs {
			if v, ok := e.(*expr.Verdict); ok && strings.HasPrefix(v.Chain, "MSSCLAMP_") {
				n++
			}
		}
	}
	return n
}

// count counts everything of ours.
func (k *kernelWatch) count(b *testing.B) kernelCount {
	if k.backend == "iptables" {
		return k.countIptables(b)
	}
	var n kernelCount
	t, err := k.conn.ListTableOfFamily("mssclamp", nftables.TableFamilyINet)
	if err != nil {
		return n
	}
	chains, err := k.conn.ListChainsOfTableFamily(nftables.TableFamilyINet)
	if err != nil {
		b.Fatal(err)
	}
	for _, ch := range chains {
		if ch.Table.Name != t.Name {
			continue
		}
		rules, err := k.conn.GetRules(t, ch)
		if err != nil {
			b.Fatal(err)
		}
		n.rules += len(rules)
	}
	sets, err := k.conn.GetSets(t)
	if err != nil {
		b.Fatal(err)
	}
	for _, s := range sets {
		elems, err := k.conn.GetSetElements(s)
		if err != nil {
			b.Fatal(err)
		}
		n.elements += len(elems)
	}
	return n
}

func (k *kernelWatch) countIptables(b *testing.B) kernelCount {
	var n kernelCount
	for _, fam := range []nftables.TableFamily{nftables.TableFamilyIPv4, nftables.TableFamilyIPv6} {
		chains, err := k.conn.ListChainsOfTableFamily(fam)
		if err != nil {
			b.Fatal(err)
		}
		for _, ch := range chains {
			if ch.Table.Name != "mangle" {
				continue
			}
			rules, err := k.conn.GetRules(ch.Table, ch)
			if err != nil {
				b.Fatal(err)
			}
			if strings.HasPrefix(ch.Name, "MSSCLAMP_") {
				n.rules += len(rules)
			} else {
				n.rules += jumps(rules)
			}
		}
	}
	return n
}

// BenchmarkDaemonRSS: the resident memory of mssclampd holding the 1,000
// benchmark rules standalone (every zone bound to an interface name, so
// all of them are in the kernel; the interfaces need not exist), with each backend, after it applied them and
// after 100 more adds.
func BenchmarkDaemonRSS(b *testing.B) {
	for _, backend := range []string{"nftables", "iptables"} {
		b.Run(backend, func(b *testing.B) {
			systest.RequireRoot(b)
			ns := systest.NewNS(b)
			bus := systest.StartBus(b, systest.BusOptions{})
			dir := b.TempDir()
			writeOurRules(b, dir, benchRules())
			for _, z := range benchZones {
				// Bind every zone but public (the default zone catches the rest).
				if z.name == "public" {
					continue
				}
				st := store.Open(dir)
				zone, err := st.LoadZone(z.name)
				if err != nil {
					b.Fatal(err)
				}
				zone.Interfaces = []string{"b-" + z.name}
				if err := st.SaveZone(zone); err != nil {
					b.Fatal(err)
				}
			}
			d := startDaemon(b, daemonOptions{NS: ns, Bus: bus, ConfigDir: dir, Args: []string{"--firewalld=off", "--backend=" + backend}})
			cur, peak := rss(b, d.pid())
			b.Logf("%s: VmRSS %.1f MiB, VmHWM %.1f MiB with %d rules", backend, float64(cur)/1024, float64(peak)/1024, len(benchRules()))
			c := newClient(b, bus)
			b.ResetTimer()
			adds := max(b.N, 100)
			for i := range adds {
				must(b, "add", c.addRule("internal", benchRule{family: "ipv4", source: fmt.Sprintf("10.251.%d.%d/32", i/250, i%250), value: "1400"}.text(), 0))
			}
			b.StopTimer()
			// ResetTimer forgets metrics: report now.
			b.ReportMetric(float64(cur)/1024, "MiB-rss")
			b.ReportMetric(float64(peak)/1024, "MiB-peak-rss")
			cur, peak = rss(b, d.pid())
			b.Logf("%s: VmRSS %.1f MiB, VmHWM %.1f MiB after %d runtime adds", backend, float64(cur)/1024, float64(peak)/1024, adds)
			b.ReportMetric(float64(cur)/1024, "MiB-rss-after-adds")
		})
	}
}
