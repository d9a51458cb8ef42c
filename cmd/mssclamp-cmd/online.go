package main

import (
	"context"
	"errors"
	"time"

	godbus "github.com/godbus/dbus/v5"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// onlineHost sends each rule to the daemon that holds it: tcp-mss-clamp
// rules to mssclampd, every other rule to firewalld over firewalld's own
// API; a listing shows both. Without firewalld (mssclampd standalone) the
// listing is mssclampd's alone and a rule for firewalld is NOT_RUNNING.
type onlineHost struct {
	ours *daemon
	fw   *mdbus.Firewalld
}

// fwRuleText is the rule as firewalld gets it. A zone rule goes as typed,
// so that firewalld's messages echo what the administrator wrote, as
// firewall-cmd's do. The firewalld client compares policy rules as text, so
// a policy rule goes in canonical form (firewall-cmd, which edits a policy's
// rules itself, compares canonical forms too).
func fwRuleText(t target, r ruleArg) string {
	if t.Policy {
		return r.rule.String()
	}
	return r.typed
}

func (h *onlineHost) add(ctx context.Context, t target, r ruleArg, timeout int32) error {
	if r.ours() {
		return h.ours.add(ctx, t, r, timeout)
	}
	if t.Policy {
		// firewalld has no timeouts for policy rules, and firewall-cmd
		// drops one without a word; so do we. (mssclampd has them, for
		// its own policy rules.)
		timeout = 0
	}
	return firewalldError(h.fw.AddRichRule(ctx, t.Scope, t.permanent, fwRuleText(t, r), time.Duration(timeout)*time.Second), &r)
}

func (h *onlineHost) remove(ctx context.Context, t target, r ruleArg) error {
	if r.ours() {
		return h.ours.remove(ctx, t, r)
	}
	return firewalldError(h.fw.RemoveRichRule(ctx, t.Scope, t.permanent, fwRuleText(t, r)), &r)
}

func (h *onlineHost) query(ctx context.Context, t target, r ruleArg) (bool, error) {
	if r.ours() {
		return h.ours.query(ctx, t, r)
	}
	found, err := h.fw.QueryRichRule(ctx, t.Scope, t.permanent, fwRuleText(t, r))
	return found, firewalldError(err, &r)
}

// list shows firewalld's rules (in firewalld's order, which for a zone is
// no order at all), then mssclampd's in the order they were added.
func (h *onlineHost) list(ctx context.Context, t target, counters bool) ([]listed, error) {
	var out []listed
	rules, err := h.fw.RichRules(ctx, t.Scope, t.permanent)
	switch {
	case errors.Is(err, mdbus.ErrNotRunning):
	case err != nil:
		return nil, firewalldError(err, nil)
	}
	for _, r := range rules {
		out = append(out, listed{rule: r, owner: ownerFirewalld})
	}
	ours, err := h.ours.list(ctx, t, counters)
	if err != nil {
		return nil, err
	}
	return append(out, ours...), nil
}

func (h *onlineHost) check(ctx context.Context, t target) error {
	return h.ours.check(ctx, t)
}

func (h *onlineHost) defaultZone(ctx context.Context) (string, error) {
	return h.ours.defaultZone(ctx)
}

// reload reloads mssclampd, then firewalld when it runs. mssclampd goes
// first so that a missing or failing mssclampd leaves firewalld alone; the
// order does not matter otherwise, as mssclampd re-applies its rules after
// every firewalld reload anyway.
func (h *onlineHost) reload(ctx context.Context) error {
	if err := h.ours.Reload(ctx); err != nil {
		return err
	}
	return ignoreNotRunning(h.fw.Reload(ctx))
}

func (h *onlineHost) runtimeToPermanent(ctx context.Context) error {
	if err := h.ours.RuntimeToPermanent(ctx); err != nil {
		return err
	}
	return ignoreNotRunning(h.fw.RuntimeToPermanent(ctx))
}

func ignoreNotRunning(err error) error {
	if errors.Is(err, mdbus.ErrNotRunning) {
		return nil
	}
	return firewalldError(err, nil)
}

// firewalldError keeps what firewalld said ("CODE: detail", its code) and
// drops the client's wrapping, which names the D-Bus call. A firewalld that
// is not running is NOT_RUNNING, naming the rule that needed it.
func firewalldError(err error, r *ruleArg) error {
	if err == nil {
		return nil
	}
	var fe *firewalld.Error
	if errors.As(err, &fe) {
		return fe
	}
	if errors.Is(err, mdbus.ErrNotRunning) {
		if r != nil {
			return firewalld.Errorf(firewalld.NotRunning, "FirewallD is not running, and '%s' is not a tcp-mss-clamp rule: only firewalld can hold it", r.rule)
		}
		return firewalld.Errorf(firewalld.NotRunning, "FirewallD is not running")
	}
	var de godbus.Error
	if errors.As(err, &de) && de.Name == "org.freedesktop.DBus.Error.AccessDenied" {
		return firewalld.Errorf(firewalld.NotAuthorized, "%v", err)
	}
	return firewalld.Unknown(err.Error())
}
