package store

import (
	"slices"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// The configuration by scope: what the daemon and the offline CLI need of
// a zone or policy file is its rules, wherever the file is.

// RulesOf returns the rules of zone or policy s; nil when it has no file.
func (c *Config) RulesOf(s firewalld.Scope) []*richrule.Rule {
	switch i := c.index(s); {
	case i < 0:
		return nil
	case s.Policy:
		return c.Policies[i].Rules
	default:
		return c.Zones[i].Rules
	}
}

// Keep puts s's file as from has it into c (when from has one): the last
// good content of a file that no longer loads.
func (c *Config) Keep(s firewalld.Scope, from *Config) {
	switch i := from.index(s); {
	case i < 0:
	case s.Policy:
		c.setPolicy(from.Policies[i])
	default:
		c.setZone(from.Zones[i])
	}
}

// SaveRules writes s's file with rules, keeping everything else it holds
// (bindings, descriptions; a new policy gets firewalld's default priority),
// and then puts the new content into cfg.
func (st *Store) SaveRules(cfg *Config, s firewalld.Scope, rules []*richrule.Rule) error {
	if s.Policy {
		p := Policy{Name: s.Name, Priority: DefaultPriority}
		if i := cfg.policy(s.Name); i >= 0 {
			p = *cfg.Policies[i]
		}
		p.Rules = rules
		if err := st.SavePolicy(&p); err != nil {
			return err
		}
		cfg.setPolicy(&p)
		return nil
	}
	z := Zone{Name: s.Name}
	if i := cfg.zone(s.Name); i >= 0 {
		z = *cfg.Zones[i]
	}
	z.Rules = rules
	if err := st.SaveZone(&z); err != nil {
		return err
	}
	cfg.setZone(&z)
	return nil
}

// index is the index of s's file in Zones or Policies, or -1.
func (c *Config) index(s firewalld.Scope) int {
	if s.Policy {
		return c.policy(s.Name)
	}
	return c.zone(s.Name)
}

func (c *Config) zone(name string) int {
	return slices.IndexFunc(c.Zones, func(z *Zone) bool { return z.Name == name })
}

func (c *Config) policy(name string) int {
	return slices.IndexFunc(c.Policies, func(p *Policy) bool { return p.Name == name })
}

func (c *Config) setZone(z *Zone)     { c.Zones = put(c.Zones, c.zone(z.Name), z) }
func (c *Config) setPolicy(p *Policy) { c.Policies = put(c.Policies, c.policy(p.Name), p) }

// put replaces list[i] with v, or appends v when i < 0.
func put[T any](list []*T, i int, v *T) []*T {
	if i < 0 {
		return append(list, v)
	}
	list[i] = v
	return list
}
