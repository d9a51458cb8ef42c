package migrate

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Counts returns how many items the plan replaces, keeps, and leaves as
// not TCPMSS.
func (p *Plan) Counts() (replace, keep, other int) {
	for _, it := range p.Items {
		switch it.Status {
		case Replace:
			replace++
		case Keep:
			keep++
		default:
			other++
		}
	}
	return replace, keep, other
}

// newPolicy reports whether the plan creates the policy named.
func (p *Plan) newPolicy(name string) bool {
	return slices.ContainsFunc(p.NewPolicies, func(s PolicySpec) bool { return s.Name == name })
}

// Text renders the plan for a person: the policies to create first, each
// entry with its replacement or the reason it stays, and the differences
// every replacement shares. It is stable: the same plan gives the same text.
func (p *Plan) Text() string {
	var b strings.Builder
	r, k, o := p.Counts()
	fmt.Fprintf(&b, "Direct configuration: %d %s; %d to replace, %d left alone, %d not TCPMSS.\n",
		len(p.Items), plural(len(p.Items), "entry", "entries"), r, k, o)
	if len(p.Warnings) > 0 {
		b.WriteString("\nWarnings:\n")
		for _, w := range p.Warnings {
			fmt.Fprintf(&b, "  - %s\n", w)
		}
	}
	if len(p.NewPolicies) > 0 {
		p.writePolicies(&b)
	}
	for i, it := range p.Items {
		b.WriteByte('\n')
		fmt.Fprintf(&b, "[%d] %s %s\n", i+1, it.Entry.Kind, it.Entry)
		fmt.Fprintf(&b, "    in: %s\n", it.Entry.Where())
		switch it.Status {
		case Other:
			reasons(&b, "not TCPMSS, left alone", it.Reasons)
			continue
		case Keep:
			reasons(&b, "left alone", it.Reasons)
			continue
		}
		fmt.Fprintf(&b, "    replace with (%s):\n", it.Entry.Where())
		for _, rep := range it.Rules {
			created := ""
			if rep.Target.Policy && p.newPolicy(rep.Target.Name) {
				created = " (to create)"
			}
			fmt.Fprintf(&b, "      %s%s: %s\n", rep.Target, created, rep.Rule)
		}
		list(&b, "differences", it.Differences)
		list(&b, "notes", it.Notes)
	}
	if r > 0 {
		b.WriteString("\nEvery replacement also differs in this:\n")
		for _, g := range p.General {
			fmt.Fprintf(&b, "  - %s\n", g)
		}
	}
	return b.String()
}

func (p *Plan) writePolicies(b *strings.Builder) {
	b.WriteString("\nPolicies to create first (the plan needs them and they do not exist):\n")
	for _, s := range p.NewPolicies {
		fmt.Fprintf(b, "  %s: ingress %s, egress %s, priority %d\n", s.Name, strings.Join(s.Ingress, ","), strings.Join(s.Egress, ","), s.Priority)
	}
	b.WriteString("  with firewall-cmd, then plan again:\n")
	for _, s := range p.NewPolicies {
		fmt.Fprintf(b, "    firewall-cmd --permanent --new-policy=%s\n", s.Name)
		for _, z := range s.Ingress {
			fmt.Fprintf(b, "    firewall-cmd --permanent --policy=%s --add-ingress-zone=%s\n", s.Name, z)
		}
		for _, z := range s.Egress {
			fmt.Fprintf(b, "    firewall-cmd --permanent --policy=%s --add-egress-zone=%s\n", s.Name, z)
		}
	}
	b.WriteString("    firewall-cmd --reload\n")
	var runtimeOnly []string
	for i, it := range p.Items {
		if it.Entry.Runtime && !it.Entry.Permanent {
			runtimeOnly = append(runtimeOnly, fmt.Sprintf("[%d]", i+1))
		}
	}
	if len(runtimeOnly) > 0 {
		fmt.Fprintf(b, "  The reload loads the permanent configuration: with FlushAllOnReload=yes (firewalld's default) it drops runtime-only changes, among them the runtime-only %s %s.\n",
			plural(len(runtimeOnly), "entry", "entries"), strings.Join(runtimeOnly, " "))
	}
}

// reasons writes one reason on the title's line, several as a list.
func reasons(b *strings.Builder, title string, r []string) {
	if len(r) == 1 {
		fmt.Fprintf(b, "    %s: %s\n", title, r[0])
		return
	}
	fmt.Fprintf(b, "    %s:\n", title)
	for _, l := range r {
		fmt.Fprintf(b, "      - %s\n", l)
	}
}

func list(b *strings.Builder, title string, lines []string) {
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(b, "    %s:\n", title)
	for _, l := range lines {
		fmt.Fprintf(b, "      - %s\n", l)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// JSON renders the plan as indented JSON with a final newline.
func (p *Plan) JSON() ([]byte, error) {
	out, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
