package systest

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
)

// tcpPacket builds an IPv4 or IPv6 packet carrying a TCP header with the given flags and options.
func tcpPacket(src, dst netip.AddrPort, flags uint8, opts []byte) []byte {
	tcp := make([]byte, 20+len(opts))
	binary.BigEndian.PutUint16(tcp[0:], src.Port())
	binary.BigEndian.PutUint16(tcp[2:], dst.Port())
	tcp[12] = byte(len(tcp)/4) << 4
	tcp[13] = flags
	copy(tcp[20:], opts)
	if src.Addr().Is4() {
		ip := make([]byte, 20)
		ip[0], ip[9] = 0x45, 6
		s, d := src.Addr().As4(), dst.Addr().As4()
		copy(ip[12:], s[:])
		copy(ip[16:], d[:])
		return append(ip, tcp...)
	}
	ip := make([]byte, 40)
	ip[0], ip[6] = 0x60, 6
	s, d := src.Addr().As16(), dst.Addr().As16()
	copy(ip[8:], s[:])
	copy(ip[24:], d[:])
	return append(ip, tcp...)
}

func TestParseSegment(t *testing.T) {
	c4, s4 := netip.MustParseAddrPort("10.71.1.2:40000"), netip.MustParseAddrPort("10.71.2.2:7171")
	c6, s6 := netip.MustParseAddrPort("[fd71:1::2]:40000"), netip.MustParseAddrPort("[fd71:2::2]:7171")
	mss := func(v uint16) []byte { return []byte{2, 4, byte(v >> 8), byte(v)} }
	linux := append(mss(1460), 4, 2, 8, 10, 0, 0, 0, 0, 0, 0, 0, 0, 1, 3, 3, 7) // mss, sackOK, TS, nop, wscale
	for _, tc := range []struct {
		name    string
		pkt     []byte
		want    segment
		wantErr string
	}{
		{"ipv4 syn", tcpPacket(c4, s4, tcpSYN, linux), segment{c4, s4, tcpSYN, 1460}, ""},
		{"ipv6 syn-ack", tcpPacket(s6, c6, tcpSYN|tcpACK, mss(1340)), segment{s6, c6, tcpSYN | tcpACK, 1340}, ""},
		{"no options", tcpPacket(c4, s4, tcpSYN, nil), segment{c4, s4, tcpSYN, 0}, ""},
		{"nops before mss", tcpPacket(c4, s4, tcpSYN, append([]byte{1, 1, 1, 1}, mss(536)...)), segment{c4, s4, tcpSYN, 536}, ""},
		{"end of options hides mss", tcpPacket(c4, s4, tcpSYN, append([]byte{0, 1, 1, 1}, mss(536)...)), segment{c4, s4, tcpSYN, 0}, ""},
		{"option overruns header", tcpPacket(c4, s4, tcpSYN, []byte{8, 10, 0, 0}), segment{}, "malformed TCP option 8"},
		{"zero-length option", tcpPacket(c4, s4, tcpSYN, []byte{5, 0, 0, 0}), segment{}, "malformed TCP option 5"},
		{"udp", func() []byte { p := tcpPacket(c4, s4, 0, nil); p[9] = 17; return p }(), segment{}, "not a TCP segment"},
		{"short tcp", tcpPacket(c6, s6, tcpSYN, nil)[:50], segment{}, "short TCP header"},
		{"not ip", []byte{0x10}, segment{}, "not a TCP segment"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseSegment(tc.pkt)
			if testutil.WantErr(t, err, tc.wantErr) {
				return
			}
			if got != tc.want {
				t.Fatalf("parseSegment = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

func TestSegmentString(t *testing.T) {
	s := segment{netip.MustParseAddrPort("10.0.0.1:1"), netip.MustParseAddrPort("10.0.0.2:2"), tcpSYN | tcpACK, 0}
	if got, want := s.String(), "10.0.0.1:1>10.0.0.2:2 SYN,ACK mss=none"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
