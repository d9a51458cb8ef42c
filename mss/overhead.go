package mss

// The sizes below are the model; doc.go lists them with their sources.
// Every constant is a fixed header or trailer; the one variable part, ESP
// padding, is taken at its worst case.

const (
	ipv4Header = 20 // RFC 791 §3.1, without options
	ipv6Header = 40 // RFC 8200 §3
	tcpHeader  = 20 // RFC 9293 §3.1, without options
	tcpOptions = 40 // RFC 9293 §3.1: data offset at most 15 words = 60 bytes
	udpHeader  = 8  // RFC 768

	pppoeHeader  = 6 // RFC 2516 §4
	pppProtocol  = 2 // RFC 1661 §2
	greHeader    = 4 // RFC 2784 §2
	encapLimit   = 8 // RFC 2473 §4.1.1 / §5.1: tunnel encapsulation limit option
	wgHeader     = 16
	poly1305Tag  = 16 // RFC 8439 §2.8
	vxlanHeader  = 8  // RFC 7348 §5
	geneveHeader = 8  // RFC 8926 §3.4
	ethHeader    = 14 // IEEE 802.3: destination, source, EtherType

	espHeader  = 8 // RFC 4303 §2: SPI + sequence number
	espTrailer = 2 // RFC 4303 §2.5, §2.6: pad length + next header

	ovpnOpcode   = 4  // P_DATA_V2: opcode/key id (1) + peer id (3)
	ovpnPacketID = 4  // replay-protection packet id
	ovpnTag      = 16 // AES-GCM tag
)

// ipHeader is an IP header; role ("outer", "inner" or "") prefixes its
// name, and why follows the reference.
func ipHeader(f Family, role, why string) Step {
	if role != "" {
		role += " "
	}
	if f == IPv6 {
		return Step{role + "IPv6 header", ipv6Header, "RFC 8200 §3, fixed header: " + why}
	}
	return Step{role + "IPv4 header", ipv4Header, "RFC 791 §3.1, no options: " + why}
}

func udp(why string) Step { return Step{"UDP header", udpHeader, "RFC 768" + why} }

// overhead lists what the encapsulation adds around the inner IP packet.
func overhead(e Encap) []Step {
	outer := func(why string) Step { return ipHeader(e.Underlay, "outer", why) }
	limit := Step{"encapsulation limit option", encapLimit,
		"RFC 2473 §4.1.1: IPv6 destination option Linux ip6tnl/ip6gre add by default"}
	innerEth := func(rfc string) Step {
		return Step{"inner Ethernet header", ethHeader, rfc + ": the carried frame's MAC addresses and EtherType (no FCS, no VLAN tag)"}
	}
	switch e.Kind {
	case PPPoE:
		return []Step{
			{"PPPoE header", pppoeHeader, "RFC 2516 §4: version, type, code, session id, length"},
			{"PPP protocol field", pppProtocol, "RFC 1661 §2: names the payload (0x0021 IPv4, 0x0057 IPv6)"},
		}
	case GRE:
		s := []Step{outer("the delivery header of the tunnel"),
			{"GRE header", greHeader, "RFC 2784 §2: flags, version, protocol type; no checksum, key or sequence number (RFC 2890: 4 bytes each)"}}
		if e.Underlay == IPv6 {
			s = append(s, limit)
		}
		return s
	case IPIP:
		if e.Underlay == IPv6 {
			return []Step{outer("IPv4 or IPv6 in IPv6 (RFC 2473)"), limit}
		}
		return []Step{outer("IPv4 in IPv4 (RFC 2003)")}
	case SixInFour:
		return []Step{outer("IPv6 in IPv4, protocol 41 (RFC 4213 §3.5)")}
	case WireGuard:
		return []Step{outer("carries the UDP datagram"),
			udp(": WireGuard runs over UDP"),
			{"WireGuard data header", wgHeader, "WireGuard paper §5.4.6: type and reserved (4), receiver index (4), counter (8)"},
			{"Poly1305 tag", poly1305Tag, "RFC 8439 §2.8: ChaCha20-Poly1305 authentication tag"},
		}
	case VXLAN:
		return []Step{outer("carries the UDP datagram"),
			udp(": VXLAN runs over UDP port 4789"),
			{"VXLAN header", vxlanHeader, "RFC 7348 §5: flags, reserved, VNI"},
			innerEth("RFC 7348 §5"),
		}
	case Geneve:
		return []Step{outer("carries the UDP datagram"),
			udp(": Geneve runs over UDP port 6081"),
			{"Geneve header", geneveHeader, "RFC 8926 §3.4: base header without options (each option adds at least 4 bytes)"},
			innerEth("RFC 8926 §3.4 (protocol type 0x6558)"),
		}
	case IPsec:
		s := []Step{outer("ESP tunnel mode adds it (RFC 4301 §5.1.2)")}
		if e.NATT {
			s = append(s, udp(", RFC 3948 §2.1: ESP in UDP port 4500 for NAT traversal"))
		}
		s = append(s, Step{"ESP header", espHeader, "RFC 4303 §2: SPI (4) and sequence number (4)"})
		return append(s, espCipher(e.Cipher)...)
	case OpenVPN:
		return []Step{outer("carries the UDP datagram"),
			udp(": OpenVPN's UDP transport"),
			{"OpenVPN opcode and peer id", ovpnOpcode, "OpenVPN ≥ 2.4 P_DATA_V2 packet header (src/openvpn/ssl_pkt.h)"},
			{"OpenVPN packet id", ovpnPacketID, "replay protection counter of the AEAD data channel (src/openvpn/crypto.h)"},
			{"AES-GCM tag", ovpnTag, "the data channel's AEAD tag; AES-256-GCM is the default cipher since OpenVPN 2.4"},
		}
	}
	return nil
}

// espCipher is what an ESP transform adds after the ESP header: IV,
// worst-case padding, trailer, ICV.
func espCipher(c Cipher) []Step {
	trailer := Step{"ESP trailer", espTrailer, "RFC 4303 §2.5, §2.6: pad length and next header"}
	if c == AESGCM {
		return []Step{
			{"ESP IV", 8, "RFC 4106 §3.1: AES-GCM explicit IV"},
			{"ESP padding, worst case", 3, "RFC 4303 §2.4: payload and trailer end on a 4-byte boundary"},
			trailer,
			{"ESP ICV", 16, "RFC 4106 §6: AES-GCM 16-byte ICV"},
		}
	}
	icv := Step{"ESP ICV", 12, "RFC 2404 §2: HMAC-SHA-1-96"}
	if c == AESCBCSHA256 {
		icv = Step{"ESP ICV", 16, "RFC 4868 §2.3: HMAC-SHA-256-128"}
	}
	return []Step{
		{"ESP IV", 16, "RFC 3602 §3: AES-CBC initialisation vector, one block"},
		{"ESP padding, worst case", 15, "RFC 4303 §2.4, RFC 3602 §3: payload and trailer padded to the 16-byte AES block"},
		trailer,
		icv,
	}
}

// headers lists what the MSS leaves out of the inner MTU: the inner IP and
// TCP headers (RFC 6691 §2: fixed headers only), and with conservative the
// largest TCP options too.
func headers(f Family, bare, conservative bool) []Step {
	role := "inner"
	if bare {
		role = ""
	}
	s := []Step{ipHeader(f, role, "the MSS excludes it (RFC 6691 §2)")}
	if conservative {
		return append(s,
			Step{"TCP header", tcpHeader, "RFC 9293 §3.1: fixed header"},
			Step{"TCP options (conservative)", tcpOptions,
				"room for the largest options (data offset ≤ 15 words, RFC 9293 §3.1), as some vendors subtract"})
	}
	return append(s, Step{"TCP header", tcpHeader, "RFC 9293 §3.1: fixed header; options are not counted (RFC 6691 §2)"})
}
