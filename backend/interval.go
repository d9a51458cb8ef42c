package backend

import (
	"cmp"
	"net/netip"
	"slices"
)

// labelled is an address range carrying a label (a zone, a rule) and a
// rank that says which label wins where ranges overlap.
type labelled[L comparable] struct {
	r     Range
	label L
	rank  int // lower wins; ties go to the earlier entry
}

// segment is a piece of the address space with every label covering it, in
// the order of their ranks.
type segment[L comparable] struct {
	r      Range
	labels []L
}

// paint cuts overlapping ranges of one family into disjoint segments, each
// with the labels that cover it, ordered by rank, duplicates removed.
// Adjacent segments with the same labels are merged. The sweep keeps the
// cost proportional to the number of ranges (times the depth of overlap),
// which matters with 10,000 source-scoped rules.
func paint[L comparable](in []labelled[L]) []segment[L] {
	if len(in) == 0 {
		return nil
	}
	type event struct {
		at    netip.Addr
		start bool
		idx   int
	}
	events := make([]event, 0, 2*len(in))
	for i, l := range in {
		events = append(events, event{at: l.r.From, start: true, idx: i})
		if next := l.r.To.Next(); next.IsValid() {
			events = append(events, event{at: next, idx: i})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		// Ends before starts at the same point: [a,b] then [b+1,c] touch.
		if a.start != b.start {
			if a.start {
				return 1
			}
			return -1
		}
		return 0
	})

	active := map[int]bool{}
	var out []segment[L]
	for i := 0; i < len(events); {
		at := events[i].at
		for ; i < len(events) && events[i].at == at; i++ {
			if events[i].start {
				active[events[i].idx] = true
			} else {
				delete(active, events[i].idx)
			}
		}
		if len(active) == 0 {
			continue
		}
		end := lastAddr(at)
		if i < len(events) {
			end = events[i].at.Prev()
		}
		labels := activeLabels(in, active)
		if n := len(out); n > 0 && out[n-1].r.To.Next() == at && slices.Equal(out[n-1].labels, labels) {
			out[n-1].r.To = end
			continue
		}
		out = append(out, segment[L]{r: Range{From: at, To: end}, labels: labels})
	}
	return out
}

func activeLabels[L comparable](in []labelled[L], active map[int]bool) []L {
	idx := make([]int, 0, len(active))
	for i := range active {
		idx = append(idx, i)
	}
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(in[a].rank, in[b].rank); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
	labels := make([]L, 0, len(idx))
	for _, i := range idx {
		if !slices.Contains(labels, in[i].label) {
			labels = append(labels, in[i].label)
		}
	}
	return labels
}

// lastAddr is the highest address of a's family.
func lastAddr(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.AddrFrom4([4]byte{255, 255, 255, 255})
	}
	var b [16]byte
	for i := range b {
		b[i] = 0xff
	}
	return netip.AddrFrom16(b)
}

// union merges ranges of one family into sorted disjoint ranges.
func union(rs []Range) []Range {
	in := make([]labelled[struct{}], len(rs))
	for i, r := range rs {
		in[i] = labelled[struct{}]{r: r}
	}
	segs := paint(in)
	out := make([]Range, len(segs))
	for i, s := range segs {
		out[i] = s.r
	}
	return out
}

// PrefixRange is the range a prefix covers.
func PrefixRange(p netip.Prefix) Range {
	p = p.Masked()
	from := p.Addr()
	b := from.AsSlice()
	for bit := p.Bits(); bit < len(b)*8; bit++ {
		b[bit/8] |= 0x80 >> (bit % 8)
	}
	to, _ := netip.AddrFromSlice(b)
	return Range{From: from, To: to}
}

// Prefix returns the prefix that covers exactly r, if there is one.
func (r Range) Prefix() (netip.Prefix, bool) {
	bits := r.From.BitLen()
	for l := 0; l <= bits; l++ {
		p := netip.PrefixFrom(r.From, l)
		if p.Masked().Addr() != r.From {
			continue
		}
		if PrefixRange(p).To == r.To {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// Prefixes covers r with the fewest prefixes, in address order; iptables
// matches on prefixes.
func (r Range) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	from := r.From
	for {
		bits := from.BitLen()
		l := bits
		for l > 0 {
			p := netip.PrefixFrom(from, l-1)
			if p.Masked().Addr() != from || PrefixRange(p).To.Compare(r.To) > 0 {
				break
			}
			l--
		}
		p := netip.PrefixFrom(from, l)
		out = append(out, p)
		end := PrefixRange(p).To
		if end == r.To {
			return out
		}
		from = end.Next()
	}
}

// Family of the range's addresses.
func (r Range) Family() Family {
	if r.From.Is4() {
		return FamilyIPv4
	}
	return FamilyIPv6
}

func (r Range) String() string {
	if p, ok := r.Prefix(); ok {
		if p.Bits() == p.Addr().BitLen() {
			return p.Addr().String()
		}
		return p.String()
	}
	return r.From.String() + "-" + r.To.String()
}
