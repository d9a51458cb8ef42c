package backend_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/netip"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// The per-packet cost of our rules, measured through a real router. Each
// benchmark alternates between a baseline ruleset and the loaded one a few
// times (the machine's load drifts) and reports both medians and their
// ratio: targets are bulk throughput with 1,000 rules >= 97% of none, and
// handshake rate with 10,000 source-scoped rules >= 90% of one rule.

const rounds = 8

// eachKernel runs bench with each backend on a fresh router (MTU 1500),
// flushed afterwards.
func eachKernel(b *testing.B, bench func(b *testing.B, tp *systest.Topology, be backend.Backend)) {
	systest.RequireRoot(b)
	for _, k := range kernels {
		b.Run(k.name, func(b *testing.B) {
			tp := systest.NewTopology(b, 1500)
			be := k.open(b, tp)
			b.Cleanup(func() { _ = be.Flush(context.Background()) })
			bench(b, tp, be)
		})
	}
}

func BenchmarkThroughput(b *testing.B) {
	eachKernel(b, func(b *testing.B, tp *systest.Topology, be backend.Backend) {
		none := compile(b, "zone public")
		loaded := compile(b, manyRules(1000, false))
		srv := listen(b, tp.Server, tp.ServerAddr4, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
		measure := func(rs *backend.Ruleset) float64 {
			if err := be.Apply(context.Background(), rs); err != nil {
				b.Fatal(err)
			}
			return bulk(b, tp.Client, srv, 500*time.Millisecond) / 1e6
		}
		base, with := alternate(b, none, loaded, measure)
		b.ReportMetric(base, "MB/s-none")
		b.ReportMetric(with, "MB/s-1000rules")
		b.ReportMetric(100*with/base, "%-of-none")
	})
}

func BenchmarkHandshakeRate(b *testing.B) {
	eachKernel(b, func(b *testing.B, tp *systest.Topology, be backend.Backend) {
		client := tp.ClientAddr4.String()
		one := compile(b, "zone public\npublic: rule family=ipv4 source address="+client+" tcp-mss-clamp value=1300")
		many := compile(b, manyRules(10000, true)+"\npublic: rule family=ipv4 source address="+client+" tcp-mss-clamp value=1300")
		srv := listen(b, tp.Server, tp.ServerAddr4, func(c net.Conn) {})
		measure := func(rs *backend.Ruleset) float64 {
			if err := be.Apply(context.Background(), rs); err != nil {
				b.Fatal(err)
			}
			return handshakes(b, tp.Client, srv, 500*time.Millisecond)
		}
		base, with := alternate(b, one, many, measure)
		b.ReportMetric(base, "conn/s-1rule")
		b.ReportMetric(with, "conn/s-10000rules")
		b.ReportMetric(100*with/base, "%-of-1rule")
	})
}

// manyRules is n clamp rules in the default zone: scoped to source
// addresses in 10.200.0.0/16 (not the client's) when scoped, else a mix of
// families and values that all match and run.
func manyRules(n int, scoped bool) string {
	var b strings.Builder
	b.WriteString("zone public")
	for i := 0; i < n; i++ {
		if scoped {
			fmt.Fprintf(&b, "\npublic: rule family=ipv4 source address=10.200.%d.%d tcp-mss-clamp value=%d", i/250, i%250+1, 600+i%800)
			continue
		}
		fmt.Fprintf(&b, "\npublic: rule family=ipv4 source address=10.%d.%d.0/24 tcp-mss-clamp value=%d", 100+i/250, i%250, 600+i%800)
	}
	return b.String()
}

func compile(b *testing.B, input string) *backend.Ruleset {
	rs, err := backend.CompileCase(b, "default public\n"+input)
	if err != nil {
		b.Fatal(err)
	}
	return rs
}

// alternate measures base and with in turns (ABBA, so that a drift of the
// machine's speed weighs on both alike) and returns both medians.
func alternate(b *testing.B, base, with *backend.Ruleset, measure func(*backend.Ruleset) float64) (float64, float64) {
	var xs, ys []float64
	for i := 0; i < rounds; i++ {
		if i%2 == 0 {
			xs = append(xs, measure(base))
			ys = append(ys, measure(with))
		} else {
			ys = append(ys, measure(with))
			xs = append(xs, measure(base))
		}
	}
	return median(xs), median(ys)
}

func median(v []float64) float64 {
	slices.Sort(v)
	return v[len(v)/2]
}

// listen serves on port 0 of addr in ns, handling each connection with h.
func listen(b *testing.B, ns *systest.NS, addr netip.Addr, h func(net.Conn)) string {
	var l net.Listener
	if err := ns.Do(func() (err error) {
		l, err = net.Listen("tcp", netip.AddrPortFrom(addr, 0).String())
		return err
	}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				h(c)
			}()
		}
	}()
	return l.Addr().String()
}

// dial connects from ns; the socket lives in ns after Do returns.
func dial(ns *systest.NS, addr string) (net.Conn, error) {
	var c net.Conn
	err := ns.Do(func() (err error) {
		c, err = net.DialTimeout("tcp", addr, 2*time.Second)
		return err
	})
	return c, err
}

// bulk sends as much as it can for d over one connection; bytes per second.
func bulk(b *testing.B, ns *systest.NS, addr string, d time.Duration) float64 {
	c, err := dial(ns, addr)
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 256<<10)
	var sent int64
	start := time.Now()
	for time.Since(start) < d {
		n, err := c.Write(buf)
		sent += int64(n)
		if err != nil {
			b.Fatal(err)
		}
	}
	return float64(sent) / time.Since(start).Seconds()
}

// handshakes opens and resets connections for d; connections per second.
// A reset close leaves no TIME_WAIT behind to run out of ports.
// The loop runs on one thread switched into ns, so every connection is
// opened there without switching per connection.
func handshakes(b *testing.B, ns *systest.NS, addr string, d time.Duration) float64 {
	n := 0
	var elapsed time.Duration
	err := ns.Do(func() error {
		start := time.Now()
		for time.Since(start) < d {
			c, err := net.DialTimeout("tcp", addr, 2*time.Second)
			if err != nil {
				return err
			}
			if raw, err := c.(*net.TCPConn).SyscallConn(); err == nil {
				_ = raw.Control(func(fd uintptr) {
					_ = syscall.SetsockoptLinger(int(fd), syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
				})
			}
			c.Close()
			n++
		}
		elapsed = time.Since(start)
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return float64(n) / elapsed.Seconds()
}
