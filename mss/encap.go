package mss

import (
	"fmt"
	"slices"
	"strings"
)

// Family is an IP version: of the TCP connection (the inner family) or of
// the network a tunnel runs over (the underlay).
type Family string

const (
	IPv4 Family = "ipv4"
	IPv6 Family = "ipv6"
)

// Kind is an encapsulation: what sits between the link MTU and the IP
// packet that carries the TCP segment.
type Kind string

const (
	None      Kind = "none"        // the MTU is the MTU of the IP packet itself
	PPPoE     Kind = "pppoe"       // PPP over Ethernet; the link MTU is the Ethernet MTU
	GRE       Kind = "gre"         // GRE without checksum, key or sequence number
	IPIP      Kind = "ipip"        // IP in IP: IPv4 in IPv4, or anything in IPv6 (ip6tnl)
	SixInFour Kind = "6in4"        // IPv6 in IPv4 (protocol 41, sit)
	WireGuard Kind = "wireguard"   // WireGuard transport data messages
	VXLAN     Kind = "vxlan"       // VXLAN: an Ethernet frame in UDP
	Geneve    Kind = "geneve"      // Geneve without options: an Ethernet frame in UDP
	IPsec     Kind = "ipsec"       // ESP in tunnel mode
	OpenVPN   Kind = "openvpn-udp" // OpenVPN over UDP, tun mode, AES-GCM data channel
)

// Kinds lists every encapsulation, in the order of the usage text.
var Kinds = []Kind{None, PPPoE, GRE, IPIP, SixInFour, WireGuard, VXLAN, Geneve, IPsec, OpenVPN}

// Cipher is an ESP transform: encryption and integrity.
type Cipher string

const (
	AESCBCSHA1   Cipher = "aes-cbc+sha1"   // AES-CBC with HMAC-SHA-1-96
	AESCBCSHA256 Cipher = "aes-cbc+sha256" // AES-CBC with HMAC-SHA-256-128
	AESGCM       Cipher = "aes-gcm"        // AES-GCM with a 16-byte ICV
)

// Ciphers lists the ESP transforms.
var Ciphers = []Cipher{AESCBCSHA1, AESCBCSHA256, AESGCM}

// Encap is an encapsulation with its options.
type Encap struct {
	Kind     Kind
	Underlay Family // outer IP version; "" for none and pppoe, which have none
	Cipher   Cipher // ipsec only
	NATT     bool   // ipsec only: ESP in UDP (NAT traversal)
}

// hasUnderlay reports whether the kind puts the packet into an outer IP
// packet.
func (k Kind) hasUnderlay() bool { return k != None && k != PPPoE }

// ParseEncap reads an encapsulation as the command line gives it: a kind
// followed by comma-separated options, e.g. "pppoe", "wireguard,ipv6",
// "ipsec,aes-cbc+sha1,nat-t". Options: ipv4 or ipv6 (the underlay, default
// ipv4), a cipher (ipsec; required), nat-t (ipsec). "-" may stand for "+" in
// a cipher name ("aes-cbc-sha1"), so that no shell quoting is needed.
func ParseEncap(s string) (Encap, error) {
	parts := strings.Split(strings.ToLower(strings.TrimSpace(s)), ",")
	e := Encap{Kind: Kind(parts[0])}
	if e.Kind == "ipsec-esp" || e.Kind == "esp" {
		e.Kind = IPsec
	}
	if e.Kind == "openvpn" {
		e.Kind = OpenVPN
	}
	if !slices.Contains(Kinds, e.Kind) {
		return Encap{}, fmt.Errorf("encapsulation %q: unknown kind %q (want one of %s)", s, parts[0], joinKinds())
	}
	for _, opt := range parts[1:] {
		switch opt {
		case "ipv4", "ipv6":
			if !e.Kind.hasUnderlay() {
				return Encap{}, fmt.Errorf("encapsulation %q: %s has no IP underlay", s, e.Kind)
			}
			if e.Underlay != "" {
				return Encap{}, fmt.Errorf("encapsulation %q: the underlay is given twice", s)
			}
			e.Underlay = Family(opt)
		case "nat-t", "natt":
			if e.Kind != IPsec {
				return Encap{}, fmt.Errorf("encapsulation %q: nat-t applies to ipsec only", s)
			}
			e.NATT = true
		default:
			c, ok := parseCipher(opt)
			if !ok {
				return Encap{}, fmt.Errorf("encapsulation %q: unknown option %q", s, opt)
			}
			if e.Kind != IPsec {
				return Encap{}, fmt.Errorf("encapsulation %q: a cipher applies to ipsec only", s)
			}
			if e.Cipher != "" {
				return Encap{}, fmt.Errorf("encapsulation %q: the cipher is given twice", s)
			}
			e.Cipher = c
		}
	}
	if e.Kind.hasUnderlay() && e.Underlay == "" {
		e.Underlay = IPv4
	}
	if e.Kind == SixInFour && e.Underlay != IPv4 {
		return Encap{}, fmt.Errorf("encapsulation %q: 6in4 runs over IPv4 only", s)
	}
	if e.Kind == IPsec && e.Cipher == "" {
		return Encap{}, fmt.Errorf("encapsulation %q: ipsec needs a cipher: %s", s, joinCiphers())
	}
	return e, nil
}

func parseCipher(s string) (Cipher, bool) {
	for _, c := range Ciphers {
		if s == string(c) || s == strings.ReplaceAll(string(c), "+", "-") {
			return c, true
		}
	}
	return "", false
}

// String is the canonical spelling ParseEncap reads back.
func (e Encap) String() string {
	s := string(e.Kind)
	if e.Kind.hasUnderlay() && e.Kind != SixInFour {
		s += "," + string(e.Underlay)
	}
	if e.Cipher != "" {
		s += "," + string(e.Cipher)
	}
	if e.NATT {
		s += ",nat-t"
	}
	return s
}

// Carries reports whether the encapsulation can carry TCP over family f:
// 6in4 carries only IPv6, IPv4-in-IPv4 only IPv4.
func (e Encap) Carries(f Family) bool {
	switch {
	case e.Kind == SixInFour:
		return f == IPv6
	case e.Kind == IPIP && e.Underlay == IPv4:
		return f == IPv4
	}
	return true
}

func joinKinds() string {
	s := make([]string, len(Kinds))
	for i, k := range Kinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

func joinCiphers() string {
	s := make([]string, len(Ciphers))
	for i, c := range Ciphers {
		s[i] = string(c)
	}
	return strings.Join(s, ", ")
}
