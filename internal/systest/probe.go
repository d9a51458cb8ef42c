package systest

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"testing"
	"time"
)

// ProbeOptions selects the connection a Probe opens.
type ProbeOptions struct {
	IPv6       bool
	Source     netip.Addr // client source address; zero: the first client address
	FromRouter bool       // open the connection from the router itself (locally originated)
}

// ProbeResult is the MSS option the server saw in the SYN and the client (or router) saw in
// the SYN-ACK; 0 means the segment had no MSS option.
type ProbeResult struct {
	SynMSS, SynAckMSS int
}

// probeTimeout bounds one handshake: long enough for one SYN retransmission (1 s), so a single
// lost packet does not fail a test, short enough to fail fast when the path is blocked.
const probeTimeout = 3 * time.Second

// probeReport is what a probe observed, for the harness's own tests and for failure messages.
type probeReport struct {
	ProbeResult
	Syn, SynAck segment // the first SYN at the server and SYN-ACK at the client
}

// Probe opens one TCP connection to the server (port chosen fresh by the kernel) and reports
// the MSS options of the handshake, captured with packet sockets inside the server and client
// (or router) namespaces. The test fails, with the segments seen, when no handshake happens.
func (tp *Topology) Probe(t testing.TB, o ProbeOptions) ProbeResult {
	t.Helper()
	r, err := tp.probe(o, probeTimeout)
	if err != nil {
		t.Fatal(err)
	}
	return r.ProbeResult
}

func (tp *Topology) probe(o ProbeOptions, timeout time.Duration) (probeReport, error) {
	var rep probeReport
	dst, network := tp.ServerAddr4, "tcp4"
	src := tp.ClientAddr4
	if o.IPv6 {
		dst, network, src = tp.ServerAddr6, "tcp6", tp.ClientAddr6
	}
	dialNS, dialIf := tp.Client, clientIf
	if o.FromRouter {
		dialNS, dialIf, src = tp.Router, tp.RouterServerIf, netip.Addr{}
	}
	if o.Source.IsValid() {
		src = o.Source
	}
	desc := fmt.Sprintf("probe %s -> %s", dialNS.Name, dst)
	if src.IsValid() {
		desc = fmt.Sprintf("probe %s (%s) -> %s", dialNS.Name, src, dst)
	}

	var ln *net.TCPListener
	if err := tp.Server.Do(func() error {
		var err error
		ln, err = net.ListenTCP(network, net.TCPAddrFromAddrPort(netip.AddrPortFrom(dst, 0)))
		return err
	}); err != nil {
		return rep, fmt.Errorf("%s: listening in %s: %w", desc, tp.Server.Name, err)
	}
	defer ln.Close()
	port := uint16(ln.Addr().(*net.TCPAddr).Port)
	desc += fmt.Sprintf(" port %d", port)

	srvCap, err := openCapture(tp.Server, serverIf, o.IPv6, port)
	if err != nil {
		return rep, fmt.Errorf("%s: %w", desc, err)
	}
	// Closing a packet socket waits for an RCU grace period (~10 ms); do it off the test's path.
	defer func() { go srvCap.close() }()
	cliCap, err := openCapture(dialNS, dialIf, o.IPv6, port)
	if err != nil {
		return rep, fmt.Errorf("%s: %w", desc, err)
	}
	defer func() { go cliCap.close() }()

	deadline := time.Now().Add(timeout)
	accepted := make(chan error, 1)
	go func() {
		_ = ln.SetDeadline(deadline)
		c, err := ln.Accept()
		if err == nil {
			c.Close()
		}
		accepted <- err
	}()
	dialErr := dialNS.Do(func() error {
		d := net.Dialer{Deadline: deadline}
		if src.IsValid() {
			d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0))
		}
		c, err := d.Dial(network, netip.AddrPortFrom(dst, port).String())
		if err != nil {
			return err
		}
		return c.Close()
	})
	if dialErr != nil {
		ln.Close() // the accept cannot succeed any more; do not wait for its deadline
	}
	acceptErr := <-accepted

	isSyn := func(s segment) bool { return s.Flags&(tcpSYN|tcpACK) == tcpSYN && s.Dst.Port() == port }
	isSynAck := func(s segment) bool { return s.Flags&(tcpSYN|tcpACK) == tcpSYN|tcpACK && s.Src.Port() == port }
	wait := 0
	if dialErr == nil && acceptErr == nil {
		wait = 200 // the segments are queued before the handshake completes; this is a safety margin
	}
	atServer, errS := srvCap.incoming(isSyn, wait)
	atClient, errC := cliCap.incoming(isSynAck, wait)
	seen := fmt.Sprintf("seen at %s: %v; at %s: %v", srvCap.where, atServer, cliCap.where, atClient)
	if err := errors.Join(errS, errC); err != nil {
		return rep, fmt.Errorf("%s: %w (%s)", desc, err, seen)
	}
	if dialErr != nil || acceptErr != nil {
		return rep, fmt.Errorf("%s: no handshake within %v: dial: %v, accept: %v (%s)",
			desc, timeout, dialErr, acceptErr, seen)
	}
	var okS, okC bool
	for _, s := range atServer {
		if isSyn(s) {
			rep.Syn, rep.SynMSS, okS = s, s.MSS, true
			break
		}
	}
	for _, s := range atClient {
		if isSynAck(s) {
			rep.SynAck, rep.SynAckMSS, okC = s, s.MSS, true
			break
		}
	}
	if !okS || !okC {
		return rep, fmt.Errorf("%s: handshake done but SYN or SYN-ACK not captured (%s)", desc, seen)
	}
	return rep, nil
}
