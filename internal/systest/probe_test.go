package systest

import (
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestProbe(t *testing.T) {
	RequireRoot(t)
	lo := checkLeftovers(t)
	tp := NewTopology(t, 1400)
	lo.addNS(tp.Client, tp.Router, tp.Server)

	routerSide4, routerSide6 := routerServerAddr4, routerServerAddr6
	for _, tc := range []struct {
		name    string
		o       ProbeOptions
		want    ProbeResult
		wantSrc netip.Addr // source address the server saw
	}{
		{"ipv4", ProbeOptions{}, ProbeResult{1460, 1360}, tp.ClientAddr4},
		{"ipv6", ProbeOptions{IPv6: true}, ProbeResult{1440, 1340}, tp.ClientAddr6},
		{"ipv4 second source", ProbeOptions{Source: tp.ClientAddr4b}, ProbeResult{1460, 1360}, tp.ClientAddr4b},
		{"ipv6 second source", ProbeOptions{IPv6: true, Source: tp.ClientAddr6b}, ProbeResult{1440, 1340}, tp.ClientAddr6b},
		// The router's own connection leaves through rs0 (MTU 1400), so its SYN is small too.
		{"ipv4 from router", ProbeOptions{FromRouter: true}, ProbeResult{1360, 1360}, routerSide4},
		{"ipv6 from router", ProbeOptions{IPv6: true, FromRouter: true}, ProbeResult{1340, 1340}, routerSide6},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			rep, err := tp.probe(tc.o, probeTimeout)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%v in %v", rep.ProbeResult, time.Since(start))
			if rep.ProbeResult != tc.want {
				t.Errorf("probe = %+v, want %+v (SYN %v, SYN-ACK %v)", rep.ProbeResult, tc.want, rep.Syn, rep.SynAck)
			}
			if rep.Syn.Src.Addr() != tc.wantSrc || rep.SynAck.Dst.Addr() != tc.wantSrc {
				t.Errorf("SYN %v, SYN-ACK %v: want source %v", rep.Syn, rep.SynAck, tc.wantSrc)
			}
			if got := tp.Probe(t, tc.o); got != tc.want {
				t.Errorf("Probe = %+v, want %+v", got, tc.want)
			}
		})
	}

	t.Run("blocked path fails with what was seen", func(t *testing.T) {
		tp.Router.Run(t, "ip", "link", "set", tp.RouterServerIf, "down")
		start := time.Now()
		_, err := tp.probe(ProbeOptions{}, 300*time.Millisecond)
		if err == nil || !strings.Contains(err.Error(), "no handshake") || !strings.Contains(err.Error(), "seen at") {
			t.Errorf("probe over a down link: err = %v, want no handshake and what was seen", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("failing probe took %v", d)
		}
		t.Log(err)
	})
}

func BenchmarkProbe(b *testing.B) {
	RequireRoot(b)
	tp := NewTopology(b, 1400)
	for b.Loop() {
		tp.Probe(b, ProbeOptions{})
	}
}
