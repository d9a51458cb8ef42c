package migrate

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

const vectorDir = "../testdata/direct"

// A vector file has sections, each opened by a "-- NAME --" line:
//
//	-- view --        the zones, bindings and policies (see parseView)
//	-- direct.xml --  firewalld's permanent direct configuration, verbatim
//	-- runtime --     runtime entries, one per line: "passthrough IPV ARGS..."
//	                  or "rule IPV TABLE CHAIN PRIORITY ARGS..."
//	-- plan --        the expected Plan.Text (rewritten by -*testutil.Update)
//
// Lines before the first section describe the vector.
type vectorFile struct {
	head     string
	sections map[string]string
	order    []string
}

func readVectorFile(t *testing.T, path string) *vectorFile {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := &vectorFile{sections: map[string]string{}}
	cur := ""
	var b strings.Builder
	flush := func() {
		if cur == "" {
			v.head = b.String()
		} else {
			v.sections[cur] = b.String()
			v.order = append(v.order, cur)
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(string(data), "\n") {
		if name, ok := sectionName(line); ok {
			flush()
			cur = name
			continue
		}
		b.WriteString(line)
	}
	flush()
	return v
}

func sectionName(line string) (string, bool) {
	l := strings.TrimRight(line, "\n")
	if !strings.HasPrefix(l, "-- ") || !strings.HasSuffix(l, " --") || len(l) < 7 {
		return "", false
	}
	return l[3 : len(l)-3], true
}

func (v *vectorFile) write(path string) error {
	var b strings.Builder
	b.WriteString(v.head)
	for _, name := range v.order {
		b.WriteString("-- " + name + " --\n")
		b.WriteString(v.sections[name])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// parseView reads the view section:
//
//	default ZONE
//	zone NAME [IFACE...] [source=SRC...]
//	policy NAME INGRESS,... EGRESS,... [PRIORITY]
//	ipset NAME FAMILY TYPE
//	nopolicies
func parseView(t *testing.T, text string) View {
	t.Helper()
	var v View
	for n, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) == 0 || strings.HasPrefix(f[0], "#") {
			continue
		}
		bad := func() { t.Fatalf("view line %d: %q", n+1, line) }
		switch f[0] {
		case "default":
			if len(f) != 2 {
				bad()
			}
			v.Topology.DefaultZone = f[1]
		case "zone":
			if len(f) < 2 {
				bad()
			}
			z := firewalld.Zone{Name: f[1]}
			for _, w := range f[2:] {
				if s, ok := strings.CutPrefix(w, "source="); ok {
					z.Sources = append(z.Sources, s)
				} else {
					z.Interfaces = append(z.Interfaces, w)
				}
			}
			v.Topology.Zones = append(v.Topology.Zones, z)
		case "policy":
			if len(f) < 4 || len(f) > 5 {
				bad()
			}
			p := firewalld.Policy{Name: f[1], Ingress: strings.Split(f[2], ","), Egress: strings.Split(f[3], ","), Priority: -1}
			if len(f) == 5 {
				var err error
				if p.Priority, err = strconv.Atoi(f[4]); err != nil {
					bad()
				}
			}
			v.Topology.Policies = append(v.Topology.Policies, p)
		case "ipset":
			if len(f) != 4 {
				bad()
			}
			v.Topology.IPSets = append(v.Topology.IPSets, firewalld.IPSet{Name: f[1], Family: f[2], Type: f[3]})
		case "nopolicies":
			v.NoPolicies = true
		default:
			bad()
		}
	}
	return v
}

func parseRuntime(t *testing.T, text string) []Entry {
	t.Helper()
	var out []Entry
	for n, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		w, err := splitArgs(line)
		if err != nil || len(w) < 3 {
			t.Fatalf("runtime line %d: %q: %v", n+1, line, err)
		}
		e := Entry{Kind: Kind(w[0]), IPV: w[1], Runtime: true}
		switch e.Kind {
		case Passthrough:
			e.Args = w[2:]
		case DirectRule:
			if len(w) < 6 {
				t.Fatalf("runtime line %d: rule IPV TABLE CHAIN PRIORITY ARGS...", n+1)
			}
			e.Table, e.Chain = w[2], w[3]
			if e.Priority, err = strconv.Atoi(w[4]); err != nil {
				t.Fatalf("runtime line %d: %v", n+1, err)
			}
			e.Args = w[5:]
		default:
			t.Fatalf("runtime line %d: unknown kind %q", n+1, w[0])
		}
		out = append(out, e)
	}
	return out
}

// planOf makes the plan of a vector file.
func planOf(t *testing.T, v *vectorFile) *Plan {
	t.Helper()
	view := parseView(t, v.sections["view"])
	var perm []Entry
	var ignored []string
	if x, ok := v.sections["direct.xml"]; ok {
		d, err := ReadDirect(strings.NewReader(x))
		if err != nil {
			t.Fatalf("direct.xml: %v", err)
		}
		perm, ignored = d.Entries, d.Ignored
	}
	plan := Make(Merge(perm, parseRuntime(t, v.sections["runtime"])), view)
	for _, w := range ignored {
		plan.Warnings = append(plan.Warnings, "direct.xml "+w+" (firewalld skips it too)")
	}
	return plan
}

// TestVectors makes the plan of every testdata/direct/*.txt and compares
// its text with the plan section; every rule it produces must parse back
// to itself, and the JSON form must read back to the same plan.
func TestVectors(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(vectorDir, "*.txt"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors in %s: %v", vectorDir, err)
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			v := readVectorFile(t, path)
			plan := planOf(t, v)
			got := plan.Text()
			if *testutil.Update {
				if _, ok := v.sections["plan"]; !ok {
					v.order = append(v.order, "plan")
				}
				v.sections["plan"] = got
				if err := v.write(path); err != nil {
					t.Fatal(err)
				}
			} else if want := v.sections["plan"]; got != want {
				t.Errorf("plan differs (go test ./migrate -update rewrites it):\n%s", testutil.LineDiff(want, got))
			}
			checkRules(t, plan)
			checkJSON(t, plan)
		})
	}
}

// checkRules: every replacement rule parses, is canonical, is a clamp with
// the entry's family, and goes to a policy that exists or is planned.
func checkRules(t *testing.T, p *Plan) {
	t.Helper()
	for _, it := range p.Items {
		if it.Status == Replace && len(it.Rules) == 0 {
			t.Errorf("%s: replaced by nothing", it.Entry)
		}
		for _, r := range it.Rules {
			rule, err := richrule.Parse(r.Rule)
			if err != nil {
				t.Errorf("%s: rule %q does not parse: %v", it.Entry, r.Rule, err)
				continue
			}
			if rule.String() != r.Rule || rule.Clamp() == nil || string(rule.Family) != it.Entry.IPV {
				t.Errorf("%s: rule %q: canonical %q, clamp %v, family %q", it.Entry, r.Rule, rule.String(), rule.Clamp(), rule.Family)
			}
		}
	}
	for _, s := range p.NewPolicies {
		if len(s.Name) > maxPolicyNameLen || !strings.HasPrefix(s.Name, policyPrefix) {
			t.Errorf("new policy name %q", s.Name)
		}
	}
}

func checkJSON(t *testing.T, p *Plan) {
	t.Helper()
	data, err := p.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(&back, p) {
		t.Errorf("JSON does not read back to the plan:\n%s", data)
	}
}

// TestJSONGolden pins the JSON form of the plan.
func TestJSONGolden(t *testing.T) {
	plan := planOf(t, readVectorFile(t, filepath.Join(vectorDir, "issue.txt")))
	got, err := plan.JSON()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(vectorDir, "issue.json")
	if *testutil.Update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got) {
		t.Errorf("issue.json differs (go test ./migrate -update rewrites it):\n%s", testutil.LineDiff(string(want), string(got)))
	}
}
