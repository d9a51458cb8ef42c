package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
)

// jsonList is --list-rich-rules --output=json. Zone (or Policy) is the name
// the rules belong to, the default zone resolved. packets and bytes are
// what the kernel counted for mssclampd's runtime rules; they are missing
// for firewalld's rules and for permanent ones, which have no counters.
type jsonList struct {
	Zone      string     `json:"zone,omitempty"`
	Policy    string     `json:"policy,omitempty"`
	Permanent bool       `json:"permanent"`
	Rules     []jsonRule `json:"rules"`
}

type jsonRule struct {
	Rule    string  `json:"rule"`
	Owner   string  `json:"owner"` // "firewalld" or "mssclampd"
	Packets *uint64 `json:"packets,omitempty"`
	Bytes   *uint64 `json:"bytes,omitempty"`
}

// jsonBackendRules is --list-backend-rules --output=json.
type jsonBackendRules struct {
	Backend string `json:"backend"` // "nftables" or "iptables"
	Rules   string `json:"rules"`   // nft script or iptables-restore lines
}

// printList is --list-rich-rules: one rule per line, as firewall-cmd prints
// them (an empty line when there are none). --verbose adds the counters of
// mssclampd's runtime rules after the rule, as a "#" comment so that the
// line still pastes as a rule.
func printList(ctx context.Context, o *options, p *printer, h ruleHost, t target) int {
	rules, err := h.list(ctx, t, o.verbose || o.json)
	if err != nil {
		return p.fail(err)
	}
	if o.json {
		out := jsonList{Permanent: t.permanent, Rules: []jsonRule{}}
		if t.Policy {
			out.Policy = t.Name
		} else if out.Zone = t.Name; out.Zone == "" {
			if out.Zone, err = h.defaultZone(ctx); err != nil {
				return p.fail(err)
			}
		}
		for _, r := range rules {
			jr := jsonRule{Rule: r.rule, Owner: r.owner}
			if r.counter != nil {
				jr.Packets, jr.Bytes = &r.counter.Packets, &r.counter.Bytes
			}
			out.Rules = append(out.Rules, jr)
		}
		return printJSON(p, out)
	}
	lines := make([]string, len(rules))
	for i, r := range rules {
		lines[i] = r.rule
		if o.verbose && r.counter != nil {
			lines[i] += fmt.Sprintf("  # %d packets, %d bytes", r.counter.Packets, r.counter.Bytes)
		}
	}
	return p.exit(strings.Join(lines, "\n"), 0)
}

// printBackendRules is --list-backend-rules: what the kernel holds for
// mssclampd, as it reports it.
func printBackendRules(ctx context.Context, o *options, p *printer, d *daemon) int {
	text, err := d.BackendRules(ctx)
	if err != nil {
		return p.fail(err)
	}
	kind := ""
	if o.json {
		if kind, err = d.Property(ctx, "backend"); err != nil {
			return p.fail(err)
		}
	}
	return printRendered(p, o.json, kind, text)
}

func printRendered(p *printer, asJSON bool, kind, text string) int {
	if asJSON {
		return printJSON(p, jsonBackendRules{Backend: kind, Rules: text})
	}
	return p.exit(strings.TrimSuffix(text, "\n"), 0)
}

func printJSON(p *printer, v any) int {
	data, err := json.Marshal(v)
	if err != nil {
		return p.fail(err)
	}
	return p.exit(string(data), 0)
}
