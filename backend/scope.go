package backend

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// scopes builds one chain per zone and policy that has rules: the rules that
// need no address lookup, in priority order, then one Dispatch per address
// key for rules scoped to a single source or destination address.
func (c *compiler) scopes() error {
	c.zoneScope = map[string]string{}
	c.polScope = map[string]string{}
	for i := range c.in.Zones {
		z := &c.in.Zones[i]
		name, err := c.scope(firewalld.ZoneScope(z.Name), nil)
		if err != nil {
			return err
		}
		if name != "" {
			c.zoneScope[z.Name] = name
		}
	}
	for i := range c.in.Policies {
		c.policies = append(c.policies, &c.in.Policies[i])
	}
	slices.SortStableFunc(c.policies, func(a, b *firewalld.Policy) int {
		if x := cmp.Compare(a.Priority, b.Priority); x != 0 {
			return x
		}
		return strings.Compare(a.Name, b.Name)
	})
	for _, p := range c.policies {
		if err := c.checkPolicy(p); err != nil {
			return err
		}
		name, err := c.scope(firewalld.PolicyScope(p.Name), p)
		if err != nil {
			return err
		}
		if name != "" {
			c.polScope[p.Name] = name
		}
	}
	return nil
}

// checkPolicy rejects what the kernel cannot do and names the firewalld
// does not allow.
func (c *compiler) checkPolicy(p *firewalld.Policy) error {
	known := func(zones []string, side string) error {
		for _, z := range zones {
			if z == firewalld.ZoneAny || z == firewalld.ZoneHost {
				continue
			}
			if _, ok := c.zones[z]; !ok {
				return fmt.Errorf("policy %q: %s zone %q does not exist", p.Name, side, z)
			}
		}
		return nil
	}
	if err := known(p.Ingress, "ingress"); err != nil {
		return err
	}
	if err := known(p.Egress, "egress"); err != nil {
		return err
	}
	if slices.Contains(p.Ingress, firewalld.ZoneHost) && slices.Contains(p.Egress, firewalld.ZoneHost) {
		return fmt.Errorf("policy %q: HOST cannot be both ingress and egress", p.Name)
	}
	return nil
}

// CheckPolicyRule reports whether rule r can be added to policy p: a pmtu
// clamp towards HOST has no route to measure (ErrPMTUToHost), and traffic
// this machine opens has no source MAC (ErrMACFromHost).
func CheckPolicyRule(p *firewalld.Policy, r *richrule.Rule) error {
	if cl := r.Clamp(); cl != nil && cl.Value == richrule.PMTU && slices.Contains(p.Egress, firewalld.ZoneHost) {
		return ErrPMTUToHost
	}
	if r.Source != nil && r.Source.MAC != "" && slices.Contains(p.Ingress, firewalld.ZoneHost) {
		return ErrMACFromHost
	}
	return nil
}

// ErrPMTUToHost is returned for a pmtu clamp in a policy whose egress is
// HOST: traffic to this machine has no route yet when it is seen, so the
// kernel cannot compute a path MTU (rt mtu is refused in the input hook).
var ErrPMTUToHost = errors.New("tcp-mss-clamp value=pmtu cannot apply to traffic to HOST (no route exists before input); use a fixed value")

// ErrMACFromHost is returned for a MAC-scoped rule in a policy whose ingress
// is HOST: a packet this machine opens has not come from any Ethernet source.
var ErrMACFromHost = errors.New("source mac cannot match traffic this machine opens (ingress HOST)")

// scope builds the chain of one zone or policy (p, nil for a zone), or
// returns "" when it has no rules. An unchanged scope is taken from the memo.
func (c *compiler) scope(s firewalld.Scope, p *firewalld.Policy) (string, error) {
	rules := c.rules[s]
	if len(rules) == 0 {
		return "", nil
	}
	if m := c.memo[s]; m != nil && slices.Equal(m.rules, rules) && c.sameIPSets(m.ipsets) {
		c.next[s] = m
		c.clampNext[s] = c.clampMemo[s]
		for _, ch := range m.chains {
			c.chains[ch.Name] = ch
			if len(ch.Rules) == 1 && ch.Rules[0].Clamp != nil && ch.Name == "rule_"+ch.Rules[0].Clamp.ID {
				c.chainNext[ch.Rules[0].Clamp] = ch
			}
		}
		for _, ch := range m.chains {
			for _, r := range ch.Rules {
				for _, mt := range r.Matches {
					if mt.Set == "" {
						continue
					}
					if _, err := c.set(mt.Set); err != nil {
						return "", err
					}
				}
			}
		}
		c.diags = append(c.diags, m.diags...)
		return m.name, nil
	}
	first := len(c.created)
	usedBefore := c.used
	c.used = map[string]*firewalld.IPSet{}
	diags := len(c.diags)
	name := c.compileScope(s, rules, p)
	m := &scopeMemo{rules: slices.Clone(rules), ipsets: c.used, name: name, diags: c.diags[diags:], chains: slices.Clone(c.created[first:])}
	c.used = usedBefore
	c.next[s] = m
	return name, nil
}

// sameIPSets reports whether the ipsets a memoised scope used are still the
// same, entry for entry.
func (c *compiler) sameIPSets(used map[string]*firewalld.IPSet) bool {
	for name, old := range used {
		now, ok := c.ipsets[name]
		if old == nil { // it did not exist
			if ok {
				return false
			}
			continue
		}
		if !ok || now.Type != old.Type || now.Family != old.Family || !slices.Equal(now.Entries, old.Entries) {
			return false
		}
	}
	return true
}

// compileScope is scope without the memo; a rule that cannot compile is
// left out with a Diagnostic.
func (c *compiler) compileScope(s firewalld.Scope, rules []*richrule.Rule, p *firewalld.Policy) string {
	leaveOut := func(r *richrule.Rule, err error) {
		c.diags = append(c.diags, &Diagnostic{Scope: s, Rule: r.String(), Err: err})
	}
	var linear []*Rule
	keyed := map[DispatchKey][]labelled[*Clamp]{}
	seen := map[string]bool{}
	for i, r := range byPriority(rules) {
		cl := r.Clamp()
		if cl == nil {
			leaveOut(r, errors.New("no tcp-mss-clamp element: the rule belongs to firewalld"))
			continue
		}
		if p != nil {
			if err := CheckPolicyRule(p, r); err != nil {
				leaveOut(r, err)
				continue
			}
		}
		rm := c.ruleMemo(s, r)
		clamp := rm.clamp
		if seen[clamp.ID] {
			continue
		}
		seen[clamp.ID] = true
		if key, rng, ok := rm.key, rm.rng, rm.keyed; ok {
			keyed[key] = append(keyed[key], labelled[*Clamp]{r: rng, label: clamp, rank: i})
			continue
		}
		var had map[string]bool // only a rule that names an ipset can leave a set behind
		if sourceSet(r) != "" || destinationSet(r) != "" {
			had = c.setsOf(r)
		}
		rule, err := c.clampRule(r, clamp, p != nil && slices.Contains(p.Ingress, firewalld.ZoneHost))
		if err != nil {
			for name, ok := range had {
				if !ok {
					delete(c.sets, name) // only the rule left out wanted it
				}
			}
			leaveOut(r, err)
			continue
		}
		linear = append(linear, rule)
	}
	for _, key := range []DispatchKey{KeySrcAddr4, KeySrcAddr6, KeyDstAddr4, KeyDstAddr6} {
		if in := keyed[key]; len(in) > 0 {
			linear = append(linear, &Rule{Dispatch: c.clampDispatch(key, in)})
		}
	}
	prefix := "zone_"
	if s.Policy {
		prefix = "policy_"
	}
	if len(linear) == 0 {
		return ""
	}
	return c.chain(prefix+s.Name, linear)
}

// setsOf tells, for each ipset rule r names, whether the ruleset has it yet.
func (c *compiler) setsOf(r *richrule.Rule) map[string]bool {
	had := map[string]bool{}
	for _, name := range []string{sourceSet(r), destinationSet(r)} {
		if name != "" {
			_, had[name] = c.sets[name]
		}
	}
	return had
}

func sourceSet(r *richrule.Rule) string {
	if r.Source == nil {
		return ""
	}
	return r.Source.IPSet
}

func destinationSet(r *richrule.Rule) string {
	if r.Destination == nil {
		return ""
	}
	return r.Destination.IPSet
}

// ruleMemo is what a rule compiles to on its own: its Clamp (an ID is a
// hash, its text a print) and whether it is scoped to one address.
type ruleMemo struct {
	clamp *Clamp
	key   DispatchKey
	rng   Range
	keyed bool
}

// ruleMemo compiles a rule on its own, or takes it from the last call.
func (c *compiler) ruleMemo(s firewalld.Scope, r *richrule.Rule) *ruleMemo {
	m, ok := c.clampMemo[s][r]
	if !ok {
		m = &ruleMemo{clamp: &Clamp{ID: RuleID(s, r), Scope: s, Rule: r.String(), MSS: r.Clamp().Value, Log: logOf(r.Log)}}
		m.key, m.rng, m.keyed = singleAddress(r)
	}
	next := c.clampNext[s]
	if next == nil {
		next = make(map[*richrule.Rule]*ruleMemo, len(c.clampMemo[s])+1)
		c.clampNext[s] = next
	}
	next[r] = m
	return m
}

// singleAddress recognises a rule scoped by exactly one plain source or
// destination address: those go into a verdict map, so that thousands of
// them cost one lookup per packet.
func singleAddress(r *richrule.Rule) (DispatchKey, Range, bool) {
	var key DispatchKey
	var addr string
	switch {
	case r.Source != nil && r.Destination == nil && !r.Source.Invert && r.Source.Address != "":
		key, addr = KeySrcAddr4, r.Source.Address
	case r.Destination != nil && r.Source == nil && !r.Destination.Invert && r.Destination.Address != "":
		key, addr = KeyDstAddr4, r.Destination.Address
	default:
		return 0, Range{}, false
	}
	p, err := parsePrefix(addr)
	if err != nil {
		return 0, Range{}, false // clampRule reports it
	}
	if p.Addr().Is6() {
		key++ // KeySrcAddr6 follows KeySrcAddr4, KeyDstAddr6 follows KeyDstAddr4
	}
	return key, PrefixRange(p), true
}

// clampDispatch cuts overlapping address rules into disjoint ranges, each
// jumping to a chain with every clamp that covers it, in priority order.
func (c *compiler) clampDispatch(key DispatchKey, in []labelled[*Clamp]) *Dispatch {
	d := &Dispatch{Key: key}
	for _, seg := range paint(in) {
		d.Elements = append(d.Elements, Element{Range: seg.r, Verdict: Verdict{Kind: VerdictJump, Chain: c.clampChain(seg.labels)}})
	}
	return d
}

// clampChain holds the clamps for one combination of rules. Its name depends
// only on the rules, so an unchanged rule keeps its chain (and its counter)
// when others change.
func (c *compiler) clampChain(clamps []*Clamp) string {
	if len(clamps) == 1 {
		ch, ok := c.chainMemo[clamps[0]]
		if !ok {
			ch = &Chain{Name: "rule_" + clamps[0].ID, Rules: []*Rule{{Clamp: clamps[0]}}}
		}
		c.chainNext[clamps[0]] = ch
		if _, dup := c.chains[ch.Name]; !dup {
			c.chains[ch.Name] = ch
			c.created = append(c.created, ch)
		}
		return ch.Name
	}
	name := "rule_" + clamps[0].ID
	if len(clamps) > 1 {
		h := sha256.New()
		for _, cl := range clamps {
			h.Write([]byte(cl.ID))
		}
		name = "rules_" + hex.EncodeToString(h.Sum(nil)[:8])
	}
	if _, ok := c.chains[name]; ok {
		return name
	}
	rules := make([]*Rule, len(clamps))
	for i, cl := range clamps {
		rules[i] = &Rule{Clamp: cl}
	}
	return c.chain(name, rules)
}

// clampRule is a rule whose matches are checked in line: negated, MAC, ipset
// or combined source and destination. fromHost: the rule sees only traffic
// this machine opens.
func (c *compiler) clampRule(r *richrule.Rule, clamp *Clamp, fromHost bool) (*Rule, error) {
	rule := &Rule{Family: familyOfRule(r.Family), Clamp: clamp}
	restrict := func(f Family) error {
		switch {
		case f == FamilyAny || rule.Family == f:
		case rule.Family == FamilyAny:
			rule.Family = f
		default:
			return fmt.Errorf("mixes IPv4 and IPv6")
		}
		return nil
	}
	if src := r.Source; src != nil {
		switch {
		case src.Address != "":
			p, err := parsePrefix(src.Address)
			if err != nil {
				return nil, err
			}
			rule.Matches = append(rule.Matches, Match{Kind: MatchSrcAddr, Invert: src.Invert, Prefix: p})
			if err := restrict(familyOf(p)); err != nil {
				return nil, err
			}
		case src.MAC != "":
			mac, ok := parseMAC(src.MAC)
			if !ok {
				return nil, fmt.Errorf("invalid MAC %q", src.MAC)
			}
			rule.Matches = append(rule.Matches, Match{Kind: MatchSrcMAC, Invert: src.Invert, MAC: mac})
		default:
			set, err := c.set(src.IPSet)
			if err != nil {
				return nil, err
			}
			if set.MAC && fromHost {
				return nil, fmt.Errorf("ipset %q holds MAC addresses: %w", set.Name, ErrMACFromHost)
			}
			rule.Matches = append(rule.Matches, Match{Kind: MatchSrcSet, Invert: src.Invert, Set: set.Name})
			if err := restrict(set.Family); err != nil {
				return nil, err
			}
		}
	}
	if dst := r.Destination; dst != nil {
		if dst.Address != "" {
			p, err := parsePrefix(dst.Address)
			if err != nil {
				return nil, err
			}
			rule.Matches = append(rule.Matches, Match{Kind: MatchDstAddr, Invert: dst.Invert, Prefix: p})
			if err := restrict(familyOf(p)); err != nil {
				return nil, err
			}
		} else {
			set, err := c.set(dst.IPSet)
			if err != nil {
				return nil, err
			}
			if set.MAC {
				return nil, fmt.Errorf("ipset %q holds MAC addresses: it cannot match a destination", set.Name)
			}
			rule.Matches = append(rule.Matches, Match{Kind: MatchDstSet, Invert: dst.Invert, Set: set.Name})
			if err := restrict(set.Family); err != nil {
				return nil, err
			}
		}
	}
	return rule, nil
}

func familyOfRule(f richrule.Family) Family {
	switch f {
	case richrule.FamilyIPv4:
		return FamilyIPv4
	case richrule.FamilyIPv6:
		return FamilyIPv6
	}
	return FamilyAny
}

// logOf carries a clamp rule's log or nflog part over.
func logOf(l richrule.Logger) *Log {
	switch l := l.(type) {
	case *richrule.Log:
		return &Log{Prefix: l.Prefix, Level: l.Level, Limit: l.Limit}
	case *richrule.NFLog:
		return &Log{NFLog: true, Prefix: l.Prefix, Group: uint16Of(l.Group), QueueSize: uint16Of(l.QueueSize), Limit: l.Limit}
	}
	return nil
}

// uint16Of reads an nflog number the way firewalld does (int(x, 0)); the
// parser has already checked it.
func uint16Of(s string) uint16 {
	n, err := strconv.ParseUint(strings.ReplaceAll(s, "_", ""), 0, 16)
	if err != nil {
		return 0
	}
	return uint16(n)
}

// set returns the Set for an ipset, loading its entries on first use.
func (c *compiler) set(name string) (*Set, error) {
	ips, ok := c.ipsets[name]
	if !ok {
		if c.used != nil {
			c.used[name] = nil // a scope that missed it compiles again when it comes
		}
		return nil, fmt.Errorf("ipset %q does not exist", name)
	}
	if c.used != nil && c.used[name] == nil {
		c.used[name] = &firewalld.IPSet{Name: ips.Name, Type: ips.Type, Family: ips.Family, Entries: slices.Clone(ips.Entries)}
	}
	if s, ok := c.sets[name]; ok {
		return s, nil
	}
	s := &Set{Name: name}
	switch ips.Type {
	case "hash:mac":
		s.MAC = true
		for _, e := range ips.Entries {
			mac, ok := parseMAC(e)
			if !ok {
				return nil, fmt.Errorf("ipset %q: invalid MAC entry %q", name, e)
			}
			s.MACs = append(s.MACs, mac)
		}
		slices.Sort(s.MACs)
		s.MACs = slices.Compact(s.MACs)
	case "hash:ip", "hash:net":
		s.Family = FamilyIPv4
		if ips.Family == "inet6" {
			s.Family = FamilyIPv6
		}
		var rs []Range
		for _, e := range ips.Entries {
			r, err := parseRange(e)
			if err != nil {
				return nil, fmt.Errorf("ipset %q: %w", name, err)
			}
			if r.Family() != s.Family {
				return nil, fmt.Errorf("ipset %q: entry %q is not of the set's family", name, e)
			}
			rs = append(rs, r)
		}
		s.Elements = union(rs)
	default:
		return nil, fmt.Errorf("ipset %q of type %s: only hash:ip, hash:net and hash:mac sets can be matched", name, ips.Type)
	}
	c.sets[name] = s
	return s, nil
}
