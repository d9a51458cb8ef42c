package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/engine"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
	"github.com/firewalld-mssclamp/mssclamp/store"
)

// result is what one run of the command gave.
type result struct {
	stdout, stderr string
	code           int
}

// runner runs the command with args (without the program name).
type runner func(args []string) result

// seedStore writes the configuration every transcript starts from: zone
// internal besides the default zone public, and policy fwd from any zone to
// any zone. Unit and system tests start mssclampd on it alike.
func seedStore(t testing.TB, dir string) {
	t.Helper()
	st := store.Open(dir)
	if err := st.SaveZone(&store.Zone{Name: "internal"}); err != nil {
		t.Fatal(err)
	}
	if err := st.SavePolicy(&store.Policy{Name: "fwd", Priority: store.DefaultPriority,
		Ingress: []string{firewalld.ZoneAny}, Egress: []string{firewalld.ZoneAny}}); err != nil {
		t.Fatal(err)
	}
}

// fakeKernel is a backend.Backend without a kernel: it keeps the last
// ruleset and reports the counters the test sets.
type fakeKernel struct {
	mu       sync.Mutex
	applied  *backend.Ruleset
	counters map[string]backend.Counter
}

func (k *fakeKernel) Apply(_ context.Context, rs *backend.Ruleset) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.applied = rs
	return nil
}

func (k *fakeKernel) Flush(context.Context) error { return k.Apply(context.Background(), nil) }

func (k *fakeKernel) Dump(context.Context) (string, error) {
	return "table inet mssclamp {\n\t# fake kernel\n}\n", nil
}

func (k *fakeKernel) Counters(context.Context) (map[string]backend.Counter, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]backend.Counter{}
	for id, c := range k.counters {
		out[id] = c
	}
	return out, nil
}

func (k *fakeKernel) setCounter(s firewalld.Scope, rule string, c backend.Counter) {
	r, err := richrule.Parse(rule)
	if err != nil {
		panic(err)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.counters == nil {
		k.counters = map[string]backend.Counter{}
	}
	k.counters[backend.RuleID(s, r)] = c
}

// world is mssclampd's real D-Bus service and engine, over a fake kernel,
// on a private bus; with firewalld, a fake firewalld is on the bus too.
type world struct {
	bus     *systest.Bus
	kernel  *fakeKernel
	fw      *fakeFirewalld // nil without firewalld
	dir     string         // mssclampd's configuration
	machine machine
}

// testVersion is what the service in a world says its version is.
const testVersion = "9.9.9-test"

func newWorld(t testing.TB, withFirewalld bool) *world {
	t.Helper()
	w := &world{
		bus:    systest.StartBus(t, systest.BusOptions{}),
		kernel: &fakeKernel{},
		dir:    t.TempDir(),
	}
	seedStore(t, w.dir)
	w.machine = testMachine(t)
	startFakePolkit(t, w.bus)
	if withFirewalld {
		w.fw = startFakeFirewalld(t, w.bus)
	}
	w.startDaemon(t)
	return w
}

// startDaemon wires the service as cmd/mssclampd does, standalone.
func (w *world) startDaemon(t testing.TB) {
	t.Helper()
	conn := w.bus.Conn(t)
	svc := mdbus.NewService(conn, mdbus.Info{Version: testVersion, Backend: "nftables"}, nil)
	eng := engine.New(engine.Config{Backend: w.kernel, Store: store.Open(w.dir), Listener: svc})
	if err := eng.Start(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if err := svc.Serve(eng); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		svc.Close()
		eng.Shutdown(context.Background(), false)
	})
}

// testMachine is a machine whose firewalld has zones public, internal and
// dmz and policy fwd, default zone public, backend nftables.
func testMachine(t testing.TB) machine {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []string{"zones/public.xml", "zones/internal.xml", "zones/dmz.xml", "policies/fwd.xml"} {
		p := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("<zone/>\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	conf := filepath.Join(dir, "firewalld.conf")
	if err := os.WriteFile(conf, []byte("DefaultZone=public\nFirewallBackend=nftables\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return machine{firewalldConf: conf, firewalldDirs: []string{dir}, directFile: filepath.Join(dir, "direct.xml"),
		kernelHasNftables: func() bool { return true }}
}

// run runs the command in this process against the world's bus.
func (w *world) run(args []string) result {
	var out, errOut bytes.Buffer
	code := run(args, env{
		stdout:  &out,
		stderr:  &errOut,
		dial:    func() (*godbus.Conn, error) { return godbus.Connect(w.bus.Address) },
		machine: w.machine,
	})
	return result{out.String(), errOut.String(), code}
}

// polkitResult is polkit's (bba{ss}).
type polkitResult struct {
	Authorized, Challenge bool
	Details               map[string]string
}

// fakePolkit authorizes everyone, so that the tests also pass as a user
// other than root (mssclampd asks polkit about anyone but root).
type fakePolkit struct{}

func (fakePolkit) CheckAuthorization(subject struct {
	Kind    string
	Details map[string]godbus.Variant
}, action string, details map[string]string, flags uint32, cancel string) (polkitResult, *godbus.Error) {
	return polkitResult{Authorized: true, Details: map[string]string{}}, nil
}

func startFakePolkit(t testing.TB, bus *systest.Bus) {
	t.Helper()
	conn := bus.Conn(t)
	if err := conn.Export(fakePolkit{}, "/org/freedesktop/PolicyKit1/Authority", "org.freedesktop.PolicyKit1.Authority"); err != nil {
		t.Fatal(err)
	}
	requestName(t, conn, "org.freedesktop.PolicyKit1")
}

func requestName(t testing.TB, conn *godbus.Conn, name string) {
	t.Helper()
	reply, err := conn.RequestName(name, godbus.NameFlagDoNotQueue)
	if err != nil || reply != godbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("requesting %s: %v (reply %d)", name, err, reply)
	}
}
