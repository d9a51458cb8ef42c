package main

import (
	"bytes"
	"context"
	"fmt"
	"io"

	godbus "github.com/godbus/dbus/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// --list-metrics prints what mssclampd reports, in Prometheus' text
// exposition format, for node_exporter's textfile collector (or any
// scraper that runs a command). It reads only what mssclampd lets everyone
// read over D-Bus (properties, getZones, getRichRuleCounters, the permanent
// rules), so it works as an unprivileged user.
//
// A daemon that is not on the bus is a scrape result, not a failure:
// mssclamp_up 0 alone, exit 0, so that a timer that replaces the .prom
// file on success only replaces it with "down" rather than leaving the last
// good numbers in place. Any other failure prints nothing and exits with
// the error's code, leaving the previous file (node_exporter exposes its
// mtime) untouched.

// Label names. scope_kind and scope say where a rule lives, as
// --zone/--policy do; owner says who holds it, with the values of
// --list-rich-rules --output=json ("mssclampd" for our store; "firewalld"
// is kept for firewalld's own tcp-mss-clamp rules once mssclampd enforces
// them, issue 12); rule is the canonical rule text.
const (
	labelScopeKind = "scope_kind"
	labelScope     = "scope"
	labelOwner     = "owner"
	labelConfig    = "config"
	labelRule      = "rule"
)

var (
	descUp = prometheus.NewDesc("mssclamp_up",
		"1 if mssclampd answered on the system bus, 0 if it is not running.", nil, nil)
	descInfo = prometheus.NewDesc("mssclamp_daemon_info",
		"mssclampd's version, mode (firewalld or standalone) and backend (nftables or iptables); always 1.",
		[]string{"version", "mode", "backend"}, nil)
	descRules = prometheus.NewDesc("mssclamp_rules",
		"Number of tcp-mss-clamp rules in a zone or policy, in the runtime or the permanent configuration.",
		[]string{labelScopeKind, labelScope, labelOwner, labelConfig}, nil)
	descPackets = prometheus.NewDesc("mssclamp_rule_packets_total",
		"TCP SYN and SYN-ACK packets a runtime rule has clamped (matched), since the rule was last installed.",
		[]string{labelScopeKind, labelScope, labelOwner, labelRule}, nil)
	descBytes = prometheus.NewDesc("mssclamp_rule_bytes_total",
		"Bytes of the packets counted by mssclamp_rule_packets_total.",
		[]string{labelScopeKind, labelScope, labelOwner, labelRule}, nil)
)

// metricsSnapshot is one read of mssclampd.
type metricsSnapshot struct {
	up                     bool
	version, mode, backend string
	scopes                 []scopeSnapshot
}

// scopeSnapshot is one zone or policy: its runtime rules with their
// counters, and its permanent rules.
type scopeSnapshot struct {
	firewalld.Scope
	runtime, permanent []listed
}

// runMetrics is --list-metrics.
func runMetrics(ctx context.Context, o *options, p *printer, dial func() (*godbus.Conn, error)) int {
	if o.offline {
		return p.usage("Can't use --offline with --list-metrics.")
	}
	var snap *metricsSnapshot
	conn, err := dial()
	if err != nil {
		err = firewalld.Errorf(firewalld.NotRunning, "cannot connect to the system bus: %v", err)
	} else {
		defer conn.Close()
		snap, err = readMetrics(ctx, &daemon{mdbus.NewClient(conn)})
	}
	switch {
	case err == nil:
	case firewalld.AsError(err).Code == firewalld.NotRunning:
		// The reason goes to stderr (a timer's journal); stdout still
		// carries a valid exposition that says "down".
		p.warn("Warning: " + err.Error())
		snap = &metricsSnapshot{}
	default:
		return p.fail(err)
	}
	var buf bytes.Buffer
	if err := writeMetrics(&buf, snap); err != nil {
		return p.fail(firewalld.Unknown("encoding metrics: " + err.Error()))
	}
	_, _ = p.out.Write(buf.Bytes())
	return 0
}

// readMetrics reads the daemon's properties and every zone's and policy's
// rules. A zone or policy that goes away while it is read is left out.
func readMetrics(ctx context.Context, d *daemon) (*metricsSnapshot, error) {
	running, err := d.Running(ctx)
	if err != nil {
		return nil, err
	}
	if !running {
		return nil, mdbus.ErrServiceNotRunning
	}
	s := &metricsSnapshot{up: true}
	for _, prop := range []struct {
		name string
		dst  *string
	}{{"version", &s.version}, {"mode", &s.mode}, {"backend", &s.backend}} {
		if *prop.dst, err = d.Property(ctx, prop.name); err != nil {
			return nil, fmt.Errorf("reading mssclampd's %s: %w", prop.name, err)
		}
	}
	scopes, err := d.Scopes(ctx)
	if err != nil {
		return nil, err
	}
	for _, scope := range scopes {
		sc, err := readScope(ctx, d, scope)
		if vanished(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		s.scopes = append(s.scopes, sc)
	}
	return s, nil
}

func readScope(ctx context.Context, d *daemon, scope firewalld.Scope) (scopeSnapshot, error) {
	sc := scopeSnapshot{Scope: scope}
	var err error
	if sc.runtime, err = d.list(ctx, target{scope, false}, true); err != nil {
		return sc, err
	}
	sc.permanent, err = d.list(ctx, target{scope, true}, false)
	return sc, err
}

// vanished: the zone or policy was removed between the listing of names
// and the read of its rules (firewalld reloaded, say).
func vanished(err error) bool {
	if err == nil {
		return false
	}
	c := firewalld.AsError(err).Code
	return c == firewalld.InvalidZone || c == firewalld.InvalidPolicy
}

// metricsCollector turns a snapshot into constant metrics; the registry
// checks them (names, label consistency, no duplicates) and sorts them.
type metricsCollector struct{ s *metricsSnapshot }

func (c metricsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descUp, descInfo, descRules, descPackets, descBytes} {
		ch <- d
	}
}

func (c metricsCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	if !s.up {
		ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descUp, prometheus.GaugeValue, 1)
	ch <- prometheus.MustNewConstMetric(descInfo, prometheus.GaugeValue, 1, s.version, s.mode, s.backend)
	for _, sc := range s.scopes {
		// Every scope reports a count for our store, even 0, so that a
		// zone losing its last rule shows as a drop, not as a gap.
		for config, rules := range map[string][]listed{"runtime": sc.runtime, "permanent": sc.permanent} {
			counts := map[string]int{ownerOurs: 0}
			for _, r := range rules {
				counts[r.owner]++
			}
			for owner, n := range counts {
				ch <- prometheus.MustNewConstMetric(descRules, prometheus.GaugeValue, float64(n), sc.Kind(), sc.Name, owner, config)
			}
		}
		for _, r := range sc.runtime {
			if r.counter == nil {
				continue
			}
			labels := []string{sc.Kind(), sc.Name, r.owner, r.rule}
			ch <- prometheus.MustNewConstMetric(descPackets, prometheus.CounterValue, float64(r.counter.Packets), labels...)
			ch <- prometheus.MustNewConstMetric(descBytes, prometheus.CounterValue, float64(r.counter.Bytes), labels...)
		}
	}
}

// writeMetrics encodes s in the text exposition format (version 0.0.4),
// without timestamps, as the textfile collector requires.
func writeMetrics(w io.Writer, s *metricsSnapshot) error {
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(metricsCollector{s}); err != nil {
		return err
	}
	families, err := reg.Gather()
	if err != nil {
		return err
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range families {
		if err := enc.Encode(mf); err != nil {
			return fmt.Errorf("%s: %w", mf.GetName(), err)
		}
	}
	return nil
}
