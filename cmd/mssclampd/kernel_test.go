package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// What the kernel holds and does, read from outside the daemon.

// probeTimeout bounds how long a clamp may take to show in packets after a
// change (firewalld restarts included).
const probeTimeout = 15 * time.Second

// waitProbe probes until the handshake shows want, and fails with the last
// result after probeTimeout. Probing is the only way to wait: the daemon
// follows firewalld asynchronously.
func waitProbe(t testing.TB, tp *systest.Topology, o systest.ProbeOptions, want systest.ProbeResult, what string) {
	t.Helper()
	deadline := time.Now().Add(probeTimeout)
	start := time.Now()
	for {
		got := tp.Probe(t, o)
		if got == want {
			t.Logf("%s (IPv6 %v): SYN %d / SYN-ACK %d after %v", what, o.IPv6, got.SynMSS, got.SynAckMSS, time.Since(start).Round(time.Millisecond))
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s (IPv6 %v): probe = SYN %d / SYN-ACK %d, want %d / %d (waited %v)",
				what, o.IPv6, got.SynMSS, got.SynAckMSS, want.SynMSS, want.SynAckMSS, probeTimeout)
		}
	}
}

// waitProbeBoth is waitProbe over IPv4 and IPv6.
func waitProbeBoth(t testing.TB, tp *systest.Topology, want systest.ProbeResult, what string) {
	t.Helper()
	waitProbe(t, tp, systest.ProbeOptions{}, want, what)
	want6 := want
	// Without a clamp the IPv6 MSS is 20 bytes smaller (a bigger header).
	if want6.SynMSS == unclampedSyn4 {
		want6.SynMSS = unclampedSyn6
	}
	if want6.SynAckMSS == tp.MTU-40 {
		want6.SynAckMSS = tp.MTU - 60
	}
	waitProbe(t, tp, systest.ProbeOptions{IPv6: true}, want6, what)
}

// The MSS of a handshake nothing clamps: the client's link has MTU 1500.
const (
	unclampedSyn4 = 1460
	unclampedSyn6 = 1440
)

// nftObjects lists table inet mssclamp as `nft -j` does, one JSON object a
// line, without handles and counter values (which change with every apply
// and packet), sorted; nil when the table does not exist.
func nftObjects(t testing.TB, ns *systest.NS) []string {
	t.Helper()
	out, stderr, err := ns.Exec("nft", "-j", "list", "table", "inet", "mssclamp")
	if err != nil {
		if strings.Contains(stderr, "No such file or directory") {
			return nil
		}
		t.Fatal(err)
	}
	var doc struct {
		Nftables []map[string]json.RawMessage `json:"nftables"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("nft -j: %v: %s", err, out)
	}
	var objs []string
	for _, o := range doc.Nftables {
		if _, ok := o["metainfo"]; ok {
			continue
		}
		objs = append(objs, string(normalizeJSON(t, o)))
	}
	slices.Sort(objs)
	return objs
}

// normalizeJSON drops "handle" keys and zeroes counters, recursively.
func normalizeJSON(t testing.TB, o map[string]json.RawMessage) []byte {
	t.Helper()
	var v any
	raw, _ := json.Marshal(o)
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var walk func(any) any
	walk = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			delete(x, "handle")
			if c, ok := x["counter"].(map[string]any); ok {
				c["packets"], c["bytes"] = 0, 0
			}
			for k, e := range x {
				x[k] = walk(e)
			}
		case []any:
			for i, e := range x {
				x[i] = walk(e)
			}
		}
		return v
	}
	out, err := json.Marshal(walk(v))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// duplicates lists the lines that occur more than once.
func duplicates(lines []string) []string {
	seen := map[string]int{}
	var dup []string
	for _, l := range lines {
		seen[l]++
		if seen[l] == 2 {
			dup = append(dup, l)
		}
	}
	return dup
}

var saveCounter = regexp.MustCompile(`^\[\d+:\d+\] `)

// iptMangle lists our part of the mangle tables of iptables and ip6tables as
// iptables-save prints them: chain declarations (":MSSCLAMP_x - [0:0]") and
// rules that are in or lead to a MSSCLAMP_ chain, each prefixed by the
// family, counters dropped, in order.
func iptMangle(t testing.TB, ns *systest.NS) []string {
	t.Helper()
	var lines []string
	for _, cmd := range []string{"iptables-save", "ip6tables-save"} {
		out := ns.Run(t, cmd, "-t", "mangle")
		for _, l := range strings.Split(out, "\n") {
			l = saveCounter.ReplaceAllString(l, "")
			switch {
			case strings.HasPrefix(l, ":MSSCLAMP_"):
				l = strings.Fields(l)[0]
			case strings.HasPrefix(l, "-A ") && strings.Contains(l, "MSSCLAMP_"):
			default:
				continue
			}
			lines = append(lines, cmd+" "+l)
		}
	}
	return lines
}

// diffLines says what a has that b lacks and the reverse, for a failure
// message.
func diffLines(a, b []string) string {
	var s strings.Builder
	for _, l := range a {
		if !slices.Contains(b, l) {
			fmt.Fprintf(&s, "\n- %s", l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			fmt.Fprintf(&s, "\n+ %s", l)
		}
	}
	return s.String()
}
