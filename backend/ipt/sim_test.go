package ipt

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// simulate runs an iptables-restore --noflush script against a model of the
// kernel's mangle table (our chains and jumps only) the way the tool does,
// and fails where the tool would: a missing chain, a rule to delete that is
// not there, a chain deleted while in use or not empty.
func simulate(cur *table, script string) (*table, error) {
	t := cloneTable(cur)
	find := func(name string) *chain {
		for _, c := range t.chains {
			if c.name == name {
				return c
			}
		}
		return nil
	}
	builtinChain := func(name string) bool { return strings.ToUpper(name) == name && !strings.HasPrefix(name, ChainPrefix) }
	for n, text := range strings.Split(strings.TrimSuffix(script, "\n"), "\n") {
		fail := func(format string, args ...any) (*table, error) {
			return nil, fmt.Errorf("line %d %q: %s", n+1, text, fmt.Sprintf(format, args...))
		}
		_, text, err := splitCounter(text)
		if err != nil {
			return fail("%v", err)
		}
		f := strings.SplitN(text, " ", 3)
		switch {
		case text == "", text == "*"+Table, text == "COMMIT", strings.HasPrefix(text, "#"):
		case strings.HasPrefix(text, ":"):
			if c := find(strings.Fields(text[1:])[0]); c != nil {
				c.rules = nil
			} else {
				t.chains = append(t.chains, &chain{name: strings.Fields(text[1:])[0]})
			}
		case f[0] == "-A" && builtinChain(f[1]):
			t.jumps = append(t.jumps, jump{builtin: f[1], spec: f[2], target: strings.TrimPrefix(f[2], "-j ")})
		case f[0] == "-A":
			c := find(f[1])
			if c == nil {
				return fail("no chain %s", f[1])
			}
			c.rules = append(c.rules, rule{spec: f[2]})
		case f[0] == "-I":
			pos, spec, _ := strings.Cut(f[2], " ")
			var i int
			fmt.Sscan(pos, &i)
			var same []int // positions of this built-in chain's rules
			for k, j := range t.jumps {
				if j.builtin == f[1] {
					same = append(same, k)
				}
			}
			at := len(t.jumps)
			if i >= 1 && i-1 < len(same) {
				at = same[i-1]
			}
			t.jumps = slices.Insert(t.jumps, at, jump{builtin: f[1], spec: spec, target: strings.TrimPrefix(spec, "-j ")})
		case f[0] == "-D":
			i := slices.IndexFunc(t.jumps, func(j jump) bool { return j.builtin == f[1] && j.spec == f[2] })
			if i < 0 {
				return fail("no such rule")
			}
			t.jumps = slices.Delete(t.jumps, i, i+1)
		case f[0] == "-F":
			c := find(f[1])
			if c == nil {
				return fail("no chain %s", f[1])
			}
			c.rules = nil
		case f[0] == "-X":
			c := find(f[1])
			if c == nil || len(c.rules) > 0 {
				return fail("chain missing or not empty")
			}
			if refs(t, f[1]) {
				return fail("chain %s still in use", f[1])
			}
			t.chains = slices.DeleteFunc(t.chains, func(x *chain) bool { return x == c })
		default:
			return fail("unknown command")
		}
	}
	for _, c := range t.chains {
		for _, r := range c.rules {
			args, _ := splitArgs(r.spec)
			if tg := targetOf(args); strings.HasPrefix(tg, ChainPrefix) && find(tg) == nil {
				return nil, fmt.Errorf("chain %s leads to missing chain %s", c.name, tg)
			}
		}
	}
	for _, j := range t.jumps {
		if find(j.target) == nil {
			return nil, fmt.Errorf("%s jumps to missing chain %s", j.builtin, j.target)
		}
	}
	return t, nil
}

func refs(t *table, name string) bool {
	for _, j := range t.jumps {
		if j.target == name {
			return true
		}
	}
	for _, c := range t.chains {
		for _, r := range c.rules {
			args, _ := splitArgs(r.spec)
			if targetOf(args) == name {
				return true
			}
		}
	}
	return false
}

func cloneTable(t *table) *table {
	out := &table{jumps: slices.Clone(t.jumps)}
	for _, c := range t.chains {
		out.chains = append(out.chains, &chain{name: c.name, origin: c.origin, rules: slices.Clone(c.rules)})
	}
	return out
}

// normal prints a table independently of chain order and origins: what two
// tables must share to be the same kernel state.
func normal(t *table) string {
	var b strings.Builder
	js := slices.Clone(t.jumps)
	sort.SliceStable(js, func(i, j int) bool { return js[i].builtin < js[j].builtin })
	for _, j := range js {
		fmt.Fprintf(&b, "-A %s %s\n", j.builtin, j.spec)
	}
	cs := slices.Clone(t.chains)
	sort.Slice(cs, func(i, j int) bool { return cs[i].name < cs[j].name })
	for _, c := range cs {
		fmt.Fprintf(&b, ":%s\n", c.name)
		for _, r := range c.rules {
			fmt.Fprintf(&b, "-A %s %s\n", c.name, r.spec)
		}
	}
	return b.String()
}

// renderSections splits Render's output into its two scripts.
func renderSections(text string) [2]string {
	var out [2]string
	cur := -1
	for _, l := range strings.SplitAfter(text, "\n") {
		switch strings.TrimSpace(l) {
		case "# iptables":
			cur = 0
			continue
		case "# ip6tables":
			cur = 1
			continue
		}
		if cur >= 0 {
			out[cur] += l
		}
	}
	return out
}
