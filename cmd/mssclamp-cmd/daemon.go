package main

import (
	"context"
	"errors"
	"fmt"
	"strings"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// daemon is a client of mssclampd's D-Bus API (see package dbus): the
// runtime rules on mdbus.ServicePath, the permanent ones on the objects
// that config's getZoneByName and getPolicyByName return.
type daemon struct {
	conn *godbus.Conn
}

// errOursNotRunning is mssclampd missing from the bus.
var errOursNotRunning = firewalld.Errorf(firewalld.NotRunning, "mssclampd is not running (no %s on the system bus)", mdbus.ServiceName)

// running reports whether mssclampd owns its name. It asks the bus, which
// answers without waking or waiting for anyone.
func (d *daemon) running(ctx context.Context) (bool, error) {
	var has bool
	err := d.conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, mdbus.ServiceName).Store(&has)
	if err != nil {
		return false, firewalld.Errorf(firewalld.NotRunning, "asking the system bus for %s: %v", mdbus.ServiceName, err)
	}
	return has, nil
}

// call calls mssclampd and maps what it says to a *firewalld.Error. NoAutoStart:
// a client never starts the daemon behind the administrator's back.
func (d *daemon) call(ctx context.Context, path godbus.ObjectPath, method string, args []any, out ...any) error {
	c := d.conn.Object(mdbus.ServiceName, path).CallWithContext(ctx, method, godbus.FlagNoAutoStart, args...)
	if c.Err != nil {
		return mapDaemonError(c.Err)
	}
	if len(out) == 0 {
		return nil
	}
	if err := c.Store(out...); err != nil {
		return firewalld.Unknown(fmt.Sprintf("%s: decoding mssclampd's reply: %v", method, err))
	}
	return nil
}

// mapDaemonError reads mssclampd's errors: the code is in the error name
// (mdbus.ServiceErrorPrefix + CODE) and the text is firewalld's "CODE:
// detail". The bus's own errors mean mssclampd is gone, or that the bus
// policy kept us from asking.
func mapDaemonError(err error) error {
	var de godbus.Error
	if !errors.As(err, &de) {
		return firewalld.Unknown("calling mssclampd: " + err.Error())
	}
	text := de.Name
	if len(de.Body) > 0 {
		if s, ok := de.Body[0].(string); ok {
			text = s
		}
	}
	if name, ok := strings.CutPrefix(de.Name, mdbus.ServiceErrorPrefix); ok {
		code, known := firewalld.CodeByName(name)
		if !known {
			return firewalld.Parse(text)
		}
		if !strings.HasPrefix(text, name) {
			text = name + ": " + text
		}
		return coded(code, text)
	}
	switch de.Name {
	case "org.freedesktop.DBus.Error.ServiceUnknown", "org.freedesktop.DBus.Error.NameHasNoOwner",
		"org.freedesktop.DBus.Error.NoReply":
		return errOursNotRunning
	case "org.freedesktop.DBus.Error.AccessDenied":
		return firewalld.Errorf(firewalld.NotAuthorized, "%s", text)
	}
	return firewalld.Unknown(text)
}

func (d *daemon) property(ctx context.Context, name string) (string, error) {
	var v godbus.Variant
	if err := d.call(ctx, mdbus.ServicePath, "org.freedesktop.DBus.Properties.Get", []any{mdbus.ServiceInterface, name}, &v); err != nil {
		return "", err
	}
	s, _ := v.Value().(string)
	return s, nil
}

func (d *daemon) defaultZone(ctx context.Context) (string, error) {
	var zone string
	err := d.call(ctx, mdbus.ServicePath, mdbus.ServiceInterface+".getDefaultZone", nil, &zone)
	return zone, err
}

func (d *daemon) reload(ctx context.Context) error {
	return d.call(ctx, mdbus.ServicePath, mdbus.ServiceInterface+".reload", nil)
}

func (d *daemon) runtimeToPermanent(ctx context.Context) error {
	return d.call(ctx, mdbus.ServicePath, mdbus.ServiceInterface+".runtimeToPermanent", nil)
}

func (d *daemon) backendRules(ctx context.Context) (string, error) {
	var text string
	err := d.call(ctx, mdbus.ServicePath, mdbus.ServiceInterface+".getBackendRules", nil, &text)
	return text, err
}

// runtimeIface is the runtime interface for t's kind.
func runtimeIface(t target) string {
	if t.Policy {
		return mdbus.ServicePolicyInterface
	}
	return mdbus.ServiceZoneInterface
}

// configObject finds the object of t's permanent configuration; like
// firewall-cmd, the permanent "default zone" is the runtime default zone.
func (d *daemon) configObject(ctx context.Context, t target) (godbus.ObjectPath, string, error) {
	var path godbus.ObjectPath
	if t.Policy {
		err := d.call(ctx, mdbus.ServiceConfigPath, mdbus.ServiceConfigInterface+".getPolicyByName", []any{t.Name}, &path)
		return path, mdbus.ServiceConfigPolicyInterface, err
	}
	zone := t.Name
	if zone == "" {
		var err error
		if zone, err = d.defaultZone(ctx); err != nil {
			return "", "", err
		}
	}
	err := d.call(ctx, mdbus.ServiceConfigPath, mdbus.ServiceConfigInterface+".getZoneByName", []any{zone}, &path)
	return path, mdbus.ServiceConfigZoneInterface, err
}

// ruleCall calls a rich-rule method on t: runtime with the zone or policy
// name first (and extra after the rule), permanent on the config object.
func (d *daemon) ruleCall(ctx context.Context, t target, method string, rule string, extra []any, out ...any) error {
	if !t.permanent {
		args := append([]any{t.Name, rule}, extra...)
		return d.call(ctx, mdbus.ServicePath, runtimeIface(t)+"."+method, args, out...)
	}
	path, iface, err := d.configObject(ctx, t)
	if err != nil {
		return err
	}
	return d.call(ctx, path, iface+"."+method, []any{rule}, out...)
}

func (d *daemon) add(ctx context.Context, t target, r ruleArg, timeout int32) error {
	var extra []any
	if !t.permanent {
		extra = []any{timeout}
	}
	var applied string
	out := []any{&applied}
	if t.permanent {
		out = nil
	}
	return warningAsFirewalld(d.ruleCall(ctx, t, "addRichRule", r.typed, extra, out...), t, r)
}

func (d *daemon) remove(ctx context.Context, t target, r ruleArg) error {
	var applied string
	out := []any{&applied}
	if t.permanent {
		out = nil
	}
	return warningAsFirewalld(d.ruleCall(ctx, t, "removeRichRule", r.typed, nil, out...), t, r)
}

func (d *daemon) query(ctx context.Context, t target, r ruleArg) (bool, error) {
	var found bool
	err := d.ruleCall(ctx, t, "queryRichRule", r.typed, nil, &found)
	return found, err
}

// warningAsFirewalld words ALREADY_ENABLED and NOT_ENABLED as firewall-cmd
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

// counterRow is one element of getRichRuleCounters' a(stt).
type counterRow struct {
	Rule    string
	Packets uint64
	Bytes   uint64
}

// list returns t's rules; counters (runtime only) adds what the kernel
// counted for each.
func (d *daemon) list(ctx context.Context, t target, counters bool) ([]listed, error) {
	var out []listed
	if counters && !t.permanent {
		var rows []counterRow
		if err := d.call(ctx, mdbus.ServicePath, runtimeIface(t)+".getRichRuleCounters", []any{t.Name}, &rows); err != nil {
			return nil, err
		}
		for _, r := range rows {
			out = append(out, listed{rule: r.Rule, owner: ownerOurs, counter: &backend.Counter{Packets: r.Packets, Bytes: r.Bytes}})
		}
		return out, nil
	}
	var rules []string
	var err error
	if t.permanent {
		var path godbus.ObjectPath
		var iface string
		if path, iface, err = d.configObject(ctx, t); err == nil {
			err = d.call(ctx, path, iface+".getRichRules", nil, &rules)
		}
	} else {
		err = d.call(ctx, mdbus.ServicePath, runtimeIface(t)+".getRichRules", []any{t.Name}, &rules)
	}
	if err != nil {
		return nil, err
	}
	for _, r := range rules {
		out = append(out, listed{rule: r, owner: ownerOurs})
	}
	return out, nil
}

// check fails when t does not exist for mssclampd.
func (d *daemon) check(ctx context.Context, t target) error {
	if t.permanent {
		_, _, err := d.configObject(ctx, t)
		return err
	}
	_, err := d.list(ctx, t, false)
	return err
}
