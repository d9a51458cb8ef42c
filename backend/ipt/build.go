package ipt

import (
	"errors"
	"fmt"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// ErrUnsupported is wrapped by every error about a Ruleset that iptables
// cannot express; the error text names the rule and what it asks for.
// Errors about a malformed Ruleset (a missing chain, a bad MAC) do not wrap
// it.
var ErrUnsupported = errors.New("iptables cannot express this")

// unsupported is an error about something iptables cannot do.
func unsupported(format string, args ...any) error {
	return fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), ErrUnsupported)
}

// family indexes the two tables we write: iptables and ip6tables.
type family int

const (
	ipv4 family = iota
	ipv6
)

var allFamilies = []family{ipv4, ipv6}

var families = [2]struct {
	neutral backend.Family
	name    string // the command, and the title of its section in Render
}{
	ipv4: {backend.FamilyIPv4, "iptables"},
	ipv6: {backend.FamilyIPv6, "ip6tables"},
}

// table is the part of one family's mangle table that we own: our chains,
// and the rules of built-in chains that jump to them. It describes both what
// a Ruleset wants and what the kernel holds (read back by parseSave).
type table struct {
	chains []*chain
	jumps  []jump
}

type chain struct {
	name   string
	origin string // what the chain is, for people and error messages
	rules  []rule
}

// rule is one iptables rule: spec is everything after "-A CHAIN", exactly as
// iptables-save prints it.
type rule struct {
	spec    string
	origin  string
	id      string           // the clamp rule ID of its comment, or ""
	clamp   bool             // a TCPMSS rule: the one Counters reads
	counter *backend.Counter // known packet and byte counts (read back, or carried over)
	tree    *lookup          // while building: a lookup that assemble turns into a tree
}

// jump is a rule of a built-in chain that leads to one of ours.
type jump struct {
	builtin string
	target  string
	spec    string
	counter *backend.Counter // read back only
}

// builder turns a Ruleset into the two tables it wants.
type builder struct {
	chains map[string]*backend.Chain
	sets   map[string]*backend.Set
	hooks  map[string]map[backend.Hook]bool // hooks each chain is reachable from
	reach  map[string]*[2]bool              // families whose packets can enter each chain
	names  map[string]string                // neutral name -> kernel name, once known
	rules  map[string]*[2][]rule            // rendered rules per family, once known
	extra  map[string]*[2][]*chain          // per family, the chains a chain's trees add
	busy   map[string]bool                  // chains being named: a loop if met again
	shape  shape                            // which lookups become trees (tree.go)
	// setUse names, per family, the first rule using each ipset among the
	// chains that family's table holds.
	setUse [2]map[string]string
}

// build checks rs and renders it into the tables each family wants.
func build(rs *backend.Ruleset) ([2]*table, [2]map[string]string, error) {
	return buildShaped(rs, defaultShape)
}

// buildShaped is build with lookup trees of the given shape.
func buildShaped(rs *backend.Ruleset, sh shape) ([2]*table, [2]map[string]string, error) {
	b := &builder{
		chains: map[string]*backend.Chain{},
		sets:   map[string]*backend.Set{},
		hooks:  map[string]map[backend.Hook]bool{},
		reach:  map[string]*[2]bool{},
		names:  map[string]string{},
		rules:  map[string]*[2][]rule{},
		extra:  map[string]*[2][]*chain{},
		shape:  sh,
		busy:   map[string]bool{},
		setUse: [2]map[string]string{{}, {}},
	}
	var out [2]*table
	if err := b.index(rs); err != nil {
		return out, b.setUse, err
	}
	for _, ch := range rs.Chains {
		if _, err := b.name(ch); err != nil {
			return out, b.setUse, err
		}
	}
	for _, f := range allFamilies {
		t := &table{}
		owner := map[string]string{}
		for _, ch := range rs.Chains {
			if !b.reach[ch.Name][f] {
				continue
			}
			name := b.names[ch.Name]
			t.chains = append(t.chains, &chain{name: name, origin: "chain " + ch.Name, rules: b.rules[ch.Name][f]})
			t.chains = append(t.chains, b.extra[ch.Name][f]...)
			if ch.Hook != backend.HookNone {
				t.jumps = append(t.jumps, jump{builtin: builtin[ch.Hook].chain, target: name, spec: "-j " + name})
			}
		}
		for _, c := range t.chains {
			if prev, dup := owner[c.name]; dup {
				return out, b.setUse, fmt.Errorf("%s and %s hash to the same name %s", prev, c.origin, c.name)
			}
			owner[c.name] = c.origin
		}
		out[f] = t
	}
	return out, b.setUse, nil
}

// index checks names and targets and works out which hooks reach each chain.
func (b *builder) index(rs *backend.Ruleset) error {
	for _, s := range rs.Sets {
		b.sets[s.Name] = s
	}
	var queue []string
	for _, ch := range rs.Chains {
		if ch.Name == "" {
			return errors.New("a chain has no name")
		}
		if _, dup := b.chains[ch.Name]; dup {
			return fmt.Errorf("chain %q is listed twice", ch.Name)
		}
		if _, ok := builtin[ch.Hook]; !ok && ch.Hook != backend.HookNone {
			return fmt.Errorf("chain %q: unknown hook %q", ch.Name, ch.Hook)
		}
		b.chains[ch.Name] = ch
		b.hooks[ch.Name] = map[backend.Hook]bool{}
		if ch.Hook != backend.HookNone {
			b.hooks[ch.Name][ch.Hook] = true
			queue = append(queue, ch.Name)
		}
	}
	for _, ch := range rs.Chains {
		for i, r := range ch.Rules {
			for _, t := range targets(r) {
				if _, ok := b.chains[t]; !ok {
					return fmt.Errorf("rule %d of chain %q leads to chain %q, which does not exist", i+1, ch.Name, t)
				}
			}
		}
	}
	for len(queue) > 0 {
		from := queue[0]
		queue = queue[1:]
		for _, r := range b.chains[from].Rules {
			for _, t := range targets(r) {
				grew := false
				for h := range b.hooks[from] {
					if !b.hooks[t][h] {
						b.hooks[t][h] = true
						grew = true
					}
				}
				if grew {
					queue = append(queue, t)
				}
			}
		}
	}
	b.indexFamilies(rs)
	return nil
}

// indexFamilies works out which families' packets can enter each chain: a
// base chain sees both, and so does a chain no rule leads to (nothing
// narrows it); a rule passes on the families it applies to (its Family,
// addresses, sets and lookup key), so a chain reached only through IPv4
// rules or IPv4 lookups is entered by IPv4 packets only, and exists only in
// iptables. A rule whose families are in error passes on none: rendering
// it reports the error, with the rule's name.
func (b *builder) indexFamilies(rs *backend.Ruleset) {
	var queue []string
	entered := map[string]bool{}
	for _, ch := range rs.Chains {
		b.reach[ch.Name] = &[2]bool{}
		for _, r := range ch.Rules {
			for _, t := range targets(r) {
				entered[t] = true
			}
		}
	}
	for _, ch := range rs.Chains {
		if ch.Hook != backend.HookNone || !entered[ch.Name] {
			*b.reach[ch.Name] = [2]bool{true, true}
			queue = append(queue, ch.Name)
		}
	}
	for len(queue) > 0 {
		from := queue[0]
		queue = queue[1:]
		for _, r := range b.chains[from].Rules {
			fams, err := b.families(r)
			if err != nil {
				continue
			}
			for _, t := range targets(r) {
				grew := false
				for _, f := range allFamilies {
					if fams[f] && b.reach[from][f] && !b.reach[t][f] {
						b.reach[t][f] = true
						grew = true
					}
				}
				if grew {
					queue = append(queue, t)
				}
			}
		}
	}
}

// targets lists the chains a rule can continue in.
func targets(r *backend.Rule) []string {
	switch {
	case r.Jump != "":
		return []string{r.Jump}
	case r.Goto != "":
		return []string{r.Goto}
	case r.Dispatch != nil:
		var t []string
		for _, e := range r.Dispatch.Elements {
			if e.Verdict.Kind != backend.VerdictReturn {
				t = append(t, e.Verdict.Chain)
			}
		}
		return t
	}
	return nil
}

// name returns the kernel name of a chain, naming first every chain it
// leads to, whose names are part of its content.
func (b *builder) name(ch *backend.Chain) (string, error) {
	if n, ok := b.names[ch.Name]; ok {
		return n, nil
	}
	if b.busy[ch.Name] {
		return "", fmt.Errorf("chain %q leads back to itself", ch.Name)
	}
	b.busy[ch.Name] = true
	for _, r := range ch.Rules {
		for _, t := range targets(r) {
			if _, err := b.name(b.chains[t]); err != nil {
				return "", err
			}
		}
	}
	var rendered [2][]rule
	if ch.Hook == backend.HookNone {
		// A rule without a target names the chain for people reading a
		// dump, and counts the packets that enter it.
		head := rule{spec: "-m comment --comment " + quote(label(ch.Name)), origin: "chain " + ch.Name}
		rendered = [2][]rule{{head}, {head}}
	}
	for i, r := range ch.Rules {
		per, err := b.rule(ch, i, r)
		if err != nil {
			return "", err
		}
		for _, f := range allFamilies {
			rendered[f] = append(rendered[f], per[f]...)
		}
	}
	var extra [2][]*chain
	for _, f := range allFamilies {
		rendered[f], extra[f] = b.assemble(ch, f, rendered[f])
	}
	var content strings.Builder
	for _, f := range allFamilies {
		content.WriteString(families[f].name + "\n")
		for _, r := range rendered[f] {
			content.WriteString(r.spec + "\n")
		}
	}
	n := chainName(ch, content.String())
	b.names[ch.Name] = n
	b.rules[ch.Name] = &rendered
	b.extra[ch.Name] = &extra
	delete(b.busy, ch.Name)
	return n, nil
}

// label is the comment of a chain's first rule: "chain NAME", printable and
// within the comment match's 255 bytes.
func label(name string) string {
	b := []byte("chain " + name)
	for i, c := range b {
		if c < ' ' || c == 0x7f {
			b[i] = '?'
		}
	}
	if len(b) > 255 {
		b = b[:255]
	}
	return string(b)
}
