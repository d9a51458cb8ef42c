package dbus

import (
	"context"
	"fmt"
	"slices"
	"time"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// The rich-rule methods name a zone or policy (an empty zone name is
// firewalld's default zone), at runtime or in the permanent configuration,
// as firewall-cmd's --zone, --policy and --permanent do.
//
// Zone rules go through firewalld's per-rule methods, and firewalld compares
// rules in their canonical form, so any spelling works. firewalld (0.9 to
// 2.x) has no per-rule methods for policies: their rules are read from and
// written back to the policy's settings ("rich_rules"), and this client
// compares them as text, so a policy rule must be given in canonical form
// (as firewalld prints it; richrule's printer) to be found by Remove and
// Query; Add detects a respelling of a rule the policy has.

// where names a scope in errors: `permanent zone "dmz"`.
func where(t firewalld.Scope, permanent bool) string {
	s := fmt.Sprintf("%s %q", t.Kind(), t.Name)
	if permanent {
		s = "permanent " + s
	}
	return s
}

// AddRichRule adds rule to t. A timeout removes a runtime zone rule again
// after that long (rounded up to whole seconds); other targets return
// ErrTimeoutNotSupported for a timeout. A rule that is already there is
// *firewalld.Error AlreadyEnabled, which firewall-cmd prints as a warning.
func (f *Firewalld) AddRichRule(ctx context.Context, t firewalld.Scope, permanent bool, rule string, timeout time.Duration) error {
	if timeout != 0 && (permanent || t.Policy) {
		return fmt.Errorf("adding rich rule to %s: %w", where(t, permanent), ErrTimeoutNotSupported)
	}
	var err error
	switch {
	case !t.Policy && !permanent:
		var zone string
		err = f.call(ctx, fwPath, fwZoneIface, "addRichRule", []any{t.Name, rule, int32((timeout + time.Second - 1) / time.Second)}, &zone)
	case !t.Policy:
		err = f.configZoneCall(ctx, t.Name, "addRichRule", rule)
	default:
		err = f.addPolicyRule(ctx, t, permanent, rule)
	}
	if err != nil {
		return fmt.Errorf("adding rich rule to %s: %w", where(t, permanent), err)
	}
	return nil
}

// addPolicyRule appends rule to a policy's rules and checks what firewalld
// made of it: given a respelling of a rule it has, firewalld 1.3.3 ignores
// it at runtime but stores a duplicate in the permanent policy, which is
// undone here. Either way the result is AlreadyEnabled.
func (f *Firewalld) addPolicyRule(ctx context.Context, t firewalld.Scope, permanent bool, rule string) error {
	before, err := f.policyRules(ctx, t, permanent)
	if err != nil {
		return err
	}
	// firewall-cmd's own text for policies (firewall/client.py).
	already := &firewalld.Error{Code: firewalld.AlreadyEnabled, Msg: rule}
	if slices.Contains(before, rule) {
		return already
	}
	if err := f.setPolicyRules(ctx, t, permanent, append(slices.Clone(before), rule)); err != nil {
		return err
	}
	after, err := f.policyRules(ctx, t, permanent)
	if err != nil {
		return err
	}
	if len(after) == len(before) {
		return already
	}
	if added, ok := addedRule(before, after); ok && slices.Contains(before, added) {
		if err := f.setPolicyRules(ctx, t, permanent, before); err != nil {
			return fmt.Errorf("removing the duplicate of %q again: %w", rule, err)
		}
		return already
	}
	return nil
}

// addedRule returns the one rule after has beyond before, counting
// duplicates. Not the last one: firewalld 2.x lists a runtime policy's rules
// in no fixed order.
func addedRule(before, after []string) (string, bool) {
	left := slices.Clone(after)
	for _, r := range before {
		if i := slices.Index(left, r); i >= 0 {
			left = slices.Delete(left, i, i+1)
		}
	}
	if len(left) != 1 || len(after) != len(before)+1 {
		return "", false
	}
	return left[0], true
}

// RemoveRichRule removes rule from t. A rule that is not there is
// *firewalld.Error NOT_ENABLED, which firewall-cmd prints as a warning.
func (f *Firewalld) RemoveRichRule(ctx context.Context, t firewalld.Scope, permanent bool, rule string) error {
	var err error
	switch {
	case !t.Policy && !permanent:
		var zone string
		err = f.call(ctx, fwPath, fwZoneIface, "removeRichRule", []any{t.Name, rule}, &zone)
	case !t.Policy:
		err = f.configZoneCall(ctx, t.Name, "removeRichRule", rule)
	default:
		var rules []string
		if rules, err = f.policyRules(ctx, t, permanent); err == nil {
			i := slices.Index(rules, rule)
			if i < 0 {
				return fmt.Errorf("removing rich rule from %s: %w", where(t, permanent),
					&firewalld.Error{Code: firewalld.NotEnabled, Msg: rule})
			}
			err = f.setPolicyRules(ctx, t, permanent, slices.Delete(rules, i, i+1))
		}
	}
	if err != nil {
		return fmt.Errorf("removing rich rule from %s: %w", where(t, permanent), err)
	}
	return nil
}

// QueryRichRule reports whether t has rule.
func (f *Firewalld) QueryRichRule(ctx context.Context, t firewalld.Scope, permanent bool, rule string) (bool, error) {
	var (
		found bool
		err   error
	)
	switch {
	case !t.Policy && !permanent:
		err = f.call(ctx, fwPath, fwZoneIface, "queryRichRule", []any{t.Name, rule}, &found)
	case !t.Policy:
		err = f.configZoneCall(ctx, t.Name, "queryRichRule", rule, &found)
	default:
		var rules []string
		rules, err = f.policyRules(ctx, t, permanent)
		found = slices.Contains(rules, rule)
	}
	if err != nil {
		return false, fmt.Errorf("querying rich rule in %s: %w", where(t, permanent), err)
	}
	return found, nil
}

// RichRules returns t's rules in firewalld's canonical form and order.
func (f *Firewalld) RichRules(ctx context.Context, t firewalld.Scope, permanent bool) ([]string, error) {
	var (
		rules []string
		err   error
	)
	switch {
	case !t.Policy && !permanent:
		err = f.call(ctx, fwPath, fwZoneIface, "getRichRules", []any{t.Name}, &rules)
	case !t.Policy:
		err = f.configZoneCall(ctx, t.Name, "getRichRules", nil, &rules)
	default:
		rules, err = f.policyRules(ctx, t, permanent)
	}
	if err != nil {
		return nil, fmt.Errorf("listing rich rules of %s: %w", where(t, permanent), err)
	}
	return rules, nil
}

// configZoneCall calls a method of the permanent zone object; rule nil means
// the method takes no argument. Like firewall-cmd, the permanent "default
// zone" is the runtime default zone.
func (f *Firewalld) configZoneCall(ctx context.Context, zone, method string, rule any, out ...any) error {
	if zone == "" {
		z, err := f.DefaultZone(ctx)
		if err != nil {
			return err
		}
		zone = z
	}
	var path godbus.ObjectPath
	if err := f.call(ctx, fwConfigPath, fwConfigIface, "getZoneByName", []any{zone}, &path); err != nil {
		return err
	}
	var args []any
	if rule != nil {
		args = []any{rule}
	}
	return f.call(ctx, path, fwConfigZoneIface, method, args, out...)
}

// policyRules reads the rich_rules setting of a runtime or permanent policy.
func (f *Firewalld) policyRules(ctx context.Context, t firewalld.Scope, permanent bool) ([]string, error) {
	var settings map[string]godbus.Variant
	if permanent {
		path, err := f.configPolicyPath(ctx, t.Name)
		if err != nil {
			return nil, err
		}
		err = f.call(ctx, path, fwConfigPolicyIface, "getSettings", nil, &settings)
		if err != nil {
			return nil, err
		}
	} else if err := f.call(ctx, fwPath, fwPolicyIface, "getPolicySettings", []any{t.Name}, &settings); err != nil {
		return nil, err
	}
	var rules []string
	if err := storeSetting(settings, "rich_rules", &rules); err != nil {
		return nil, fmt.Errorf("policy %q: %w", t.Name, err)
	}
	return rules, nil
}

// setPolicyRules replaces a policy's rich_rules. Only that key is sent:
// firewalld (setPolicySettings at runtime, update for the permanent object)
// changes only the keys it is given. Not atomic: a change another client
// makes between our read and this write is lost, as with firewall-cmd.
func (f *Firewalld) setPolicyRules(ctx context.Context, t firewalld.Scope, permanent bool, rules []string) error {
	if rules == nil {
		rules = []string{} // an empty "as", not a nil variant
	}
	settings := map[string]godbus.Variant{"rich_rules": godbus.MakeVariant(rules)}
	if !permanent {
		return f.call(ctx, fwPath, fwPolicyIface, "setPolicySettings", []any{t.Name, settings})
	}
	path, err := f.configPolicyPath(ctx, t.Name)
	if err != nil {
		return err
	}
	return f.call(ctx, path, fwConfigPolicyIface, "update", []any{settings})
}

func (f *Firewalld) configPolicyPath(ctx context.Context, policy string) (godbus.ObjectPath, error) {
	var path godbus.ObjectPath
	err := f.call(ctx, fwConfigPath, fwConfigIface, "getPolicyByName", []any{policy}, &path)
	return path, err
}
