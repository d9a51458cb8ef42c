package ipt

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// held is what the kernel holds of ours after our last Apply, for as long
// as the nftables ruleset generation stays gen: any commit in the
// namespace, anyone's (firewalld's reload, an iptables command, nft) moves
// it. The tables are build's, without counters.
type held struct {
	tables [2]*table
	gen    uint32
}

// genWatch is one Apply's view of the ruleset generation, for the
// nf_tables variant; nil for the legacy one, or when netlink fails (Apply
// then reads the kernel, as the legacy variant always does).
type genWatch struct {
	nf  *nfConn
	gen uint32 // before anything was read
}

// watch reads the generation before Apply reads or changes anything.
func (b *Backend) watch() *genWatch {
	if b.tools.mode != "nf_tables" {
		return nil
	}
	nf, err := b.run.dialNF()
	if err != nil {
		return nil
	}
	gen, err := nf.generation()
	if err != nil {
		nf.close()
		return nil
	}
	return &genWatch{nf: nf, gen: gen}
}

func (w *genWatch) close() {
	if w != nil {
		w.nf.close()
	}
}

// heldAfter says what the kernel holds now that Apply made it hold want
// with the given number of commits (one per family it changed): want, if
// the generation moved by exactly that many, so that nobody else committed
// since the generation was read; else nothing known.
func (w *genWatch) heldAfter(want [2]*table, commits int) *held {
	if w == nil {
		return nil
	}
	gen, err := w.nf.generation()
	if err != nil || gen != w.gen+uint32(commits) {
		return nil
	}
	return &held{tables: want, gen: gen}
}

// current is what Apply plans from: what our last Apply left, if nobody has
// committed since (with the live counters of the rules whose counters the
// change carries over), else what iptables-save lists, both families at
// once.
func (b *Backend) current(ctx context.Context, w *genWatch, want [2]*table) ([2]*table, error) {
	var cur [2]*table
	if w != nil && b.held != nil && b.held.gen == w.gen {
		for _, f := range allFamilies {
			cur[f] = b.held.tables[f]
			if src := carrySources(cur[f], want[f]); len(src) > 0 {
				// Without the counters (an unexpected listing), read all.
				cur[f], _ = w.nf.counted(cur[f], f, src)
			}
		}
	}
	var errs [2]error
	each(func(f family) {
		if cur[f] == nil {
			cur[f], errs[f] = b.read(ctx, f)
		}
	})
	return cur, errors.Join(errs[:]...)
}

// counted returns t with the rules of the given chains counted as the
// kernel counts them now. The kernel must list each chain with the rules we
// loaded: as many, and each clamp rule where we put it.
func (n *nfConn) counted(t *table, f family, chains []*chain) (*table, error) {
	out := &table{chains: slices.Clone(t.chains), jumps: t.jumps}
	at := map[string]int{}
	for i, c := range out.chains {
		at[c.name] = i
	}
	for _, c := range chains {
		got, err := n.chainRules(f, c.name)
		if err != nil {
			return nil, err
		}
		if len(got) != len(c.rules) {
			return nil, fmt.Errorf("%s: chain %s holds %d rules, not the %d loaded", families[f].name, c.name, len(got), len(c.rules))
		}
		counted := &chain{name: c.name, origin: c.origin, rules: slices.Clone(c.rules)}
		for i := range counted.rules {
			r := &counted.rules[i]
			if r.id != "" && backend.IDFromComment(got[i].comment) != r.id {
				return nil, fmt.Errorf("%s: rule %d of chain %s is not the one loaded (comment %q)", families[f].name, i+1, c.name, got[i].comment)
			}
			cnt := got[i].counter
			r.counter = &cnt
		}
		out.chains[at[c.name]] = counted
	}
	return out, nil
}
