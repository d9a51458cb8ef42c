package backend

import (
	"fmt"
	"strings"
)

// String renders the ruleset in a compact, backend-neutral text form, for
// golden files and for people: one chain per block, one rule per line.
func (rs *Ruleset) String() string {
	var b strings.Builder
	for _, ch := range rs.Chains {
		if ch.Hook != HookNone {
			fmt.Fprintf(&b, "chain %s (hook %s)\n", ch.Name, ch.Hook)
		} else {
			fmt.Fprintf(&b, "chain %s\n", ch.Name)
		}
		for _, r := range ch.Rules {
			b.WriteString("  ")
			b.WriteString(r.String())
			b.WriteByte('\n')
		}
	}
	for _, s := range rs.Sets {
		fmt.Fprintf(&b, "set %s %s {", s.Name, s.kind())
		for i, e := range s.Elements {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(" " + e.String())
		}
		for i, m := range s.MACs {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(" " + m)
		}
		b.WriteString(" }\n")
	}
	return b.String()
}

func (s *Set) kind() string {
	switch {
	case s.MAC:
		return "mac"
	case s.Family == FamilyIPv6:
		return "ipv6"
	}
	return "ipv4"
}

func (f Family) String() string {
	switch f {
	case FamilyIPv4:
		return "ipv4"
	case FamilyIPv6:
		return "ipv6"
	}
	return "any"
}

// String renders one rule: family, matches, then the verdict.
func (r *Rule) String() string {
	var parts []string
	if r.Family != FamilyAny {
		parts = append(parts, r.Family.String())
	}
	for _, m := range r.Matches {
		parts = append(parts, m.String())
	}
	switch {
	case r.Clamp != nil:
		parts = append(parts, r.Clamp.String())
	case r.Jump != "":
		parts = append(parts, "jump "+r.Jump)
	case r.Goto != "":
		parts = append(parts, "goto "+r.Goto)
	case r.Return:
		parts = append(parts, "return")
	case r.Dispatch != nil:
		parts = append(parts, r.Dispatch.String())
	}
	return strings.Join(parts, " ")
}

func (m Match) String() string {
	not := ""
	if m.Invert {
		not = "!= "
	}
	switch m.Kind {
	case MatchSYN:
		return "syn"
	case MatchInIface:
		return "iif " + not + m.Iface
	case MatchOutIface:
		return "oif " + not + m.Iface
	case MatchSrcAddr:
		return "saddr " + not + m.Prefix.String()
	case MatchDstAddr:
		return "daddr " + not + m.Prefix.String()
	case MatchSrcMAC:
		return "smac " + not + m.MAC
	case MatchSrcSet:
		return "saddr " + not + "@" + m.Set
	case MatchDstSet:
		return "daddr " + not + "@" + m.Set
	}
	return fmt.Sprintf("match(%d)", m.Kind)
}

func (c *Clamp) String() string {
	s := "clamp " + c.MSS.String()
	if c.Log != nil {
		s += " " + c.Log.String()
	}
	return s + " [" + c.Comment() + "] " + c.Rule
}

func (l *Log) String() string {
	var parts []string
	if l.NFLog {
		parts = append(parts, fmt.Sprintf("nflog group %d", l.Group))
		if l.QueueSize != 0 {
			parts = append(parts, fmt.Sprintf("queue-size %d", l.QueueSize))
		}
	} else {
		parts = append(parts, "log")
		if l.Level != "" {
			parts = append(parts, "level "+l.Level)
		}
	}
	if l.Prefix != "" {
		parts = append(parts, fmt.Sprintf("prefix %q", l.Prefix))
	}
	if l.Limit != nil {
		parts = append(parts, l.Limit.String())
	}
	return strings.Join(parts, " ")
}

func (k DispatchKey) String() string {
	switch k {
	case KeyInIface:
		return "iif"
	case KeyOutIface:
		return "oif"
	case KeySrcAddr4:
		return "saddr4"
	case KeySrcAddr6:
		return "saddr6"
	case KeyDstAddr4:
		return "daddr4"
	case KeyDstAddr6:
		return "daddr6"
	case KeySrcMAC:
		return "smac"
	}
	return fmt.Sprintf("key(%d)", k)
}

func (d *Dispatch) String() string {
	var b strings.Builder
	b.WriteString(d.Key.String() + " map {")
	for i, e := range d.Elements {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(" " + e.key() + ": " + e.Verdict.String())
	}
	b.WriteString(" }")
	return b.String()
}

func (e Element) key() string {
	switch {
	case e.Iface != "":
		return e.Iface
	case e.MAC != "":
		return e.MAC
	}
	return e.Range.String()
}

func (v Verdict) String() string {
	switch v.Kind {
	case VerdictJump:
		return "jump " + v.Chain
	case VerdictGoto:
		return "goto " + v.Chain
	}
	return "return"
}
