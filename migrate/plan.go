package migrate

import (
	"fmt"
	"hash/fnv"
	"slices"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// Status is what the plan does with an entry.
type Status string

const (
	// Replace: rich rules take over; Apply adds them and removes the entry.
	Replace Status = "replace"
	// Keep: a TCPMSS entry without a faithful equivalent; left alone.
	Keep Status = "keep"
	// Other: not a TCPMSS entry; none of ours, left alone.
	Other Status = "other"
)

// Replacement is one rich rule, in canonical form, and where it goes. It is
// added where the entry is: at runtime, permanently, or both.
type Replacement struct {
	Target firewalld.Scope `json:"target"`
	Rule   string          `json:"rule"`
}

// Item is the plan for one entry.
type Item struct {
	Entry  Entry  `json:"entry"`
	Status Status `json:"status"`
	// Reasons say why an entry is kept, or what an Other entry is.
	Reasons []string      `json:"reasons,omitempty"`
	Rules   []Replacement `json:"rules,omitempty"`
	// Differences lists every way the rules clamp other packets than the
	// entry did, broader or narrower; Notes explain the choice.
	Differences []string `json:"differences,omitempty"`
	Notes       []string `json:"notes,omitempty"`
}

// PolicySpec is a policy the plan needs and the view does not have:
// firewalld's policies are created in the permanent configuration and
// appear after a reload, so they are made before Apply, not by it.
type PolicySpec struct {
	Name     string   `json:"name"`
	Ingress  []string `json:"ingress"`
	Egress   []string `json:"egress"`
	Priority int      `json:"priority"`
}

// Plan is what --migrate-direct shows and --apply carries out.
type Plan struct {
	Items       []Item       `json:"items"`
	NewPolicies []PolicySpec `json:"new_policies,omitempty"`
	// General lists the differences every replacement has.
	General []string `json:"general"`
	// Warnings are for the caller to fill: what firewalld skips in
	// direct.xml, configuration files that did not load. Text shows them
	// first.
	Warnings []string `json:"warnings,omitempty"`
}

// generalDifferences hold for every TCPMSS entry replaced.
var generalDifferences = []string{
	"a SYN without an MSS option: TCPMSS inserted one; mssclampd's nftables backend leaves such a SYN as it is (its iptables backend inserts one too); common TCP stacks always send the option",
	"order: an entry clamped only the packets that reached it in its chain; the rich rules run at mangle priority before any accept or drop, whatever else is in the chains",
}

// policyPrefix starts the names of the policies a plan creates; firewalld
// allows 18 characters in a policy name.
const (
	policyPrefix     = "mss-"
	maxPolicyNameLen = 18
	newPolicyPrio    = -1 // firewalld's default; our rules have no verdict, so the order does not matter
)

// Make plans the migration of entries (Merge of the permanent and runtime
// ones) given the view. It is pure: the same input gives the same plan.
func Make(entries []Entry, v View) *Plan {
	p := &planner{view: v, specs: map[string]int{}}
	plan := &Plan{General: slices.Clone(generalDifferences)}
	for _, e := range entries {
		plan.Items = append(plan.Items, p.item(e))
	}
	plan.NewPolicies = p.newPolicies
	return plan
}

type planner struct {
	view        View
	newPolicies []PolicySpec
	specs       map[string]int // ingress/egress key -> index in newPolicies
}

func (p *planner) item(e Entry) Item {
	it := Item{Entry: e}
	if e.IPV != "ipv4" && e.IPV != "ipv6" {
		it.Status, it.Reasons = Other, []string{"an " + e.IPV + " entry (ebtables has no TCPMSS)"}
		return it
	}
	c, why := parseIptables(e)
	switch {
	case c == nil:
		it.Status, it.Reasons = Other, why[:1]
		return it
	case c.target == "":
		it.Status, it.Reasons = Other, []string{"no target"}
		return it
	case c.target != "TCPMSS":
		it.Status, it.Reasons = Other, []string{"target " + c.target}
		return it
	case c.malformed:
		it.Status, it.Reasons = Keep, why
		return it
	}
	src, dst, why := validate(c, e.IPV, why)
	if len(why) > 0 {
		it.Status, it.Reasons = Keep, why
		return it
	}
	targets, diffs, notes, reason := p.targets(c, e.IPV, src, dst)
	if reason != "" {
		it.Status, it.Reasons = Keep, []string{reason}
		return it
	}
	rules, err := clampRules(e.IPV, c, src, dst)
	if err != nil {
		it.Status, it.Reasons = Keep, []string{err.Error()}
		return it
	}
	for _, t := range targets {
		for _, r := range rules {
			it.Rules = append(it.Rules, Replacement{Target: t, Rule: r})
		}
	}
	it.Status = Replace
	it.Differences = append(flagDifferences(c), diffs...)
	it.Differences = append(it.Differences, orderDifferences(c, e)...)
	it.Notes = append(notes, placeNotes(c, e)...)
	return it
}

// flows says which traffic a chain sees: forwarded (fwd), originated here
// (out), addressed to this machine (in).
var flows = map[string][]string{
	"FORWARD":     {"fwd"},
	"OUTPUT":      {"out"},
	"POSTROUTING": {"fwd", "out"},
	"PREROUTING":  {"fwd", "in"},
	"INPUT":       {"in"},
}

// targets picks the zones and policies for the entry's traffic.
func (p *planner) targets(c *clamp, ipv string, src, dst []string) (ts []firewalld.Scope, diffs, notes []string, why string) {
	in, out := side{any: true}, side{any: true}
	if c.in != nil {
		zones, d, w := p.view.resolveIface(c.in, ipv, false, src, c.srcInv)
		if w != "" {
			return nil, nil, nil, w
		}
		in, diffs = side{zones: zones}, append(diffs, d...)
		notes = append(notes, fmt.Sprintf("-i %s: traffic entering through it has zone %s as its ingress zone", c.in.name, zones[0]))
	}
	if c.out != nil {
		zones, d, w := p.view.resolveIface(c.out, ipv, true, dst, c.dstInv)
		if w != "" {
			return nil, nil, nil, w
		}
		out, diffs = side{zones: zones}, append(diffs, d...)
		notes = append(notes, fmt.Sprintf("-o %s: a policy whose egress zone holds it (%s)", c.out.name, zones[0]))
	}
	switch c.chain {
	case "OUTPUT":
		notes = append(notes, "OUTPUT is traffic this machine originates: a policy with ingress HOST")
	case "INPUT":
		notes = append(notes, "INPUT is traffic to this machine: a policy with egress HOST")
	case "POSTROUTING":
		notes = append(notes, "POSTROUTING sees forwarded and locally originated packets: one rule for each")
	case "PREROUTING":
		notes = append(notes, "PREROUTING sees forwarded packets and packets to this machine: one rule for each")
		if len(c.dst) > 0 {
			diffs = append(diffs, "-d in PREROUTING matched the destination before DNAT; the rich rules see it after")
		}
	}
	for _, flow := range flows[c.chain] {
		var t []firewalld.Scope
		var n []string
		switch flow {
		case "fwd":
			t, n, why = p.forward(in, out)
		case "out":
			t, why = p.policy(side{host: true}, out)
		case "in":
			t, why = p.policy(in, side{host: true})
		}
		if why != "" {
			return nil, nil, nil, why
		}
		ts, notes = append(ts, t...), append(notes, n...)
	}
	return ts, diffs, notes, ""
}

// forward places a rule for forwarded traffic: zone rules when only the
// ingress is given (a zone's rules are its traffic to ANY egress), else a
// policy. Without -i and -o the traffic is every forwarded packet: a policy
// ANY -> ANY says exactly that, now and after zones are added; without
// policies, a rule in every zone says it for the zones there are now.
func (p *planner) forward(in, out side) ([]firewalld.Scope, []string, string) {
	if out.any && !in.any {
		var ts []firewalld.Scope
		for _, z := range in.zones {
			ts = append(ts, firewalld.Scope{Name: z})
		}
		return ts, nil, ""
	}
	if in.any && out.any && p.view.NoPolicies {
		zones := p.view.allZones()
		if len(zones) == 0 {
			return nil, nil, "every forwarded packet, but the view has no zones"
		}
		var ts []firewalld.Scope
		for _, z := range zones {
			ts = append(ts, firewalld.Scope{Name: z})
		}
		return ts, []string{"every forwarded packet: without policies (firewalld < 0.9), a rule in every zone; a zone created later is not covered"}, ""
	}
	ts, why := p.policy(in, out)
	var notes []string
	if in.any && out.any && why == "" {
		notes = append(notes, "every forwarded packet: policy "+ts[0].Name+" (ANY → ANY) matches exactly that, also for zones and bindings added later; a rule in every zone would miss a zone created later")
	}
	return ts, notes, why
}

// policy finds or plans the policy from in to out.
func (p *planner) policy(in, out side) ([]firewalld.Scope, string) {
	ingress, egress := in.names(), out.names()
	if p.view.NoPolicies {
		return nil, fmt.Sprintf("needs a policy (%s → %s); firewalld < 0.9 has none", strings.Join(ingress, ","), strings.Join(egress, ","))
	}
	if name, ok := p.view.existingPolicy(ingress, egress); ok {
		return []firewalld.Scope{{Policy: true, Name: name}}, ""
	}
	key := strings.Join(slices.Sorted(slices.Values(ingress)), ",") + ">" + strings.Join(slices.Sorted(slices.Values(egress)), ",")
	if i, ok := p.specs[key]; ok {
		return []firewalld.Scope{{Policy: true, Name: p.newPolicies[i].Name}}, ""
	}
	spec := PolicySpec{Name: p.policyName(ingress, egress, key), Ingress: ingress, Egress: egress, Priority: newPolicyPrio}
	p.specs[key] = len(p.newPolicies)
	p.newPolicies = append(p.newPolicies, spec)
	return []firewalld.Scope{{Policy: true, Name: spec.Name}}, ""
}

// policyName names a new policy after its zones where that fits
// (mss-fwd, mss-out, mss-in, mss-to-Z, mss-out-Z, mss-in-Z, mss-A-B), else
// after a hash of them; never a name the view or the plan already uses.
func (p *planner) policyName(ingress, egress []string, key string) string {
	one := func(s []string) string {
		if len(s) == 1 {
			return s[0]
		}
		return ""
	}
	i, e := one(ingress), one(egress)
	var name string
	switch {
	case i == firewalld.ZoneAny && e == firewalld.ZoneAny:
		name = "fwd"
	case i == firewalld.ZoneHost && e == firewalld.ZoneAny:
		name = "out"
	case i == firewalld.ZoneAny && e == firewalld.ZoneHost:
		name = "in"
	case i == firewalld.ZoneAny && e != "":
		name = "to-" + e
	case i == firewalld.ZoneHost && e != "":
		name = "out-" + e
	case e == firewalld.ZoneHost && i != "":
		name = "in-" + i
	case i != "" && e != "":
		name = i + "-" + e
	}
	name = policyPrefix + name
	taken := func(n string) bool {
		return p.view.hasPolicy(n) || slices.ContainsFunc(p.newPolicies, func(s PolicySpec) bool { return s.Name == n })
	}
	if name == policyPrefix || len(name) > maxPolicyNameLen || taken(name) {
		h := fnv.New32a()
		h.Write([]byte(key))
		name = fmt.Sprintf("%s%08x", policyPrefix, h.Sum32())
		for n := 2; taken(name); n++ {
			name = fmt.Sprintf("%s%08x%d", policyPrefix, h.Sum32(), n)
		}
	}
	return name
}

// clampRules builds the rules as text, one per source and destination
// address pair, and keeps what the rich-rule parser prints back.
func clampRules(ipv string, c *clamp, src, dst []string) ([]string, error) {
	part := func(kind string, list []string, inv bool) []string {
		if len(list) == 0 {
			return []string{""}
		}
		var out []string
		for _, a := range list {
			s := " " + kind
			if inv {
				s += " NOT"
			}
			out = append(out, s+" address="+a)
		}
		return out
	}
	value := ""
	if c.setMSS != "" {
		n, _ := atoiStrict(c.setMSS)
		value = fmt.Sprintf(" value=%d", n)
	}
	var rules []string
	for _, s := range part("source", src, c.srcInv) {
		for _, d := range part("destination", dst, c.dstInv) {
			text := "rule family=" + ipv + s + d + " tcp-mss-clamp" + value
			r, err := richrule.Parse(text)
			if err != nil {
				return nil, fmt.Errorf("rich rule %q: %w", text, err)
			}
			rules = append(rules, r.String())
		}
	}
	return rules, nil
}
