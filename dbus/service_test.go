package dbus

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

var _ Core = (*fakeCore)(nil)

// newTestService is a service over core that is not on any bus: its handlers
// are called as Go methods. auth nil lets every caller change everything.
func newTestService(t *testing.T, core Core, auth *authorizer) *Service {
	t.Helper()
	if auth == nil {
		auth = fakeAuthorizer(0, nil, false, errNoPolkit)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return &Service{
		info:   Info{Version: "1.2.3", Backend: "nftables"},
		log:    slog.New(slog.DiscardHandler),
		auth:   auth,
		ctx:    ctx,
		cancel: cancel,
		core:   core,
	}
}

// at is a call's message as godbus gives it to a subtree handler.
func at(p godbus.ObjectPath) godbus.Message {
	return godbus.Message{Headers: map[godbus.HeaderField]godbus.Variant{godbus.FieldPath: godbus.MakeVariant(p)}}
}

// checkErr fails unless got is the service's error for code, with the
// engine's "CODE: detail" text containing detail.
func checkErr(t *testing.T, got *godbus.Error, code firewalld.Code, detail string) {
	t.Helper()
	if got == nil {
		t.Fatalf("no error, want %s", code.Name())
	}
	if got.Name != ErrorName(code) {
		t.Fatalf("error name %q, want %q (body %v)", got.Name, ErrorName(code), got.Body)
	}
	text, _ := got.Body[0].(string)
	if text == code.Name() && detail == "" {
		return // firewalld's text for a code without detail
	}
	if len(got.Body) != 1 || !strings.HasPrefix(text, code.Name()+": ") || !strings.Contains(text, detail) {
		t.Fatalf("error body %q, want one string \"%s: …%s…\"", got.Body, code.Name(), detail)
	}
}

func TestRuntimeHandlers(t *testing.T) {
	type result struct {
		v   any
		err *godbus.Error
	}
	const caller = godbus.Sender(":1.42")
	tests := []struct {
		name      string
		prepare   func(f *fakeCore)
		call      func(s *Service) result
		want      any
		wantCode  firewalld.Code // 0: no error
		wantText  string
		wantCalls []string
	}{
		{
			name: "add to the default zone",
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).AddRichRule(caller, "", "rule A", 0)
				return result{v, err}
			},
			want:      "public",
			wantCalls: []string{`AddRule {false } "rule A" 0s`},
		},
		{
			name: "add with a timeout in seconds",
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).AddRichRule(caller, "internal", "rule A", 90)
				return result{v, err}
			},
			want:      "internal",
			wantCalls: []string{`AddRule {false internal} "rule A" 1m30s`},
		},
		{
			name: "negative timeout",
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).AddRichRule(caller, "internal", "rule A", -1)
				return result{v, err}
			},
			wantCode: firewalld.InvalidValue,
			wantText: "timeout '-1' is not positive number",
		},
		{
			name:    "duplicate add",
			prepare: func(f *fakeCore) { f.runtime[zone("public")] = []string{"rule A"} },
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).AddRichRule(caller, "public", "rule A", 0)
				return result{v, err}
			},
			wantCode:  firewalld.AlreadyEnabled,
			wantText:  "'rule A' already in 'public'",
			wantCalls: []string{`AddRule {false public} "rule A" 0s`},
		},
		{
			name: "unknown zone",
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).AddRichRule(caller, "nope", "rule A", 0)
				return result{v, err}
			},
			wantCode:  firewalld.InvalidZone,
			wantText:  "nope",
			wantCalls: []string{`AddRule {false nope} "rule A" 0s`},
		},
		{
			name: "invalid rule",
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).AddRichRule(caller, "", "bad rule", 0)
				return result{v, err}
			},
			wantCode:  firewalld.InvalidRule,
			wantText:  "'bad rule' is not a rule",
			wantCalls: []string{`AddRule {false } "bad rule" 0s`},
		},
		{
			name: "failure without a code",
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).AddRichRule(caller, "", "broken rule", 0)
				return result{v, err}
			},
			wantCode:  firewalld.CommandFailed,
			wantText:  "the kernel said no",
			wantCalls: []string{`AddRule {false } "broken rule" 0s`},
		},
		{
			name:    "remove",
			prepare: func(f *fakeCore) { f.runtime[zone("public")] = []string{"rule A"} },
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).RemoveRichRule(caller, "", "rule A")
				return result{v, err}
			},
			want:      "public",
			wantCalls: []string{`RemoveRule {false } "rule A"`},
		},
		{
			name: "remove a missing rule",
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).RemoveRichRule(caller, "internal", "rule A")
				return result{v, err}
			},
			wantCode:  firewalld.NotEnabled,
			wantText:  "'rule A' not in 'internal'",
			wantCalls: []string{`RemoveRule {false internal} "rule A"`},
		},
		{
			name:    "query",
			prepare: func(f *fakeCore) { f.runtime[zone("public")] = []string{"rule A"} },
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).QueryRichRule("", "rule A")
				return result{v, err}
			},
			want:      true,
			wantCalls: []string{`QueryRule {false } "rule A"`},
		},
		{
			name:    "list",
			prepare: func(f *fakeCore) { f.runtime[zone("internal")] = []string{"rule A", "rule B"} },
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).GetRichRules("internal")
				return result{v, err}
			},
			want:      []string{"rule A", "rule B"},
			wantCalls: []string{`Rules {false internal}`},
		},
		{
			name:    "counters",
			prepare: func(f *fakeCore) { f.runtime[zone("public")] = []string{"rule A", "rule B"} },
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).GetRichRuleCounters("")
				return result{v, err}
			},
			want:      []ruleCounter{{"rule A", 10, 1000}, {"rule B", 20, 2000}},
			wantCalls: []string{`Counters {false }`},
		},
		{
			name: "zones",
			call: func(s *Service) result {
				v, err := (&zoneObject{runtimeRules{s: s}}).GetZones()
				return result{v, err}
			},
			want: []string{"internal", "my-zone", "public"},
		},
		{
			name: "policy add",
			call: func(s *Service) result {
				v, err := (&policyObject{runtimeRules{s: s, policy: true}}).AddRichRule(caller, "allow-out", "rule A", 5)
				return result{v, err}
			},
			want:      "allow-out",
			wantCalls: []string{`AddRule {true allow-out} "rule A" 5s`},
		},
		{
			name: "policy: empty name is not a default",
			call: func(s *Service) result {
				v, err := (&policyObject{runtimeRules{s: s, policy: true}}).GetRichRules("")
				return result{v, err}
			},
			wantCode:  firewalld.InvalidPolicy,
			wantCalls: []string{`Rules {true }`},
		},
		{
			name: "unknown policy",
			call: func(s *Service) result {
				v, err := (&policyObject{runtimeRules{s: s, policy: true}}).RemoveRichRule(caller, "public", "rule A")
				return result{v, err}
			},
			wantCode:  firewalld.InvalidPolicy,
			wantText:  "public",
			wantCalls: []string{`RemoveRule {true public} "rule A"`},
		},
		{
			name: "policies",
			call: func(s *Service) result {
				v, err := (&policyObject{runtimeRules{s: s, policy: true}}).GetPolicies()
				return result{v, err}
			},
			want: []string{"allow-out"},
		},
		{
			name: "default zone",
			call: func(s *Service) result {
				v, err := (&rootObject{s: s}).GetDefaultZone()
				return result{v, err}
			},
			want: "public",
		},
		{
			name: "backend rules",
			call: func(s *Service) result {
				v, err := (&rootObject{s: s}).GetBackendRules()
				return result{v, err}
			},
			want: "table inet mssclamp {\n}\n",
		},
		{
			name:      "reload",
			call:      func(s *Service) result { return result{nil, (&rootObject{s: s}).Reload(caller)} },
			wantCalls: []string{"Reload"},
		},
		{
			name:      "runtime to permanent",
			call:      func(s *Service) result { return result{nil, (&rootObject{s: s}).RuntimeToPermanent(caller)} },
			wantCalls: []string{"RuntimeToPermanent"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeCore()
			if tt.prepare != nil {
				tt.prepare(f)
			}
			got := tt.call(newTestService(t, f, nil))
			if tt.wantCode != 0 {
				checkErr(t, got.err, tt.wantCode, tt.wantText)
			} else if got.err != nil {
				t.Fatalf("error %v %v", got.err.Name, got.err.Body)
			} else if !reflect.DeepEqual(got.v, tt.want) {
				t.Errorf("got %#v, want %#v", got.v, tt.want)
			}
			if calls := f.Calls(); !reflect.DeepEqual(calls, tt.wantCalls) {
				t.Errorf("core calls %q, want %q", calls, tt.wantCalls)
			}
		})
	}
}

func TestConfigHandlers(t *testing.T) {
	const caller = godbus.Sender(":1.42")
	f := newFakeCore()
	s := newTestService(t, f, nil)
	cfg := &configObject{s: s}
	zones := &configRules{s: s}
	policies := &configRules{s: s, policy: true}

	t.Run("lookup", func(t *testing.T) {
		p, err := cfg.GetZoneByName("my-zone")
		if err != nil || p != "/org/mssclamp/MssClamp1/config/zone/my_2dzone" {
			t.Errorf("getZoneByName(my-zone) = %q, %v", p, err)
		}
		p, err = cfg.GetPolicyByName("allow-out")
		if err != nil || p != "/org/mssclamp/MssClamp1/config/policy/allow_2dout" {
			t.Errorf("getPolicyByName(allow-out) = %q, %v", p, err)
		}
		_, err = cfg.GetZoneByName("nope")
		checkErr(t, err, firewalld.InvalidZone, "nope")
		_, err = cfg.GetZoneByName("")
		checkErr(t, err, firewalld.InvalidZone, "")
		_, err = cfg.GetPolicyByName("public")
		checkErr(t, err, firewalld.InvalidPolicy, "public")
		if names, _ := cfg.GetZoneNames(); !reflect.DeepEqual(names, fakeZones) {
			t.Errorf("getZoneNames = %q", names)
		}
		if names, _ := cfg.GetPolicyNames(); !reflect.DeepEqual(names, fakePolicies) {
			t.Errorf("getPolicyNames = %q", names)
		}
	})

	t.Run("rules", func(t *testing.T) {
		myZone := at(ConfigZonePath("my-zone"))
		if err := zones.AddRichRule(caller, myZone, "rule A"); err != nil {
			t.Fatalf("addRichRule: %v", err)
		}
		checkErr(t, zones.AddRichRule(caller, myZone, "rule A"), firewalld.AlreadyEnabled, "'rule A' already in 'my-zone'")
		if ok, err := zones.QueryRichRule(myZone, "rule A"); !ok || err != nil {
			t.Errorf("queryRichRule = %v, %v", ok, err)
		}
		if rules, err := zones.GetRichRules(myZone); !reflect.DeepEqual(rules, []string{"rule A"}) || err != nil {
			t.Errorf("getRichRules = %q, %v", rules, err)
		}
		if err := zones.RemoveRichRule(caller, myZone, "rule A"); err != nil {
			t.Fatalf("removeRichRule: %v", err)
		}
		checkErr(t, zones.RemoveRichRule(caller, myZone, "rule A"), firewalld.NotEnabled, "'rule A' not in 'my-zone'")
		if err := policies.AddRichRule(caller, at(ConfigPolicyPath("allow-out")), "rule P"); err != nil {
			t.Fatalf("policy addRichRule: %v", err)
		}
		want := []string{
			`AddPermanentRule {false my-zone} "rule A"`, `AddPermanentRule {false my-zone} "rule A"`,
			`QueryPermanentRule {false my-zone} "rule A"`, `PermanentRules {false my-zone}`,
			`RemovePermanentRule {false my-zone} "rule A"`, `RemovePermanentRule {false my-zone} "rule A"`,
			`AddPermanentRule {true allow-out} "rule P"`,
		}
		if calls := f.Calls(); !reflect.DeepEqual(calls, want) {
			t.Errorf("core calls\n%q\nwant\n%q", calls, want)
		}
	})

	t.Run("paths that name nothing", func(t *testing.T) {
		for _, p := range []godbus.ObjectPath{
			serviceZonesPath,
			serviceZonesPath + "/_",         // the empty name would be the default zone
			serviceZonesPath + "/my_2Dzone", // not the canonical escape
			serviceZonesPath + "/a/b",
			serviceZonesPath + "/_2",
			servicePoliciesPath + "/allow_2dout", // a policy path on the zone interface
		} {
			_, err := zones.GetRichRules(at(p))
			if err == nil || err.Name != errUnknownObject {
				t.Errorf("getRichRules at %s: %v, want %s", p, err, errUnknownObject)
			}
		}
		if _, err := zones.GetRichRules(at(ConfigZonePath("nope"))); err == nil || err.Name != ErrorName(firewalld.InvalidZone) {
			t.Errorf("getRichRules of a missing zone: %v, want INVALID_ZONE", err)
		}
		if calls := f.Calls(); len(calls) != 1 {
			t.Errorf("core calls %q, want only the one for zone nope", calls)
		}
	})
}

func TestEscapePathElement(t *testing.T) {
	tests := []struct{ name, elem string }{
		{"public", "public"},
		{"my-zone", "my_2dzone"},
		{"my_zone", "my_5fzone"},
		{"1st", "_31st"},
		{"a1", "a1"},
		{"", "_"},
		{"a/b.c", "a_2fb_2ec"},
		{"zoné", "zon_c3_a9"},
	}
	for _, tt := range tests {
		if got := escapePathElement(tt.name); got != tt.elem {
			t.Errorf("escape(%q) = %q, want %q", tt.name, got, tt.elem)
		}
		if got, ok := unescapePathElement(tt.elem); !ok || got != tt.name {
			t.Errorf("unescape(%q) = %q, %v; want %q", tt.elem, got, ok, tt.name)
		}
		if !godbus.ObjectPath("/x/" + tt.elem).IsValid() {
			t.Errorf("%q is not a valid path element", tt.elem)
		}
	}
	for _, bad := range []string{"_2D", "_2", "_zz", "a_", "_61", "1st", "__"} {
		if got, ok := unescapePathElement(bad); ok {
			t.Errorf("unescape(%q) = %q, want refused", bad, got)
		}
	}
}

func TestProperties(t *testing.T) {
	f := newFakeCore()
	p := &properties{s: newTestService(t, f, nil)}
	all, err := p.GetAll(ServiceInterface)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]godbus.Variant{
		"version": godbus.MakeVariant("1.2.3"),
		"state":   godbus.MakeVariant("RUNNING"),
		"mode":    godbus.MakeVariant("standalone"),
		"backend": godbus.MakeVariant("nftables"),
	}
	if !reflect.DeepEqual(all, want) {
		t.Errorf("GetAll = %v, want %v", all, want)
	}
	f.setMode("firewalld")
	if v, err := p.Get(ServiceInterface, "mode"); err != nil || v.Value() != "firewalld" {
		t.Errorf("Get(mode) = %v, %v; want firewalld", v, err)
	}
	if all, err := p.GetAll(ServiceZoneInterface); err != nil || len(all) != 0 {
		t.Errorf("GetAll(zone interface) = %v, %v; want empty", all, err)
	}
	if _, err := p.Get(ServiceInterface, "colour"); err == nil || err.Name != errUnknownProperty {
		t.Errorf("Get(colour) error %v, want %s", err, errUnknownProperty)
	}
	if _, err := p.GetAll("org.example.Nope"); err == nil || err.Name != errUnknownInterface {
		t.Errorf("GetAll(org.example.Nope) error %v, want %s", err, errUnknownInterface)
	}
	if err := p.Set(ServiceInterface, "mode", godbus.MakeVariant("x")); err == nil || err.Name != errPropertyReadOnly {
		t.Errorf("Set(mode) error %v, want %s", err, errPropertyReadOnly)
	}
}
