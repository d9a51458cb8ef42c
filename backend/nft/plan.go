package nft

import (
	"errors"
	"fmt"

	"github.com/google/nftables/expr"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// plan is a Ruleset laid out as the objects of our table: chains with their
// kernel rules, and the sets and maps (ipsets first, then the verdict maps
// in the order their rules appear). Chains hold the listed text of each
// rule; expressions are built only for the chains a batch (re)fills.
type plan struct {
	chains  []chainPlan
	byChain map[string]int // index in chains
	sets    []*setPlan
	byName  map[string]*setPlan // nft name -> set or map
	ipsets  map[string]*setPlan // Ruleset Set name -> set
}

type chainPlan struct {
	src   *backend.Chain
	rules []kernelRule
	maps  []string // the verdict maps of its Dispatch rules
	hash  uint64   // see chainHasher
	same  bool     // as at the last Apply: rules and maps taken from then
}

func (c *chainPlan) name() string       { return c.src.Name }
func (c *chainPlan) hook() backend.Hook { return c.src.Hook }

// kernelRule is one rule as the kernel holds it. A Ruleset rule is one
// kernel rule, or two for a clamp that logs (the log rule, then the clamp).
type kernelRule struct {
	text    string     // as nft lists it, counters left out, comment included
	body    int        // length of text without the comment
	comment string     // the clamp's comment, or ""
	exprs   []expr.Any // only when built with expressions
	index   int        // of the Ruleset rule in its chain
	log     bool       // the log rule of a clamp
	scope   firewalld.Scope
	rule    string // the clamp's rich rule, for Dump
}

// setPlan is a named set (an ipset's content) or a verdict map (a Dispatch).
type setPlan struct {
	name   string
	kind   keyKind
	isMap  bool
	id     uint32            // NFTA_SET_ID: lets rules of the same batch find a new set
	ranges []backend.Range   // address set
	macs   []string          // MAC set
	elems  []backend.Element // verdict map
	owner  string            // the Ruleset object it comes from, for errors
}

// encoder turns Ruleset chains into kernel rules.
type encoder struct {
	p     *plan
	exprs bool
	maps  []string // of the chain being encoded
}

// newPlan lays rs out. A chain that hashes as it did in prev, the state of
// the last Apply (if any), is taken from there.
func newPlan(rs *backend.Ruleset, prev *state) (*plan, error) {
	p := &plan{byName: map[string]*setPlan{}, ipsets: map[string]*setPlan{}}
	for _, s := range rs.Sets {
		sp := &setPlan{name: setName(s.Name), ranges: s.Elements, macs: s.MACs, owner: fmt.Sprintf("set %q", s.Name)}
		switch {
		case s.MAC:
			sp.kind = keyMAC
		case s.Family == backend.FamilyIPv4:
			sp.kind = keyAddr4
		case s.Family == backend.FamilyIPv6:
			sp.kind = keyAddr6
		default:
			return nil, fmt.Errorf("set %q: an address set needs a family", s.Name)
		}
		if _, dup := p.ipsets[s.Name]; dup {
			return nil, fmt.Errorf("set %q listed twice", s.Name)
		}
		if err := p.addSet(sp); err != nil {
			return nil, err
		}
		p.ipsets[s.Name] = sp
	}
	e := &encoder{p: p}
	hasher := newChainHasher(p.ipsets)
	p.byChain = make(map[string]int, len(rs.Chains))
	p.chains = make([]chainPlan, len(rs.Chains))
	for i, ch := range rs.Chains {
		if ch.Name == "" {
			return nil, errors.New("chain without a name")
		}
		if _, dup := p.byChain[ch.Name]; dup {
			return nil, fmt.Errorf("chain %q listed twice", ch.Name)
		}
		if _, ok := hooks[ch.Hook]; !ok {
			return nil, fmt.Errorf("chain %q: unknown hook %q", ch.Name, ch.Hook)
		}
		c := &p.chains[i]
		c.src = ch
		var old *chainState
		if prev != nil {
			old = prev.chains[ch.Name]
		}
		// backend.Compiler hands back the very same *Chain for an unchanged
		// zone; Rulesets are never changed after Apply, so that is enough.
		if old != nil && old.src == ch && sameSetKinds(ch, old, prev, p) {
			c.hash = old.hash
		} else {
			c.hash = hasher.chain(ch)
		}
		if prev != nil {
			if old != nil && old.hash == c.hash {
				if err := p.reuse(c, old, prev); err != nil {
					return nil, err
				}
			}
		}
		if !c.same {
			rules, err := e.chain(ch, true)
			if err != nil {
				return nil, err
			}
			c.rules, c.maps = rules, e.maps
		}
		p.byChain[ch.Name] = i
	}
	return p, nil
}

// sameSetKinds reports whether the sets ch matches on kept their kind (the
// only thing of a set a chain's rules depend on).
func sameSetKinds(ch *backend.Chain, old *chainState, prev *state, p *plan) bool {
	for _, r := range ch.Rules {
		for _, m := range r.Matches {
			if m.Set == "" {
				continue
			}
			now, was := p.ipsets[m.Set], prev.sets[setName(m.Set)]
			if now == nil || was == nil || now.kind != was.kind {
				return false
			}
		}
	}
	return true
}

// reuse takes the rules and maps of c from the last Apply.
func (p *plan) reuse(c *chainPlan, old *chainState, prev *state) error {
	c.rules, c.maps, c.same = old.rules, old.maps, true
	for _, name := range old.maps {
		sp := *prev.sets[name]
		if err := p.addSet(&sp); err != nil {
			return err
		}
	}
	return nil
}

func (p *plan) addSet(sp *setPlan) error {
	if other, dup := p.byName[sp.name]; dup {
		return fmt.Errorf("%s and %s both need the nft set %q", other.owner, sp.owner, sp.name)
	}
	sp.id = uint32(len(p.sets) + 1)
	p.sets = append(p.sets, sp)
	p.byName[sp.name] = sp
	return nil
}

// chain encodes the rules of ch; addMaps registers the maps of its Dispatch
// rules in the plan (once, when the plan is laid out).
func (e *encoder) chain(ch *backend.Chain, addMaps bool) ([]kernelRule, error) {
	e.maps = nil
	out := make([]kernelRule, 0, len(ch.Rules))
	for i, r := range ch.Rules {
		var err error
		out, err = e.rule(out, ch.Name, i, r, addMaps)
		if err != nil {
			return nil, fmt.Errorf("chain %q rule %d: %w", ch.Name, i, err)
		}
	}
	return out, nil
}

func (e *encoder) rule(out []kernelRule, chain string, index int, r *backend.Rule, addMaps bool) ([]kernelRule, error) {
	if n := verdicts(r); n != 1 {
		return nil, fmt.Errorf("has %d verdicts, want exactly one of clamp, jump, goto, return and dispatch", n)
	}
	fam, ipPayload, err := e.family(r)
	if err != nil {
		return nil, err
	}
	b := &stmts{exprs: e.exprs}
	b.nfproto(fam, !ipPayload)
	for _, m := range r.Matches {
		if err := e.match(b, m); err != nil {
			return nil, err
		}
	}
	switch {
	case r.Clamp != nil:
		if r.Clamp.Log != nil {
			lb := b.clone()
			if err := lb.log(r.Clamp.Log); err != nil {
				return nil, err
			}
			out = append(out, finish(lb, r.Clamp, index, true))
		}
		b.clamp(r.Clamp.MSS)
		return append(out, finish(b, r.Clamp, index, false)), nil
	case r.Dispatch != nil:
		m, err := e.dispatchMap(chain, index, r.Dispatch, addMaps)
		if err != nil {
			return nil, err
		}
		b.vmap(keyNames[r.Dispatch.Key].field, m)
	case r.Jump != "":
		b.verdict(expr.VerdictJump, r.Jump)
	case r.Goto != "":
		b.verdict(expr.VerdictGoto, r.Goto)
	default:
		b.verdict(expr.VerdictReturn, "")
	}
	return append(out, finish(b, nil, index, false)), nil
}

func finish(b *stmts, c *backend.Clamp, index int, log bool) kernelRule {
	r := kernelRule{index: index, log: log, body: len(b.text)}
	if c != nil {
		r.comment, r.scope, r.rule = c.Comment(), c.Scope, c.Rule
		b.say(`comment "`, r.comment, `"`)
	}
	r.text, r.exprs = string(b.text), b.e
	return r
}

func verdicts(r *backend.Rule) int {
	n := 0
	for _, set := range []bool{r.Clamp != nil, r.Jump != "", r.Goto != "", r.Return, r.Dispatch != nil} {
		if set {
			n++
		}
	}
	return n
}

// family is the family the rule is restricted to, from its Family and what
// it matches, and whether it loads an ip or ip6 payload (which implies it).
func (e *encoder) family(r *backend.Rule) (fam backend.Family, ipPayload bool, err error) {
	fam = r.Family
	use := func(f backend.Family) error {
		if fam != backend.FamilyAny && fam != f {
			return errors.New("mixes IPv4 and IPv6")
		}
		fam, ipPayload = f, true
		return nil
	}
	for _, m := range r.Matches {
		switch m.Kind {
		case backend.MatchSrcAddr, backend.MatchDstAddr:
			if !m.Prefix.IsValid() {
				return 0, false, errors.New("address match without a valid prefix")
			}
			err = use(addrFamily(m.Prefix.Addr()))
		case backend.MatchSrcSet, backend.MatchDstSet:
			s, ok := e.p.ipsets[m.Set]
			if !ok {
				return 0, false, fmt.Errorf("refers to set %q, which the ruleset does not hold", m.Set)
			}
			switch s.kind {
			case keyAddr4:
				err = use(backend.FamilyIPv4)
			case keyAddr6:
				err = use(backend.FamilyIPv6)
			}
		}
		if err != nil {
			return 0, false, err
		}
	}
	if d := r.Dispatch; d != nil {
		switch keyNames[d.Key].kind {
		case keyAddr4:
			err = use(backend.FamilyIPv4)
		case keyAddr6:
			err = use(backend.FamilyIPv6)
		}
	}
	return fam, ipPayload, err
}

func (e *encoder) match(b *stmts, m backend.Match) error {
	switch m.Kind {
	case backend.MatchSYN:
		if m.Invert {
			return errors.New("an inverted SYN match is not supported")
		}
		b.syn()
	case backend.MatchInIface:
		return b.iface(fieldIifname, m.Iface, m.Invert)
	case backend.MatchOutIface:
		return b.iface(fieldOifname, m.Iface, m.Invert)
	case backend.MatchSrcAddr:
		return b.prefix(false, m.Prefix, m.Invert)
	case backend.MatchDstAddr:
		return b.prefix(true, m.Prefix, m.Invert)
	case backend.MatchSrcMAC:
		return b.mac(m.MAC, m.Invert)
	case backend.MatchSrcSet, backend.MatchDstSet:
		s := e.p.ipsets[m.Set]
		dst := m.Kind == backend.MatchDstSet
		if s.kind == keyMAC {
			if dst {
				return fmt.Errorf("set %q holds MAC addresses: it cannot match a destination", m.Set)
			}
			b.lookup(fieldEtherSaddr, s, m.Invert)
			return nil
		}
		fam := backend.FamilyIPv4
		if s.kind == keyAddr6 {
			fam = backend.FamilyIPv6
		}
		b.lookup(addrField(fam, dst), s, m.Invert)
	default:
		return fmt.Errorf("unknown match kind %d", m.Kind)
	}
	return nil
}

// dispatchMap is the verdict map of a Dispatch rule.
func (e *encoder) dispatchMap(chain string, index int, d *backend.Dispatch, add bool) (*setPlan, error) {
	k, ok := keyNames[d.Key]
	if !ok {
		return nil, fmt.Errorf("unknown dispatch key %d", d.Key)
	}
	name := mapName(chain, index, d.Key)
	if !add {
		return e.p.byName[name], nil
	}
	m := &setPlan{name: name, kind: k.kind, isMap: true, elems: d.Elements, owner: fmt.Sprintf("the map of chain %q rule %d", chain, index)}
	e.maps = append(e.maps, name)
	return m, e.p.addSet(m)
}
