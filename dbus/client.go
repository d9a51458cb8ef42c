package dbus

import (
	"context"
	"fmt"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// Client is the one client of mssclampd's D-Bus API (this package's
// Service), for mssclamp-cmd and --migrate-direct: the runtime rules on
// ServicePath, the permanent ones on the objects the config object's
// getZoneByName and getPolicyByName return. Errors are *firewalld.Error
// with mssclampd's code and text; mssclampd missing from the bus is
// ErrServiceNotRunning. Calls never start the daemon (NoAutoStart): a
// client does not start it behind the administrator's back.
type Client struct {
	conn *godbus.Conn
}

// NewClient returns a client of mssclampd on conn.
func NewClient(conn *godbus.Conn) *Client { return &Client{conn: conn} }

// ErrServiceNotRunning is mssclampd missing from the bus.
var ErrServiceNotRunning = firewalld.Errorf(firewalld.NotRunning, "mssclampd is not running (no %s on the system bus)", ServiceName)

// Running reports whether mssclampd owns its name. It asks the bus, which
// answers without waking or waiting for anyone.
func (c *Client) Running(ctx context.Context) (bool, error) {
	var has bool
	err := c.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, ServiceName).Store(&has)
	if err != nil {
		return false, firewalld.Errorf(firewalld.NotRunning, "asking the system bus for %s: %v", ServiceName, err)
	}
	return has, nil
}

func (c *Client) call(ctx context.Context, path godbus.ObjectPath, method string, args []any, out ...any) error {
	call := c.conn.Object(ServiceName, path).CallWithContext(ctx, method, godbus.FlagNoAutoStart, args...)
	if call.Err != nil {
		return mapServiceError(call.Err)
	}
	if len(out) == 0 {
		return nil
	}
	if err := call.Store(out...); err != nil {
		return firewalld.Unknown(fmt.Sprintf("%s: decoding mssclampd's reply: %v", method, err))
	}
	return nil
}

// Property reads one of the main object's string properties.
func (c *Client) Property(ctx context.Context, name string) (string, error) {
	var v godbus.Variant
	if err := c.call(ctx, ServicePath, "org.freedesktop.DBus.Properties.Get", []any{ServiceInterface, name}, &v); err != nil {
		return "", err
	}
	s, _ := v.Value().(string)
	return s, nil
}

func (c *Client) DefaultZone(ctx context.Context) (string, error) {
	var zone string
	err := c.call(ctx, ServicePath, ServiceInterface+".getDefaultZone", nil, &zone)
	return zone, err
}

func (c *Client) Reload(ctx context.Context) error {
	return c.call(ctx, ServicePath, ServiceInterface+".reload", nil)
}

func (c *Client) RuntimeToPermanent(ctx context.Context) error {
	return c.call(ctx, ServicePath, ServiceInterface+".runtimeToPermanent", nil)
}

func (c *Client) BackendRules(ctx context.Context) (string, error) {
	var text string
	err := c.call(ctx, ServicePath, ServiceInterface+".getBackendRules", nil, &text)
	return text, err
}

// runtimeIface is the runtime interface for s's kind.
func runtimeIface(s firewalld.Scope) string {
	if s.Policy {
		return ServicePolicyInterface
	}
	return ServiceZoneInterface
}

// configObject finds the object of s's permanent configuration; like
// firewall-cmd, the permanent "default zone" is the runtime default zone.
func (c *Client) configObject(ctx context.Context, s firewalld.Scope) (godbus.ObjectPath, string, error) {
	find, iface := "getZoneByName", ServiceConfigZoneInterface
	if s.Policy {
		find, iface = "getPolicyByName", ServiceConfigPolicyInterface
	} else if s.Name == "" {
		var err error
		if s.Name, err = c.DefaultZone(ctx); err != nil {
			return "", "", err
		}
	}
	var path godbus.ObjectPath
	err := c.call(ctx, ServiceConfigPath, ServiceConfigInterface+"."+find, []any{s.Name}, &path)
	return path, iface, err
}

// ruleCall calls a rich-rule method on s: runtime with the zone or policy
// name first (and extra after the rule), permanent on the config object.
func (c *Client) ruleCall(ctx context.Context, s firewalld.Scope, permanent bool, method string, args []any, out ...any) error {
	if !permanent {
		return c.call(ctx, ServicePath, runtimeIface(s)+"."+method, append([]any{s.Name}, args...), out...)
	}
	path, iface, err := c.configObject(ctx, s)
	if err != nil {
		return err
	}
	return c.call(ctx, path, iface+"."+method, args[:min(len(args), 1)], out...)
}

// AddRule adds rule to s, at runtime or permanently.
func (c *Client) AddRule(ctx context.Context, s firewalld.Scope, permanent bool, rule string) error {
	return c.AddTimedRule(ctx, s, permanent, rule, 0)
}

// AddTimedRule adds rule to s; a runtime rule with timeout > 0 seconds
// goes again after that long.
func (c *Client) AddTimedRule(ctx context.Context, s firewalld.Scope, permanent bool, rule string, timeout int32) error {
	if permanent {
		return c.ruleCall(ctx, s, true, "addRichRule", []any{rule})
	}
	var applied string
	return c.ruleCall(ctx, s, false, "addRichRule", []any{rule, timeout}, &applied)
}

func (c *Client) RemoveRule(ctx context.Context, s firewalld.Scope, permanent bool, rule string) error {
	if permanent {
		return c.ruleCall(ctx, s, true, "removeRichRule", []any{rule})
	}
	var applied string
	return c.ruleCall(ctx, s, false, "removeRichRule", []any{rule}, &applied)
}

func (c *Client) QueryRule(ctx context.Context, s firewalld.Scope, permanent bool, rule string) (bool, error) {
	var found bool
	err := c.ruleCall(ctx, s, permanent, "queryRichRule", []any{rule}, &found)
	return found, err
}

// Rules lists s's rules in canonical form; it fails when s does not exist.
func (c *Client) Rules(ctx context.Context, s firewalld.Scope, permanent bool) ([]string, error) {
	var rules []string
	err := c.ruleCall(ctx, s, permanent, "getRichRules", nil, &rules)
	return rules, err
}

// Scopes lists the zones, then the policies, mssclampd has at runtime.
func (c *Client) Scopes(ctx context.Context) ([]firewalld.Scope, error) {
	var out []firewalld.Scope
	for _, policy := range []bool{false, true} {
		method := ServiceZoneInterface + ".getZones"
		if policy {
			method = ServicePolicyInterface + ".getPolicies"
		}
		var names []string
		if err := c.call(ctx, ServicePath, method, nil, &names); err != nil {
			return nil, err
		}
		for _, name := range names {
			out = append(out, firewalld.Scope{Policy: policy, Name: name})
		}
	}
	return out, nil
}

// RuleCounter is one element of getRichRuleCounters' a(stt).
type RuleCounter struct {
	Rule    string
	Packets uint64
	Bytes   uint64
}

// Counters lists s's runtime rules with what the kernel counted for each.
func (c *Client) Counters(ctx context.Context, s firewalld.Scope) ([]RuleCounter, error) {
	var rows []RuleCounter
	err := c.call(ctx, ServicePath, runtimeIface(s)+".getRichRuleCounters", []any{s.Name}, &rows)
	return rows, err
}

// Exists fails when s does not exist for mssclampd.
func (c *Client) Exists(ctx context.Context, s firewalld.Scope, permanent bool) error {
	if permanent {
		_, _, err := c.configObject(ctx, s)
		return err
	}
	_, err := c.Rules(ctx, s, false)
	return err
}
