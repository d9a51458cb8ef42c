package backend

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

type macBinding struct{ mac, zone string }
type setBinding struct{ set, zone string }
type ifBinding struct{ iface, zone string }

// bindMemo keeps the parsed bindings, and the lookups built from them, for
// as long as no zone's bindings change.
type bindMemo struct {
	zones    []firewalld.Zone // names and bindings only
	defZone  string
	addrBind [2][]labelled[string]
	macBind  []macBinding
	setBind  []setBinding
	ifExact  []ifBinding
	ifWild   []ifBinding
	setKinds map[string]string  // type and family of each bound ipset: lookups depend on them
	lookups  map[string][]*Rule // classify results by direction and targets
}

func (m *bindMemo) matches(in *firewalld.Topology, ipsets map[string]*firewalld.IPSet) bool {
	if m == nil || m.defZone != in.DefaultZone || len(m.zones) != len(in.Zones) {
		return false
	}
	for name, kind := range m.setKinds {
		if s, ok := ipsets[name]; !ok || s.Type+"/"+s.Family != kind {
			return false
		}
	}
	for i, z := range in.Zones {
		old := m.zones[i]
		if old.Name != z.Name || !slices.Equal(old.Interfaces, z.Interfaces) || !slices.Equal(old.Sources, z.Sources) {
			return false
		}
	}
	return true
}

// bindings parses every zone's interfaces and sources, or takes them from
// the last call when no binding changed.
func (c *compiler) bindings() error {
	if m := c.bindMemo; m.matches(c.in, c.ipsets) {
		c.addrBind, c.macBind, c.setBind, c.ifExact, c.ifWild = m.addrBind, m.macBind, m.setBind, m.ifExact, m.ifWild
		for _, b := range c.setBind {
			if _, err := c.set(b.set); err != nil {
				return fmt.Errorf("zone %q: source %q: %w", b.zone, "ipset:"+b.set, err)
			}
		}
		return nil
	}
	if err := c.parseBindings(); err != nil {
		c.bindMemo = nil
		return err
	}
	m := &bindMemo{defZone: c.in.DefaultZone, addrBind: c.addrBind, macBind: c.macBind, setBind: c.setBind,
		ifExact: c.ifExact, ifWild: c.ifWild, setKinds: map[string]string{}, lookups: map[string][]*Rule{}}
	for _, b := range c.setBind {
		s := c.ipsets[b.set]
		m.setKinds[b.set] = s.Type + "/" + s.Family
	}
	for _, z := range c.in.Zones {
		m.zones = append(m.zones, firewalld.Zone{Name: z.Name, Interfaces: slices.Clone(z.Interfaces), Sources: slices.Clone(z.Sources)})
	}
	c.bindMemo = m
	return nil
}

func (c *compiler) parseBindings() error {
	macSeen := map[string]bool{}
	ifSeen := map[string]string{}
	for _, z := range c.in.Zones {
		for _, src := range z.Sources {
			b, err := parseBinding(src)
			if err != nil {
				return fmt.Errorf("zone %q: %w", z.Name, err)
			}
			switch {
			case b.ipset != "":
				if _, err := c.set(b.ipset); err != nil {
					return fmt.Errorf("zone %q: source %q: %w", z.Name, src, err)
				}
				c.setBind = append(c.setBind, setBinding{set: b.ipset, zone: z.Name})
			case b.mac != "":
				if !macSeen[b.mac] {
					macSeen[b.mac] = true
					c.macBind = append(c.macBind, macBinding{mac: b.mac, zone: z.Name})
				}
			default:
				f := 0
				if b.prefix.Addr().Is6() {
					f = 1
				}
				// The most specific binding wins where networks overlap.
				c.addrBind[f] = append(c.addrBind[f], labelled[string]{r: PrefixRange(b.prefix), label: z.Name, rank: -b.prefix.Bits()})
			}
		}
		for _, iface := range z.Interfaces {
			if other, dup := ifSeen[iface]; dup {
				return fmt.Errorf("interface %q is bound to zones %q and %q", iface, other, z.Name)
			}
			ifSeen[iface] = z.Name
			if prefix, ok := strings.CutSuffix(iface, "+"); ok {
				c.ifWild = append(c.ifWild, ifBinding{iface: prefix + "+", zone: z.Name})
			} else {
				c.ifExact = append(c.ifExact, ifBinding{iface: iface, zone: z.Name})
			}
		}
	}
	slices.SortFunc(c.macBind, func(a, b macBinding) int { return strings.Compare(a.mac, b.mac) })
	slices.SortFunc(c.ifExact, func(a, b ifBinding) int { return strings.Compare(a.iface, b.iface) })
	// Longer wildcards are more specific: "eth1+" before "eth+".
	slices.SortStableFunc(c.ifWild, func(a, b ifBinding) int { return cmp.Compare(len(b.iface), len(a.iface)) })
	return nil
}

// direction says which end of a packet a classification looks at.
type direction bool

const (
	ingress direction = false // source address, source MAC, input interface
	egress  direction = true  // destination address, output interface
)

// classify builds the rules that find the zone a packet comes from (ingress)
// or goes to (egress), as firewalld decides it: source bindings first (by
// address, most specific first, then MAC, then ipsets), then the interface,
// then the default zone. target gives the chain to continue in for a zone, or
// "" when that zone has nothing to do, which ends the lookup (a packet bound
// to a zone never falls through to the next kind of binding).
func (c *compiler) classify(dir direction, target func(zone string) string) []*Rule {
	var key strings.Builder
	if dir == egress {
		key.WriteString("egress")
	}
	for _, z := range c.in.Zones {
		key.WriteString("\x00" + target(z.Name))
	}
	if rules, ok := c.bindMemo.lookups[key.String()]; ok {
		return rules
	}
	rules := c.buildLookup(dir, target)
	c.bindMemo.lookups[key.String()] = rules
	return rules
}

func (c *compiler) buildLookup(dir direction, target func(zone string) string) []*Rule {
	verdict := func(zone string) Verdict {
		if t := target(zone); t != "" {
			return Verdict{Kind: VerdictGoto, Chain: t}
		}
		return Verdict{Kind: VerdictReturn}
	}
	inline := func(r *Rule, zone string) *Rule {
		if t := target(zone); t != "" {
			r.Goto = t
		} else {
			r.Return = true
		}
		return r
	}
	var rules []*Rule

	addrKeys := [2]DispatchKey{KeySrcAddr4, KeySrcAddr6}
	if dir == egress {
		addrKeys = [2]DispatchKey{KeyDstAddr4, KeyDstAddr6}
	}
	for f, binds := range c.addrBind {
		if len(binds) == 0 {
			continue
		}
		d := &Dispatch{Key: addrKeys[f]}
		for _, seg := range paint(binds) {
			v := verdict(seg.labels[0])
			if n := len(d.Elements); n > 0 && d.Elements[n-1].Verdict == v && d.Elements[n-1].Range.To.Next() == seg.r.From {
				d.Elements[n-1].Range.To = seg.r.To
				continue
			}
			d.Elements = append(d.Elements, Element{Range: seg.r, Verdict: v})
		}
		rules = append(rules, &Rule{Dispatch: d})
	}
	if dir == ingress && len(c.macBind) > 0 {
		d := &Dispatch{Key: KeySrcMAC}
		for _, b := range c.macBind {
			d.Elements = append(d.Elements, Element{MAC: b.mac, Verdict: verdict(b.zone)})
		}
		rules = append(rules, &Rule{Dispatch: d})
	}
	for _, b := range c.setBind {
		set := c.sets[b.set]
		kind := MatchSrcSet
		if dir == egress {
			if set.MAC {
				continue // a MAC says nothing about where a packet goes
			}
			kind = MatchDstSet
		}
		rules = append(rules, inline(&Rule{Family: set.Family, Matches: []Match{{Kind: kind, Set: set.Name}}}, b.zone))
	}
	if len(c.ifExact) > 0 {
		d := &Dispatch{Key: KeyInIface}
		if dir == egress {
			d.Key = KeyOutIface
		}
		for _, b := range c.ifExact {
			d.Elements = append(d.Elements, Element{Iface: b.iface, Verdict: verdict(b.zone)})
		}
		rules = append(rules, &Rule{Dispatch: d})
	}
	for _, b := range c.ifWild {
		kind := MatchInIface
		if dir == egress {
			kind = MatchOutIface
		}
		rules = append(rules, inline(&Rule{Matches: []Match{{Kind: kind, Iface: b.iface}}}, b.zone))
	}
	if t := target(c.in.DefaultZone); t != "" {
		rules = append(rules, &Rule{Goto: t})
	}
	return trimReturns(rules)
}

// trimReturns drops what cannot change the outcome: a lookup whose every
// verdict is "return", at the end of the chain, is the same as no lookup.
func trimReturns(rules []*Rule) []*Rule {
	for len(rules) > 0 {
		last := rules[len(rules)-1]
		if !last.onlyReturns() {
			break
		}
		rules = rules[:len(rules)-1]
	}
	return rules
}

func (r *Rule) onlyReturns() bool {
	if r.Return {
		return true
	}
	if r.Dispatch == nil {
		return false
	}
	for _, e := range r.Dispatch.Elements {
		if e.Verdict.Kind != VerdictReturn {
			return false
		}
	}
	return true
}
