package ipt

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// checkIface accepts what iptables takes as an interface name: at most 15
// bytes, nothing its rule parser would split or quote. A trailing "+" is
// iptables' wildcard, so it is refused where the model means an exact name.
func checkIface(name string, wildcard bool) error {
	if name == "" || len(name) > 15 {
		return unsupported("interface name %q is not 1 to 15 bytes long", name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"'\/:`, c) >= 0 || c == '!' && i == 0 {
			return unsupported("interface name %q has a character iptables cannot take", name)
		}
	}
	if !wildcard && strings.HasSuffix(name, "+") {
		return unsupported("interface name %q ends in \"+\", which iptables reads as a wildcard", name)
	}
	return nil
}

// checkMAC returns a MAC address in the lower case iptables-save prints.
func checkMAC(mac string) (string, error) {
	hw, err := firewalld.ParseMAC(mac)
	if err != nil {
		return "", fmt.Errorf("MAC address %q is not six colon-separated hex bytes", mac)
	}
	return hw.String(), nil
}

// checkSetName accepts an ipset name iptables can print back unquoted.
func checkSetName(name string) error {
	if name == "" || len(name) > 31 {
		return unsupported("ipset name %q is not 1 to 31 bytes long", name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte(`"'\`, c) >= 0 {
			return unsupported("ipset name %q has a character iptables cannot take", name)
		}
	}
	return nil
}

// checkText bounds a comment or log prefix; control characters would end
// the iptables-restore line.
func checkText(what, s string, max int) error {
	if len(s) > max {
		return unsupported("%s %q is longer than %d bytes", what, s, max)
	}
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] == 0x7f {
			return unsupported("%s %q has a control character", what, s)
		}
	}
	return nil
}

// Limits of the kernel's limit match (xt_limit): rates are kept as the
// interval between packets in 1/10000 s, and the burst times that interval
// must fit its credit counter, which holds a day.
const (
	limitScale    = 10000
	limitMaxBurst = 10000
	limitMaxSpan  = limitScale * 86400
)

var limitUnits = map[byte]uint64{'s': 1, 'm': 60, 'h': 3600, 'd': 86400}

// limitMatch renders a log limit the way iptables-save prints it back: the
// rate in the largest unit that keeps it whole, the burst only when it is
// not the default 5.
func limitMatch(l *richrule.Limit) (string, error) {
	unit, ok := limitUnits[l.Unit]
	if !ok || l.Rate == 0 {
		return "", fmt.Errorf("limit %d/%c is not a rate", l.Rate, l.Unit)
	}
	avg := limitScale * unit / uint64(l.Rate)
	if avg == 0 {
		return "", unsupported("limit %d/%c is faster than the limit match's 10000/s", l.Rate, l.Unit)
	}
	burst := uint64(l.Burst)
	if burst == 0 {
		burst = 5
	}
	if burst > limitMaxBurst {
		return "", unsupported("limit burst %d is above the limit match's %d", burst, limitMaxBurst)
	}
	if avg*burst > limitMaxSpan {
		return "", unsupported("limit %d/%c with burst %d: the limit match cannot hold a burst longer than a day", l.Rate, l.Unit, burst)
	}
	rates := []struct {
		name string
		mult uint64
	}{{"day", limitScale * 86400}, {"hour", limitScale * 3600}, {"min", limitScale * 60}, {"sec", limitScale}}
	i := 1
	for ; i < len(rates); i++ {
		if avg > rates[i].mult || rates[i].mult/avg < rates[i].mult%avg {
			break
		}
	}
	s := fmt.Sprintf("-m limit --limit %d/%s", rates[i-1].mult/avg, rates[i-1].name)
	if burst != 5 {
		s += fmt.Sprintf(" --limit-burst %d", burst)
	}
	return s, nil
}

// rangePrefix returns the prefix that covers exactly r, if there is one.
func rangePrefix(r backend.Range) (netip.Prefix, bool) {
	for bits := 0; bits <= r.From.BitLen(); bits++ {
		p := netip.PrefixFrom(r.From, bits)
		if p.Masked().Addr() == r.From && lastAddr(p) == r.To {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// lastAddr is the highest address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}
