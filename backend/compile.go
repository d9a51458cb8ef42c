package backend

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"

	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// ErrPMTUToHost is returned for a pmtu clamp in a policy whose egress is
// HOST: traffic to this machine has no route yet when it is seen, so the
// kernel cannot compute a path MTU (rt mtu is refused in the input hook).
var ErrPMTUToHost = errors.New("tcp-mss-clamp value=pmtu cannot apply to traffic to HOST (no route exists before input); use a fixed value")

// Compile turns the desired state into a Ruleset. It is pure: the same Input
// gives the same Ruleset, byte for byte, and it never looks at the kernel.
func Compile(in *Input) (*Ruleset, error) {
	c := &compiler{
		in:     in,
		zones:  map[string]*Zone{},
		ipsets: map[string]*IPSet{},
		sets:   map[string]*Set{},
		chains: map[string]*Chain{},
	}
	for i := range in.Zones {
		z := &in.Zones[i]
		if _, dup := c.zones[z.Name]; dup {
			return nil, fmt.Errorf("zone %q listed twice", z.Name)
		}
		c.zones[z.Name] = z
	}
	for i := range in.IPSets {
		c.ipsets[in.IPSets[i].Name] = &in.IPSets[i]
	}
	if err := c.bindings(); err != nil {
		return nil, err
	}
	if err := c.scopes(); err != nil {
		return nil, err
	}
	var bases []*Chain
	for _, h := range []struct {
		hook  Hook
		build func() (string, error)
	}{{HookForward, c.forward}, {HookOutput, c.output}, {HookInput, c.input}} {
		target, err := h.build()
		if err != nil {
			return nil, err
		}
		if target == "" {
			continue
		}
		// The first rule lets everything but SYN and SYN-ACK leave at once.
		bases = append(bases, &Chain{Name: string(h.hook), Hook: h.hook, Rules: []*Rule{
			{Matches: []Match{{Kind: MatchSYN}}, Goto: target},
		}})
	}
	return c.ruleset(bases), nil
}

type compiler struct {
	in     *Input
	zones  map[string]*Zone
	ipsets map[string]*IPSet
	sets   map[string]*Set
	chains map[string]*Chain

	// Parsed bindings, see bindings.go.
	addrBind  [2][]labelled[string] // per family: prefix -> zone
	macBind   []macBinding
	setBind   []setBinding
	ifExact   []ifBinding
	ifWild    []ifBinding
	zoneScope map[string]string // zone -> its scope chain, if it has rules
	polScope  map[string]string // policy -> its scope chain, if it has rules
	policies  []*Policy         // by priority, then name
}

// chain registers a regular chain and returns its name.
func (c *compiler) chain(name string, rules []*Rule) string {
	c.chains[name] = &Chain{Name: name, Rules: rules}
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
	rs := &Ruleset{}
	seen := map[string]bool{}
	var visit func(ch *Chain)
	visit = func(ch *Chain) {
		if seen[ch.Name] {
			return
		}
		seen[ch.Name] = true
		rs.Chains = append(rs.Chains, ch)
		for _, r := range ch.Rules {
			for _, t := range r.targets() {
				if next, ok := c.chains[t]; ok {
					visit(next)
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

// targets lists the chains a rule can continue in.
func (r *Rule) targets() []string {
	switch {
	case r.Jump != "":
		return []string{r.Jump}
	case r.Goto != "":
		return []string{r.Goto}
	case r.Dispatch != nil:
		var t []string
		for _, e := range r.Dispatch.Elements {
			if e.Verdict.Chain != "" && !slices.Contains(t, e.Verdict.Chain) {
				t = append(t, e.Verdict.Chain)
			}
		}
		return t
	}
	return nil
}

// RuleID is the stable identity of a rule in its zone or policy: the same
// rule (by richrule identity) in the same scope always has the same ID, so
// counters and kernel objects follow it across restarts.
func RuleID(s Scope, r *richrule.Rule) string {
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

// RuleError is a compile error caused by one rule: the rest of the ruleset
// is fine without it. The daemon uses it to refuse the rule when it is added
// and to leave it out, loudly, when the world changes under it (an ipset that
// disappeared).
type RuleError struct {
	Scope Scope
	Rule  string // canonical text
	Err   error
}

func (e *RuleError) Error() string {
	return fmt.Sprintf("%s: rule %q: %v", e.Scope, e.Rule, e.Err)
}

func (e *RuleError) Unwrap() error { return e.Err }
