package dbus

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// svcFixture is the service over a fakeCore on a private bus with the real
// system-bus policy plus our dist/ busconfig, so that who may own and call
// is decided exactly as on a real system.
type svcFixture struct {
	bus    *systest.Bus
	core   *fakeCore
	svc    *Service
	client *godbus.Conn // a root client
}

// startService needs root (dbus-daemon with the system policy; only root may
// own our name). extraConfigDirs are more busconfig directories.
func startService(t testing.TB, extraConfigDirs ...string) *svcFixture {
	t.Helper()
	systest.RequireRoot(t)
	dist, err := filepath.Abs("../dist/dbus-1/system.d")
	if err != nil {
		t.Fatal(err)
	}
	bus := systest.StartBus(t, systest.BusOptions{SystemPolicy: true, ConfigDirs: append([]string{dist}, extraConfigDirs...)})
	core := newFakeCore()
	svc := NewService(bus.Conn(t), Info{Version: "1.2.3", Backend: "nftables"}, nil)
	core.listener = svc
	if err := svc.Serve(core); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	t.Cleanup(func() { svc.Close() })
	return &svcFixture{bus: bus, core: core, svc: svc, client: bus.Conn(t)}
}

// call calls iface.method on our object at path and stores the reply in out.
func call(conn *godbus.Conn, path godbus.ObjectPath, iface, method string, args []any, out ...any) error {
	c := conn.Object(ServiceName, path).Call(iface+"."+method, 0, args...)
	if c.Err != nil || len(out) == 0 {
		return c.Err
	}
	return c.Store(out...)
}

// checkBusErr fails unless err is the D-Bus error of code whose text
// contains detail.
func checkBusErr(t *testing.T, what string, err error, code firewalld.Code, detail string) {
	t.Helper()
	de, ok := err.(godbus.Error)
	if !ok {
		t.Errorf("%s: got %v (%T), want D-Bus error %s", what, err, err, ErrorName(code))
		return
	}
	text, _ := de.Body[0].(string)
	if de.Name != ErrorName(code) || len(de.Body) != 1 || !strings.HasPrefix(text, code.Name()) || !strings.Contains(text, detail) {
		t.Errorf("%s: got %s %q, want %s with %q", what, de.Name, de.Body, ErrorName(code), detail)
	}
}

func args(a ...any) []any { return a }

// busCall is one method call with the reply it must get: a value (want, of
// the reply's Go type) or an error code.
type busCall struct {
	path     godbus.ObjectPath
	iface    string
	method   string
	args     []any
	want     any // nil: no reply body
	wantCode firewalld.Code
	wantText string
}

func (c busCall) run(t *testing.T, conn *godbus.Conn) {
	t.Helper()
	what := c.iface + "." + c.method + fmt.Sprint(c.args)
	if c.wantCode != 0 {
		checkBusErr(t, what, call(conn, c.path, c.iface, c.method, c.args), c.wantCode, c.wantText)
		return
	}
	if c.want == nil {
		if err := call(conn, c.path, c.iface, c.method, c.args); err != nil {
			t.Errorf("%s: %v", what, err)
		}
		return
	}
	got := reflect.New(reflect.TypeOf(c.want))
	if err := call(conn, c.path, c.iface, c.method, c.args, got.Interface()); err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if !reflect.DeepEqual(got.Elem().Interface(), c.want) {
		t.Errorf("%s = %#v, want %#v", what, got.Elem().Interface(), c.want)
	}
}

func TestServiceBusMethods(t *testing.T) {
	f := startService(t)
	const (
		p, zi, pi   = ServicePath, ServiceZoneInterface, ServicePolicyInterface
		ci, czi, cp = ServiceConfigInterface, ServiceConfigZoneInterface, ServiceConfigPolicyInterface
	)
	myZone, allowOut := ConfigZonePath("my-zone"), ConfigPolicyPath("allow-out")
	for _, c := range []busCall{
		{path: p, iface: ServiceInterface, method: "getDefaultZone", want: "public"},
		{path: p, iface: ServiceInterface, method: "getBackendRules", want: "table inet mssclamp {\n}\n"},

		{path: p, iface: zi, method: "getZones", want: []string{"internal", "my-zone", "public"}},
		{path: p, iface: zi, method: "addRichRule", args: args("", "rule A", int32(0)), want: "public"},
		{path: p, iface: zi, method: "addRichRule", args: args("public", "rule A", int32(0)), wantCode: firewalld.AlreadyEnabled, wantText: "'rule A' already in 'public'"},
		{path: p, iface: zi, method: "addRichRule", args: args("internal", "rule B", int32(60)), want: "internal"},
		{path: p, iface: zi, method: "addRichRule", args: args("nope", "rule A", int32(0)), wantCode: firewalld.InvalidZone, wantText: "nope"},
		{path: p, iface: zi, method: "addRichRule", args: args("", "bad rule", int32(0)), wantCode: firewalld.InvalidRule, wantText: "'bad rule' is not a rule"},
		{path: p, iface: zi, method: "addRichRule", args: args("", "broken rule", int32(0)), wantCode: firewalld.CommandFailed, wantText: "the kernel said no"},
		{path: p, iface: zi, method: "addRichRule", args: args("", "rule C", int32(-5)), wantCode: firewalld.InvalidValue, wantText: "timeout '-5' is not positive number"},
		{path: p, iface: zi, method: "queryRichRule", args: args("", "rule A"), want: true},
		{path: p, iface: zi, method: "queryRichRule", args: args("internal", "rule A"), want: false},
		{path: p, iface: zi, method: "getRichRules", args: args(""), want: []string{"rule A"}},
		{path: p, iface: zi, method: "getRichRuleCounters", args: args("internal"), want: []ruleCounter{{"rule B", 10, 1000}}},
		{path: p, iface: zi, method: "removeRichRule", args: args("", "rule A"), want: "public"},
		{path: p, iface: zi, method: "removeRichRule", args: args("", "rule A"), wantCode: firewalld.NotEnabled, wantText: "'rule A' not in 'public'"},
		{path: p, iface: zi, method: "getRichRules", args: args("public"), want: []string{}},

		{path: p, iface: pi, method: "getPolicies", want: []string{"allow-out"}},
		{path: p, iface: pi, method: "addRichRule", args: args("allow-out", "rule P", int32(0)), want: "allow-out"},
		{path: p, iface: pi, method: "addRichRule", args: args("", "rule P", int32(0)), wantCode: firewalld.InvalidPolicy},
		{path: p, iface: pi, method: "queryRichRule", args: args("allow-out", "rule P"), want: true},
		{path: p, iface: pi, method: "getRichRules", args: args("allow-out"), want: []string{"rule P"}},
		{path: p, iface: pi, method: "getRichRuleCounters", args: args("allow-out"), want: []ruleCounter{{"rule P", 10, 1000}}},
		{path: p, iface: pi, method: "removeRichRule", args: args("allow-out", "rule P"), want: "allow-out"},
		{path: p, iface: pi, method: "removeRichRule", args: args("public", "rule P"), wantCode: firewalld.InvalidPolicy, wantText: "public"},

		{path: ServiceConfigPath, iface: ci, method: "getZoneNames", want: []string{"internal", "my-zone", "public"}},
		{path: ServiceConfigPath, iface: ci, method: "getPolicyNames", want: []string{"allow-out"}},
		{path: ServiceConfigPath, iface: ci, method: "getZoneByName", args: args("my-zone"), want: myZone},
		{path: ServiceConfigPath, iface: ci, method: "getZoneByName", args: args("nope"), wantCode: firewalld.InvalidZone, wantText: "nope"},
		{path: ServiceConfigPath, iface: ci, method: "getPolicyByName", args: args("allow-out"), want: allowOut},
		{path: ServiceConfigPath, iface: ci, method: "getPolicyByName", args: args("nope"), wantCode: firewalld.InvalidPolicy, wantText: "nope"},
		{path: myZone, iface: czi, method: "addRichRule", args: args("rule K")},
		{path: myZone, iface: czi, method: "addRichRule", args: args("rule K"), wantCode: firewalld.AlreadyEnabled, wantText: "'rule K' already in 'my-zone'"},
		{path: myZone, iface: czi, method: "queryRichRule", args: args("rule K"), want: true},
		{path: myZone, iface: czi, method: "getRichRules", want: []string{"rule K"}},
		{path: allowOut, iface: cp, method: "addRichRule", args: args("rule Q")},
		{path: allowOut, iface: cp, method: "getRichRules", want: []string{"rule Q"}},
		{path: allowOut, iface: cp, method: "queryRichRule", args: args("rule K"), want: false},
		{path: allowOut, iface: cp, method: "removeRichRule", args: args("rule Q")},
		{path: allowOut, iface: cp, method: "removeRichRule", args: args("rule Q"), wantCode: firewalld.NotEnabled, wantText: "'rule Q' not in 'allow-out'"},
		{path: ConfigZonePath("nope"), iface: czi, method: "getRichRules", wantCode: firewalld.InvalidZone, wantText: "nope"},

		// Permanent has rule K in my-zone; runtime has rule B in internal.
		{path: p, iface: ServiceInterface, method: "reload"},
		{path: p, iface: zi, method: "getRichRules", args: args("my-zone"), want: []string{"rule K"}},
		{path: p, iface: zi, method: "getRichRules", args: args("internal"), want: []string{}},
		{path: p, iface: zi, method: "addRichRule", args: args("internal", "rule R", int32(0)), want: "internal"},
		{path: p, iface: ServiceInterface, method: "runtimeToPermanent"},
		{path: myZone, iface: czi, method: "removeRichRule", args: args("rule K")},
		{path: ConfigZonePath("internal"), iface: czi, method: "getRichRules", want: []string{"rule R"}},
	} {
		c.run(t, f.client)
	}

	t.Run("properties", func(t *testing.T) {
		var all map[string]godbus.Variant
		if err := call(f.client, p, propertiesIface, "GetAll", args(ServiceInterface), &all); err != nil {
			t.Fatal(err)
		}
		want := map[string]godbus.Variant{
			"version": godbus.MakeVariant("1.2.3"), "state": godbus.MakeVariant("RUNNING"),
			"mode": godbus.MakeVariant("standalone"), "backend": godbus.MakeVariant("nftables"),
		}
		if !reflect.DeepEqual(all, want) {
			t.Errorf("GetAll = %v, want %v", all, want)
		}
		v, err := f.client.Object(ServiceName, p).GetProperty(ServiceInterface + ".backend")
		if err != nil || v.Value() != "nftables" {
			t.Errorf("Get(backend) = %v, %v", v, err)
		}
		err = f.client.Object(ServiceName, p).SetProperty(ServiceInterface+".mode", godbus.MakeVariant("x"))
		if de, ok := err.(godbus.Error); !ok || de.Name != errPropertyReadOnly {
			t.Errorf("Set(mode): %v, want %s", err, errPropertyReadOnly)
		}
	})

	t.Run("wrong arguments", func(t *testing.T) {
		err := call(f.client, p, zi, "addRichRule", args("public", "rule A", "ten"))
		if de, ok := err.(godbus.Error); !ok || de.Name != "org.freedesktop.DBus.Error.InvalidArgs" {
			t.Errorf("addRichRule(ss s): %v, want InvalidArgs", err)
		}
		err = call(f.client, serviceZonesPath, czi, "getRichRules", nil)
		if de, ok := err.(godbus.Error); !ok || de.Name != errUnknownObject {
			t.Errorf("getRichRules on %s: %v, want %s", serviceZonesPath, err, errUnknownObject)
		}
	})
}

// TestServiceBusIntrospection: what the running service introspects is the
// committed XML, and the tree can be walked from "/".
func TestServiceBusIntrospection(t *testing.T) {
	f := startService(t)
	introspectAt := func(path godbus.ObjectPath) string {
		t.Helper()
		var xml string
		if err := call(f.client, path, introspectableIface, "Introspect", nil, &xml); err != nil {
			t.Fatalf("Introspect %s: %v", path, err)
		}
		return xml
	}
	for _, c := range []struct {
		path godbus.ObjectPath
		file string
	}{
		{ServicePath, "introspect_root.xml"},
		{ServiceConfigPath, "introspect_config.xml"},
		{ConfigZonePath("my-zone"), "introspect_config_zone.xml"},
		{ConfigPolicyPath("allow-out"), "introspect_config_policy.xml"},
	} {
		want, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		if got := introspectAt(c.path); got != string(want) {
			t.Errorf("%s introspects as\n%s\nwant %s:\n%s", c.path, got, c.file, want)
		}
	}
	for path, child := range map[godbus.ObjectPath]string{
		"/":                 `<node name="org"/>`,
		"/org/mssclamp":     `<node name="MssClamp1"/>`,
		serviceZonesPath:    `<node name="my_2dzone"></node>`,
		servicePoliciesPath: `<node name="allow_2dout"></node>`,
	} {
		if got := introspectAt(path); !strings.Contains(got, child) {
			t.Errorf("%s introspects as\n%s\nwant a child %s", path, got, child)
		}
	}
}

func TestServiceBusSignals(t *testing.T) {
	f := startService(t)
	sigs := make(chan *godbus.Signal, 64)
	f.client.Signal(sigs)
	if err := f.client.AddMatchSignal(godbus.WithMatchObjectPath(ServicePath)); err != nil {
		t.Fatal(err)
	}
	// The bus also sends NameAcquired for the client's own name.
	next := func(what string, wait time.Duration) *godbus.Signal {
		t.Helper()
		for {
			select {
			case s := <-sigs:
				if s.Path == ServicePath {
					return s
				}
			case <-time.After(wait):
				return nil
			}
		}
	}
	for _, st := range []struct {
		do       func() error
		wantName string
		wantBody []any
	}{
		{func() error {
			return call(f.client, ServicePath, ServiceZoneInterface, "addRichRule", args("", "rule S", int32(7)))
		},
			ServiceZoneInterface + ".RichRuleAdded", args("public", "rule S", int32(7))},
		{func() error {
			return call(f.client, ServicePath, ServiceZoneInterface, "removeRichRule", args("", "rule S"))
		},
			ServiceZoneInterface + ".RichRuleRemoved", args("public", "rule S")},
		{func() error {
			return call(f.client, ServicePath, ServicePolicyInterface, "addRichRule", args("allow-out", "rule T", int32(0)))
		}, ServicePolicyInterface + ".RichRuleAdded", args("allow-out", "rule T", int32(0))},
		{func() error {
			return call(f.client, ServicePath, ServicePolicyInterface, "removeRichRule", args("allow-out", "rule T"))
		},
			ServicePolicyInterface + ".RichRuleRemoved", args("allow-out", "rule T")},
		{func() error { return call(f.client, ServicePath, ServiceInterface, "reload", nil) },
			ServiceInterface + ".Reloaded", nil},
		{func() error { f.core.setMode("firewalld"); f.svc.ModeChanged(); return nil },
			propertiesIface + ".PropertiesChanged",
			args(ServiceInterface, map[string]godbus.Variant{"mode": godbus.MakeVariant("firewalld")}, []string{})},
	} {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.wantName, err)
		}
		s := next(st.wantName, 5*time.Second)
		if s == nil {
			t.Fatalf("no signal %s", st.wantName)
		}
		if s.Name != st.wantName || s.Path != ServicePath || !reflect.DeepEqual(s.Body, st.wantBody) {
			t.Errorf("signal %s %s %#v, want %s %#v", s.Path, s.Name, s.Body, st.wantName, st.wantBody)
		}
	}
	// Refused calls change nothing and signal nothing.
	_ = call(f.client, ServicePath, ServiceZoneInterface, "removeRichRule", args("", "rule S"))
	if s := next("nothing", 100*time.Millisecond); s != nil {
		t.Errorf("unexpected signal %s %v", s.Name, s.Body)
	}
}

// TestServiceBusName: one owner at a time, and Close gives the name back.
func TestServiceBusName(t *testing.T) {
	f := startService(t)
	reply, err := f.bus.Conn(t).RequestName(ServiceName, godbus.NameFlagDoNotQueue|godbus.NameFlagReplaceExisting)
	if err != nil || reply != godbus.RequestNameReplyExists {
		t.Errorf("another root connection took the name: reply %v, err %v", reply, err)
	}
	second := NewService(f.bus.Conn(t), Info{}, nil)
	if err := second.Serve(newFakeCore()); err == nil || !strings.Contains(err.Error(), "another mssclampd") {
		t.Errorf("a second service: %v, want refused", err)
	}
	if err := f.svc.Close(); err != nil {
		t.Fatal(err)
	}
	var owned bool
	if err := f.client.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, ServiceName).Store(&owned); err != nil || owned {
		t.Errorf("after Close: NameHasOwner = %v, %v", owned, err)
	}
	third := NewService(f.bus.Conn(t), Info{}, nil)
	if err := third.Serve(newFakeCore()); err != nil {
		t.Errorf("after Close, another service cannot have the name: %v", err)
	}
	t.Cleanup(func() { third.Close() })
}
