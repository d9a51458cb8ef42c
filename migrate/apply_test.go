package migrate

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// fakeRules is mssclampd: the targets that exist and the rules they hold.
type fakeRules struct {
	targets  map[firewalld.Scope]bool
	rules    map[Change]bool
	failAdd  string // an AddRule of a rule containing this fails
	failRm   bool   // every RemoveRule fails
	failQry  bool
	calls    []string
	addCalls int
}

func newFakeRules(targets ...firewalld.Scope) *fakeRules {
	f := &fakeRules{targets: map[firewalld.Scope]bool{}, rules: map[Change]bool{}}
	for _, t := range targets {
		f.targets[t] = true
	}
	return f
}

func (f *fakeRules) check(t firewalld.Scope) error {
	if !f.targets[t] {
		if t.Policy {
			return fmt.Errorf("INVALID_POLICY: %s", t.Name)
		}
		return fmt.Errorf("INVALID_ZONE: %s", t.Name)
	}
	return nil
}

func (f *fakeRules) AddRule(_ context.Context, t firewalld.Scope, perm bool, rule string) error {
	c := Change{Target: t, Permanent: perm, Rule: rule}
	f.calls = append(f.calls, "add "+c.String())
	f.addCalls++
	if err := f.check(t); err != nil {
		return err
	}
	if f.failAdd != "" && strings.Contains(c.String(), f.failAdd) {
		return errors.New("COMMAND_FAILED: the kernel said no")
	}
	if f.rules[c] {
		return errors.New("ALREADY_ENABLED: " + rule)
	}
	f.rules[c] = true
	return nil
}

func (f *fakeRules) QueryRule(_ context.Context, t firewalld.Scope, perm bool, rule string) (bool, error) {
	if f.failQry {
		return false, errors.New("NOT_RUNNING: mssclampd is not running")
	}
	if err := f.check(t); err != nil {
		return false, err
	}
	return f.rules[Change{Target: t, Permanent: perm, Rule: rule}], nil
}

func (f *fakeRules) RemoveRule(_ context.Context, t firewalld.Scope, perm bool, rule string) error {
	c := Change{Target: t, Permanent: perm, Rule: rule}
	f.calls = append(f.calls, "remove "+c.String())
	if f.failRm {
		return errors.New("COMMAND_FAILED: busy")
	}
	if !f.rules[c] {
		return errors.New("NOT_ENABLED: " + rule)
	}
	delete(f.rules, c)
	return nil
}

// fakeDirect is firewalld's direct interface: ordered lists per place.
type fakeDirect struct {
	lists    map[bool][]Entry // permanent -> entries
	failRm   map[string]bool  // "runtime|permanent ENTRY" fails to be removed
	failAdd  bool
	failList bool
	calls    []string
}

func newFakeDirect(permanent, runtime []Entry) *fakeDirect {
	return &fakeDirect{lists: map[bool][]Entry{true: permanent, false: runtime}, failRm: map[string]bool{}}
}

func (f *fakeDirect) Entries(_ context.Context, perm bool) ([]Entry, error) {
	if f.failList {
		return nil, errors.New("NOT_RUNNING")
	}
	return slices.Clone(f.lists[perm]), nil
}

func (f *fakeDirect) Remove(_ context.Context, e Entry, perm bool) error {
	r := Removal{Entry: e, Permanent: perm}
	f.calls = append(f.calls, "remove "+r.String())
	if f.failRm[place(perm)+" "+e.String()] {
		return errors.New("COMMAND_FAILED: iptables: Bad rule")
	}
	i := slices.IndexFunc(f.lists[perm], e.same)
	if i < 0 {
		return errors.New("NOT_ENABLED")
	}
	f.lists[perm] = slices.Delete(f.lists[perm], i, i+1)
	return nil
}

func (f *fakeDirect) Add(_ context.Context, e Entry, perm bool) error {
	r := Removal{Entry: e, Permanent: perm}
	f.calls = append(f.calls, "add "+r.String())
	if f.failAdd {
		return errors.New("COMMAND_FAILED: iptables: No chain")
	}
	e.Runtime, e.Permanent = !perm, perm
	f.lists[perm] = append(f.lists[perm], e)
	return nil
}

// keyList is a list's identity, order aside (an entry added back goes to
// the end).
func keyList(es []Entry) []string {
	var k []string
	for _, e := range es {
		k = append(k, e.String())
	}
	slices.Sort(k)
	return k
}

func pt(ipv string, args string) Entry {
	a, err := splitArgs(args)
	if err != nil {
		panic(err)
	}
	return Entry{Kind: Passthrough, IPV: ipv, Args: a}
}

func inPlace(e Entry, runtime, permanent bool) Entry {
	e.Runtime, e.Permanent = runtime, permanent
	return e
}

// world is a migration scene: the entries in a firewall where the
// policies the plan needs exist.
type world struct {
	plan   *Plan
	rules  *fakeRules
	direct *fakeDirect
}

var (
	ptSyn    = pt("ipv4", "-t mangle -I FORWARD -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu")
	ptFilter = pt("ipv4", "-I FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu")
	ptIPsec4 = pt("ipv4", "-t mangle -A POSTROUTING -o ipsec0 -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1347")
	ptLAN    = pt("ipv6", "-t mangle -A FORWARD -i eth0 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400")
	ptPolicy = pt("ipv4", "-t mangle -A FORWARD -m policy --pol ipsec --dir in -p tcp -m tcp --tcp-flags SYN,RST SYN -m tcpmss --mss 1361:1536 -j TCPMSS --set-mss 1360")
	ptAccept = pt("ipv4", "-I INPUT -p tcp --dport 22 -j ACCEPT")
)

func newWorld(t *testing.T) *world {
	t.Helper()
	view := View{Topology: firewalld.Topology{
		DefaultZone: "external",
		Zones: []firewalld.Zone{
			{Name: "external", Interfaces: []string{"ppp0"}},
			{Name: "internal", Interfaces: []string{"eth0"}},
			{Name: "vpn", Interfaces: []string{"ipsec0"}},
		},
		Policies: []firewalld.Policy{
			{Name: "mss-fwd", Ingress: []string{"ANY"}, Egress: []string{"ANY"}},
			{Name: "mss-to-vpn", Ingress: []string{"ANY"}, Egress: []string{"vpn"}},
			{Name: "mss-out-vpn", Ingress: []string{"HOST"}, Egress: []string{"vpn"}},
		},
	}}
	permanent := []Entry{ptSyn, ptFilter, ptAccept}
	runtime := []Entry{ptSyn, ptFilter, ptIPsec4, ptLAN, ptPolicy, ptAccept}
	for i := range permanent {
		permanent[i] = inPlace(permanent[i], false, true)
	}
	for i := range runtime {
		runtime[i] = inPlace(runtime[i], true, false)
	}
	plan := Make(Merge(permanent, runtime), view)
	if len(plan.NewPolicies) != 0 {
		t.Fatalf("the world should have every policy: %+v", plan.NewPolicies)
	}
	return &world{
		plan: plan,
		rules: newFakeRules(firewalld.Scope{Name: "external"}, firewalld.Scope{Name: "internal"}, firewalld.Scope{Name: "vpn"},
			firewalld.Scope{Policy: true, Name: "mss-fwd"}, firewalld.Scope{Policy: true, Name: "mss-to-vpn"}, firewalld.Scope{Policy: true, Name: "mss-out-vpn"}),
		direct: newFakeDirect(permanent, runtime),
	}
}

// snapshot is the state of both fakes, order of the direct lists aside.
type snapshot struct {
	rules           map[Change]bool
	perm, runtimeEs []string
}

func (w *world) snapshot() snapshot {
	rules := map[Change]bool{}
	for c := range w.rules.rules {
		rules[c] = true
	}
	return snapshot{rules: rules, perm: keyList(w.direct.lists[true]), runtimeEs: keyList(w.direct.lists[false])}
}

func TestApplySuccess(t *testing.T) {
	w := newWorld(t)
	// One of the rules is there already: it is neither added nor counted.
	present := Change{Target: firewalld.Scope{Policy: true, Name: "mss-to-vpn"}, Rule: `rule family="ipv4" tcp-mss-clamp value="1347"`}
	w.rules.rules[present] = true

	res, err := Apply(context.Background(), w.plan, w.rules, w.direct)
	if err != nil {
		t.Fatal(err)
	}
	wantText := `present runtime policy mss-to-vpn: rule family="ipv4" tcp-mss-clamp value="1347"
added runtime policy mss-fwd: rule family="ipv4" tcp-mss-clamp
added permanent policy mss-fwd: rule family="ipv4" tcp-mss-clamp
added runtime policy mss-out-vpn: rule family="ipv4" tcp-mss-clamp value="1347"
added runtime zone internal: rule family="ipv6" tcp-mss-clamp value="1400"
removed permanent passthrough ipv4 -t mangle -I FORWARD -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu
removed runtime passthrough ipv4 -t mangle -I FORWARD -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu
removed permanent passthrough ipv4 -I FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
removed runtime passthrough ipv4 -I FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
removed runtime passthrough ipv4 -t mangle -A POSTROUTING -o ipsec0 -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1347
removed runtime passthrough ipv6 -t mangle -A FORWARD -i eth0 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1400
`
	if got := res.Text(); got != wantText {
		t.Errorf("result:\n%s\nwant:\n%s", got, wantText)
	}
	// What stays: the entries kept or not TCPMSS.
	if got, want := keyList(w.direct.lists[false]), keyList([]Entry{ptPolicy, ptAccept}); !slices.Equal(got, want) {
		t.Errorf("runtime entries left: %q, want %q", got, want)
	}
	if got, want := keyList(w.direct.lists[true]), keyList([]Entry{ptAccept}); !slices.Equal(got, want) {
		t.Errorf("permanent entries left: %q, want %q", got, want)
	}
	if len(w.rules.rules) != 5 || res.RolledBack {
		t.Errorf("rules now %v, rolled back %v", w.rules.rules, res.RolledBack)
	}
	// Every add happened before the first removal.
	if i := slices.IndexFunc(w.direct.calls, func(s string) bool { return strings.HasPrefix(s, "remove") }); i < 0 || w.rules.addCalls != 4 {
		t.Errorf("calls: rules %q, direct %q", w.rules.calls, w.direct.calls)
	}
}

// TestApplyFailures: whatever fails, nothing stays removed and nothing we
// added stays; only rules that were there before remain.
func TestApplyFailures(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(w *world)
		err     string
		wantIs  error
		rolled  bool
		removed int // direct removals attempted
	}{
		{
			name:  "entry gone since the plan",
			setup: func(w *world) { w.direct.lists[false] = slices.Delete(w.direct.lists[false], 2, 3) },
			err:   "gone: runtime passthrough ipv4 -t mangle -A POSTROUTING -o ipsec0", wantIs: ErrStale,
		},
		{
			name:  "permanent entry gone since the plan",
			setup: func(w *world) { w.direct.lists[true] = w.direct.lists[true][1:] },
			err:   "gone: permanent passthrough ipv4 -t mangle -I FORWARD -p tcp --syn", wantIs: ErrStale,
		},
		{
			name:  "listing fails",
			setup: func(w *world) { w.direct.failList = true },
			err:   "listing the permanent direct configuration: NOT_RUNNING",
		},
		{
			name:  "a policy is missing",
			setup: func(w *world) { delete(w.rules.targets, firewalld.Scope{Policy: true, Name: "mss-out-vpn"}) },
			err:   "checking runtime policy mss-out-vpn: " + `rule family="ipv4" tcp-mss-clamp value="1347": INVALID_POLICY: mss-out-vpn`,
		},
		{
			name:  "query fails",
			setup: func(w *world) { w.rules.failQry = true },
			err:   "NOT_RUNNING: mssclampd is not running",
		},
		{
			name:   "the first add fails",
			setup:  func(w *world) { w.rules.failAdd = "runtime policy mss-fwd" },
			err:    `adding runtime policy mss-fwd: rule family="ipv4" tcp-mss-clamp: COMMAND_FAILED: the kernel said no; everything was undone`,
			rolled: true,
		},
		{
			name:  "the last add fails",
			setup: func(w *world) { w.rules.failAdd = "runtime policy mss-out-vpn" },
			err:   "adding runtime policy mss-out-vpn", rolled: true,
		},
		{
			name: "the first removal fails",
			setup: func(w *world) {
				w.direct.failRm["permanent "+ptSyn.String()] = true
			},
			err: "removing permanent passthrough ipv4 -t mangle -I FORWARD -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu: COMMAND_FAILED: iptables: Bad rule; everything was undone", rolled: true, removed: 1,
		},
		{
			name: "a later runtime removal fails",
			setup: func(w *world) {
				w.direct.failRm["runtime "+ptLAN.String()] = true
			},
			err: "removing runtime passthrough ipv6", rolled: true, removed: 6,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorld(t)
			present := Change{Target: firewalld.Scope{Name: "internal"}, Rule: `rule family="ipv6" tcp-mss-clamp value="1400"`}
			w.rules.rules[present] = true
			tt.setup(w)
			before := w.snapshot()
			res, err := Apply(context.Background(), w.plan, w.rules, w.direct)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("error %v, want one containing %q", err, tt.err)
			}
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("error %v is not %v", err, tt.wantIs)
			}
			if res.RolledBack != tt.rolled {
				t.Errorf("rolled back %v, want %v", res.RolledBack, tt.rolled)
			}
			if after := w.snapshot(); !reflect.DeepEqual(after, before) {
				t.Errorf("state changed:\nbefore %+v\nafter  %+v", before, after)
			}
			removes := 0
			for _, c := range w.direct.calls {
				if strings.HasPrefix(c, "remove") {
					removes++
				}
			}
			if removes != tt.removed {
				t.Errorf("%d removals tried, want %d: %q", removes, tt.removed, w.direct.calls)
			}
			if !w.rules.rules[present] {
				t.Errorf("the rule that was there before is gone")
			}
		})
	}
}

// TestApplyRollbackIncomplete: when undoing fails too, the error says what
// is left.
func TestApplyRollbackIncomplete(t *testing.T) {
	w := newWorld(t)
	w.direct.failRm["runtime "+ptLAN.String()] = true
	w.direct.failAdd = true
	w.rules.failRm = true
	_, err := Apply(context.Background(), w.plan, w.rules, w.direct)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"the rollback is incomplete",
		"adding back runtime passthrough ipv4 -t mangle -A POSTROUTING",
		"adding back permanent passthrough ipv4 -t mangle -I FORWARD -p tcp --syn",
		`removing again runtime policy mss-fwd: rule family="ipv4" tcp-mss-clamp: COMMAND_FAILED: busy`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// TestApplyNeedsPolicies: a plan with policies to create changes nothing.
func TestApplyNeedsPolicies(t *testing.T) {
	view := View{Topology: firewalld.Topology{Zones: []firewalld.Zone{{Name: "public", Interfaces: []string{"eth0"}}}}}
	e := inPlace(ptSyn, true, true)
	plan := Make([]Entry{e}, view)
	rules, direct := newFakeRules(), newFakeDirect([]Entry{e}, []Entry{e})
	_, err := Apply(context.Background(), plan, rules, direct)
	if !errors.Is(err, ErrPoliciesMissing) || !strings.Contains(err.Error(), "mss-fwd") {
		t.Fatalf("error %v, want ErrPoliciesMissing naming mss-fwd", err)
	}
	if len(rules.calls)+len(direct.calls) != 0 {
		t.Errorf("calls: %q %q", rules.calls, direct.calls)
	}
}

func TestApplyNothingToDo(t *testing.T) {
	plan := Make([]Entry{inPlace(ptPolicy, true, false), inPlace(ptAccept, true, true)}, View{})
	rules, direct := newFakeRules(), newFakeDirect(nil, nil)
	res, err := Apply(context.Background(), plan, rules, direct)
	if err != nil || len(res.Added)+len(res.Removed)+len(res.Present) != 0 {
		t.Fatalf("Apply = %+v, %v", res, err)
	}
	if len(rules.calls)+len(direct.calls) != 0 {
		t.Errorf("calls: %q %q", rules.calls, direct.calls)
	}
}
