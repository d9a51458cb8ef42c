package main

import (
	"context"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// daemon is mssclampd as a ruleHost: mdbus.Client, with AlreadyEnabled and
// NotEnabled worded as firewall-cmd words them.
type daemon struct {
	*mdbus.Client
}

func (d *daemon) add(ctx context.Context, t target, r ruleArg, timeout int32) error {
	return warningAsFirewalld(d.AddTimedRule(ctx, t.Scope, t.permanent, r.typed, timeout), t, r)
}

func (d *daemon) remove(ctx context.Context, t target, r ruleArg) error {
	return warningAsFirewalld(d.RemoveRule(ctx, t.Scope, t.permanent, r.typed), t, r)
}

func (d *daemon) query(ctx context.Context, t target, r ruleArg) (bool, error) {
	return d.QueryRule(ctx, t.Scope, t.permanent, r.typed)
}

// warningAsFirewalld words AlreadyEnabled and NotEnabled as firewall-cmd
// prints them for the same target, whatever mssclampd's text: firewalld
// says "'RULE' already in 'ZONE'" only for runtime zones (mssclampd's text,
// kept), the rule as typed for permanent zones (its config.zone object
// echoes its argument), and the canonical rule for policies (which
// firewall-cmd edits itself).
func warningAsFirewalld(err error, t target, r ruleArg) error {
	fe, ok := err.(*firewalld.Error)
	if !ok || !warningOnly(fe.Code) {
		return err
	}
	switch {
	case t.Policy:
		return coded(fe.Code, fe.Code.Name()+": "+r.rule.String())
	case t.permanent:
		return coded(fe.Code, fe.Code.Name()+": "+r.typed)
	}
	return err
}

// list returns t's rules; counters (runtime only) adds what the kernel
// counted for each.
func (d *daemon) list(ctx context.Context, t target, counters bool) ([]listed, error) {
	var out []listed
	if counters && !t.permanent {
		rows, err := d.Counters(ctx, t.Scope)
		if err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, listed{rule: r.Rule, owner: ownerOurs, counter: &backend.Counter{Packets: r.Packets, Bytes: r.Bytes}})
		}
		return out, nil
	}
	rules, err := d.Rules(ctx, t.Scope, t.permanent)
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		out = append(out, listed{rule: r, owner: ownerOurs})
	}
	return out, nil
}

func (d *daemon) check(ctx context.Context, t target) error {
	return d.Exists(ctx, t.Scope, t.permanent)
}

func (d *daemon) defaultZone(ctx context.Context) (string, error) { return d.DefaultZone(ctx) }
