package nft

import (
	"fmt"
	"slices"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// state is what our last successful Apply made the kernel hold: enough to
// diff the next ruleset against it without reading the kernel back.
type state struct {
	chains     map[string]*chainState
	chainOrder []string
	sets       map[string]*setPlan // with element slices of their own
	setOrder   []string
}

type chainState struct {
	src   *backend.Chain // the applied chain: an identical pointer needs no hashing
	hook  backend.Hook
	rules []kernelRule // without expressions
	maps  []string
	hash  uint64
}

// newState is the state of a kernel that holds p.
func newState(p *plan) *state {
	s := &state{chains: make(map[string]*chainState, len(p.chains)), sets: make(map[string]*setPlan, len(p.sets))}
	s.update(p)
	return s
}

// update makes s the state of a kernel that holds p, which was laid out
// from s: what p reuses from s is left as it is.
func (s *state) update(p *plan) {
	reused := make(map[string]bool)
	for i := range p.chains {
		c := &p.chains[i]
		if c.same {
			for _, m := range c.maps {
				reused[m] = true
			}
			continue
		}
		s.chains[c.name()] = &chainState{src: c.src, hook: c.hook(), rules: c.rules, maps: c.maps, hash: c.hash}
	}
	if len(s.chains) > len(p.chains) {
		for _, n := range s.chainOrder {
			if _, ok := p.byChain[n]; !ok {
				delete(s.chains, n)
			}
		}
	}
	s.chainOrder = s.chainOrder[:0]
	for i := range p.chains {
		s.chainOrder = append(s.chainOrder, p.chains[i].name())
	}
	for _, sp := range p.sets {
		if reused[sp.name] {
			continue // the same, element copies included
		}
		cp := *sp
		cp.ranges, cp.macs, cp.elems = slices.Clone(sp.ranges), slices.Clone(sp.macs), slices.Clone(sp.elems)
		s.sets[sp.name] = &cp
	}
	if len(s.sets) > len(p.sets) {
		for _, n := range s.setOrder {
			if p.byName[n] == nil {
				delete(s.sets, n)
			}
		}
	}
	s.setOrder = s.setOrder[:0]
	for _, sp := range p.sets {
		s.setOrder = append(s.setOrder, sp.name)
	}
}

// full queues a rebuild of the whole table: delete it if present (adding it
// first makes the delete safe when it is not), then create everything.
func full(bt *batch, p *plan) error {
	bt.addTable()
	bt.delTable()
	bt.addTable()
	for i := range p.chains {
		if err := bt.addChain(&p.chains[i]); err != nil {
			return err
		}
	}
	for _, sp := range p.sets {
		elems, err := sp.elements(withNetlink)
		if err != nil {
			return err
		}
		if err := bt.addSet(sp, elems); err != nil {
			return err
		}
	}
	e := &encoder{p: p, exprs: true}
	for i := range p.chains {
		if err := fill(bt, e, &p.chains[i]); err != nil {
			return err
		}
	}
	return nil
}

// fill adds the rules of c. Rules that read the same (comments aside) have
// the same expressions: they are encoded once per batch.
func fill(bt *batch, e *encoder, c *chainPlan) error {
	for _, r := range c.rules {
		body := r.text[:r.body]
		data, ok := bt.exprs[body]
		if !ok {
			krs, err := e.rule(nil, c.name(), r.index, c.src.Rules[r.index], false)
			if err != nil {
				return fmt.Errorf("chain %q rule %d: %w", c.name(), r.index, err)
			}
			for _, kr := range krs {
				enc, err := encodeExprs(kr.exprs)
				if err != nil {
					return fmt.Errorf("chain %q rule %d: %w", c.name(), r.index, err)
				}
				bt.exprs[kr.text[:kr.body]] = enc
			}
			if data, ok = bt.exprs[body]; !ok {
				return fmt.Errorf("chain %q rule %d: encodes differently from its text", c.name(), r.index)
			}
		}
		if err := bt.addRule(c.name(), r, data); err != nil {
			return err
		}
	}
	return nil
}

type setChange struct {
	sp       *setPlan
	del, add []elem
}

// diff queues the changes that turn s into p: chains whose rules changed
// are flushed and refilled, unchanged ones are not touched (their counters
// go on), elements are added and deleted one by one, and what p no longer
// has is deleted. The order keeps every reference valid at each step:
// references go before what they refer to, and come after it is created.
// It reports false when the change cannot be made in place (a chain
// changed its hook, a set its type); the table must then be rebuilt.
func (s *state) diff(bt *batch, p *plan) (bool, error) {
	var changed, added []*chainPlan
	refill := make(map[string]bool)
	for i := range p.chains {
		c := &p.chains[i]
		old, ok := s.chains[c.name()]
		switch {
		case !ok:
			added = append(added, c)
			refill[c.name()] = true
		case c.same:
		case old.hook != c.hook():
			return false, nil
		case !sameRules(old.rules, c.rules):
			changed = append(changed, c)
			refill[c.name()] = true
		}
	}
	var staleChains, staleSets []string
	for _, n := range s.chainOrder {
		if _, ok := p.byChain[n]; !ok {
			staleChains = append(staleChains, n)
		}
	}
	var newSets []*setPlan
	var changes []setChange
	for _, sp := range p.sets {
		old, ok := s.sets[sp.name]
		switch {
		case !ok:
			newSets = append(newSets, sp)
		case old.kind != sp.kind || old.isMap != sp.isMap:
			return false, nil
		case !sameElems(old, sp):
			ch, err := elemDiff(old, sp)
			if err != nil {
				return false, err
			}
			changes = append(changes, ch)
		}
	}
	for _, n := range s.setOrder {
		if p.byName[n] == nil {
			staleSets = append(staleSets, n)
		}
	}

	for _, c := range changed {
		bt.flushChain(c.name())
	}
	for _, n := range staleChains {
		bt.flushChain(n)
	}
	for _, ch := range changes {
		if err := bt.delElems(ch.sp, ch.del); err != nil {
			return false, err
		}
	}
	for _, n := range staleSets {
		bt.delSet(n)
	}
	for _, n := range staleChains {
		bt.delChain(n)
	}
	for _, c := range added {
		if err := bt.addChain(c); err != nil {
			return false, err
		}
	}
	for _, sp := range newSets {
		elems, err := sp.elements(withNetlink)
		if err != nil {
			return false, err
		}
		if err := bt.addSet(sp, elems); err != nil {
			return false, err
		}
	}
	for _, ch := range changes {
		if err := bt.addElems(ch.sp, ch.add); err != nil {
			return false, err
		}
	}
	e := &encoder{p: p, exprs: true}
	for i := range p.chains {
		if c := &p.chains[i]; refill[c.name()] {
			if err := fill(bt, e, c); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

func sameRules(a, b []kernelRule) bool {
	return slices.EqualFunc(a, b, func(x, y kernelRule) bool { return x.text == y.text })
}

func sameElems(a, b *setPlan) bool {
	return slices.Equal(a.ranges, b.ranges) && slices.Equal(a.macs, b.macs) && slices.Equal(a.elems, b.elems)
}

// elemDiff lists the elements of old that new lacks and those new adds; an
// element whose verdict changed is deleted and added again. It compares the
// Ruleset's values and encodes only what differs: with thousands of
// elements, one change costs one element.
func elemDiff(old, new *setPlan) (setChange, error) {
	del, add := *old, *new
	del.ranges, del.macs, del.elems = missing(old.ranges, new.ranges), missing(old.macs, new.macs), missing(old.elems, new.elems)
	add.ranges, add.macs, add.elems = missing(new.ranges, old.ranges), missing(new.macs, old.macs), missing(new.elems, old.elems)
	de, err := del.elements(withText | withNetlink)
	if err != nil {
		return setChange{}, fmt.Errorf("%s: %w", old.what(), err)
	}
	ae, err := add.elements(withText | withNetlink)
	if err != nil {
		return setChange{}, err
	}
	return setChange{sp: new, del: de, add: ae}, nil
}

// missing lists the values of a that b lacks, in a's order. Elements come
// sorted and a change usually touches a few in the middle, so the common
// head and tail are skipped before anything is hashed.
func missing[T comparable](a, b []T) []T {
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		a, b = a[1:], b[1:]
	}
	for len(a) > 0 && len(b) > 0 && a[len(a)-1] == b[len(b)-1] {
		a, b = a[:len(a)-1], b[:len(b)-1]
	}
	if len(a) == 0 {
		return nil
	}
	in := make(map[T]struct{}, len(b))
	for _, v := range b {
		in[v] = struct{}{}
	}
	var out []T
	for _, v := range a {
		if _, ok := in[v]; !ok {
			out = append(out, v)
		}
	}
	return out
}
