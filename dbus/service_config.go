package dbus

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// The permanent configuration mirrors firewalld's config objects: the config
// object finds the object of a zone or policy by name, and that object
// changes its permanent rules. firewalld numbers these objects; ours are
// named after the zone (escaped as systemd's sd_bus_path_encode does), so a
// path stays valid as long as the zone exists, whatever else comes and goes.

// configObject is interface ServiceConfigInterface on ServiceConfigPath.
type configObject struct{ s *Service }

// GetZoneByName returns the object path of a zone's permanent configuration.
func (o *configObject) GetZoneByName(name string) (godbus.ObjectPath, *godbus.Error) {
	if !slices.Contains(o.s.engine().Zones(), name) {
		return "", serviceError(&firewalld.Error{Code: firewalld.InvalidZone, Msg: name})
	}
	return ConfigZonePath(name), nil
}

// GetPolicyByName returns the object path of a policy's permanent
// configuration.
func (o *configObject) GetPolicyByName(name string) (godbus.ObjectPath, *godbus.Error) {
	if !slices.Contains(o.s.engine().Policies(), name) {
		return "", serviceError(&firewalld.Error{Code: firewalld.InvalidPolicy, Msg: name})
	}
	return ConfigPolicyPath(name), nil
}

// GetZoneNames lists the zones, sorted.
func (o *configObject) GetZoneNames() ([]string, *godbus.Error) {
	return o.s.engine().Zones(), nil
}

// GetPolicyNames lists the policies, sorted.
func (o *configObject) GetPolicyNames() ([]string, *godbus.Error) {
	return o.s.engine().Policies(), nil
}

// ConfigZonePath is the object of a zone's permanent configuration, as
// getZoneByName returns it.
func ConfigZonePath(zone string) godbus.ObjectPath {
	return serviceZonesPath + "/" + godbus.ObjectPath(escapePathElement(zone))
}

// ConfigPolicyPath is the object of a policy's permanent configuration, as
// getPolicyByName returns it.
func ConfigPolicyPath(policy string) godbus.ObjectPath {
	return servicePoliciesPath + "/" + godbus.ObjectPath(escapePathElement(policy))
}

// configRules is interface ServiceConfigZoneInterface (or, with policy,
// ServiceConfigPolicyInterface) on every object below serviceZonesPath (or
// servicePoliciesPath); the object path names the zone or policy. The
// signatures are firewalld's config.zone rich-rule methods.
type configRules struct {
	s      *Service
	policy bool
}

// AddRichRule adds a rule to the permanent configuration.
func (c *configRules) AddRichRule(sender godbus.Sender, msg godbus.Message, rule string) *godbus.Error {
	return c.change(sender, msg, "config addRichRule", rule, Core.AddPermanentRule)
}

// RemoveRichRule removes a rule from the permanent configuration.
func (c *configRules) RemoveRichRule(sender godbus.Sender, msg godbus.Message, rule string) *godbus.Error {
	return c.change(sender, msg, "config removeRichRule", rule, Core.RemovePermanentRule)
}

// change makes a permanent change for an authorized sender.
func (c *configRules) change(sender godbus.Sender, msg godbus.Message, what, rule string,
	op func(Core, context.Context, firewalld.Scope, string) (string, error)) *godbus.Error {
	t, derr := c.target(msg)
	if derr != nil {
		return derr
	}
	if err := c.s.authorize(sender); err != nil {
		return err
	}
	_, err := op(c.s.engine(), c.s.ctx, t, rule)
	return c.s.result(what, err)
}

// QueryRichRule reports whether the permanent configuration holds the rule.
func (c *configRules) QueryRichRule(msg godbus.Message, rule string) (bool, *godbus.Error) {
	t, derr := c.target(msg)
	if derr != nil {
		return false, derr
	}
	ok, err := c.s.engine().QueryPermanentRule(c.s.ctx, t, rule)
	return ok, c.s.result("config queryRichRule", err)
}

// GetRichRules lists the permanent rules in canonical form.
func (c *configRules) GetRichRules(msg godbus.Message) ([]string, *godbus.Error) {
	t, derr := c.target(msg)
	if derr != nil {
		return nil, derr
	}
	rules, err := c.s.engine().PermanentRules(c.s.ctx, t)
	return rules, c.s.result("config getRichRules", err)
}

// target decodes the zone or policy from the object path of the call.
func (c *configRules) target(msg godbus.Message) (firewalld.Scope, *godbus.Error) {
	path, _ := msg.Headers[godbus.FieldPath].Value().(godbus.ObjectPath)
	name, ok := nameOfPath(c.base(), path)
	if !ok {
		return firewalld.Scope{}, objectError(errUnknownObject, fmt.Sprintf("no %s object at %s", c.kind(), path))
	}
	return firewalld.Scope{Policy: c.policy, Name: name}, nil
}

func (c *configRules) base() godbus.ObjectPath { return configBase(c.policy) }

func (c *configRules) kind() string {
	if c.policy {
		return "policy"
	}
	return "zone"
}

func configBase(policy bool) godbus.ObjectPath {
	if policy {
		return servicePoliciesPath
	}
	return serviceZonesPath
}

// nameOfPath returns the zone or policy name of base/ELEMENT. The empty name
// is never valid here: to the Core it would mean the default zone.
func nameOfPath(base, path godbus.ObjectPath) (string, bool) {
	elem, ok := strings.CutPrefix(string(path), string(base)+"/")
	if !ok || strings.Contains(elem, "/") {
		return "", false
	}
	name, ok := unescapePathElement(elem)
	return name, ok && name != ""
}

// escapePathElement makes any name one valid object path element the way
// systemd's bus_label_escape does: letters, and digits other than the first
// character, stay; every other byte becomes _XX (lower-case hex); the empty
// name is "_".
func escapePathElement(name string) string {
	if name == "" {
		return "_"
	}
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isASCIILetter(c) || (i > 0 && '0' <= c && c <= '9') {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "_%02x", c)
	}
	return b.String()
}

// unescapePathElement reverses escapePathElement; only what it produces is
// accepted, so every name has exactly one path.
func unescapePathElement(elem string) (string, bool) {
	if elem == "_" {
		return "", true
	}
	var b strings.Builder
	for i := 0; i < len(elem); i++ {
		if elem[i] != '_' {
			b.WriteByte(elem[i])
			continue
		}
		if i+2 >= len(elem) {
			return "", false
		}
		n, err := strconv.ParseUint(elem[i+1:i+3], 16, 8)
		if err != nil {
			return "", false
		}
		b.WriteByte(byte(n))
		i += 2
	}
	name := b.String()
	return name, escapePathElement(name) == elem
}

func isASCIILetter(c byte) bool {
	return ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z')
}
