package mss

import (
	"encoding/json"
	"fmt"
	"strings"
)

// labelWidth fits the longest step name, so columns line up across results.
const labelWidth = 28

// Text renders results one after the other, each as its arithmetic line by
// line, the rule to add and the notes; a blank line separates them.
func Text(results []*Result) string {
	var b strings.Builder
	for i, r := range results {
		if i > 0 {
			b.WriteByte('\n')
		}
		r.write(&b)
	}
	return b.String()
}

// Text renders one result (see the package Text).
func (r *Result) Text() string {
	var b strings.Builder
	r.write(&b)
	return b.String()
}

func (r *Result) write(b *strings.Builder) {
	mode := "RFC 6691"
	if r.Conservative {
		mode = "conservative"
	}
	fmt.Fprintf(b, "%s over a link MTU of %d, TCP over %s (%s):\n", r.Encap, r.LinkMTU, r.Family, mode)
	line := func(op string, n int, label, why string) {
		s := fmt.Sprintf("  %s %5d  %-*s  %s", op, n, labelWidth, label, why)
		b.WriteString(strings.TrimRight(s, " ") + "\n")
	}
	line(" ", r.LinkMTU, "link MTU", "")
	for _, s := range r.Overhead {
		line("-", s.Bytes, s.What, s.Why)
	}
	if len(r.Overhead) > 0 {
		line("=", r.InnerMTU, "MTU inside the encapsulation", "")
	}
	for _, s := range r.Headers {
		line("-", s.Bytes, s.What, s.Why)
	}
	line("=", r.MSS, "MSS", "")
	if r.Rule != "" {
		fmt.Fprintf(b, "  rich rule: %s\n", r.Rule)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(b, "  note: %s\n", n)
	}
}

// JSON renders results as a JSON array, indented, with a final newline.
func JSON(results []*Result) ([]byte, error) {
	if results == nil {
		results = []*Result{}
	}
	out, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}
