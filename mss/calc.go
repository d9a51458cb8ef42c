package mss

import (
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// Request is one calculation.
type Request struct {
	LinkMTU int // the MTU of the link the encapsulated packets leave by
	Encap   Encap
	Family  Family // of the TCP connection; Suggest computes both when ""
	// Conservative also subtracts 40 bytes of TCP options, as some vendors'
	// figures do (e.g. Sophos' 1347 for IPsec); RFC 6691 does not.
	Conservative bool
}

// Step is one header or trailer, with its size and why it is there.
type Step struct {
	What  string `json:"what"`
	Bytes int    `json:"bytes"`
	Why   string `json:"why"`
}

// Result is the arithmetic of one calculation, line by line.
type Result struct {
	LinkMTU      int    `json:"link_mtu"`
	Encap        string `json:"encap"`
	Family       Family `json:"family"`
	Conservative bool   `json:"conservative"`
	// Overhead is subtracted from the link MTU to give InnerMTU, the largest
	// IP packet the encapsulation carries unfragmented.
	Overhead []Step `json:"overhead"`
	InnerMTU int    `json:"inner_mtu"`
	// Headers are subtracted from InnerMTU to give the MSS.
	Headers []Step `json:"headers"`
	MSS     int    `json:"mss"`
	// Rule is the rich rule that clamps to MSS, in canonical form; empty
	// when MSS is below the smallest value a rule takes (536).
	Rule  string   `json:"rule,omitempty"`
	Notes []string `json:"notes,omitempty"`
}

// Limits of the link MTU: RFC 791's smallest IPv4 MTU, and Linux's largest
// (loopback's 65536). A packet is never longer than the IP total length
// allows (65535), whatever the link takes.
const (
	MinLinkMTU = 68
	MaxLinkMTU = 65536
	maxPacket  = 65535
)

// ErrTooSmall means the headers do not fit into the MTU.
var ErrTooSmall = errors.New("the MTU is too small for the headers")

// Compute does one calculation; r.Family must be set.
func Compute(r Request) (*Result, error) {
	if r.LinkMTU < MinLinkMTU || r.LinkMTU > MaxLinkMTU {
		return nil, fmt.Errorf("link MTU %d: want %d..%d", r.LinkMTU, MinLinkMTU, MaxLinkMTU)
	}
	if r.Family != IPv4 && r.Family != IPv6 {
		return nil, fmt.Errorf("family %q: want ipv4 or ipv6", r.Family)
	}
	if r.Encap.Kind == "" {
		r.Encap.Kind = None
	}
	if !r.Encap.Carries(r.Family) {
		return nil, fmt.Errorf("%s cannot carry %s", r.Encap, r.Family)
	}
	res := &Result{
		LinkMTU:      r.LinkMTU,
		Encap:        r.Encap.String(),
		Family:       r.Family,
		Conservative: r.Conservative,
		Overhead:     overhead(r.Encap),
	}
	res.InnerMTU = min(r.LinkMTU, maxPacket) - sum(res.Overhead)
	res.Headers = headers(r.Family, r.Encap.Kind == None, r.Conservative)
	res.MSS = res.InnerMTU - sum(res.Headers)
	if res.MSS <= 0 {
		return nil, fmt.Errorf("%s over a link MTU of %d: %w (%d bytes inside, %d of headers)",
			r.Encap, r.LinkMTU, ErrTooSmall, res.InnerMTU, sum(res.Headers))
	}
	res.Notes = notes(r, res)
	if res.MSS >= int(richrule.MinMSS) {
		rule, err := clampRule(r.Family, strconv.Itoa(res.MSS))
		if err != nil {
			return nil, err
		}
		res.Rule = rule
	}
	return res, nil
}

// Suggest computes r for r.Family, or, when it is empty, for each family
// the encapsulation carries.
func Suggest(r Request) ([]*Result, error) {
	families := []Family{r.Family}
	if r.Family == "" {
		families = nil
		for _, f := range []Family{IPv4, IPv6} {
			if r.Encap.Carries(f) {
				families = append(families, f)
			}
		}
	}
	var out []*Result
	for _, f := range families {
		r.Family = f
		res, err := Compute(r)
		if err != nil {
			return nil, err
		}
		out = append(out, res)
	}
	return out, nil
}

// InterfaceMTU returns the MTU of a network interface of the calling
// thread's network namespace (for --mtu-of).
func InterfaceMTU(name string) (int, error) {
	ifc, err := net.InterfaceByName(name)
	if err != nil {
		return 0, fmt.Errorf("MTU of interface %q: %w", name, err)
	}
	return ifc.MTU, nil
}

// clampRule builds the rule as text and lets the rich-rule parser check it
// and print its canonical form. value "" is pmtu.
func clampRule(f Family, value string) (string, error) {
	text := "rule family=" + string(f) + " tcp-mss-clamp"
	if value != "" {
		text += " value=" + value
	}
	rule, err := richrule.Parse(text)
	if err != nil {
		return "", fmt.Errorf("rich rule %q: %w", text, err)
	}
	return rule.String(), nil
}

func sum(steps []Step) int {
	n := 0
	for _, s := range steps {
		n += s.Bytes
	}
	return n
}

func notes(r Request, res *Result) []string {
	var out []string
	if r.Family == IPv6 && res.InnerMTU < 1280 {
		out = append(out, fmt.Sprintf("IPv6 needs an MTU of at least 1280 (RFC 8200 §5); %d is less, so IPv6 through it relies on fragmentation below IP", res.InnerMTU))
	}
	switch r.Encap.Kind {
	case WireGuard:
		out = append(out, "WireGuard pads the plaintext to a multiple of 16 bytes but never beyond the interface MTU, so padding costs nothing at this size")
	case IPsec:
		out = append(out, "ESP padding is counted at its worst case; a packet whose length happens to fit the block needs less, so an exact fit may allow a few bytes more")
	case GRE, IPIP:
		if r.Encap.Underlay == IPv6 {
			out = append(out, "without the encapsulation limit option (ip -6 tunnel ... encaplimit none) the tunnel carries 8 bytes more")
		}
	}
	if res.MSS < int(richrule.MinMSS) {
		out = append(out, fmt.Sprintf("%d is below %d, the smallest value a tcp-mss-clamp rule takes (RFC 879's default MSS): no rule suggested", res.MSS, richrule.MinMSS))
	} else if !r.Conservative {
		if pmtu, err := clampRule(r.Family, ""); err == nil {
			out = append(out, fmt.Sprintf("%s (pmtu) gives the same value wherever the route's MTU is %d, and follows the MTU when it changes", pmtu, res.InnerMTU))
		}
	}
	return out
}
