package nft

import (
	"fmt"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// Render is the nft script that builds the table Apply loads for rs, written
// as `nft list table inet mssclamp` shows it (counters left out), so that a
// person can read it and `nft -f` can load it. Hash-keyed sets (interfaces,
// MACs) are listed by the kernel in no fixed order; Render keeps the
// Ruleset's. A ruleset Apply would refuse is an error, as in ipt.Render.
func Render(rs *backend.Ruleset) (string, error) {
	p, err := newPlan(rs, nil)
	if err == nil {
		var s string
		if s, err = p.render(); err == nil {
			return s, nil
		}
	}
	return "", fmt.Errorf("nftables backend: %w", err)
}

func (p *plan) render() (string, error) {
	var b strings.Builder
	b.WriteString("table inet " + TableName + " {\n")
	first := true
	block := func() {
		if !first {
			b.WriteByte('\n')
		}
		first = false
	}
	for _, s := range p.sets {
		elems, err := s.elements(withText)
		if err != nil {
			return "", err
		}
		block()
		b.WriteString(setBlock(s, elems))
	}
	for i := range p.chains {
		c := &p.chains[i]
		block()
		b.WriteString(chainBlock(c.name(), c.hook(), c.rules))
	}
	b.WriteString("}\n")
	return b.String(), nil
}

func setBlock(s *setPlan, elems []elem) string {
	var b strings.Builder
	kw, typ := "set", s.kind.nftType()
	if s.isMap {
		kw, typ = "map", typ+" : verdict"
	}
	b.WriteString("\t" + kw + " " + s.name + " {\n")
	b.WriteString("\t\ttype " + typ + "\n")
	if s.kind.interval() {
		b.WriteString("\t\tflags interval\n")
	}
	if len(elems) > 0 {
		b.WriteString("\t\t" + elementsLine(s.kind, elems) + "\n")
	}
	b.WriteString("\t}\n")
	return b.String()
}

func chainBlock(name string, hook backend.Hook, rules []kernelRule) string {
	var b strings.Builder
	b.WriteString("\tchain " + name + " {\n")
	if hook != backend.HookNone {
		b.WriteString("\t\ttype filter hook " + string(hook) + " priority mangle; policy accept;\n")
	}
	for _, r := range rules {
		b.WriteString("\t\t" + r.text + "\n")
	}
	b.WriteString("\t}\n")
	return b.String()
}
