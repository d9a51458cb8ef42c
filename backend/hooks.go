package backend

import (
	"slices"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// forward builds what the forward hook runs: zone rules by ingress zone, and
// zone-to-zone policies by ingress and egress zone. It returns the chain the
// base chain continues in, or "" when there is nothing to do.
func (c *compiler) forward() (string, error) {
	var main []*Rule
	zoneWork := map[string]string{}
	for _, z := range c.in.Zones {
		var work []*Rule
		if sc := c.zoneScope[z.Name]; sc != "" {
			work = append(work, &Rule{Jump: sc})
		}
		work = append(work, c.policyJumps("fwd_"+z.Name, func(p *firewalld.Policy) bool {
			return slices.Contains(p.Ingress, z.Name)
		})...)
		if t := c.collapse("fwd_zone_"+z.Name, work); t != "" {
			zoneWork[z.Name] = t
		}
	}
	if len(zoneWork) > 0 {
		ing := c.classify(ingress, func(zone string) string { return zoneWork[zone] })
		if t := c.collapseGoto("fwd_ingress", ing); t != "" {
			main = append(main, &Rule{Jump: t})
		}
	}
	// Policies whose ingress is ANY apply to every forwarded packet.
	main = append(main, c.policyJumps("fwd_any", func(p *firewalld.Policy) bool {
		return slices.Contains(p.Ingress, firewalld.ZoneAny)
	})...)
	return c.collapse("fwd_main", main), nil
}

// output builds what the output hook runs: policies whose ingress is HOST,
// that is, connections this machine opens.
func (c *compiler) output() (string, error) {
	rules := c.policyJumps("out", func(p *firewalld.Policy) bool {
		return slices.Contains(p.Ingress, firewalld.ZoneHost)
	})
	return c.collapse("out_main", rules), nil
}

// input builds what the input hook runs: policies whose egress is HOST,
// classified by ingress zone.
func (c *compiler) input() (string, error) {
	var main []*Rule
	anyIn := c.hostPolicies(func(p *firewalld.Policy) bool { return slices.Contains(p.Ingress, firewalld.ZoneAny) })
	for _, p := range anyIn {
		main = append(main, &Rule{Jump: c.polScope[p.Name]})
	}
	from := map[string]string{}
	for _, z := range c.in.Zones {
		var work []*Rule
		for _, p := range c.hostPolicies(func(p *firewalld.Policy) bool { return slices.Contains(p.Ingress, z.Name) }) {
			work = append(work, &Rule{Jump: c.polScope[p.Name]})
		}
		if t := c.collapse("in_from_"+z.Name, work); t != "" {
			from[z.Name] = t
		}
	}
	if len(from) > 0 {
		ing := c.classify(ingress, func(zone string) string { return from[zone] })
		if t := c.collapseGoto("in_ingress", ing); t != "" {
			main = append(main, &Rule{Jump: t})
		}
	}
	return c.collapse("in_main", main), nil
}

// hostPolicies lists, in order, the policies with rules whose egress is HOST
// and whose ingress satisfies in.
func (c *compiler) hostPolicies(in func(*firewalld.Policy) bool) []*firewalld.Policy {
	var out []*firewalld.Policy
	for _, p := range c.policies {
		if c.polScope[p.Name] != "" && slices.Contains(p.Egress, firewalld.ZoneHost) && in(p) {
			out = append(out, p)
		}
	}
	return out
}

// policyJumps returns the rules that run, for packets whose ingress is
// already known to satisfy in, every policy with rules towards a zone: a
// direct jump for egress ANY, and an egress lookup for named egress zones.
// name prefixes the chains it creates.
func (c *compiler) policyJumps(name string, in func(*firewalld.Policy) bool) []*Rule {
	var rules []*Rule
	to := map[string][]*Rule{}
	for _, p := range c.policies {
		sc := c.polScope[p.Name]
		if sc == "" || !in(p) {
			continue
		}
		if slices.Contains(p.Egress, firewalld.ZoneAny) {
			rules = append(rules, &Rule{Jump: sc})
			continue
		}
		for _, e := range p.Egress {
			if e != firewalld.ZoneHost {
				to[e] = append(to[e], &Rule{Jump: sc})
			}
		}
	}
	if len(to) == 0 {
		return rules
	}
	targets := map[string]string{}
	for zone, jumps := range to {
		targets[zone] = c.collapse(name+"_to_"+zone, jumps)
	}
	eg := c.classify(egress, func(zone string) string { return targets[zone] })
	if t := c.collapseGoto(name+"_egress", eg); t != "" {
		rules = append(rules, &Rule{Jump: t})
	}
	return rules
}

// collapseGoto makes a lookup chain; an empty lookup needs none, and one that
// is a single unconditional goto needs no chain of its own.
func (c *compiler) collapseGoto(name string, rules []*Rule) string {
	if len(rules) == 0 {
		return ""
	}
	if len(rules) == 1 && rules[0].Goto != "" && len(rules[0].Matches) == 0 && rules[0].Family == FamilyAny {
		return rules[0].Goto
	}
	return c.chain(name, rules)
}
