package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// fakeBackend holds the last applied ruleset, as a kernel would.
type fakeBackend struct {
	mu      sync.Mutex
	applied *backend.Ruleset
	fail    error
	applies int
}

func (f *fakeBackend) Apply(_ context.Context, rs *backend.Ruleset) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.fail != nil {
		return f.fail
	}
	f.applied, f.applies = rs, f.applies+1
	return nil
}

func (f *fakeBackend) Flush(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.applied = nil
	return nil
}

func (f *fakeBackend) Dump(context.Context) (string, error) { return f.kernel(), nil }

func (f *fakeBackend) Counters(context.Context) (map[string]backend.Counter, error) {
	return map[string]backend.Counter{}, nil
}

// kernel is the applied ruleset's clamps, one "ID MSS" per line, sorted.
func (f *fakeBackend) kernel() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.applied == nil {
		return ""
	}
	var lines []string
	for _, ch := range f.applied.Chains {
		for _, r := range ch.Rules {
			if r.Clamp != nil {
				lines = append(lines, r.Clamp.Scope.String()+": "+r.Clamp.Rule)
			}
		}
	}
	slices.Sort(lines)
	return strings.Join(slices.Compact(lines), "\n")
}

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) RuleAdded(s firewalld.Scope, rule string, timeout time.Duration) {
	r.add(fmt.Sprintf("added %s %s %s", s, rule, timeout))
}
func (r *recorder) RuleRemoved(s firewalld.Scope, rule string) {
	r.add(fmt.Sprintf("removed %s %s", s, rule))
}
func (r *recorder) Reloaded() { r.add("reloaded") }
func (r *recorder) add(s string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, s)
}
func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

type fixture struct {
	eng *Engine
	be  *fakeBackend
	rec *recorder
	dir string
}

func newFixture(t *testing.T, files map[string]string) *fixture {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	f := &fixture{be: &fakeBackend{}, rec: &recorder{}, dir: dir}
	f.eng = New(Config{Backend: f.be, Store: store.Open(dir), Listener: f.rec})
	if err := f.eng.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return f
}

func wantCode(t *testing.T, err error, code firewalld.Code) {
	t.Helper()
	if !errors.Is(err, &firewalld.Error{Code: code}) {
		t.Fatalf("error = %v, want %s", err, code.Name())
	}
}

const zoneInternal = `<?xml version="1.0" encoding="utf-8"?>
<zone>
  <interface name="eth1"/>
</zone>
`

func TestRuntimeRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, map[string]string{"zones/internal.xml": zoneInternal})
	pub := firewalld.Scope{}

	zone, err := f.eng.AddRule(ctx, pub, "rule tcp-mss-clamp value=01200", 0)
	if err != nil || zone != "public" {
		t.Fatalf("AddRule = %q, %v", zone, err)
	}
	_, err = f.eng.AddRule(ctx, pub, `rule tcp-mss-clamp value="1200"`, 0)
	wantCode(t, err, firewalld.AlreadyEnabled)
	if got := err.Error(); got != `ALREADY_ENABLED: 'rule tcp-mss-clamp value="1200"' already in 'public'` {
		t.Errorf("duplicate error text = %q", got)
	}
	if _, err := f.eng.AddRule(ctx, firewalld.Scope{Name: "internal"}, "rule tcp-mss-clamp", 0); err != nil {
		t.Fatal(err)
	}
	if got, want := f.be.kernel(), "zone internal: rule tcp-mss-clamp\nzone public: rule tcp-mss-clamp value=\"1200\""; got != want {
		t.Errorf("kernel =\n%s\nwant\n%s", got, want)
	}
	if ok, err := f.eng.QueryRule(context.Background(), firewalld.Scope{Name: "public"}, "rule tcp-mss-clamp value=1200"); !ok || err != nil {
		t.Errorf("QueryRule = %v, %v", ok, err)
	}
	if rules, _ := f.eng.Rules(context.Background(), pub); !slices.Equal(rules, []string{`rule tcp-mss-clamp value="1200"`}) {
		t.Errorf("Rules = %q", rules)
	}

	_, err = f.eng.AddRule(ctx, firewalld.Scope{Name: "nosuch"}, "rule tcp-mss-clamp", 0)
	wantCode(t, err, firewalld.InvalidZone)
	_, err = f.eng.AddRule(ctx, firewalld.Scope{Policy: true, Name: "nosuch"}, "rule tcp-mss-clamp", 0)
	wantCode(t, err, firewalld.InvalidPolicy)
	_, err = f.eng.AddRule(ctx, pub, "rule service name=ssh accept", 0)
	wantCode(t, err, firewalld.InvalidRule)
	if !strings.Contains(err.Error(), "belongs to firewalld") {
		t.Errorf("non-clamp error = %q", err)
	}
	_, err = f.eng.AddRule(ctx, pub, "rule tcp-mss-clamp value=535", 0)
	wantCode(t, err, firewalld.InvalidRule)

	if _, err := f.eng.RemoveRule(ctx, pub, "rule tcp-mss-clamp value=1200"); err != nil {
		t.Fatal(err)
	}
	_, err = f.eng.RemoveRule(ctx, pub, "rule tcp-mss-clamp value=1200")
	wantCode(t, err, firewalld.NotEnabled)
	if got := f.be.kernel(); got != "zone internal: rule tcp-mss-clamp" {
		t.Errorf("kernel after remove = %q", got)
	}
	want := []string{
		`added zone public rule tcp-mss-clamp value="1200" 0s`,
		`added zone internal rule tcp-mss-clamp 0s`,
		`removed zone public rule tcp-mss-clamp value="1200"`,
	}
	if got := f.rec.list(); !slices.Equal(got, want) {
		t.Errorf("events =\n%q\nwant\n%q", got, want)
	}
}

func TestKernelRefusalLeavesNothingHalfApplied(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	if _, err := f.eng.AddRule(ctx, firewalld.Scope{}, "rule tcp-mss-clamp", 0); err != nil {
		t.Fatal(err)
	}
	f.be.fail = errors.New("netlink: no buffer space")
	_, err := f.eng.AddRule(ctx, firewalld.Scope{}, "rule tcp-mss-clamp value=1300", 0)
	wantCode(t, err, firewalld.CommandFailed)
	if rules, _ := f.eng.Rules(context.Background(), firewalld.Scope{}); !slices.Equal(rules, []string{"rule tcp-mss-clamp"}) {
		t.Errorf("runtime after refused add = %q", rules)
	}
	_, err = f.eng.RemoveRule(ctx, firewalld.Scope{}, "rule tcp-mss-clamp")
	wantCode(t, err, firewalld.CommandFailed)
	if ok, _ := f.eng.QueryRule(context.Background(), firewalld.Scope{}, "rule tcp-mss-clamp"); !ok {
		t.Error("refused remove dropped the rule from the runtime")
	}
	if len(f.rec.list()) != 1 {
		t.Errorf("refused changes were signalled: %q", f.rec.list())
	}
}

func TestTimeoutExpires(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	if _, err := f.eng.AddRule(ctx, firewalld.Scope{}, "rule tcp-mss-clamp value=1300", 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for f.be.kernel() != "" {
		if time.Now().After(deadline) {
			t.Fatal("timed rule never expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
	want := []string{`added zone public rule tcp-mss-clamp value="1300" 50ms`, `removed zone public rule tcp-mss-clamp value="1300"`}
	for time.Now().Before(deadline) && len(f.rec.list()) < 2 {
		time.Sleep(10 * time.Millisecond)
	}
	if got := f.rec.list(); !slices.Equal(got, want) {
		t.Errorf("events = %q, want %q", got, want)
	}
}

func TestPermanentAndReload(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, map[string]string{"zones/internal.xml": zoneInternal})
	internal := firewalld.Scope{Name: "internal"}
	if _, err := f.eng.AddPermanentRule(context.Background(), internal, "rule family=ipv4 tcp-mss-clamp value=1347"); err != nil {
		t.Fatal(err)
	}
	_, err := f.eng.AddPermanentRule(context.Background(), internal, `rule family="ipv4" tcp-mss-clamp value="1347"`)
	wantCode(t, err, firewalld.AlreadyEnabled)
	if ok, _ := f.eng.QueryRule(context.Background(), internal, "rule family=ipv4 tcp-mss-clamp value=1347"); ok {
		t.Error("a permanent add changed the runtime")
	}
	data, err := os.ReadFile(filepath.Join(f.dir, "zones/internal.xml"))
	if err != nil || !strings.Contains(string(data), `<interface name="eth1"/>`) || !strings.Contains(string(data), `<tcp-mss-clamp value="1347"/>`) {
		t.Errorf("zone file lost its binding or misses the rule:\n%s", data)
	}
	// a runtime rule, and a timed one
	addRuntime := func() {
		if _, err := f.eng.AddRule(ctx, internal, "rule tcp-mss-clamp value=1200", 0); err != nil {
			t.Fatal(err)
		}
		if _, err := f.eng.AddRule(ctx, internal, "rule tcp-mss-clamp value=1300", time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	addRuntime()
	if err := f.eng.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if rules, _ := f.eng.Rules(context.Background(), internal); !slices.Equal(rules, []string{`rule family="ipv4" tcp-mss-clamp value="1347"`}) {
		t.Errorf("runtime after reload = %q", rules)
	}
	addRuntime()
	if err := f.eng.RuntimeToPermanent(ctx); err != nil {
		t.Fatal(err)
	}
	perm, _ := f.eng.PermanentRules(context.Background(), internal)
	if want := []string{`rule family="ipv4" tcp-mss-clamp value="1347"`, `rule tcp-mss-clamp value="1200"`}; !slices.Equal(perm, want) {
		t.Errorf("permanent after runtime-to-permanent = %q, want %q (timed rules stay runtime)", perm, want)
	}
	if _, err := f.eng.RemovePermanentRule(context.Background(), internal, "rule tcp-mss-clamp value=1200"); err != nil {
		t.Fatal(err)
	}
	_, err = f.eng.RemovePermanentRule(context.Background(), internal, "rule tcp-mss-clamp value=1200")
	wantCode(t, err, firewalld.NotEnabled)
}

func TestBrokenFileKeepsRunningRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, map[string]string{
		"zones/internal.xml": strings.Replace(zoneInternal, "</zone>", "  <rule><tcp-mss-clamp value=\"1300\"/></rule>\n</zone>", 1),
		"zones/dmz.xml":      "<zone><rule><tcp-mss-clamp/></rule><interface name=\"eth2\"/></zone>\n",
	})
	if got := f.be.kernel(); got != "zone dmz: rule tcp-mss-clamp\nzone internal: rule tcp-mss-clamp value=\"1300\"" {
		t.Fatalf("kernel at start = %q", got)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "zones/internal.xml"), []byte("<zone>\n  <rule><tcp-mss-clamp value=\"12\"/></rule>\n</zone>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "zones/dmz.xml"), []byte("<zone><rule><tcp-mss-clamp value=\"1400\"/></rule><interface name=\"eth2\"/></zone>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := f.eng.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if got := f.be.kernel(); got != "zone dmz: rule tcp-mss-clamp value=\"1400\"\nzone internal: rule tcp-mss-clamp value=\"1300\"" {
		t.Errorf("kernel after reload with a broken file = %q", got)
	}
	broken := f.eng.Broken()
	if len(broken) != 1 || !strings.HasSuffix(broken[0].Path, "zones/internal.xml") || broken[0].Line != 2 {
		t.Errorf("Broken() = %v", broken)
	}
	_, err := f.eng.AddPermanentRule(context.Background(), firewalld.Scope{Name: "internal"}, "rule tcp-mss-clamp")
	wantCode(t, err, firewalld.CommandFailed)
}

func TestPolicyHostRules(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, map[string]string{
		"policies/to-host.xml": `<policy target="CONTINUE"><ingress-zone name="public"/><egress-zone name="HOST"/></policy>`,
	})
	to := firewalld.Scope{Policy: true, Name: "to-host"}
	_, err := f.eng.AddRule(ctx, to, "rule tcp-mss-clamp", 0)
	wantCode(t, err, firewalld.InvalidRule)
	if !strings.Contains(err.Error(), "HOST") {
		t.Errorf("error does not say why: %v", err)
	}
	if _, err := f.eng.AddRule(ctx, to, "rule tcp-mss-clamp value=1200", 0); err != nil {
		t.Fatal(err)
	}
}

// TestConcurrentClients: many callers at once end with the kernel equal to
// the final rule set.
func TestConcurrentClients(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	var wg sync.WaitGroup
	for c := 0; c < 16; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 100; i++ {
				rule := fmt.Sprintf("rule family=ipv4 source address=10.%d.%d.0/24 tcp-mss-clamp value=%d", c, i, 600+i)
				if _, err := f.eng.AddRule(ctx, firewalld.Scope{}, rule, 0); err != nil {
					t.Error(err)
					return
				}
				if i%2 == 0 {
					if _, err := f.eng.RemoveRule(ctx, firewalld.Scope{}, rule); err != nil {
						t.Error(err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	rules, _ := f.eng.Rules(context.Background(), firewalld.Scope{})
	if len(rules) != 16*50 {
		t.Fatalf("%d rules, want %d", len(rules), 16*50)
	}
	var want []string
	for _, r := range rules {
		want = append(want, "zone public: "+r)
	}
	slices.Sort(want)
	if got := f.be.kernel(); got != strings.Join(want, "\n") {
		t.Error("kernel differs from the final rule set")
	}
}

// fakeFirewalld is an environment with one runtime zone and a zone that so
// far exists only in its permanent configuration.
type fakeFirewalld struct{}

func (fakeFirewalld) Name() string { return "firewalld" }
func (fakeFirewalld) Topology(context.Context) (*firewalld.Topology, error) {
	return &firewalld.Topology{DefaultZone: "public", Zones: []firewalld.Zone{{Name: "public"}}}, nil
}
func (fakeFirewalld) PermanentNames(context.Context) ([]string, []string, error) {
	return []string{"newzone", "public"}, nil, nil
}

func TestPermanentOnlyZone(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, nil)
	if err := f.eng.SetEnv(ctx, fakeFirewalld{}); err != nil {
		t.Fatal(err)
	}
	nz := firewalld.Scope{Name: "newzone"}
	if _, err := f.eng.AddPermanentRule(context.Background(), nz, "rule tcp-mss-clamp value=1300"); err != nil {
		t.Fatalf("permanent rule for a zone firewalld has only permanently: %v", err)
	}
	if rules, err := f.eng.PermanentRules(context.Background(), nz); err != nil || len(rules) != 1 {
		t.Errorf("PermanentRules = %q, %v", rules, err)
	}
	_, err := f.eng.AddRule(ctx, nz, "rule tcp-mss-clamp value=1300", 0)
	wantCode(t, err, firewalld.InvalidZone)
	_, err = f.eng.AddPermanentRule(context.Background(), firewalld.Scope{Name: "nosuch"}, "rule tcp-mss-clamp")
	wantCode(t, err, firewalld.InvalidZone)
}
