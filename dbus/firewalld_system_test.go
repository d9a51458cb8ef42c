package dbus

import (
	"context"
	"errors"
	"os/exec"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// System tests: the real firewalld 1.3.3 in a namespace on a private bus.
// The steps of TestFirewalldSystem share one firewalld and run in order.

type fwEnv struct {
	t  *testing.T
	fw *systest.Firewalld
	c  *Firewalld
}

func startFirewalld(t *testing.T, backend string) *fwEnv {
	t.Helper()
	systest.RequireRoot(t)
	fw := systest.StartFirewalld(t, nil, nil, backend)
	return &fwEnv{t: t, fw: fw, c: NewFirewalld(fw.Bus.Conn(t))}
}

// cmd runs firewall-cmd and fails the test unless it exits 0.
func (e *fwEnv) cmd(t *testing.T, args ...string) string {
	t.Helper()
	return strings.TrimSpace(e.fw.MustCmd(t, args...))
}

func ctxFor(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// waitEvent returns the first event of w that has want's kind and names,
// skipping others (firewalld emits more than one signal for some changes).
func waitEvent(t *testing.T, w *Watcher, want Event) Event {
	t.Helper()
	timeout := time.After(20 * time.Second)
	var seen []Event
	for {
		select {
		case ev, ok := <-w.Events():
			if !ok {
				t.Fatalf("events closed (%v) waiting for %+v; seen %+v", w.Err(), want, seen)
			}
			got := ev
			if want.Owner == "" {
				got.Owner = "" // the new owner's name is not known in advance
			}
			if got == want {
				return ev
			}
			seen = append(seen, ev)
		case <-timeout:
			t.Fatalf("no %+v within 20s; seen %+v", want, seen)
		}
	}
}

func TestFirewalldSystem(t *testing.T) {
	t.Parallel()
	e := startFirewalld(t, "nftables")
	ns := e.fw.NS
	for _, pair := range [][2]string{{"fwa0", "fwa1"}, {"fwb0", "fwb1"}} {
		if out, err := exec.Command("ip", "-n", ns.Name, "link", "add", pair[0], "type", "veth", "peer", "name", pair[1]).CombinedOutput(); err != nil {
			t.Fatalf("creating veth %s in %s: %v: %s", pair[0], ns.Name, err, out)
		}
	}

	// Permanent configuration first: a reload keeps runtime interface
	// bindings but we want no doubt about the rest.
	e.cmd(t, "--permanent", "--new-policy=intpub")
	e.cmd(t, "--permanent", "--policy=intpub", "--add-ingress-zone=internal")
	e.cmd(t, "--permanent", "--policy=intpub", "--add-egress-zone=public")
	e.cmd(t, "--permanent", "--policy=intpub", "--set-priority=-50")
	e.cmd(t, "--permanent", "--new-ipset=lan", "--type=hash:net")
	e.cmd(t, "--permanent", "--ipset=lan", "--add-entry=192.168.7.0/24")
	e.cmd(t, "--permanent", "--new-ipset=lan6", "--type=hash:ip", "--option=family=inet6")
	e.cmd(t, "--reload")
	e.cmd(t, "--zone=internal", "--change-interface=fwa0")
	e.cmd(t, "--zone=dmz", "--change-interface=fwb0")
	e.cmd(t, "--zone=internal", "--add-source=10.9.0.0/16")
	e.cmd(t, "--zone=internal", "--add-source=52:54:00:12:34:56")
	e.cmd(t, "--zone=trusted", "--add-source=ipset:lan")

	t.Run("Snapshot", func(t *testing.T) { e.testSnapshot(t) })
	t.Run("Watch", func(t *testing.T) { e.testWatch(t) })
	t.Run("ZoneRichRules", func(t *testing.T) { e.testZoneRichRules(t) })
	t.Run("PolicyRichRules", func(t *testing.T) { e.testPolicyRichRules(t) })
	t.Run("Errors", func(t *testing.T) { e.testErrors(t) })
	t.Run("StopStart", func(t *testing.T) { e.testStopStart(t) })
}

func (e *fwEnv) testSnapshot(t *testing.T) {
	ctx := ctxFor(t)
	if !e.c.Running(ctx) {
		t.Fatal("Running = false")
	}
	s, err := e.c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s.State != "RUNNING" || s.Version != e.fw.Tree.Release || s.Backend != "nftables" || s.DefaultZone != "public" {
		t.Errorf("state %q, version %q, backend %q, default zone %q; want RUNNING, %s, nftables, public",
			s.State, s.Version, s.Backend, s.DefaultZone, e.fw.Tree.Release)
	}
	zones := map[string]firewalld.Zone{}
	for _, z := range s.Zones {
		zones[z.Name] = z
	}
	wantZones := []firewalld.Zone{
		{Name: "internal", Interfaces: []string{"fwa0"}, Sources: []string{"10.9.0.0/16", "52:54:00:12:34:56"}},
		{Name: "dmz", Interfaces: []string{"fwb0"}},
		{Name: "trusted", Sources: []string{"ipset:lan"}},
		{Name: "public"},
		{Name: "block"},
	}
	for _, want := range wantZones {
		got, ok := zones[want.Name]
		if !ok {
			t.Errorf("zone %q missing from %+v", want.Name, s.Zones)
			continue
		}
		// firewalld stores MAC sources in upper case.
		want.Sources = upperMACs(want.Sources)
		if !sameSet(got.Interfaces, want.Interfaces) || !sameSet(got.Sources, want.Sources) {
			t.Errorf("zone %q: got %+v, want %+v", want.Name, got, want)
		}
	}
	if !s.Has(firewalld.ZoneScope("block")) || s.Has(firewalld.ZoneScope("nosuch")) || !s.Has(firewalld.PolicyScope("intpub")) || s.Has(firewalld.PolicyScope("internal")) {
		t.Errorf("Has disagrees with %+v", s)
	}
	wantPolicy := firewalld.Policy{Name: "intpub", Priority: -50, Ingress: []string{"internal"}, Egress: []string{"public"}, Target: "CONTINUE"}
	if i := slices.IndexFunc(s.Policies, func(p firewalld.Policy) bool { return p.Name == "intpub" }); i < 0 {
		t.Errorf("policy intpub missing from %+v", s.Policies)
	} else if !reflect.DeepEqual(s.Policies[i], wantPolicy) {
		t.Errorf("policy: got %+v, want %+v", s.Policies[i], wantPolicy)
	}
	wantSets := []firewalld.IPSet{
		{Name: "lan", Type: "hash:net", Family: "inet", Entries: []string{"192.168.7.0/24"}},
		{Name: "lan6", Type: "hash:ip", Family: "inet6", Options: map[string]string{"family": "inet6"}},
	}
	for i := range s.IPSets {
		if len(s.IPSets[i].Options) == 0 {
			s.IPSets[i].Options = nil
		}
		if len(s.IPSets[i].Entries) == 0 {
			s.IPSets[i].Entries = nil
		}
	}
	if !reflect.DeepEqual(s.IPSets, wantSets) {
		t.Errorf("ipsets: got %+v, want %+v", s.IPSets, wantSets)
	}
	if s.DefaultZone != "public" || len(s.IPSets) != 2 {
		t.Errorf("topology = %+v", s.Topology)
	}
}

func (e *fwEnv) testWatch(t *testing.T) {
	ctx := ctxFor(t)
	w, err := e.c.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()

	steps := []struct {
		args []string
		want Event
	}{
		{[]string{"--zone=public", "--change-interface=fwb0"}, Event{Kind: EventZoneOfInterfaceChanged, Zone: "public", Interface: "fwb0"}},
		{[]string{"--zone=dmz", "--add-interface=fwb1"}, Event{Kind: EventInterfaceAdded, Zone: "dmz", Interface: "fwb1"}},
		{[]string{"--zone=dmz", "--remove-interface=fwb1"}, Event{Kind: EventInterfaceRemoved, Zone: "dmz", Interface: "fwb1"}},
		{[]string{"--zone=dmz", "--add-source=10.8.0.0/16"}, Event{Kind: EventSourceAdded, Zone: "dmz", Source: "10.8.0.0/16"}},
		{[]string{"--zone=dmz", "--remove-source=10.8.0.0/16"}, Event{Kind: EventSourceRemoved, Zone: "dmz", Source: "10.8.0.0/16"}},
		// The binding is upper-cased; the signal has the source as given.
		{[]string{"--zone=dmz", "--add-source=52:54:00:aa:bb:cc"}, Event{Kind: EventSourceAdded, Zone: "dmz", Source: "52:54:00:aa:bb:cc"}},
		{[]string{"--zone=dmz", "--change-source=10.9.0.0/16"}, Event{Kind: EventZoneOfSourceChanged, Zone: "dmz", Source: "10.9.0.0/16"}},
		{[]string{"--set-default-zone=dmz"}, Event{Kind: EventDefaultZoneChanged, Zone: "dmz"}},
		{[]string{"--ipset=lan", "--add-entry=10.7.0.0/16"}, Event{Kind: EventIPSetEntryAdded, IPSet: "lan", Entry: "10.7.0.0/16"}},
		{[]string{"--ipset=lan", "--remove-entry=10.7.0.0/16"}, Event{Kind: EventIPSetEntryRemoved, IPSet: "lan", Entry: "10.7.0.0/16"}},
		{[]string{"--permanent", "--policy=intpub", "--set-priority=-40"}, Event{Kind: EventPermanentPolicyChanged, Policy: "intpub"}},
		{[]string{"--reload"}, Event{Kind: EventReloaded}},
		{[]string{"--set-default-zone=public"}, Event{Kind: EventDefaultZoneChanged, Zone: "public"}},
	}
	for _, st := range steps {
		e.cmd(t, st.args...)
		waitEvent(t, w, st.want)
	}
	// A runtime policy change (our own passthrough writes settings).
	if err := e.c.AddRichRule(ctx, firewalld.PolicyScope("intpub"), false, `rule family="ipv4" source address="10.6.0.0/16" accept`, 0); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, w, Event{Kind: EventPolicyUpdated, Policy: "intpub"})

	s, err := e.c.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The reload applied the new priority; writing rich_rules alone left
	// the other settings alone.
	wantPolicy := firewalld.Policy{Name: "intpub", Priority: -40, Ingress: []string{"internal"}, Egress: []string{"public"}, Target: "CONTINUE"}
	if i := slices.IndexFunc(s.Policies, func(p firewalld.Policy) bool { return p.Name == "intpub" }); i < 0 || !reflect.DeepEqual(s.Policies[i], wantPolicy) {
		t.Errorf("policy intpub: %+v, want %+v", s.Policies, wantPolicy)
	}
}

func (e *fwEnv) testZoneRichRules(t *testing.T) {
	ctx := ctxFor(t)
	const (
		typed     = `rule family=ipv4 source address=10.1.0.0/16 service name=ssh accept`
		canonical = `rule family="ipv4" source address="10.1.0.0/16" service name="ssh" accept`
	)
	for _, tg := range []testTarget{{firewalld.ZoneScope("internal"), false}, {firewalld.ZoneScope("internal"), true}, {firewalld.ZoneScope(""), false}, {firewalld.ZoneScope(""), true}} {
		t.Run(where(tg.Scope, tg.Permanent), func(t *testing.T) {
			if err := e.c.AddRichRule(ctx, tg.Scope, tg.Permanent, typed, 0); err != nil {
				t.Fatal(err)
			}
			err := e.c.AddRichRule(ctx, tg.Scope, tg.Permanent, canonical, 0)
			if !errors.Is(err, &firewalld.Error{Code: firewalld.AlreadyEnabled}) {
				t.Errorf("second add: %v, want ALREADY_ENABLED", err)
			}
			if ok, err := e.c.QueryRichRule(ctx, tg.Scope, tg.Permanent, typed); err != nil || !ok {
				t.Errorf("query: %v, %v", ok, err)
			}
			rules, err := e.c.RichRules(ctx, tg.Scope, tg.Permanent)
			if err != nil || !slices.Equal(rules, []string{canonical}) {
				t.Errorf("rules: %q, %v", rules, err)
			}
			args := []string{"--list-rich-rules"}
			if tg.Name != "" {
				args = append(args, "--zone="+tg.Name)
			}
			if tg.Permanent {
				args = append(args, "--permanent")
			}
			if got := e.cmd(t, args...); got != canonical {
				t.Errorf("firewall-cmd %s: %q", strings.Join(args, " "), got)
			}
			if err := e.c.RemoveRichRule(ctx, tg.Scope, tg.Permanent, typed); err != nil {
				t.Fatal(err)
			}
			err = e.c.RemoveRichRule(ctx, tg.Scope, tg.Permanent, typed)
			if !errors.Is(err, &firewalld.Error{Code: firewalld.NotEnabled}) {
				t.Errorf("second remove: %v, want NOT_ENABLED", err)
			}
			if ok, err := e.c.QueryRichRule(ctx, tg.Scope, tg.Permanent, canonical); err != nil || ok {
				t.Errorf("query after remove: %v, %v", ok, err)
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		tg := testTarget{firewalld.ZoneScope("dmz"), false}
		if err := e.c.AddRichRule(ctx, tg.Scope, tg.Permanent, canonical, time.Second); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			ok, err := e.c.QueryRichRule(ctx, tg.Scope, tg.Permanent, canonical)
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("rule with a 1s timeout still there after 10s")
			}
			time.Sleep(200 * time.Millisecond)
		}
		err := e.c.AddRichRule(ctx, firewalld.ZoneScope("dmz"), true, canonical, time.Second)
		if !errors.Is(err, ErrTimeoutNotSupported) {
			t.Errorf("permanent with timeout: %v", err)
		}
	})
}

func (e *fwEnv) testPolicyRichRules(t *testing.T) {
	ctx := ctxFor(t)
	const (
		rule      = `rule family="ipv4" source address="10.2.0.0/16" tcp-mss-clamp value="1200"`
		respelled = `rule family=ipv4 source address=10.2.0.0/16 tcp-mss-clamp value=1200`
	)
	for _, tg := range []testTarget{{firewalld.PolicyScope("intpub"), false}, {firewalld.PolicyScope("intpub"), true}} {
		t.Run(where(tg.Scope, tg.Permanent), func(t *testing.T) {
			before, err := e.c.RichRules(ctx, tg.Scope, tg.Permanent)
			if err != nil {
				t.Fatal(err)
			}
			if err := e.c.AddRichRule(ctx, tg.Scope, tg.Permanent, rule, 0); err != nil {
				t.Fatal(err)
			}
			for _, again := range []string{rule, respelled} {
				err = e.c.AddRichRule(ctx, tg.Scope, tg.Permanent, again, 0)
				if !errors.Is(err, &firewalld.Error{Code: firewalld.AlreadyEnabled}) {
					t.Errorf("adding %q again: %v, want ALREADY_ENABLED", again, err)
				}
			}
			if ok, err := e.c.QueryRichRule(ctx, tg.Scope, tg.Permanent, rule); err != nil || !ok {
				t.Errorf("query: %v, %v", ok, err)
			}
			args := []string{"--policy=intpub", "--list-rich-rules"}
			if tg.Permanent {
				args = append(args, "--permanent")
			}
			if got := strings.Split(e.cmd(t, args...), "\n"); !slices.Contains(got, rule) {
				t.Errorf("firewall-cmd %s: %q", strings.Join(args, " "), got)
			}
			rules, err := e.c.RichRules(ctx, tg.Scope, tg.Permanent)
			// In any order: firewalld 2.x keeps none for runtime policies.
			if err != nil || !slices.Equal(sorted(rules), sorted(append(slices.Clone(before), rule))) {
				t.Errorf("rules: %q, %v; before %q", rules, err, before)
			}
			if err := e.c.RemoveRichRule(ctx, tg.Scope, tg.Permanent, rule); err != nil {
				t.Fatal(err)
			}
			err = e.c.RemoveRichRule(ctx, tg.Scope, tg.Permanent, rule)
			if !errors.Is(err, &firewalld.Error{Code: firewalld.NotEnabled}) {
				t.Errorf("second remove: %v, want NOT_ENABLED", err)
			}
			if rules, err := e.c.RichRules(ctx, tg.Scope, tg.Permanent); err != nil || !slices.Equal(rules, before) {
				t.Errorf("rules after remove: %q, %v; want %q", rules, err, before)
			}
			// Writing rich_rules alone left the other settings alone.
			args = []string{"--policy=intpub", "--list-all"}
			if tg.Permanent {
				args = append(args, "--permanent")
			}
			all := e.cmd(t, args...)
			for _, want := range []string{"priority: -40", "ingress-zones: internal", "egress-zones: public"} {
				if !strings.Contains(all, want) {
					t.Errorf("firewall-cmd %s lacks %q:\n%s", strings.Join(args, " "), want, all)
				}
			}
		})
	}
	if err := e.c.AddRichRule(ctx, firewalld.PolicyScope("intpub"), false, rule, time.Minute); !errors.Is(err, ErrTimeoutNotSupported) {
		t.Errorf("policy rule with timeout: %v", err)
	}
}

func (e *fwEnv) testErrors(t *testing.T) {
	ctx := ctxFor(t)
	tests := []struct {
		name   string
		run    func() error
		code   string
		number int
	}{
		{"invalid rule runtime", func() error {
			return e.c.AddRichRule(ctx, firewalld.ZoneScope("public"), false, `rule tcp-mss-clamp value="535"`, 0)
		}, "INVALID_RULE", 122},
		{"invalid rule permanent", func() error {
			return e.c.AddRichRule(ctx, firewalld.ZoneScope("public"), true, `rule bogus`, 0)
		}, "INVALID_RULE", 122},
		{"invalid rule policy", func() error {
			return e.c.AddRichRule(ctx, firewalld.PolicyScope("intpub"), false, `rule tcp-mss-clamp accept`, 0)
		}, "INVALID_RULE", 122},
		{"unknown zone runtime", func() error {
			_, err := e.c.RichRules(ctx, firewalld.ZoneScope("nosuch"), false)
			return err
		}, "INVALID_ZONE", 112},
		{"unknown zone permanent", func() error {
			_, err := e.c.QueryRichRule(ctx, firewalld.ZoneScope("nosuch"), true, `rule tcp-mss-clamp`)
			return err
		}, "INVALID_ZONE", 112},
		{"unknown policy runtime", func() error {
			_, err := e.c.RichRules(ctx, firewalld.PolicyScope("nosuch"), false)
			return err
		}, "INVALID_POLICY", 140},
		{"unknown policy permanent", func() error {
			_, err := e.c.RichRules(ctx, firewalld.PolicyScope("nosuch"), true)
			return err
		}, "INVALID_POLICY", 140},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.run()
			var fe *firewalld.Error
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want a *firewalld.Error", err)
			}
			if fe.Code.Name() != tt.code || fe.Code.Number() != tt.number {
				t.Errorf("got %s (%d) %q, want %s (%d)", fe.Code, fe.Code.Number(), fe.Msg, tt.code, tt.number)
			}
			t.Logf("Error: %s", fe)
		})
	}
}

func (e *fwEnv) testStopStart(t *testing.T) {
	ctx := ctxFor(t)
	w, err := e.c.Watch(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	e.fw.Stop(t)
	waitEvent(t, w, Event{Kind: EventStopped})
	if e.c.Running(ctx) {
		t.Error("Running = true after stop")
	}
	if _, err := e.c.Snapshot(ctx); !errors.Is(err, ErrNotRunning) {
		t.Errorf("Snapshot after stop: %v, want ErrNotRunning", err)
	} else {
		t.Logf("Snapshot after stop: %v", err)
	}
	if err := e.c.AddRichRule(ctx, firewalld.ZoneScope("public"), false, `rule tcp-mss-clamp`, 0); !errors.Is(err, ErrNotRunning) {
		t.Errorf("AddRichRule after stop: %v, want ErrNotRunning", err)
	}
	// Snapshot as soon as firewalld takes its name: the calls wait until
	// it has loaded its rules.
	type result struct {
		ev  Event
		s   *FirewalldState
		err error
	}
	done := make(chan result, 1)
	go func() {
		for ev := range w.Events() {
			if ev.Kind == EventStarted {
				s, err := e.c.Snapshot(ctx)
				done <- result{ev, s, err}
				return
			}
		}
		done <- result{err: w.Err()}
	}()
	e.fw.Start(t)
	r := <-done
	if r.err != nil {
		t.Fatalf("Snapshot on started: %v", r.err)
	}
	if r.ev.Owner == "" {
		t.Errorf("started event without owner: %+v", r.ev)
	}
	if r.s.State != "RUNNING" || !r.s.Has(firewalld.ZoneScope("public")) || !r.s.Has(firewalld.PolicyScope("intpub")) {
		t.Errorf("Snapshot on started: %+v", r.s)
	}
	// A restart drops the runtime-only bindings.
	if i := slices.IndexFunc(r.s.Zones, func(z firewalld.Zone) bool { return z.Name == "internal" }); i < 0 || len(r.s.Zones[i].Sources) != 0 {
		t.Errorf("after restart: %+v", r.s.Zones)
	}
	// The subscription follows the bus name to the new process.
	e.cmd(t, "--reload")
	waitEvent(t, w, Event{Kind: EventReloaded})
}

func TestFirewalldIptablesBackend(t *testing.T) {
	t.Parallel()
	e := startFirewalld(t, "iptables")
	s, err := e.c.Snapshot(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend != "iptables" || s.DefaultZone == "" || !s.Has(firewalld.ZoneScope("public")) {
		t.Errorf("Snapshot: backend %q, default zone %q, zones %+v", s.Backend, s.DefaultZone, s.Zones)
	}
}

func sameSet(a, b []string) bool {
	return slices.Equal(slices.Sorted(slices.Values(a)), slices.Sorted(slices.Values(b)))
}

func upperMACs(sources []string) []string {
	out := slices.Clone(sources)
	for i, s := range out {
		if strings.Count(s, ":") == 5 && !strings.Contains(s, "/") {
			out[i] = strings.ToUpper(s)
		}
	}
	return out
}

// testTarget is a zone or policy, at runtime or permanently.
type testTarget struct {
	firewalld.Scope
	Permanent bool
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
