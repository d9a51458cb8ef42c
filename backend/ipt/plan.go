package ipt

import (
	"fmt"
	"slices"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// line is one line of an iptables-restore script and the object it stands
// for, so that an error the tool reports by line number names that object.
type line struct {
	text, origin string
}

// plan returns the iptables-restore --noflush --counters script that turns
// cur (what one family's mangle table holds of ours) into want, or nil when
// they already agree. The script is one transaction:
//
//  1. declare each wanted chain the kernel lacks, or holds with a different
//     number of rules (declaring an existing chain flushes it), and fill it;
//  2. if the jumps of a built-in chain differ, insert the wanted ones at the
//     top and delete the old ones;
//  3. flush, then delete, every chain of ours that is no longer wanted.
//
// Chain names are content hashes (see chainName), so a chain present under
// its wanted name with as many rules as wanted is the wanted chain, and
// stays untouched with its counters. A clamp or log rule rebuilt with the
// same text as a rule being replaced inherits that rule's counters.
func plan(cur, want *table) []line {
	build, drop, gone := changes(cur, want)
	jumps := planJumps(cur.jumps, want.jumps)
	if len(build) == 0 && len(drop) == 0 && len(jumps) == 0 {
		return nil
	}

	// Counters of the rules about to go, by rule text, oldest first.
	carry := map[string][]backend.Counter{}
	for _, c := range gone {
		for _, r := range c.rules {
			if r.id != "" && r.counter != nil {
				carry[r.spec] = append(carry[r.spec], *r.counter)
			}
		}
	}

	out := []line{{text: "*" + Table}}
	for _, c := range build {
		out = append(out, line{text: ":" + c.name + " - [0:0]", origin: c.origin})
	}
	for _, c := range build {
		out = append(out, line{text: "# " + c.origin, origin: c.origin})
		for _, r := range c.rules {
			text := "-A " + c.name + " " + r.spec
			cnt := r.counter
			if cnt == nil && r.id != "" && len(carry[r.spec]) > 0 {
				cnt = &carry[r.spec][0]
				carry[r.spec] = carry[r.spec][1:]
			}
			if cnt != nil && (cnt.Packets != 0 || cnt.Bytes != 0) {
				text = fmt.Sprintf("[%d:%d] %s", cnt.Packets, cnt.Bytes, text)
			}
			out = append(out, line{text: text, origin: r.origin})
		}
	}
	out = append(out, jumps...)
	for _, c := range drop {
		out = append(out, line{text: "-F " + c.name, origin: "old " + c.origin})
	}
	for _, c := range drop {
		out = append(out, line{text: "-X " + c.name, origin: "old " + c.origin})
	}
	return append(out, line{text: "COMMIT", origin: "the commit of table " + Table})
}

// changes compares cur with want: the wanted chains to build (new, or held
// with another number of rules), the chains of cur to drop, and the chains
// of cur whose rules go (dropped or rebuilt), in cur's order.
func changes(cur, want *table) (build, drop, gone []*chain) {
	have := map[string]*chain{}
	for _, c := range cur.chains {
		have[c.name] = c
	}
	wanted, rebuilt := map[string]bool{}, map[string]bool{}
	for _, c := range want.chains {
		wanted[c.name] = true
		if old, ok := have[c.name]; !ok || len(old.rules) != len(c.rules) {
			build = append(build, c)
			rebuilt[c.name] = true
		}
	}
	for _, c := range cur.chains {
		if !wanted[c.name] {
			drop = append(drop, c)
		}
		if !wanted[c.name] || rebuilt[c.name] {
			gone = append(gone, c)
		}
	}
	return build, drop, gone
}

// carrySources lists the chains of cur whose counters plan would carry
// over to want: those whose rules go and hold a counted rule (one with a
// clamp ID) with the text of a rule being built.
func carrySources(cur, want *table) []*chain {
	build, _, gone := changes(cur, want)
	needed := map[string]bool{}
	for _, c := range build {
		for _, r := range c.rules {
			if r.id != "" && r.counter == nil {
				needed[r.spec] = true
			}
		}
	}
	var out []*chain
	for _, c := range gone {
		for _, r := range c.rules {
			if r.id != "" && needed[r.spec] {
				out = append(out, c)
				break
			}
		}
	}
	return out
}

// planJumps replaces, per built-in chain, our jumps when they are not
// exactly the wanted ones in the wanted order. New jumps go to the top, so
// that no rule of someone else's in the same chain can end the packet's way
// through mangle before it is clamped; deleting by the old rule's text finds
// it wherever it is.
func planJumps(cur, want []jump) []line {
	var order []string
	for _, j := range slices.Concat(want, cur) {
		if !slices.Contains(order, j.builtin) {
			order = append(order, j.builtin)
		}
	}
	var out []line
	for _, b := range order {
		w, c := jumpsOf(want, b), jumpsOf(cur, b)
		if slices.Equal(w, c) {
			continue
		}
		for i, spec := range w {
			out = append(out, line{text: fmt.Sprintf("-I %s %d %s", b, i+1, spec), origin: "the jump from " + b + " (" + spec + ")"})
		}
		for _, spec := range c {
			out = append(out, line{text: "-D " + b + " " + spec, origin: "the old jump from " + b + " (" + spec + ")"})
		}
	}
	return out
}

func jumpsOf(js []jump, builtin string) []string {
	var out []string
	for _, j := range js {
		if j.builtin == builtin {
			out = append(out, j.spec)
		}
	}
	return out
}

func joinLines(lines []line) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(l.text)
		b.WriteByte('\n')
	}
	return b.String()
}
