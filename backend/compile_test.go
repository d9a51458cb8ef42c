package backend

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// TestCompileGolden compiles every testdata/compile/*.txt case and compares
// the neutral rendering with the golden part of the same file.
//
// A case file is an input description, a line "----", and the expected
// ruleset. Input lines:
//
//	default ZONE
//	zone NAME [if=IF,IF] [src=SOURCE,SOURCE]
//	policy NAME [prio=N] in=ZONE,ZONE out=ZONE,ZONE
//	ipset NAME TYPE FAMILY ENTRY...
//	NAME: RICH RULE          (a rule of zone or policy NAME)
//	# comment
func TestCompileGolden(t *testing.T) {
	files, err := filepath.Glob("../testdata/compile/*.txt")
	if err != nil || len(files) == 0 {
		t.Fatalf("no compile cases: %v", err)
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, _ := strings.Cut(string(data), "\n----\n")
			topo, rules := parseCase(t, input)
			got := ""
			rs, diags, err := Compile(topo, rules)
			switch {
			case err != nil:
				got = "error: " + err.Error() + "\n"
			case len(diags) > 0:
				// The case is about the rule left out; the rest of the
				// ruleset is what compiles without it (checked below).
				got = "error: " + diags[0].Error() + "\n"
			default:
				got = rs.String()
			}
			if *testutil.Update {
				if err := os.WriteFile(file, []byte(input+"\n----\n"+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("Compile() mismatch (-want +got):\n%s", testutil.LineDiff(want, got))
			}
			if err != nil {
				return
			}
			again, _, _ := Compile(parseCase(t, input))
			if again.String() != rs.String() {
				t.Error("Compile is not deterministic")
			}
			for _, d := range diags {
				rules[d.Scope] = slices.DeleteFunc(slices.Clone(rules[d.Scope]), func(r *richrule.Rule) bool { return r.String() == d.Rule })
			}
			if without, rest, _ := Compile(topo, rules); len(diags) > 0 && (len(rest) > 0 || without.String() != rs.String()) {
				t.Errorf("what compiles beside the rules left out differs from compiling without them:\n%s", testutil.LineDiff(without.String(), rs.String()))
			}
		})
	}
}

func parseCase(t testing.TB, text string) (*firewalld.Topology, Rules) {
	t.Helper()
	in := &firewalld.Topology{}
	rules := Rules{}
	list := func(s string) []string { return strings.Split(s, ",") }
	attrs := func(n int, kvs []string, set map[string]func(string)) {
		for _, kv := range kvs {
			k, v, _ := strings.Cut(kv, "=")
			if set[k] == nil {
				t.Fatalf("line %d: unknown attribute %q", n+1, k)
			}
			set[k](v)
		}
	}
	for n, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if owner, rule, ok := strings.Cut(line, ": "); ok && !strings.Contains(owner, " ") {
			r, err := richrule.Parse(rule)
			if err != nil {
				t.Fatalf("line %d: %v", n+1, err)
			}
			s := firewalld.ZoneScope(owner)
			if in.Policy(owner) != nil {
				s = firewalld.PolicyScope(owner)
			} else if !in.Has(s) {
				t.Fatalf("line %d: no zone or policy %q", n+1, owner)
			}
			rules[s] = append(rules[s], r)
			continue
		}
		f := strings.Fields(line)
		switch f[0] {
		case "default":
			in.DefaultZone = f[1]
		case "zone":
			z := firewalld.Zone{Name: f[1]}
			attrs(n, f[2:], map[string]func(string){
				"if":  func(v string) { z.Interfaces = list(v) },
				"src": func(v string) { z.Sources = list(v) },
			})
			in.Zones = append(in.Zones, z)
		case "policy":
			p := firewalld.Policy{Name: f[1]}
			attrs(n, f[2:], map[string]func(string){
				"prio": func(v string) { p.Priority, _ = strconv.Atoi(v) },
				"in":   func(v string) { p.Ingress = list(v) },
				"out":  func(v string) { p.Egress = list(v) },
			})
			in.Policies = append(in.Policies, p)
		case "ipset":
			in.IPSets = append(in.IPSets, firewalld.IPSet{Name: f[1], Type: f[2], Family: f[3], Entries: f[4:]})
		default:
			t.Fatalf("line %d: cannot read %q", n+1, line)
		}
	}
	return in, rules
}
