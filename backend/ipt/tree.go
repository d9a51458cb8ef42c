package ipt

import (
	"slices"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// A lookup rendered as one rule per element costs a packet one rule per
// element: with 10,000 source-scoped clamp rules every SYN would walk 10,000
// iptables rules, where nftables does one interval-map lookup. So a lookup
// by address with at least treeMin elements becomes a search tree of
// chains instead. The elements are sorted and disjoint; they are cut into
// contiguous runs of at most fanout, each run becoming a chain of the
// elements' own rules (a leaf); the leaves are cut into runs the same way,
// each run becoming a chain with one rule per leaf that matches the leaf's
// whole address span and goes (-g) to it; and so on up to a single root. A
// packet thus passes about fanout rules per level and log_fanout(n) levels.
//
// The tree must do exactly what the list of element rules would, for every
// verdict. A packet whose address falls in a span but in no element, or in
// no span at all, must go on with the rule after the lookup, and so must a
// packet back from an element's jump; a goto or a return must leave the
// lookup's chain. Inside the tree every step is a goto, so the iptables
// call stack is what it was at the rule entering the tree, and:
//
//   - When every element jumps (what Compile makes for rules scoped to an
//     address), the tree is entered with -j: whatever ends the tree, or the
//     chain an element goes to, comes back to the rule after the entry. An
//     element's jump is rendered as a goto, which returns to the same place
//     without walking the rest of its leaf.
//   - Otherwise the tree is entered with -g, so -j RETURN in a leaf and the
//     end of a goto's chain leave the lookup's chain, as they do from the
//     list. The rules after the lookup move into a continuation chain, and
//     every chain of the tree ends with a goto to it: a packet found
//     nowhere, or back from an element's jump (-j), goes on there. When the
//     entry has matches of its own, a packet they miss reaches the goto to
//     the continuation right after the entry. With no rules after the
//     lookup there is no continuation: the end of the tree leaves the
//     chain, as the end of the list does, and jumps become gotos.
//
// Tree and continuation chains are named like the chain they belong to
// (its tag, a hash of its own name and of their content), exist in their
// family's table only, and carry no comment rule: each would be one more
// rule per level for every packet. Equal content means an equal name: an
// unchanged lookup keeps its chains, and a changed element (same count)
// renames only its leaf, the chains above it and those leading to the
// root. Adding or removing an element shifts the runs and rebuilds the
// tree; its chains hold no clamp, so no counter is lost.

// shape says which lookups become trees, and how wide.
type shape struct {
	treeMin int // address lookups with at least this many elements become trees
	fanout  int // at most this many lookup rules per chain of a tree
}

// defaultShape keeps lookups of fewer than 64 elements flat, as they read
// best; 16 rules per chain make 10,000 elements 4 levels of 670 chains, and
// a packet passes at most 64 lookup rules (16 per level), where a list has
// it pass up to 10,000.
var defaultShape = shape{treeMin: 64, fanout: 16}

// lookup is a Dispatch by address to render as a tree: it stands in for
// its rules in a chain until assemble builds the tree.
type lookup struct {
	entry  spec // the Dispatch rule's own matches, checked on the way in
	src    bool // source address (else destination)
	elems  []leaf
	origin string
}

// leaf is one element of a lookup: its address match and verdict.
type leaf struct {
	r      backend.Range
	match  spec
	v      backend.Verdict
	origin string
}

func (lk *lookup) allJump() bool {
	for _, e := range lk.elems {
		if e.v.Kind != backend.VerdictJump {
			return false
		}
	}
	return true
}

// assemble replaces each lookup among the rendered rules of ch in family f
// by the rules entering its tree, and returns the chains the trees and
// continuations add, each lookup's tree (root first) followed by its
// continuation. It works from the last lookup back, as a continuation holds
// everything after its lookup, later trees' entries included.
func (b *builder) assemble(ch *backend.Chain, f family, rules []rule) ([]rule, []*chain) {
	var groups [][]*chain
	seen := map[string]bool{}
	for i := len(rules) - 1; i >= 0; i-- {
		lk := rules[i].tree
		if lk == nil {
			continue
		}
		var made []*chain
		add := func(c *chain) {
			if !seen[c.name] {
				seen[c.name] = true
				made = append(made, c)
			}
		}
		head, tail := rules[:i], rules[i+1:]
		if lk.allJump() {
			root := b.tree(ch, f, lk, "", add)
			rules = slices.Concat(head, []rule{{spec: lk.entry.with("-j " + root), origin: lk.origin}}, tail)
		} else {
			var cont *chain
			var contName string
			if len(tail) > 0 {
				cont = b.generated(ch, f, "rules after "+lk.origin, tail)
				contName = cont.name
			}
			root := b.tree(ch, f, lk, contName, add)
			rules = slices.Concat(head, []rule{{spec: lk.entry.with("-g " + root), origin: lk.origin}})
			if cont != nil {
				if !lk.entry.empty() {
					rules = append(rules, rule{spec: "-g " + cont.name, origin: "rules after " + lk.origin})
				}
				add(cont)
			}
		}
		groups = append([][]*chain{made}, groups...)
	}
	return rules, slices.Concat(groups...)
}

// tree builds the chains of a lookup's tree bottom up, hands them to add
// from the root down, and returns the root's name. cont is the
// continuation every chain ends with, or "".
func (b *builder) tree(ch *backend.Chain, f family, lk *lookup, cont string, add func(*chain)) string {
	type item struct {
		r    backend.Range
		rule rule
	}
	var level []item
	for _, e := range lk.elems {
		level = append(level, item{e.r, rule{spec: e.match.with(b.leafVerdict(e.v, cont)), origin: e.origin}})
	}
	var levels [][]*chain
	for {
		// n runs of sizes that differ by at most one, none over fanout.
		n := (len(level) + b.shape.fanout - 1) / b.shape.fanout
		var next []item
		var made []*chain
		for g := range n {
			run := level[g*len(level)/n : (g+1)*len(level)/n]
			span := backend.Range{From: run[0].r.From, To: run[len(run)-1].r.To}
			what := "lookup of " + lk.origin + ", " + span.From.String() + "-" + span.To.String()
			var rules []rule
			for _, it := range run {
				rules = append(rules, it.rule)
			}
			if cont != "" {
				rules = append(rules, rule{spec: "-g " + cont, origin: "the end of the " + what})
			}
			c := b.generated(ch, f, what, rules)
			made = append(made, c)
			var s spec
			addAddr(&s, lk.src, false, span)
			next = append(next, item{span, rule{spec: s.with("-g " + c.name), origin: what}})
		}
		levels = append(levels, made)
		if n == 1 {
			break
		}
		level = next
	}
	for i := len(levels) - 1; i >= 0; i-- {
		for _, c := range levels[i] {
			add(c)
		}
	}
	return levels[len(levels)-1][0].name
}

// leafVerdict renders an element's verdict in a leaf of a tree that ends in
// cont: a jump must come back to the leaf only when a continuation follows.
func (b *builder) leafVerdict(v backend.Verdict, cont string) string {
	switch {
	case v.Kind == backend.VerdictJump && cont == "", v.Kind == backend.VerdictGoto:
		return "-g " + b.names[v.Chain]
	case v.Kind == backend.VerdictJump:
		return "-j " + b.names[v.Chain]
	}
	return "-j RETURN"
}

// generated makes a chain of ch's tree or continuation in family f, named
// for its content.
func (b *builder) generated(ch *backend.Chain, f family, origin string, rules []rule) *chain {
	var content strings.Builder
	content.WriteString("part of " + families[f].name + "\n")
	for _, r := range rules {
		content.WriteString(r.spec + "\n")
	}
	return &chain{name: chainName(ch, content.String()), origin: origin, rules: rules}
}

func (s spec) empty() bool {
	return s.src == "" && s.dst == "" && s.in == "" && s.out == "" && !s.tcp && s.syn == "" && len(s.matches) == 0
}
