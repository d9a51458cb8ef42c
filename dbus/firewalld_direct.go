package dbus

import (
	"context"
	"fmt"

	godbus "github.com/godbus/dbus/v5"
)

// firewalld's direct interface (deprecated since 1.0, still served by 2.x):
// runtime on fwPath, permanent (direct.xml) on fwConfigPath. Signatures from
// firewall/server/firewalld.py and firewall/server/config.py:
//
//	org.fedoraproject.FirewallD1.direct
//	  getAllPassthroughs() → a(sas)            (ipv, args)
//	  addPassthrough(s ipv, as args)
//	  removePassthrough(s ipv, as args)        NOT_ENABLED when missing
//	  getAllRules() → a(sssias)                (ipv, table, chain, priority, args)
//	  addRule(s ipv, s table, s chain, i priority, as args)
//	  removeRule(s ipv, s table, s chain, i priority, as args)
//	org.fedoraproject.FirewallD1.config.direct
//	  the same six with the same signatures, on the permanent configuration
//	  (which firewalld applies at its next start or reload)
//
// A runtime removal makes firewalld run the reverse iptables command (-D for
// -A/-I); a removal whose kernel rule is already gone fails with
// COMMAND_FAILED.
const (
	fwDirectIface       = fwIface + ".direct"
	fwConfigDirectIface = fwConfigIface + ".direct"
)

// DirectPassthrough is a passthrough of firewalld's direct interface.
type DirectPassthrough struct {
	IPV  string // "ipv4", "ipv6" or "eb"
	Args []string
}

// DirectRule is a rule of firewalld's direct interface.
type DirectRule struct {
	IPV, Table, Chain string
	Priority          int32
	Args              []string
}

func (f *Firewalld) directCall(ctx context.Context, permanent bool, method string, args []any, out ...any) error {
	var path godbus.ObjectPath = fwPath
	iface := fwDirectIface
	if permanent {
		path, iface = fwConfigPath, fwConfigDirectIface
	}
	return f.call(ctx, path, iface, method, args, out...)
}

// DirectPassthroughs lists the runtime (or permanent) passthroughs.
func (f *Firewalld) DirectPassthroughs(ctx context.Context, permanent bool) ([]DirectPassthrough, error) {
	var rows []struct {
		IPV  string
		Args []string
	}
	if err := f.directCall(ctx, permanent, "getAllPassthroughs", nil, &rows); err != nil {
		return nil, fmt.Errorf("listing %s direct passthroughs: %w", runtimeOrPermanent(permanent), err)
	}
	out := make([]DirectPassthrough, len(rows))
	for i, r := range rows {
		out[i] = DirectPassthrough{IPV: r.IPV, Args: r.Args}
	}
	return out, nil
}

// AddDirectPassthrough adds a runtime (or permanent) passthrough.
func (f *Firewalld) AddDirectPassthrough(ctx context.Context, permanent bool, p DirectPassthrough) error {
	if err := f.directCall(ctx, permanent, "addPassthrough", []any{p.IPV, nonNil(p.Args)}); err != nil {
		return fmt.Errorf("adding %s direct passthrough: %w", runtimeOrPermanent(permanent), err)
	}
	return nil
}

// RemoveDirectPassthrough removes a runtime (or permanent) passthrough.
func (f *Firewalld) RemoveDirectPassthrough(ctx context.Context, permanent bool, p DirectPassthrough) error {
	if err := f.directCall(ctx, permanent, "removePassthrough", []any{p.IPV, nonNil(p.Args)}); err != nil {
		return fmt.Errorf("removing %s direct passthrough: %w", runtimeOrPermanent(permanent), err)
	}
	return nil
}

// DirectRules lists the runtime (or permanent) direct rules.
func (f *Firewalld) DirectRules(ctx context.Context, permanent bool) ([]DirectRule, error) {
	var rows []struct {
		IPV, Table, Chain string
		Priority          int32
		Args              []string
	}
	if err := f.directCall(ctx, permanent, "getAllRules", nil, &rows); err != nil {
		return nil, fmt.Errorf("listing %s direct rules: %w", runtimeOrPermanent(permanent), err)
	}
	out := make([]DirectRule, len(rows))
	for i, r := range rows {
		out[i] = DirectRule(r)
	}
	return out, nil
}

// AddDirectRule adds a runtime (or permanent) direct rule.
func (f *Firewalld) AddDirectRule(ctx context.Context, permanent bool, r DirectRule) error {
	if err := f.directCall(ctx, permanent, "addRule", []any{r.IPV, r.Table, r.Chain, r.Priority, nonNil(r.Args)}); err != nil {
		return fmt.Errorf("adding %s direct rule: %w", runtimeOrPermanent(permanent), err)
	}
	return nil
}

// RemoveDirectRule removes a runtime (or permanent) direct rule.
func (f *Firewalld) RemoveDirectRule(ctx context.Context, permanent bool, r DirectRule) error {
	if err := f.directCall(ctx, permanent, "removeRule", []any{r.IPV, r.Table, r.Chain, r.Priority, nonNil(r.Args)}); err != nil {
		return fmt.Errorf("removing %s direct rule: %w", runtimeOrPermanent(permanent), err)
	}
	return nil
}

func runtimeOrPermanent(permanent bool) string {
	if permanent {
		return "permanent"
	}
	return "runtime"
}

// nonNil sends an empty "as", never a nil that godbus cannot encode.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
