package ipt

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// dialRefused sends one SYN to a closed port (answered by a RST).
func dialRefused(addr string) {
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
	}
}

// The clamp seen on the wire: a router between client and server clamps
// forwarded SYN and SYN-ACK, in both families, also when the filter table
// accepts the packets first.
func TestSystemPacket(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			systest.RequireRoot(t)
			tp := systest.NewTopology(t, 1400)
			b, err := New(WithNetNS(tp.Router.Path), func(c *config) { c.mode = mode })
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			for _, f := range allFamilies {
				accept := "*filter\n-I FORWARD 1 -j ACCEPT\nCOMMIT\n"
				if res := b.run.run(ctx, b.tools.restore[f], []string{"--noflush"}, accept); res.err != nil {
					t.Fatalf("%v: %s", res.err, res.stderr)
				}
			}
			for _, tc := range []struct {
				mss          richrule.MSS
				want4, want6 systest.ProbeResult
			}{
				{1200, systest.ProbeResult{SynMSS: 1200, SynAckMSS: 1200}, systest.ProbeResult{SynMSS: 1200, SynAckMSS: 1200}},
				// The path MTU towards the server is 1400; the server's own
				// SYN-ACK already says so.
				{richrule.PMTU, systest.ProbeResult{SynMSS: 1360, SynAckMSS: 1360}, systest.ProbeResult{SynMSS: 1340, SynAckMSS: 1340}},
			} {
				rs := basicRuleset(tc.mss)
				if err := b.Apply(ctx, rs); err != nil {
					t.Fatal(err)
				}
				if got := tp.Probe(t, systest.ProbeOptions{}); got != tc.want4 {
					t.Errorf("mss %d, IPv4: probe = %+v, want %+v", tc.mss, got, tc.want4)
				}
				if got := tp.Probe(t, systest.ProbeOptions{IPv6: true}); got != tc.want6 {
					t.Errorf("mss %d, IPv6: probe = %+v, want %+v", tc.mss, got, tc.want6)
				}
				counters, err := b.Counters(ctx)
				if err != nil {
					t.Fatal(err)
				}
				// Each probe's SYN and SYN-ACK pass the forward hook once.
				if id := rs.Chains[1].Rules[0].Clamp.ID; counters[id].Packets < 4 {
					t.Errorf("mss %d: counters = %+v, want at least 4 packets for %s", tc.mss, counters, id)
				}
			}
			if err := b.Flush(ctx); err != nil {
				t.Fatal(err)
			}
			want := systest.ProbeResult{SynMSS: 1460, SynAckMSS: 1360}
			if got := tp.Probe(t, systest.ProbeOptions{}); got != want {
				t.Errorf("after Flush: probe = %+v, want %+v", got, want)
			}
		})
	}
}
