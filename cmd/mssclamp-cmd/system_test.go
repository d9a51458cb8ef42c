package main

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// sysWorld is the built mssclampd in a namespace on a private bus.
type sysWorld struct {
	bus    *systest.Bus
	ns     *systest.NS
	dir    string // mssclampd's configuration
	cmd    string // the built mssclamp-cmd
	daemon string // the built mssclampd
}

func newSysWorld(t testing.TB) *sysWorld {
	t.Helper()
	systest.RequireRoot(t)
	systest.RequireCommands(t, "dbus-daemon", "nft", "go")
	w := &sysWorld{bus: systest.StartBus(t, systest.BusOptions{}), ns: systest.NewNS(t), dir: t.TempDir()}
	w.cmd, w.daemon = systest.Build(t, "../mssclamp-cmd"), systest.Build(t, "../mssclampd")
	seedStore(t, w.dir)
	return w
}

// startDaemon starts mssclampd in the namespace with args besides
// --config-dir and waits until it owns its name; it is stopped (SIGTERM)
// at Cleanup, or by the returned function.
func (w *sysWorld) startDaemon(t testing.TB, args ...string) (stop func()) {
	t.Helper()
	return systest.StartMssclampd(t, w.daemon, w.bus, w.ns, append([]string{"--config-dir=" + w.dir}, args...)...)
}

// run runs the built mssclamp-cmd in the namespace, on the private bus.
func (w *sysWorld) run(args []string) result {
	return runBinary(w.ns.Command(w.cmd, args...), w.bus)
}

// runBinary runs cmd with bus as its system bus, unless its Env is set
// already.
func runBinary(cmd *exec.Cmd, bus *systest.Bus) result {
	var out, errOut bytes.Buffer
	if cmd.Env == nil {
		cmd.Env = bus.Env()
	}
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	code := 0
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		code = ee.ExitCode()
	case err != nil:
		code = -1
		errOut.WriteString(err.Error())
	}
	return result{out.String(), errOut.String(), code}
}

// TestSystemStandalone runs standalone.txt against the built mssclampd
// (--firewalld=off) in a namespace, with each backend, then what depends on
// the kernel.
func TestSystemStandalone(t *testing.T) {
	for _, c := range []struct {
		backend string
		setMSS  string // how the backend's dump shows "set the MSS to "
		counter string // and a counter that saw nothing
	}{
		{"nftables", "tcp option maxseg size set ", "counter packets 0 bytes 0"},
		{"iptables", "--set-mss ", "[0:0]"},
	} {
		t.Run(c.backend, func(t *testing.T) {
			testStandalone(t, c.backend, c.setMSS, c.counter)
		})
	}
}

func testStandalone(t *testing.T, backend, setMSS, counter string) {
	w := newSysWorld(t)
	stop := w.startDaemon(t, "--firewalld=off", "--backend="+backend)
	runTranscript(t, filepath.Join(transcriptDir, "standalone.txt"), w.run, nil)

	// The kernel holds the runtime rules, with counters.
	got := w.run([]string{"--list-backend-rules"})
	if got.code != 0 || !strings.Contains(got.stdout, setMSS+"1200") || !strings.Contains(got.stdout, counter) {
		t.Errorf("--list-backend-rules: %q", got)
	}
	if got := w.run([]string{"--list-backend-rules", "--output=json"}); got.code != 0 || !strings.HasPrefix(got.stdout, `{"backend":"`+backend+`","rules":"`) {
		t.Errorf("--list-backend-rules --output=json: %q", got)
	}
	if got := w.run([]string{"--version"}); got.code != 0 || got.stdout == "" {
		t.Errorf("--version: %q", got)
	}

	// Offline edits beside the running daemon are picked up by --reload.
	offline := func(args ...string) result {
		return w.run(append([]string{"--offline", "--config-dir=" + w.dir}, args...))
	}
	if got := offline("--add-rich-rule=rule tcp-mss-clamp value=1210"); got != (result{"success\n", "", 0}) {
		t.Fatalf("offline add: %q", got)
	}
	if got := w.run([]string{"--query-rich-rule=rule tcp-mss-clamp value=1210"}); got != (result{"no\n", "", 1}) {
		t.Errorf("before --reload: %q", got)
	}
	if got := w.run([]string{"--reload"}); got != (result{"success\n", "", 0}) {
		t.Fatalf("--reload: %q", got)
	}
	if got := w.run([]string{"--query-rich-rule=rule tcp-mss-clamp value=1210"}); got != (result{"yes\n", "", 0}) {
		t.Errorf("after --reload: %q", got)
	}
	if got := w.run([]string{"--list-backend-rules"}); !strings.Contains(got.stdout, setMSS+"1210") {
		t.Errorf("--list-backend-rules after --reload: %q", got)
	}
	// And the offline view agrees with what the daemon applied.
	if got := offline("--list-backend-rules", "--backend="+backend); got.code != 0 || !strings.Contains(got.stdout, setMSS+"1200") {
		t.Errorf("offline --list-backend-rules: %q", got)
	}

	stop()
	notRunning := result{"", "Error: NOT_RUNNING: mssclampd is not running (no org.mssclamp.MssClamp1 on the system bus)\n", 252}
	if got := w.run([]string{"--list-rich-rules"}); got != notRunning {
		t.Errorf("--list-rich-rules without mssclampd: %q", got)
	}
	if got := w.run([]string{"--state"}); got != (result{"", "not running\n", 252}) {
		t.Errorf("--state without mssclampd: %q", got)
	}
}

// TestSystemFirewalld runs firewalld.txt with the real firewalld 1.3.3 and
// mssclampd --firewalld=auto on one bus in one namespace, then checks with
// firewall-cmd that firewalld's rules landed in firewalld.
func TestSystemFirewalld(t *testing.T) {
	w := newSysWorld(t)
	fw := systest.StartFirewalld(t, w.bus, w.ns, "nftables")
	w.startDaemon(t, "--firewalld=auto", "--firewalld-conf="+filepath.Join(fw.ConfigDir, "firewalld.conf"))
	runTranscript(t, filepath.Join(transcriptDir, "firewalld.txt"), w.run, nil)

	// What mssclamp-cmd sent to firewalld is firewalld's; ours is not.
	if got := fw.MustCmd(t, "--list-rich-rules"); got != "rule service name=\"http\" accept\n" {
		t.Errorf("firewall-cmd --list-rich-rules: %q", got)
	}
	if got := fw.MustCmd(t, "--permanent", "--zone=internal", "--list-rich-rules"); got != "rule service name=\"imap\" accept\n" {
		t.Errorf("firewall-cmd --permanent --zone=internal --list-rich-rules: %q", got)
	}
	if got := w.run([]string{"--list-backend-rules"}); !strings.Contains(got.stdout, "maxseg size set 1300") {
		t.Errorf("--list-backend-rules: %q", got)
	}

	// Policies: firewalld's policy rules are edited as a list; any
	// spelling of a rule finds it.
	for _, c := range []struct {
		args []string
		want result
	}{
		{[]string{"--policy=allow-host-ipv6", "--add-rich-rule=rule service name=http  accept"}, result{"success\n", "", 0}},
		{[]string{"--policy=allow-host-ipv6", "--add-rich-rule=rule service name='http' accept"},
			result{"success\n", "Warning: ALREADY_ENABLED: rule service name=\"http\" accept\n", 0}},
		{[]string{"--policy=allow-host-ipv6", "--query-rich-rule=rule service name=http accept"}, result{"yes\n", "", 0}},
		{[]string{"--policy=allow-host-ipv6", "--add-rich-rule=rule tcp-mss-clamp value=1200"}, result{"success\n", "", 0}},
		{[]string{"--policy=allow-host-ipv6", "--remove-rich-rule=rule service name=\"http\"   accept"}, result{"success\n", "", 0}},
		{[]string{"--policy=allow-host-ipv6", "--remove-rich-rule=rule service name=http accept"},
			result{"success\n", "Warning: NOT_ENABLED: rule service name=\"http\" accept\n", 0}},
		{[]string{"--permanent", "--policy=allow-host-ipv6", "--add-rich-rule=rule service name=ftp accept"}, result{"success\n", "", 0}},
		{[]string{"--policy=nope", "--add-rich-rule=rule service name=ftp accept"}, result{"", "Error: INVALID_POLICY: nope\n", 140}},
	} {
		if got := w.run(c.args); got != c.want {
			t.Errorf("mssclamp-cmd %q:\n got %q\nwant %q", c.args, got, c.want)
		}
	}
	if got := fw.MustCmd(t, "--permanent", "--policy=allow-host-ipv6", "--list-rich-rules"); !strings.HasSuffix(got, "rule service name=\"ftp\" accept\n") {
		t.Errorf("firewall-cmd --permanent --policy=allow-host-ipv6 --list-rich-rules: %q", got)
	}
	if got := w.run([]string{"--policy=allow-host-ipv6", "--list-rich-rules"}); !strings.HasSuffix(got.stdout, "\nrule tcp-mss-clamp value=\"1200\"\n") {
		t.Errorf("--policy=allow-host-ipv6 --list-rich-rules: %q", got)
	}

	// Without firewalld, its rules are NOT_RUNNING and ours still work.
	fw.Stop(t)
	waitFor(t, "mssclampd to go standalone", func() bool {
		mode, err := mdbus.NewClient(w.bus.Conn(t)).Property(context.Background(), "mode")
		return err == nil && mode == "standalone"
	})
	want := result{"", "Error: NOT_RUNNING: FirewallD is not running, and 'rule service name=\"http\" accept' is not a tcp-mss-clamp rule: only firewalld can hold it\n", 252}
	if got := w.run([]string{"--add-rich-rule=rule service name=http accept"}); got != want {
		t.Errorf("firewalld rule without firewalld:\n got %q\nwant %q", got, want)
	}
	if got := w.run([]string{"--add-rich-rule=rule tcp-mss-clamp value=1500"}); got != (result{"success\n", "", 0}) {
		t.Errorf("our rule without firewalld: %q", got)
	}
	if got := w.run([]string{"--reload"}); got != (result{"success\n", "", 0}) {
		t.Errorf("--reload without firewalld: %q", got)
	}
}

// waitFor waits up to 30s, what a loaded machine may need, for cond.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
