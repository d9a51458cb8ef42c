package dbus

import (
	"context"
	"errors"
	"fmt"
	"strings"

	godbus "github.com/godbus/dbus/v5"
)

// firewalld's bus name, object paths and interfaces (firewall/config/dbus.py).
const (
	fwBusName = "org.fedoraproject.FirewallD1"

	fwPath       godbus.ObjectPath = "/org/fedoraproject/FirewallD1"
	fwConfigPath godbus.ObjectPath = "/org/fedoraproject/FirewallD1/config"

	fwIface             = "org.fedoraproject.FirewallD1"
	fwZoneIface         = fwIface + ".zone"
	fwPolicyIface       = fwIface + ".policy"
	fwIPSetIface        = fwIface + ".ipset"
	fwConfigIface       = fwIface + ".config"
	fwConfigZoneIface   = fwConfigIface + ".zone"
	fwConfigPolicyIface = fwConfigIface + ".policy"

	propertiesIface = "org.freedesktop.DBus.Properties"
)

// Firewalld is a client of a running firewalld. It is safe for concurrent
// use; it holds no state besides the connection.
type Firewalld struct {
	conn *godbus.Conn
}

// NewFirewalld returns a client that calls firewalld over conn, a connection
// to the system bus that the caller owns and closes.
func NewFirewalld(conn *godbus.Conn) *Firewalld {
	return &Firewalld{conn: conn}
}

// Running reports whether firewalld owns its bus name and answers a call.
func (f *Firewalld) Running(ctx context.Context) bool {
	_, err := f.State(ctx)
	return err == nil
}

// State returns firewalld's "state" property: "INIT", "RUNNING" or "FAILED"
// (running, but its permanent configuration did not load).
func (f *Firewalld) State(ctx context.Context) (string, error) {
	return f.stringProperty(ctx, fwPath, fwIface, "state")
}

// Version returns firewalld's version, e.g. "1.3.3".
func (f *Firewalld) Version(ctx context.Context) (string, error) {
	return f.stringProperty(ctx, fwPath, fwIface, "version")
}

// Backend returns the FirewallBackend setting of firewalld.conf in lower
// case: "nftables" or "iptables".
func (f *Firewalld) Backend(ctx context.Context) (string, error) {
	b, err := f.stringProperty(ctx, fwConfigPath, fwConfigIface, "FirewallBackend")
	return strings.ToLower(b), err
}

// DefaultZone returns firewalld's runtime default zone.
func (f *Firewalld) DefaultZone(ctx context.Context) (string, error) {
	var zone string
	err := f.call(ctx, fwPath, fwIface, "getDefaultZone", nil, &zone)
	return zone, err
}

// Reload makes firewalld drop its runtime configuration and load the
// permanent one; firewalld emits Reloaded when the rules are in place.
func (f *Firewalld) Reload(ctx context.Context) error {
	return f.call(ctx, fwPath, fwIface, "reload", nil)
}

// RuntimeToPermanent makes firewalld save its runtime configuration as the
// permanent one.
func (f *Firewalld) RuntimeToPermanent(ctx context.Context) error {
	return f.call(ctx, fwPath, fwIface, "runtimeToPermanent", nil)
}

func (f *Firewalld) stringProperty(ctx context.Context, path godbus.ObjectPath, iface, name string) (string, error) {
	var v godbus.Variant
	if err := f.call(ctx, path, propertiesIface, "Get", []any{iface, name}, &v); err != nil {
		return "", err
	}
	s, ok := v.Value().(string)
	if !ok {
		return "", fmt.Errorf("firewalld property %s.%s: got %s, want a string", iface, name, v.Signature())
	}
	return s, nil
}

// call calls firewalld's method iface.method on path and stores the reply in
// out. NoAutoStart: asking firewalld something must never start it.
func (f *Firewalld) call(ctx context.Context, path godbus.ObjectPath, iface, method string, args []any, out ...any) error {
	c := f.conn.Object(fwBusName, path).CallWithContext(ctx, iface+"."+method, godbus.FlagNoAutoStart, args...)
	if c.Err != nil {
		return fmt.Errorf("firewalld %s: %w", describeCall(iface, method, args), mapError(c.Err))
	}
	if len(out) == 0 {
		return nil
	}
	if err := c.Store(out...); err != nil {
		return fmt.Errorf("firewalld %s: decoding the reply: %w", describeCall(iface, method, args), err)
	}
	return nil
}

// describeCall names a call for an error message, e.g.
// config.zone.addRichRule("rule ..."), with firewalld's interfaces relative
// to org.fedoraproject.FirewallD1.
func describeCall(iface, method string, args []any) string {
	name := iface + "." + method
	if iface == fwIface {
		name = method
	} else if rel, ok := strings.CutPrefix(iface, fwIface+"."); ok {
		name = rel + "." + method
	}
	return name + formatArgs(args)
}

func formatArgs(args []any) string {
	parts := make([]string, len(args))
	for i, a := range args {
		if s, ok := a.(string); ok {
			parts[i] = fmt.Sprintf("%q", s)
		} else {
			parts[i] = fmt.Sprint(a)
		}
	}
	return "(" + strings.Join(parts, ", ") + ")"
}

// isUnknownMethod reports whether err says firewalld has no such method or
// interface, as firewalld < 0.9 answers for policies.
func isUnknownMethod(err error) bool {
	var de godbus.Error
	if !errors.As(err, &de) {
		return false
	}
	switch de.Name {
	case "org.freedesktop.DBus.Error.UnknownMethod", "org.freedesktop.DBus.Error.UnknownInterface",
		"org.freedesktop.DBus.Error.UnknownObject":
		return true
	}
	return false
}
