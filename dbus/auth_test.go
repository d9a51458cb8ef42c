package dbus

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// fakeAuthorizer answers for every caller: the uid lookup gives uid or
// uidErr, polkit gives polkit or pkErr (errNoPolkit: not on the bus).
func fakeAuthorizer(uid uint32, uidErr error, polkit bool, pkErr error) *authorizer {
	return &authorizer{
		uid:    func(context.Context, string) (uint32, error) { return uid, uidErr },
		polkit: func(context.Context, string) (bool, error) { return polkit, pkErr },
		log:    slog.New(slog.DiscardHandler),
	}
}

func TestAuthorize(t *testing.T) {
	lookupErr := errors.New("no such name")
	tests := []struct {
		name     string
		uid      uint32
		uidErr   error
		polkit   bool
		pkErr    error
		asked    bool   // polkit must be asked
		wantDeny string // "" allowed; else part of the NOT_AUTHORIZED text
	}{
		{name: "root, no polkit", uid: 0, pkErr: errNoPolkit},
		{name: "root is not asked about", uid: 0, polkit: false},
		{name: "root with polkit broken", uid: 0, pkErr: errors.New("timeout")},
		{name: "user, no polkit", uid: 1000, pkErr: errNoPolkit, asked: true,
			wantDeny: "uid 1000 may not change mssclamp rules: only root may, as polkit is not running"},
		{name: "user, polkit yes", uid: 1000, polkit: true, asked: true},
		{name: "user, polkit no", uid: 1000, polkit: false, asked: true,
			wantDeny: "uid 1000 may not change mssclamp rules: polkit denied org.fedoraproject.FirewallD1.config"},
		{name: "user, polkit fails", uid: 1000, pkErr: errors.New("timeout"), asked: true,
			wantDeny: "polkit did not answer: timeout"},
		{name: "unknown uid, polkit yes", uidErr: lookupErr, polkit: true, asked: true},
		{name: "unknown uid, no polkit", uidErr: lookupErr, pkErr: errNoPolkit, asked: true,
			wantDeny: "caller :1.7 may not change"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := fakeAuthorizer(tt.uid, tt.uidErr, tt.polkit, tt.pkErr)
			asked := false
			pk := a.polkit
			a.polkit = func(ctx context.Context, s string) (bool, error) {
				asked = true
				if s != ":1.7" {
					t.Errorf("polkit asked about %q", s)
				}
				return pk(ctx, s)
			}
			err := a.authorize(context.Background(), ":1.7")
			if asked != tt.asked {
				t.Errorf("polkit asked: %v, want %v", asked, tt.asked)
			}
			if tt.wantDeny == "" {
				if err != nil {
					t.Fatalf("denied: %v", err)
				}
				return
			}
			var re *firewalld.Error
			if !errors.As(err, &re) || re.Code != firewalld.NotAuthorized || !strings.Contains(err.Error(), tt.wantDeny) {
				t.Fatalf("got %v, want NOT_AUTHORIZED containing %q", err, tt.wantDeny)
			}
		})
	}
}

// TestChangesNeedAuthorization: every handler that changes something is
// refused before the Core hears of it; every reading handler is open.
func TestChangesNeedAuthorization(t *testing.T) {
	f := newFakeCore()
	s := newTestService(t, f, fakeAuthorizer(65534, nil, false, errNoPolkit))
	const caller = godbus.Sender(":1.9")
	zone := at(ConfigZonePath("public"))
	root, zones, policies := &rootObject{s: s}, &zoneObject{runtimeRules{s: s}}, &policyObject{runtimeRules{s: s, policy: true}}
	cfgZones, cfgPolicies := &configRules{s: s}, &configRules{s: s, policy: true}
	policy := at(ConfigPolicyPath("allow-out"))

	changes := map[string]func() *godbus.Error{
		"reload":             func() *godbus.Error { return root.Reload(caller) },
		"runtimeToPermanent": func() *godbus.Error { return root.RuntimeToPermanent(caller) },
		"zone.addRichRule": func() *godbus.Error {
			_, err := zones.AddRichRule(caller, "", "rule A", 0)
			return err
		},
		"zone.removeRichRule": func() *godbus.Error {
			_, err := zones.RemoveRichRule(caller, "", "rule A")
			return err
		},
		"policy.addRichRule": func() *godbus.Error {
			_, err := policies.AddRichRule(caller, "allow-out", "rule A", 0)
			return err
		},
		"policy.removeRichRule": func() *godbus.Error {
			_, err := policies.RemoveRichRule(caller, "allow-out", "rule A")
			return err
		},
		"config.zone.addRichRule":      func() *godbus.Error { return cfgZones.AddRichRule(caller, zone, "rule A") },
		"config.zone.removeRichRule":   func() *godbus.Error { return cfgZones.RemoveRichRule(caller, zone, "rule A") },
		"config.policy.addRichRule":    func() *godbus.Error { return cfgPolicies.AddRichRule(caller, policy, "rule A") },
		"config.policy.removeRichRule": func() *godbus.Error { return cfgPolicies.RemoveRichRule(caller, policy, "rule A") },
	}
	for name, call := range changes {
		t.Run(name, func(t *testing.T) {
			checkErr(t, call(), firewalld.NotAuthorized, "uid 65534 may not change")
		})
	}
	if calls := f.Calls(); len(calls) != 0 {
		t.Errorf("the core was called: %q", calls)
	}

	reads := map[string]func() *godbus.Error{
		"getDefaultZone":  func() *godbus.Error { _, err := root.GetDefaultZone(); return err },
		"getBackendRules": func() *godbus.Error { _, err := root.GetBackendRules(); return err },
		"zone.queryRichRule": func() *godbus.Error {
			_, err := zones.QueryRichRule("", "rule A")
			return err
		},
		"zone.getRichRules":          func() *godbus.Error { _, err := zones.GetRichRules(""); return err },
		"zone.getRichRuleCounters":   func() *godbus.Error { _, err := zones.GetRichRuleCounters(""); return err },
		"zone.getZones":              func() *godbus.Error { _, err := zones.GetZones(); return err },
		"policy.getRichRules":        func() *godbus.Error { _, err := policies.GetRichRules("allow-out"); return err },
		"policy.getPolicies":         func() *godbus.Error { _, err := policies.GetPolicies(); return err },
		"config.zone.queryRichRule":  func() *godbus.Error { _, err := cfgZones.QueryRichRule(zone, "rule A"); return err },
		"config.zone.getRichRules":   func() *godbus.Error { _, err := cfgZones.GetRichRules(zone); return err },
		"config.policy.getRichRules": func() *godbus.Error { _, err := cfgPolicies.GetRichRules(policy); return err },
	}
	for name, call := range reads {
		t.Run(name, func(t *testing.T) {
			if err := call(); err != nil {
				t.Errorf("refused: %v", err)
			}
		})
	}
}
