package backend

import (
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// parsePrefix reads an address as firewalld accepts it in sources and rich
// rules: "10.0.0.1", "10.0.0.0/8", "10.0.0.0/255.0.0.0", "fd00::/64",
// "[fd00::1]". Host bits are cleared, as firewalld's nftables backend does.
func parsePrefix(s string) (netip.Prefix, error) {
	addr, mask, hasMask := strings.Cut(s, "/")
	addr = strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	a, err := netip.ParseAddr(addr)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("invalid address %q", s)
	}
	a = a.Unmap()
	bits := a.BitLen()
	if hasMask {
		if a.Is4() && strings.Contains(mask, ".") {
			m, err := netip.ParseAddr(mask)
			if err != nil || !m.Is4() {
				return netip.Prefix{}, fmt.Errorf("invalid netmask in %q", s)
			}
			ones, size := net.IPMask(m.AsSlice()).Size()
			if size == 0 {
				return netip.Prefix{}, fmt.Errorf("non-contiguous netmask in %q", s)
			}
			bits = ones
		} else {
			n, err := strconv.Atoi(mask)
			if err != nil || n < 0 || n > a.BitLen() {
				return netip.Prefix{}, fmt.Errorf("invalid prefix length in %q", s)
			}
			bits = n
		}
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}

// parseRange reads an ipset entry address: a prefix or "A-B".
func parseRange(s string) (Range, error) {
	if from, to, ok := strings.Cut(s, "-"); ok {
		a, err1 := netip.ParseAddr(strings.TrimSpace(from))
		b, err2 := netip.ParseAddr(strings.TrimSpace(to))
		if err1 != nil || err2 != nil || a.Is4() != b.Is4() {
			return Range{}, fmt.Errorf("invalid address range %q", s)
		}
		if b.Less(a) {
			a, b = b, a
		}
		return Range{From: a.Unmap(), To: b.Unmap()}, nil
	}
	p, err := parsePrefix(s)
	if err != nil {
		return Range{}, err
	}
	return PrefixRange(p), nil
}

// parseMAC normalises a MAC address to firewalld's upper-case form.
func parseMAC(s string) (string, bool) {
	hw, err := firewalld.ParseMAC(s)
	if err != nil {
		return "", false
	}
	return strings.ToUpper(hw.String()), true
}

// binding is one parsed zone source binding.
type binding struct {
	prefix netip.Prefix // address bindings
	mac    string       // MAC bindings
	ipset  string       // "ipset:NAME" bindings
}

func parseBinding(s string) (binding, error) {
	if name, ok := strings.CutPrefix(s, "ipset:"); ok {
		if name == "" {
			return binding{}, fmt.Errorf("empty ipset name in source %q", s)
		}
		return binding{ipset: name}, nil
	}
	if mac, ok := parseMAC(s); ok {
		return binding{mac: mac}, nil
	}
	p, err := parsePrefix(s)
	if err != nil {
		return binding{}, fmt.Errorf("source %q is neither an address, a MAC nor ipset:NAME", s)
	}
	return binding{prefix: p}, nil
}

func familyOf(p netip.Prefix) Family {
	if p.Addr().Is4() {
		return FamilyIPv4
	}
	return FamilyIPv6
}
