package backend

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// Rules are the tcp-mss-clamp rules of each zone and policy, in the order
// they were added. Rules of a scope the topology lacks are not compiled:
// they wait until it has one.
type Rules map[firewalld.Scope][]*richrule.Rule

// Compile turns the desired state into a Ruleset. It is pure: the same
// topology and rules give the same Ruleset, byte for byte, and it never
// looks at the kernel. A rule that cannot be placed (its ipset vanished,
// say) is left out with a Diagnostic; the rest of the Ruleset is whole
// without it. The error is for a topology that cannot compile at all.
func Compile(t *firewalld.Topology, rules Rules) (*Ruleset, []*Diagnostic, error) {
	return new(Compiler).Compile(t, rules)
}

// Compiler is Compile with a memory: a zone or policy whose rules (the same
// *richrule.Rule values, in the same order) and ipsets have not changed since
// the last call keeps its chains — the very same *Chain values — without
// being compiled again. The daemon changes one scope at a time, so with
// thousands of rules a change costs what that scope costs, and a backend can
// skip comparing chains it has already applied. The zero value is ready; a
// Compiler is not safe for concurrent use.
type Compiler struct {
	scopes   map[firewalld.Scope]*scopeMemo
	clamps   map[firewalld.Scope]map[*richrule.Rule]*ruleMemo
	chains   map[*Clamp]*Chain // a single rule's chain
	bindings *bindMemo
}

// scopeMemo is what one scope compiled to.
type scopeMemo struct {
	rules  []*richrule.Rule
	ipsets map[string]*firewalld.IPSet // the ipsets it used, as they were
	name   string                      // its chain, or ""
	chains []*Chain                    // every chain it made
	diags  []*Diagnostic               // rules left out
}

// Compile is the package-level Compile, reusing what has not changed.
func (cc *Compiler) Compile(in *firewalld.Topology, rules Rules) (*Ruleset, []*Diagnostic, error) {
	c := &compiler{
		in:        in,
		rules:     rules,
		zones:     map[string]*firewalld.Zone{},
		ipsets:    map[string]*firewalld.IPSet{},
		sets:      map[string]*Set{},
		chains:    map[string]*Chain{},
		memo:      cc.scopes,
		next:      map[firewalld.Scope]*scopeMemo{},
		clampMemo: cc.clamps,
		clampNext: map[firewalld.Scope]map[*richrule.Rule]*ruleMemo{},
		chainMemo: cc.chains,
		chainNext: make(map[*Clamp]*Chain, len(cc.chains)),
		bindMemo:  cc.bindings,
	}
	defer func() {
		cc.scopes, cc.clamps, cc.chains, cc.bindings = c.next, c.clampNext, c.chainNext, c.bindMemo
	}()
	for i := range in.Zones {
		z := &in.Zones[i]
		if _, dup := c.zones[z.Name]; dup {
			return nil, nil, fmt.Errorf("zone %q listed twice", z.Name)
		}
		c.zones[z.Name] = z
	}
	for i := range in.IPSets {
		c.ipsets[in.IPSets[i].Name] = &in.IPSets[i]
	}
	if err := c.bindings(); err != nil {
		return nil, nil, err
	}
	if err := c.scopes(); err != nil {
		return nil, nil, err
	}
	var bases []*Chain
	for _, h := range []struct {
		hook  Hook
		build func() (string, error)
	}{{HookForward, c.forward}, {HookOutput, c.output}, {HookInput, c.input}} {
		target, err := h.build()
		if err != nil {
			return nil, nil, err
		}
		if target == "" {
			continue
		}
		// The first rule lets everything but SYN and SYN-ACK leave at once.
		bases = append(bases, &Chain{Name: string(h.hook), Hook: h.hook, Rules: []*Rule{
			{Matches: []Match{{Kind: MatchSYN}}, Goto: target},
		}})
	}
	return c.ruleset(bases), c.diags, nil
}

type compiler struct {
	in     *firewalld.Topology
	rules  Rules
	diags  []*Diagnostic // rules left out
	zones  map[string]*firewalld.Zone
	ipsets map[string]*firewalld.IPSet
	sets   map[string]*Set
	chains map[string]*Chain

	// Parsed bindings, see bindings.go.
	addrBind   [2][]labelled[string] // per family: prefix -> zone
	macBind    []macBinding
	setBind    []setBinding
	ifExact    []ifBinding
	ifWild     []ifBinding
	memo, next map[firewalld.Scope]*scopeMemo // the last call's scopes, and this call's
	used       map[string]*firewalld.IPSet    // ipsets the scope being compiled uses
	created    []*Chain                       // chains made by this call, in order

	clampMemo, clampNext map[firewalld.Scope]map[*richrule.Rule]*ruleMemo
	chainMemo, chainNext map[*Clamp]*Chain
	bindMemo             *bindMemo

	zoneScope map[string]string   // zone -> its scope chain, if it has rules
	polScope  map[string]string   // policy -> its scope chain, if it has rules
	policies  []*firewalld.Policy // by priority, then name
}

// chain registers a regular chain and returns its name.
func (c *compiler) chain(name string, rules []*Rule) string {
	ch := &Chain{Name: name, Rules: rules}
	c.chains[name] = ch
	c.created = append(c.created, ch)
	return name
}

// collapse makes a chain of rules, or, when there is nothing to do, returns
// "", and when the rules are a single unconditional jump, returns that jump's
// target instead of adding a hop.
func (c *compiler) collapse(name string, rules []*Rule) string {
	switch {
	case len(rules) == 0:
		return ""
	case len(rules) == 1 && rules[0].Jump != "" && len(rules[0].Matches) == 0 && rules[0].Family == FamilyAny:
		return rules[0].Jump
	}
	return c.chain(name, rules)
}

// ruleset orders the chains: base chains, then every other chain in the order
// it is first referenced, depth first, so that a reader meets a chain right
// after the rule that leads to it.
func (c *compiler) ruleset(bases []*Chain) *Ruleset {
	rs := &Ruleset{Chains: make([]*Chain, 0, len(c.chains)+len(bases))}
	seen := make(map[string]bool, len(c.chains)+len(bases))
	var visit func(ch *Chain)
	follow := func(name string) {
		if next, ok := c.chains[name]; ok && !seen[name] {
			visit(next)
		}
	}
	visit = func(ch *Chain) {
		seen[ch.Name] = true
		rs.Chains = append(rs.Chains, ch)
		for _, r := range ch.Rules {
			switch {
			case r.Jump != "":
				follow(r.Jump)
			case r.Goto != "":
				follow(r.Goto)
			case r.Dispatch != nil:
				for _, e := range r.Dispatch.Elements {
					follow(e.Verdict.Chain)
				}
			}
		}
	}
	for _, b := range bases {
		visit(b)
	}
	names := make([]string, 0, len(c.sets))
	for n := range c.sets {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		rs.Sets = append(rs.Sets, c.sets[n])
	}
	return rs
}

// RuleID is the stable identity of a rule in its zone or policy: the same
// rule (by richrule identity) in the same scope always has the same ID, so
// counters and kernel objects follow it across restarts.
func RuleID(s firewalld.Scope, r *richrule.Rule) string {
	h := sha256.Sum256([]byte(s.String() + "\n" + r.Key()))
	return hex.EncodeToString(h[:8])
}

// byPriority returns the rules in firewalld's order: by priority, and in the
// order they were added within one priority.
func byPriority(rules []*richrule.Rule) []*richrule.Rule {
	out := slices.Clone(rules)
	slices.SortStableFunc(out, func(a, b *richrule.Rule) int { return cmp.Compare(a.Priority, b.Priority) })
	return out
}

// Diagnostic is a rule Compile left out and why; the rest of the ruleset is
// fine without it. The daemon uses it to refuse the rule when it is added
// and to leave it out, loudly, when the world changes under it (an ipset that
// disappeared).
type Diagnostic struct {
	Scope firewalld.Scope
	Rule  string // canonical text
	Err   error
}

func (e *Diagnostic) Error() string {
	return fmt.Sprintf("%s: rule %q: %v", e.Scope, e.Rule, e.Err)
}

func (e *Diagnostic) Unwrap() error { return e.Err }
