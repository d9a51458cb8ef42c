package nft

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// elem is one element of a set or map: its text as nft lists it and the
// netlink elements that make it. An address range is loaded as its start
// and, unless it reaches the top of the address space, the address after
// its end flagged as an interval end (which is how nft loads it too).
type elem struct {
	text string // key, and for maps " : " and the verdict
	nl   []nftables.SetElement
	from netip.Addr // where an address range starts
}

// What elements computes.
const (
	withText    = 1 << iota // the text of each element
	withNetlink             // the netlink form
)

// elements lists the set's elements in the order nft lists them (interval
// sets by address; others as given), with their text or netlink form or
// both, as what says.
func (s *setPlan) elements(what int) ([]elem, error) {
	switch {
	case s.isMap:
		out := make([]elem, 0, len(s.elems))
		for _, e := range s.elems {
			v, err := mapVerdict(e.Verdict)
			if err != nil {
				return nil, fmt.Errorf("%s: element %s: %w", s.owner, elementKey(s.kind, e), err)
			}
			el, err := s.element(e.Range, e.Iface, e.MAC, v, what)
			if err != nil {
				return nil, err
			}
			out = append(out, el)
		}
		if s.kind.interval() {
			slices.SortStableFunc(out, func(a, b elem) int { return a.from.Compare(b.from) })
		}
		return out, nil
	case s.kind == keyMAC:
		out := make([]elem, 0, len(s.macs))
		for _, m := range s.macs {
			el, err := s.element(backend.Range{}, "", m, nil, what)
			if err != nil {
				return nil, err
			}
			out = append(out, el)
		}
		return out, nil
	}
	out := make([]elem, 0, len(s.ranges))
	for _, r := range s.ranges {
		el, err := s.element(r, "", "", nil, what)
		if err != nil {
			return nil, err
		}
		out = append(out, el)
	}
	slices.SortStableFunc(out, func(a, b elem) int { return a.from.Compare(b.from) })
	return out, nil
}

func elementKey(k keyKind, e backend.Element) string {
	switch k {
	case keyIfname:
		return `"` + e.Iface + `"`
	case keyMAC:
		return e.MAC
	}
	return rangeText(e.Range)
}

func (s *setPlan) element(r backend.Range, iface, mac string, v *expr.Verdict, what int) (elem, error) {
	var el elem
	var key []byte
	text := what&withText != 0
	switch s.kind {
	case keyIfname:
		if err := checkIfname(iface); err != nil || iface == "" || strings.HasSuffix(iface, "+") {
			return el, fmt.Errorf("%s: element %q is not an interface name", s.owner, iface)
		}
		if text {
			el.text = `"` + iface + `"`
		}
		key = ifnameKey(iface)
	case keyMAC:
		hw, err := firewalld.ParseMAC(mac)
		if err != nil {
			return el, fmt.Errorf("%s: %w", s.owner, err)
		}
		if text {
			el.text = hw.String()
		}
		key = hw
	default:
		if err := checkRange(s.kind, r); err != nil {
			return el, fmt.Errorf("%s: element %s-%s: %w", s.owner, r.From, r.To, err)
		}
		if text {
			el.text = rangeText(r)
		}
		el.from = r.From
		key = r.From.AsSlice()
	}
	if v != nil && text {
		el.text += " : " + verdictText(v.Kind, v.Chain)
	}
	if what&withNetlink != 0 {
		el.nl = append(el.nl, nftables.SetElement{Key: key, VerdictData: v})
		if s.kind.interval() {
			if next := r.To.Next(); next.IsValid() {
				el.nl = append(el.nl, nftables.SetElement{Key: next.AsSlice(), IntervalEnd: true})
			}
		}
	}
	return el, nil
}

func checkRange(k keyKind, r backend.Range) error {
	if !r.From.IsValid() || !r.To.IsValid() {
		return errors.New("invalid address")
	}
	want := k == keyAddr4
	if r.From.Is4() != want || r.To.Is4() != want {
		return errors.New("address of the wrong family")
	}
	if r.To.Less(r.From) {
		return errors.New("range ends before it starts")
	}
	return nil
}

func mapVerdict(v backend.Verdict) (*expr.Verdict, error) {
	switch v.Kind {
	case backend.VerdictJump, backend.VerdictGoto:
		if v.Chain == "" {
			return nil, errors.New("jump or goto without a chain")
		}
		k := expr.VerdictJump
		if v.Kind == backend.VerdictGoto {
			k = expr.VerdictGoto
		}
		return &expr.Verdict{Kind: k, Chain: v.Chain}, nil
	case backend.VerdictReturn:
		return &expr.Verdict{Kind: expr.VerdictReturn}, nil
	}
	return nil, fmt.Errorf("unknown verdict kind %d", v.Kind)
}

// rangeText is an address range as nft lists it: an address, a prefix, or
// "from-to".
func rangeText(r backend.Range) string {
	if r.From == r.To {
		return r.From.String()
	}
	if p, ok := r.Prefix(); ok {
		return p.String()
	}
	return r.From.String() + "-" + r.To.String()
}

// elementsLine is the "elements = { ... }" line of a set as nft prints it:
// nft puts two IPv4 addresses on a line, and one element of any other type.
func elementsLine(k keyKind, elems []elem) string {
	var b strings.Builder
	b.WriteString("elements = { ")
	count := 0
	for i, e := range elems {
		if i > 0 {
			if k == keyAddr4 && count < 2 {
				b.WriteString(", ")
			} else {
				b.WriteString(",\n\t\t\t     ")
				count = 0
			}
		}
		b.WriteString(e.text)
		count++
	}
	b.WriteString(" }")
	return b.String()
}
