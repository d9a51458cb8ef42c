package dbus

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// Tests of who may do what run the caller as another user: this test binary,
// re-executed as nobody (uid 65534) with callerEnv saying what to check, runs
// TestServiceCallerProcess against the bus in DBUS_SYSTEM_BUS_ADDRESS.
const (
	callerEnv = "MSSCLAMP_DBUS_TEST_CALLER"
	nobody    = 65534

	callerDenied       = "denied"        // no polkit: read, be refused every change, not own the name
	callerPolkitAllows = "polkit-allows" // polkit says yes: changes work
	callerPolkitDenies = "polkit-denies" // polkit says no: refused
)

// callerReady is printed by the caller once it listens for signals; the
// parent then makes a change for it to see.
const callerReady = "caller-ready"

var callerNameRE = regexp.MustCompile(`caller-name=(\S+)`)

// runCaller starts the caller as nobody, calls whenReady once it is ready,
// and returns its output after it passed (the test fails otherwise).
func runCaller(t *testing.T, f *svcFixture, mode string, whenReady func()) string {
	t.Helper()
	bin := nobodyCopyOfTestBinary(t)
	cmd := exec.Command(bin, "-test.run=^TestServiceCallerProcess$", "-test.v", "-test.count=1")
	// Under -race the caller would sleep a second at exit (atexit_sleep_ms).
	cmd.Env = append(f.bus.Env(), callerEnv+"="+mode, "HOME=/", "GORACE=atexit_sleep_ms=0")
	cmd.Dir = filepath.Dir(bin)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Credential: &syscall.Credential{Uid: nobody, Gid: nobody},
		Pdeathsig:  syscall.SIGKILL,
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting the caller as uid %d: %v", nobody, err)
	}
	killer := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() })
	defer killer.Stop()

	var all bytes.Buffer
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		all.WriteString(lines.Text() + "\n")
		if lines.Text() == callerReady {
			whenReady()
		}
	}
	_, _ = io.Copy(&all, out)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("caller (%s) as uid %d: %v; output:\n%s", mode, nobody, err, all.String())
	}
	if !strings.Contains(all.String(), "--- PASS: TestServiceCallerProcess") {
		t.Fatalf("caller (%s) did not run; output:\n%s", mode, all.String())
	}
	return all.String()
}

// nobodyCopyOfTestBinary copies this test binary where nobody may run it: go
// test builds it in a directory only its owner may enter.
func nobodyCopyOfTestBinary(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "msc-caller-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	src, err := os.Open(self)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	bin := filepath.Join(dir, "dbus.test")
	dst, err := os.OpenFile(bin, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}

// changes are every call that changes something, with harmless arguments.
func changes() []busCall {
	myZone, allowOut := ConfigZonePath("my-zone"), ConfigPolicyPath("allow-out")
	return []busCall{
		{path: ServicePath, iface: ServiceZoneInterface, method: "addRichRule", args: args("", "rule N", int32(0)), want: "public"},
		{path: ServicePath, iface: ServiceZoneInterface, method: "removeRichRule", args: args("", "rule N"), want: "public"},
		{path: ServicePath, iface: ServicePolicyInterface, method: "addRichRule", args: args("allow-out", "rule N", int32(0)), want: "allow-out"},
		{path: ServicePath, iface: ServicePolicyInterface, method: "removeRichRule", args: args("allow-out", "rule N"), want: "allow-out"},
		{path: myZone, iface: ServiceConfigZoneInterface, method: "addRichRule", args: args("rule N")},
		{path: myZone, iface: ServiceConfigZoneInterface, method: "removeRichRule", args: args("rule N")},
		{path: allowOut, iface: ServiceConfigPolicyInterface, method: "addRichRule", args: args("rule N")},
		{path: allowOut, iface: ServiceConfigPolicyInterface, method: "removeRichRule", args: args("rule N")},
		{path: ServicePath, iface: ServiceInterface, method: "runtimeToPermanent"},
		{path: ServicePath, iface: ServiceInterface, method: "reload"},
	}
}

// reads are every call that only reads; the fixture holds "rule seen" in the
// default zone at runtime and in my-zone permanently.
func reads() []busCall {
	return []busCall{
		{path: ServicePath, iface: ServiceInterface, method: "getDefaultZone", want: "public"},
		{path: ServicePath, iface: ServiceInterface, method: "getBackendRules", want: "table inet mssclamp {\n}\n"},
		{path: ServicePath, iface: ServiceZoneInterface, method: "getZones", want: []string{"internal", "my-zone", "public"}},
		{path: ServicePath, iface: ServiceZoneInterface, method: "getRichRules", args: args(""), want: []string{"rule seen"}},
		{path: ServicePath, iface: ServiceZoneInterface, method: "queryRichRule", args: args("", "rule seen"), want: true},
		{path: ServicePath, iface: ServiceZoneInterface, method: "getRichRuleCounters", args: args(""), want: []ruleCounter{{"rule seen", 10, 1000}}},
		{path: ServicePath, iface: ServicePolicyInterface, method: "getPolicies", want: []string{"allow-out"}},
		{path: ServicePath, iface: ServicePolicyInterface, method: "getRichRules", args: args("allow-out"), want: []string{}},
		{path: ServicePath, iface: ServicePolicyInterface, method: "queryRichRule", args: args("allow-out", "rule seen"), want: false},
		{path: ServicePath, iface: ServicePolicyInterface, method: "getRichRuleCounters", args: args("allow-out"), want: []ruleCounter{}},
		{path: ServicePath, iface: propertiesIface, method: "Get", args: args(ServiceInterface, "state"), want: godbus.MakeVariant("RUNNING")},
		{path: ServiceConfigPath, iface: ServiceConfigInterface, method: "getZoneNames", want: []string{"internal", "my-zone", "public"}},
		{path: ServiceConfigPath, iface: ServiceConfigInterface, method: "getPolicyNames", want: []string{"allow-out"}},
		{path: ServiceConfigPath, iface: ServiceConfigInterface, method: "getZoneByName", args: args("my-zone"), want: ConfigZonePath("my-zone")},
		{path: ServiceConfigPath, iface: ServiceConfigInterface, method: "getPolicyByName", args: args("allow-out"), want: ConfigPolicyPath("allow-out")},
		{path: ConfigZonePath("my-zone"), iface: ServiceConfigZoneInterface, method: "getRichRules", want: []string{"rule seen"}},
		{path: ConfigZonePath("my-zone"), iface: ServiceConfigZoneInterface, method: "queryRichRule", args: args("rule seen"), want: true},
		{path: ConfigPolicyPath("allow-out"), iface: ServiceConfigPolicyInterface, method: "getRichRules", want: []string{}},
		{path: ConfigPolicyPath("allow-out"), iface: ServiceConfigPolicyInterface, method: "queryRichRule", args: args("rule seen"), want: false},
		{path: ServicePath, iface: introspectableIface, method: "Introspect", want: rootXML},
	}
}

// TestServiceCallerProcess is the caller of the tests below, run by them as
// another user; on its own it skips.
func TestServiceCallerProcess(t *testing.T) {
	mode := os.Getenv(callerEnv)
	if mode == "" {
		t.Skip("helper process of TestServiceUnprivileged and TestServicePolkit")
	}
	if uid := os.Getuid(); uid != nobody {
		t.Fatalf("running as uid %d, want %d", uid, nobody)
	}
	conn, err := godbus.ConnectSystemBus()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Printf("caller-name=%s\n", conn.Names()[0])
	switch mode {
	case callerDenied:
		for _, c := range reads() {
			c.run(t, conn)
		}
		for _, c := range changes() {
			c.want, c.wantCode, c.wantText = nil, firewalld.NotAuthorized, "uid 65534 may not change mssclamp rules: only root may"
			c.run(t, conn)
		}
		_, err := conn.RequestName(ServiceName, godbus.NameFlagDoNotQueue)
		if de, ok := err.(godbus.Error); !ok || de.Name != "org.freedesktop.DBus.Error.AccessDenied" {
			t.Errorf("RequestName(%s) as uid %d: %v, want AccessDenied", ServiceName, nobody, err)
		}
		callerSeesSignal(t, conn)
	case callerPolkitAllows:
		for _, c := range changes() {
			c.run(t, conn)
		}
	case callerPolkitDenies:
		for _, c := range changes() {
			c.want, c.wantCode, c.wantText = nil, firewalld.NotAuthorized, "uid 65534 may not change mssclamp rules: polkit denied "+PolkitAction
			c.run(t, conn)
		}
	default:
		t.Fatalf("unknown %s=%q", callerEnv, mode)
	}
}

// callerSeesSignal subscribes, says it is ready, and waits for the rule the
// parent then adds.
func callerSeesSignal(t *testing.T, conn *godbus.Conn) {
	sigs := make(chan *godbus.Signal, 16)
	conn.Signal(sigs)
	if err := conn.AddMatchSignal(godbus.WithMatchInterface(ServiceZoneInterface), godbus.WithMatchMember("RichRuleAdded")); err != nil {
		t.Fatal(err)
	}
	fmt.Println(callerReady)
	select {
	case s := <-sigs:
		if want := args("public", "rule from root", int32(0)); fmt.Sprint(s.Body) != fmt.Sprint(want) {
			t.Errorf("signal %s %v, want %v", s.Name, s.Body, want)
		}
	case <-time.After(10 * time.Second):
		t.Errorf("no RichRuleAdded signal as uid %d", nobody)
	}
}

// TestServiceUnprivileged: without polkit, nobody reads everything, is
// refused every change, cannot own our name, and receives our signals.
func TestServiceUnprivileged(t *testing.T) {
	f := startService(t)
	f.core.seed(zone("public"), []string{"rule seen"}, nil)
	f.core.seed(zone("my-zone"), nil, []string{"rule seen"})
	runCaller(t, f, callerDenied, func() {
		if err := call(f.client, ServicePath, ServiceZoneInterface, "addRichRule", args("", "rule from root", int32(0))); err != nil {
			t.Errorf("root addRichRule: %v", err)
		}
	})
	for _, c := range f.core.Calls() {
		if !strings.HasPrefix(c, "Query") && !strings.Contains(c, "Rules ") && !strings.HasPrefix(c, "Counters") && c != `AddRule {false } "rule from root" 0s` {
			t.Errorf("the core saw a change: %s", c)
		}
	}
}

// fakePolkit is org.freedesktop.PolicyKit1 on the test bus.
type fakePolkit struct {
	mu    sync.Mutex
	allow bool
	asked []string // "kind name action flags", one per call
}

func (p *fakePolkit) CheckAuthorization(subject polkitSubject, action string, details map[string]string, flags uint32, cancellation string) (polkitResult, *godbus.Error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asked = append(p.asked, fmt.Sprintf("%s %v %s %d %d %q", subject.Kind, subject.Details["name"].Value(), action, len(details), flags, cancellation))
	return polkitResult{Authorized: p.allow, Details: map[string]string{}}, nil
}

// startPolkit puts a fakePolkit on the bus; the busconfig in dir lets root
// own polkit's name (the system policy gives it to user polkitd only).
func startPolkit(t *testing.T, f *svcFixture, allow bool) *fakePolkit {
	t.Helper()
	conn := f.bus.Conn(t)
	pk := &fakePolkit{allow: allow}
	if err := conn.Export(pk, polkitPath, polkitIface); err != nil {
		t.Fatal(err)
	}
	if reply, err := conn.RequestName(polkitName, godbus.NameFlagDoNotQueue); err != nil || reply != godbus.RequestNameReplyPrimaryOwner {
		t.Fatalf("owning %s: %v %v", polkitName, reply, err)
	}
	return pk
}

func polkitBusConfig(t *testing.T) string {
	dir := t.TempDir()
	conf := `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <policy user="root">
    <allow own="` + polkitName + `"/>
  </policy>
</busconfig>
`
	if err := os.WriteFile(filepath.Join(dir, "polkit-for-tests.conf"), []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestServicePolkit: for anyone but root, polkit decides, asked about the
// caller's bus name and firewalld's config action, without interaction.
func TestServicePolkit(t *testing.T) {
	for _, tt := range []struct {
		mode  string
		allow bool
	}{{callerPolkitAllows, true}, {callerPolkitDenies, false}} {
		t.Run(tt.mode, func(t *testing.T) {
			f := startService(t, polkitBusConfig(t))
			pk := startPolkit(t, f, tt.allow)
			out := runCaller(t, f, tt.mode, func() {})
			m := callerNameRE.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("caller did not print its name:\n%s", out)
			}
			want := fmt.Sprintf("system-bus-name %s %s 0 0 %q", m[1], PolkitAction, "")
			pk.mu.Lock()
			defer pk.mu.Unlock()
			if len(pk.asked) != len(changes()) {
				t.Errorf("polkit asked %d times, want once per change (%d): %q", len(pk.asked), len(changes()), pk.asked)
			}
			for _, a := range pk.asked {
				if a != want {
					t.Errorf("polkit asked %q, want %q", a, want)
				}
			}
		})
	}
}
