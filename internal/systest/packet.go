package systest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

// TCP flag bits (RFC 9293).
const (
	tcpSYN = 0x02
	tcpRST = 0x04
	tcpACK = 0x10
)

// segment is what the probe needs from one captured TCP segment.
type segment struct {
	Src, Dst netip.AddrPort
	Flags    uint8
	MSS      int // value of the MSS option; 0 = no option
}

func (s segment) String() string {
	var f []string
	for _, x := range []struct {
		bit  uint8
		name string
	}{{tcpSYN, "SYN"}, {tcpACK, "ACK"}, {tcpRST, "RST"}, {0x01, "FIN"}} {
		if s.Flags&x.bit != 0 {
			f = append(f, x.name)
		}
	}
	mss := "none"
	if s.MSS != 0 {
		mss = fmt.Sprint(s.MSS)
	}
	return fmt.Sprintf("%s>%s %s mss=%s", s.Src, s.Dst, strings.Join(f, ","), mss)
}

var errNotTCP = errors.New("not a TCP segment")

// parseSegment decodes an IPv4 or IPv6 packet starting at the network header (what a
// SOCK_DGRAM packet socket delivers). IPv6 extension headers are not followed: the probe's
// packets have none.
func parseSegment(p []byte) (segment, error) {
	var s segment
	var src, dst netip.Addr
	var tcp []byte
	if len(p) < 1 {
		return s, errNotTCP
	}
	switch p[0] >> 4 {
	case 4:
		if len(p) < 20 {
			return s, fmt.Errorf("short IPv4 header (%d bytes)", len(p))
		}
		ihl := int(p[0]&0x0f) * 4
		if p[9] != unix.IPPROTO_TCP || binary.BigEndian.Uint16(p[6:8])&0x1fff != 0 || ihl < 20 || len(p) < ihl {
			return s, errNotTCP
		}
		src, dst = netip.AddrFrom4([4]byte(p[12:16])), netip.AddrFrom4([4]byte(p[16:20]))
		tcp = p[ihl:]
	case 6:
		if len(p) < 40 {
			return s, fmt.Errorf("short IPv6 header (%d bytes)", len(p))
		}
		if p[6] != unix.IPPROTO_TCP {
			return s, errNotTCP
		}
		src, dst = netip.AddrFrom16([16]byte(p[8:24])), netip.AddrFrom16([16]byte(p[24:40]))
		tcp = p[40:]
	default:
		return s, errNotTCP
	}
	if len(tcp) < 20 {
		return s, fmt.Errorf("short TCP header (%d bytes)", len(tcp))
	}
	off := int(tcp[12]>>4) * 4
	if off < 20 || off > len(tcp) {
		return s, fmt.Errorf("bad TCP data offset %d", off)
	}
	s.Src = netip.AddrPortFrom(src, binary.BigEndian.Uint16(tcp[0:2]))
	s.Dst = netip.AddrPortFrom(dst, binary.BigEndian.Uint16(tcp[2:4]))
	s.Flags = tcp[13]
	opts := tcp[20:off]
	for len(opts) > 0 {
		kind := opts[0]
		if kind == 0 { // end of option list
			break
		}
		if kind == 1 { // no-operation
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || int(opts[1]) < 2 || int(opts[1]) > len(opts) {
			return s, fmt.Errorf("malformed TCP option %d", kind)
		}
		if kind == 2 && opts[1] == 4 {
			s.MSS = int(binary.BigEndian.Uint16(opts[2:4]))
		}
		opts = opts[opts[1]:]
	}
	return s, nil
}

// portFilter is a classic BPF program that accepts TCP segments from or to port, for a
// SOCK_DGRAM packet socket of one family (data starts at the network header). Filtering in the
// kernel keeps neighbour discovery and other probes' packets out of the queue.
func portFilter(ipv6 bool, port uint16) []unix.SockFilter {
	const (
		ldB   = unix.BPF_LD | unix.BPF_B | unix.BPF_ABS
		ldH   = unix.BPF_LD | unix.BPF_H | unix.BPF_ABS
		ldxIP = unix.BPF_LDX | unix.BPF_B | unix.BPF_MSH // X = 4*(p[k]&0xf)
		ldHX  = unix.BPF_LD | unix.BPF_H | unix.BPF_IND
		jeq   = unix.BPF_JMP | unix.BPF_JEQ | unix.BPF_K
		jset  = unix.BPF_JMP | unix.BPF_JSET | unix.BPF_K
		ret   = unix.BPF_RET | unix.BPF_K
	)
	p := uint32(port)
	if ipv6 {
		return []unix.SockFilter{
			{Code: ldB, K: 6}, // next header
			{Code: jeq, K: unix.IPPROTO_TCP, Jt: 0, Jf: 5},
			{Code: ldH, K: 42}, // destination port
			{Code: jeq, K: p, Jt: 2, Jf: 0},
			{Code: ldH, K: 40}, // source port
			{Code: jeq, K: p, Jt: 0, Jf: 1},
			{Code: ret, K: 0xffff},
			{Code: ret, K: 0},
		}
	}
	return []unix.SockFilter{
		{Code: ldB, K: 9}, // protocol
		{Code: jeq, K: unix.IPPROTO_TCP, Jt: 0, Jf: 8},
		{Code: ldH, K: 6}, // flags and fragment offset
		{Code: jset, K: 0x1fff, Jt: 6, Jf: 0},
		{Code: ldxIP, K: 0},
		{Code: ldHX, K: 2}, // destination port
		{Code: jeq, K: p, Jt: 2, Jf: 0},
		{Code: ldHX, K: 0}, // source port
		{Code: jeq, K: p, Jt: 0, Jf: 1},
		{Code: ret, K: 0xffff},
		{Code: ret, K: 0},
	}
}

// capture is a packet socket bound to one interface of one namespace, receiving the TCP
// segments of one port.
type capture struct {
	where string // "ns/if", for messages
	fd    int
}

// openCapture opens the capture socket inside ns. The socket starts with protocol 0 (receives
// nothing), gets its filter, and only then is bound to the family and interface, so no
// unfiltered packet can slip into its queue.
func openCapture(ns *NS, ifname string, ipv6 bool, port uint16) (*capture, error) {
	c := &capture{where: ns.Name + "/" + ifname, fd: -1}
	proto := uint16(unix.ETH_P_IP)
	if ipv6 {
		proto = unix.ETH_P_IPV6
	}
	err := ns.Do(func() error {
		ifi, err := net.InterfaceByName(ifname)
		if err != nil {
			return err
		}
		fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			return fmt.Errorf("packet socket: %w", err)
		}
		c.fd = fd
		f := portFilter(ipv6, port)
		if err := unix.SetsockoptSockFprog(fd, unix.SOL_SOCKET, unix.SO_ATTACH_FILTER,
			&unix.SockFprog{Len: uint16(len(f)), Filter: &f[0]}); err != nil {
			return fmt.Errorf("attaching filter: %w", err)
		}
		return unix.Bind(fd, &unix.SockaddrLinklayer{Protocol: htons(proto), Ifindex: ifi.Index})
	})
	if err != nil {
		c.close()
		return nil, fmt.Errorf("capture on %s: %w", c.where, err)
	}
	return c, nil
}

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// incoming returns the segments queued so far that arrived on the interface (not the ones it
// sent), waiting up to waitMs for the first one matching want if none is queued yet.
func (c *capture) incoming(want func(segment) bool, waitMs int) ([]segment, error) {
	var segs []segment
	buf := make([]byte, 65536)
	for {
		n, from, err := unix.Recvfrom(c.fd, buf, unix.MSG_DONTWAIT)
		if errors.Is(err, unix.EAGAIN) {
			if waitMs <= 0 || hasMatch(segs, want) {
				return segs, nil
			}
			pfd := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLIN}}
			if _, err := unix.Poll(pfd, waitMs); err != nil && !errors.Is(err, unix.EINTR) {
				return segs, fmt.Errorf("capture on %s: poll: %w", c.where, err)
			}
			waitMs = 0 // one wait only: the probe has finished the handshake or given up
			continue
		}
		if err != nil {
			return segs, fmt.Errorf("capture on %s: %w", c.where, err)
		}
		if ll, ok := from.(*unix.SockaddrLinklayer); ok && ll.Pkttype == unix.PACKET_OUTGOING {
			continue
		}
		s, err := parseSegment(buf[:n])
		if err != nil {
			continue // the filter only lets TCP through; anything else is not ours
		}
		segs = append(segs, s)
	}
}

func hasMatch(segs []segment, want func(segment) bool) bool {
	for _, s := range segs {
		if want(s) {
			return true
		}
	}
	return false
}

func (c *capture) close() {
	if c != nil && c.fd >= 0 {
		unix.Close(c.fd)
		c.fd = -1
	}
}
