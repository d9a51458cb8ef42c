package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	godbus "github.com/godbus/dbus/v5"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// TestTranscripts runs the transcripts against mssclampd's real D-Bus
// service and engine over a fake kernel (and, for firewalld.txt, a fake
// firewalld) on a private bus. The system tests run the same transcripts
// against the built binaries, the real kernel and the real firewalld.
func TestTranscripts(t *testing.T) {
	systest.RequireCommands(t, "dbus-daemon")
	for _, c := range []struct {
		file      string
		firewalld bool
	}{
		{"standalone.txt", false},
		{"firewalld.txt", true},
	} {
		t.Run(c.file, func(t *testing.T) {
			w := newWorld(t, c.firewalld)
			runTranscript(t, filepath.Join(transcriptDir, c.file), w.run, nil)
		})
	}
}

// TestOffline runs the offline transcript: no bus at all.
func TestOffline(t *testing.T) {
	dir := t.TempDir()
	seedStore(t, dir)
	m := testMachine(t)
	run := func(args []string) result {
		var out, errOut bytes.Buffer
		code := run(args, env{stdout: &out, stderr: &errOut, machine: m,
			dial: func() (*godbus.Conn, error) { panic("offline mode dialled the bus") }})
		return result{out.String(), errOut.String(), code}
	}
	runTranscript(t, filepath.Join(transcriptDir, "offline.txt"), run, map[string]string{"CONFIG": dir})
}

// TestNotRunning: without mssclampd on the bus, every command but --state
// is NOT_RUNNING (252); --state says "not running".
func TestNotRunning(t *testing.T) {
	systest.RequireCommands(t, "dbus-daemon")
	bus := systest.StartBus(t, systest.BusOptions{})
	w := &world{bus: bus, machine: testMachine(t)}
	notRunning := "Error: NOT_RUNNING: mssclampd is not running (no org.mssclamp.MssClamp1 on the system bus)\n"
	for _, c := range []struct {
		args []string
		want result
	}{
		{[]string{"--state"}, result{"", "not running\n", 252}},
		{[]string{"-q", "--state"}, result{"", "", 252}},
		{[]string{"--list-rich-rules"}, result{"", notRunning, 252}},
		{[]string{"--add-rich-rule=rule tcp-mss-clamp"}, result{"", notRunning, 252}},
		{[]string{"--add-rich-rule=rule service name=http accept"}, result{"", notRunning, 252}},
		{[]string{"--permanent", "--list-rich-rules"}, result{"", notRunning, 252}},
		{[]string{"--reload"}, result{"", notRunning, 252}},
		{[]string{"--version"}, result{"", notRunning, 252}},
		{[]string{"--list-backend-rules"}, result{"", notRunning, 252}},
		{nil, result{"", "State: not running\n\nNo options specified\n" + usageLine, 2}},
		// Still parsed locally first.
		{[]string{"--add-rich-rule=rule bogus", "--timeout=x"}, result{"", usageLine + "'x' is wrong timeout value. Use for example '2m' or '1h'\n", 2}},
	} {
		if got := w.run(c.args); got != c.want {
			t.Errorf("mssclamp-cmd %q:\n got %q\nwant %q", c.args, got, c.want)
		}
	}
	t.Run("no bus", func(t *testing.T) {
		w := &world{bus: &systest.Bus{Address: "unix:path=" + filepath.Join(t.TempDir(), "none")}, machine: testMachine(t)}
		if got := w.run([]string{"--state"}); got != (result{"", "not running\n", 252}) {
			t.Errorf("--state: %q", got)
		}
		got := w.run([]string{"--list-rich-rules"})
		if got.code != 252 || !strings.HasPrefix(got.stderr, "Error: NOT_RUNNING: cannot connect to the system bus: ") {
			t.Errorf("--list-rich-rules: %q", got)
		}
	})
}

// TestDaemonInfo covers what depends on the daemon's build: its version
// and the kernel's text.
func TestDaemonInfo(t *testing.T) {
	systest.RequireCommands(t, "dbus-daemon")
	w := newWorld(t, false)
	if got := w.run([]string{"--version"}); got != (result{testVersion + "\n", "", 0}) {
		t.Errorf("--version: %q", got)
	}
	if got := w.run([]string{"-V"}); got != (result{testVersion + "\n", "", 0}) {
		t.Errorf("-V: %q", got)
	}
	dump, _ := w.kernel.Dump(nil)
	if got := w.run([]string{"--list-backend-rules"}); got != (result{dump, "", 0}) {
		t.Errorf("--list-backend-rules: %q", got)
	}
	got := w.run([]string{"--list-backend-rules", "--output=json"})
	var j jsonBackendRules
	if err := json.Unmarshal([]byte(got.stdout), &j); err != nil || got.code != 0 || j != (jsonBackendRules{"nftables", dump}) {
		t.Errorf("--list-backend-rules --output=json: %q (%v)", got, err)
	}
}

// TestCounters: --verbose and JSON show what the kernel counted for each of
// our runtime rules, and nothing for permanent rules.
func TestCounters(t *testing.T) {
	systest.RequireCommands(t, "dbus-daemon")
	w := newWorld(t, false)
	for _, r := range []string{"rule tcp-mss-clamp value=1200", "rule tcp-mss-clamp"} {
		if got := w.run([]string{"--add-rich-rule=" + r}); got.code != 0 {
			t.Fatalf("adding %s: %q", r, got)
		}
	}
	w.kernel.setCounter(firewalld.Scope{Name: "public"}, "rule tcp-mss-clamp value=1200", backend.Counter{Packets: 12, Bytes: 720})
	want := "rule tcp-mss-clamp value=\"1200\"  # 12 packets, 720 bytes\nrule tcp-mss-clamp  # 0 packets, 0 bytes\n"
	if got := w.run([]string{"--list-rich-rules", "-v"}); got != (result{"No zone specified, using default zone, i.e. 'public'\n" + want, "", 0}) {
		t.Errorf("--list-rich-rules -v:\n%s", got.stdout)
	}
	if got := w.run([]string{"--zone=public", "--list-rich-rules", "-v"}); got != (result{want, "", 0}) {
		t.Errorf("--zone=public --list-rich-rules -v:\n%s", got.stdout)
	}
	wantJSON := `{"zone":"public","permanent":false,"rules":[{"rule":"rule tcp-mss-clamp value=\"1200\"","owner":"mssclampd","packets":12,"bytes":720},{"rule":"rule tcp-mss-clamp","owner":"mssclampd","packets":0,"bytes":0}]}` + "\n"
	if got := w.run([]string{"--list-rich-rules", "--output=json"}); got != (result{wantJSON, "", 0}) {
		t.Errorf("--output=json:\n got %s\nwant %s", got.stdout, wantJSON)
	}
	if got := w.run([]string{"--permanent", "--list-rich-rules", "-v"}); got != (result{"No zone specified, using default zone, i.e. 'public'\n\n", "", 0}) {
		t.Errorf("--permanent --list-rich-rules -v: %q", got)
	}
}

// TestColor: on a terminal, warnings and errors are red, as firewall-cmd
// prints them.
func TestColor(t *testing.T) {
	var out, errOut bytes.Buffer
	code := run([]string{"--timeout=x", "--add-rich-rule=rule tcp-mss-clamp"}, env{stdout: &out, stderr: &errOut, stderrTTY: true})
	want := "\033[91m" + usageLine + "'x' is wrong timeout value. Use for example '2m' or '1h'\033[00m\n"
	if code != 2 || errOut.String() != want {
		t.Errorf("got %d %q, want 2 %q", code, errOut.String(), want)
	}
}

func TestParseTimeout(t *testing.T) {
	for _, c := range []struct {
		in   string
		want int32
		ok   bool
	}{
		{"0", 0, true}, {"00", 0, true}, {"5", 5, true}, {"5s", 5, true}, {"5S", 5, true},
		{"2m", 120, true}, {"2M", 120, true}, {"1h", 3600, true}, {"10", 10, true},
		{"", 0, false}, {"x", 0, false}, {"s", 0, false}, {"5x", 0, false}, {"-5", 0, false},
		{"5ms", 0, false}, {"1.5h", 0, false}, {"99999999999", 0, false}, {"596524h", 0, false},
	} {
		got, ok := parseTimeout(c.in)
		if got != c.want || ok != c.ok {
			t.Errorf("parseTimeout(%q) = %d, %v; want %d, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--help"}, env{stdout: &out, stderr: &errOut}); code != 0 || out.String() != helpText || errOut.Len() != 0 {
		t.Errorf("--help: %d %q %q", code, out.String(), errOut.String())
	}
	for _, o := range optionTable {
		if !strings.Contains(helpText, o.Long) {
			t.Errorf("--help does not mention %s", o.Long)
		}
	}
}
