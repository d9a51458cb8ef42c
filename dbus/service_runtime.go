package dbus

import (
	"fmt"
	"time"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// The handlers below are exported on the bus with their first letter lower
// case (firewalld's names: addRichRule, getZones, ...). Each one authorizes
// (when it changes something), decodes, calls the Core and maps the error;
// godbus runs every call on its own goroutine and the Core has its own lock.

// rootObject is interface ServiceInterface on ServicePath.
type rootObject struct{ s *Service }

// Reload makes the runtime equal the permanent configuration.
func (o *rootObject) Reload(sender godbus.Sender) *godbus.Error {
	if err := o.s.authorize(sender); err != nil {
		return err
	}
	return o.s.result("reload", o.s.engine().Reload(o.s.ctx))
}

// RuntimeToPermanent saves the runtime rules (not the timed ones) as permanent.
func (o *rootObject) RuntimeToPermanent(sender godbus.Sender) *godbus.Error {
	if err := o.s.authorize(sender); err != nil {
		return err
	}
	return o.s.result("runtimeToPermanent", o.s.engine().RuntimeToPermanent(o.s.ctx))
}

// GetDefaultZone names the zone an empty zone name stands for.
func (o *rootObject) GetDefaultZone() (string, *godbus.Error) {
	return o.s.engine().DefaultZone(), nil
}

// GetBackendRules is what the kernel holds for us, counters included.
func (o *rootObject) GetBackendRules() (string, *godbus.Error) {
	text, err := o.s.engine().Dump(o.s.ctx)
	return text, o.s.result("getBackendRules", err)
}

// runtimeRules is the rich-rule half of interfaces ServiceZoneInterface and
// ServicePolicyInterface, which differ only in what the name argument names.
type runtimeRules struct {
	s      *Service
	policy bool
}

// ruleCounter is one element of getRichRuleCounters' a(stt).
type ruleCounter struct {
	Rule    string
	Packets uint64
	Bytes   uint64
}

func (r *runtimeRules) target(name string) firewalld.Scope {
	return firewalld.Scope{Policy: r.policy, Name: name}
}

// AddRichRule adds a runtime rule; timeout > 0 (seconds) removes it again
// after that time. It returns the zone or policy the rule went to (for a
// zone, "" means the default zone).
func (r *runtimeRules) AddRichRule(sender godbus.Sender, name, rule string, timeout int32) (string, *godbus.Error) {
	if err := r.s.authorize(sender); err != nil {
		return "", err
	}
	if timeout < 0 {
		// firewalld's check_timeout, word for word.
		return "", serviceError(&firewalld.Error{Code: firewalld.InvalidValue, Msg: fmt.Sprintf("timeout '%d' is not positive number", timeout)})
	}
	got, err := r.s.engine().AddRule(r.s.ctx, r.target(name), rule, time.Duration(timeout)*time.Second)
	return got, r.s.result("addRichRule", err)
}

// RemoveRichRule removes a runtime rule and returns its zone or policy.
func (r *runtimeRules) RemoveRichRule(sender godbus.Sender, name, rule string) (string, *godbus.Error) {
	if err := r.s.authorize(sender); err != nil {
		return "", err
	}
	got, err := r.s.engine().RemoveRule(r.s.ctx, r.target(name), rule)
	return got, r.s.result("removeRichRule", err)
}

// QueryRichRule reports whether the runtime holds the rule, in any spelling.
func (r *runtimeRules) QueryRichRule(name, rule string) (bool, *godbus.Error) {
	ok, err := r.s.engine().QueryRule(r.s.ctx, r.target(name), rule)
	return ok, r.s.result("queryRichRule", err)
}

// GetRichRules lists the runtime rules in canonical form, oldest first.
func (r *runtimeRules) GetRichRules(name string) ([]string, *godbus.Error) {
	rules, err := r.s.engine().Rules(r.s.ctx, r.target(name))
	return rules, r.s.result("getRichRules", err)
}

// GetRichRuleCounters lists the runtime rules with the packets and bytes the
// kernel counted for each.
func (r *runtimeRules) GetRichRuleCounters(name string) ([]ruleCounter, *godbus.Error) {
	counters, err := r.s.engine().Counters(r.s.ctx, r.target(name))
	out := []ruleCounter{}
	for _, c := range counters {
		out = append(out, ruleCounter{Rule: c.Rule, Packets: c.Packets, Bytes: c.Bytes})
	}
	return out, r.s.result("getRichRuleCounters", err)
}

// zoneObject is interface ServiceZoneInterface on ServicePath.
type zoneObject struct{ runtimeRules }

// GetZones lists the zones that exist now.
func (o *zoneObject) GetZones() ([]string, *godbus.Error) {
	return o.s.engine().Zones(), nil
}

// policyObject is interface ServicePolicyInterface on ServicePath.
type policyObject struct{ runtimeRules }

// GetPolicies lists the policies that exist now.
func (o *policyObject) GetPolicies() ([]string, *godbus.Error) {
	return o.s.engine().Policies(), nil
}
