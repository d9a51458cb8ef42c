package ipt

import (
	"fmt"
	"net/netip"
	"strings"
)

// packet is what the walker looks at: a TCP packet of one family.
type packet struct {
	src, dst netip.Addr
	iif, oif string
	mac      string // lower case
	syn      bool   // SYN set, RST clear
	sets     map[string]bool
}

// walked is one rule as the walker reads it.
type walked struct {
	conds  []func(packet) bool
	target string // a chain of ours, RETURN, or "" for none
	gotoTo bool   // -g rather than -j
	action string // for other targets: the target and its options, and the comment
}

// walker runs packets through a table the way the kernel's ipt_do_table
// does: -j pushes the rule after it, -g does not; RETURN and the end of a
// chain go back to the rule after the last -j, and end the walk when there
// is none. It records the TCPMSS, LOG and NFLOG rules a packet meets, and
// counts the rules it evaluates.
type walker struct {
	t      *table
	chains map[string]*chain
	parsed map[string]*walked
}

func newWalker(t *table) *walker {
	w := &walker{t: t, chains: map[string]*chain{}, parsed: map[string]*walked{}}
	for _, c := range t.chains {
		w.chains[c.name] = c
	}
	return w
}

// walk sends p through every jump of the built-in chain, in order, and
// returns the actions it met and the number of rules evaluated.
func (w *walker) walk(builtin string, p packet) ([]string, int, error) {
	type frame struct {
		c *chain
		i int
	}
	var trace []string
	evaluated := 0
	for _, j := range w.t.jumps {
		if j.builtin != builtin {
			continue
		}
		cur := frame{w.chains[j.target], 0}
		if cur.c == nil {
			return nil, 0, fmt.Errorf("%s jumps to missing chain %s", builtin, j.target)
		}
		var stack []frame
		for {
			if cur.i >= len(cur.c.rules) {
				if len(stack) == 0 {
					break
				}
				cur, stack = stack[len(stack)-1], stack[:len(stack)-1]
				continue
			}
			r, err := w.rule(cur.c.rules[cur.i].spec)
			if err != nil {
				return nil, 0, fmt.Errorf("chain %s rule %d: %w", cur.c.name, cur.i+1, err)
			}
			cur.i++
			if evaluated++; evaluated > 1e6 {
				return nil, 0, fmt.Errorf("no end after %d rules", evaluated)
			}
			if !r.matches(p) {
				continue
			}
			switch {
			case r.action != "":
				trace = append(trace, r.action)
			case r.target == "RETURN":
				cur.i = len(cur.c.rules)
			case r.target != "":
				next := w.chains[r.target]
				if next == nil {
					return nil, 0, fmt.Errorf("chain %s leads to missing chain %s", cur.c.name, r.target)
				}
				if !r.gotoTo {
					stack = append(stack, cur)
				}
				cur = frame{next, 0}
			}
		}
	}
	return trace, evaluated, nil
}

func (r *walked) matches(p packet) bool {
	for _, c := range r.conds {
		if !c(p) {
			return false
		}
	}
	return true
}

// rule parses a rule's spec, understanding every option we write and
// refusing any other.
func (w *walker) rule(spec string) (*walked, error) {
	if r, ok := w.parsed[spec]; ok {
		return r, nil
	}
	args, err := splitArgs(spec)
	if err != nil {
		return nil, err
	}
	r := &walked{}
	neg := false
	cond := func(c func(packet) bool) {
		if neg {
			inner := c
			c = func(p packet) bool { return !inner(p) }
		}
		r.conds = append(r.conds, c)
		neg = false
	}
	comment := ""
	arg := func(i int) string {
		if i < len(args) {
			return args[i]
		}
		return ""
	}
	for i := 0; i < len(args); i++ {
		switch a := args[i]; a {
		case "!":
			neg = true
		case "-m":
			i++
		case "-p":
			if arg(i+1) != "tcp" {
				return nil, fmt.Errorf("protocol %q", arg(i+1))
			}
			i++
			cond(func(packet) bool { return true })
		case "-s", "-d":
			pr, err := netip.ParsePrefix(arg(i + 1))
			if err != nil {
				return nil, err
			}
			i++
			src := a == "-s"
			cond(func(p packet) bool { return pr.Contains(pick(p, src)) })
		case "--src-range", "--dst-range":
			from, to, _ := strings.Cut(arg(i+1), "-")
			lo, err1 := netip.ParseAddr(from)
			hi, err2 := netip.ParseAddr(to)
			if err1 != nil || err2 != nil {
				return nil, fmt.Errorf("bad range %q", arg(i+1))
			}
			i++
			src := a == "--src-range"
			cond(func(p packet) bool {
				x := pick(p, src)
				return x.BitLen() == lo.BitLen() && lo.Compare(x) <= 0 && x.Compare(hi) <= 0
			})
		case "-i", "-o":
			name := arg(i + 1)
			i++
			in := a == "-i"
			cond(func(p packet) bool {
				got := p.oif
				if in {
					got = p.iif
				}
				if base, ok := strings.CutSuffix(name, "+"); ok {
					return strings.HasPrefix(got, base)
				}
				return got == name
			})
		case "--tcp-flags":
			if arg(i+1) != "SYN,RST" || arg(i+2) != "SYN" {
				return nil, fmt.Errorf("tcp flags %s %s", arg(i+1), arg(i+2))
			}
			i += 2
			cond(func(p packet) bool { return p.syn })
		case "--mac-source":
			mac := arg(i + 1)
			i++
			cond(func(p packet) bool { return p.mac == mac })
		case "--match-set":
			key := arg(i+1) + " " + arg(i+2)
			i += 2
			cond(func(p packet) bool { return p.sets[key] })
		case "--comment":
			comment = arg(i + 1)
			i++
		case "--limit", "--limit-burst":
			i++
		case "-j", "-g":
			t := arg(i + 1)
			switch {
			case t == "RETURN" && a == "-j", strings.HasPrefix(t, ChainPrefix):
				r.target, r.gotoTo = t, a == "-g"
			default:
				r.action = strings.Join(args[i:], " ") + " [" + comment + "]"
			}
			i = len(args)
		default:
			return nil, fmt.Errorf("option %q", a)
		}
	}
	w.parsed[spec] = r
	return r, nil
}

func pick(p packet, src bool) netip.Addr {
	if src {
		return p.src
	}
	return p.dst
}
