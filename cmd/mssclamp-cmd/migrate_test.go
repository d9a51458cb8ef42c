package main

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	godbus "github.com/godbus/dbus/v5"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
	"github.com/firewalld-mssclamp/mssclamp/migrate"
	"github.com/firewalld-mssclamp/mssclamp/mss"
)

// testdataVars are the transcripts' $TESTDATA: the directory of the
// transcripts and the files they read.
func testdataVars(t testing.TB) map[string]string {
	t.Helper()
	dir, err := filepath.Abs(transcriptDir)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"TESTDATA": dir}
}

// noBus is a dial that must not be called.
func noBus() (*godbus.Conn, error) { panic("dialled the bus") }

// TestSuggestTranscript runs suggest.txt in this process, without any bus,
// and with the built binary.
func TestSuggestTranscript(t *testing.T) {
	path := filepath.Join(transcriptDir, "suggest.txt")
	t.Run("in process", func(t *testing.T) {
		runTranscript(t, path, func(args []string) result {
			var out, errOut bytes.Buffer
			code := run(args, env{stdout: &out, stderr: &errOut, dial: noBus, machine: testMachine(t)})
			return result{out.String(), errOut.String(), code}
		}, nil)
	})
	t.Run("binary", func(t *testing.T) {
		if *testutil.Update {
			t.Skip("-update rewrites from the in-process run")
		}
		systest.RequireCommands(t, "go")
		bin := buildCmd(t)
		runTranscript(t, path, func(args []string) result {
			cmd := exec.Command(bin, args...)
			// No system bus: the calculator needs none.
			cmd.Env = []string{"DBUS_SYSTEM_BUS_ADDRESS=unix:path=" + filepath.Join(t.TempDir(), "none")}
			var out, errOut bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errOut
			err := cmd.Run()
			var ee *exec.ExitError
			code := 0
			if errors.As(err, &ee) {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			return result{out.String(), errOut.String(), code}
		}, nil)
	})
}

// buildCmd builds mssclamp-cmd from this tree.
func buildCmd(t testing.TB) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mssclamp-cmd")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build mssclamp-cmd: %v\n%s", err, out)
	}
	return bin
}

// cliFirewalld is the machine of migrate.txt: firewalld's configuration in
// testdata/cli/firewalld, firewalld not running.
func cliFirewalld(t testing.TB) machine {
	dir := filepath.Join(testdataVars(t)["TESTDATA"], "firewalld")
	return machine{firewalldConf: filepath.Join(dir, "firewalld.conf"), firewalldDirs: []string{dir},
		directFile: filepath.Join(dir, "direct.xml"), kernelHasNftables: func() bool { return true }}
}

// TestMigrateTranscripts runs migrate.txt (a bus without firewalld or
// mssclampd: plans from files) and migrate-firewalld.txt (the fake
// firewalld, seeded by seedDirect, and mssclampd's real service).
func TestMigrateTranscripts(t *testing.T) {
	systest.RequireCommands(t, "dbus-daemon")
	vars := testdataVars(t)
	t.Run("migrate.txt", func(t *testing.T) {
		w := &world{bus: systest.StartBus(t, systest.BusOptions{}), machine: cliFirewalld(t)}
		runTranscript(t, filepath.Join(transcriptDir, "migrate.txt"), w.run, vars)
	})
	t.Run("migrate-firewalld.txt", func(t *testing.T) {
		w := newWorld(t, true)
		seedDirect(w.fw)
		runTranscript(t, filepath.Join(transcriptDir, "migrate-firewalld.txt"), w.run, vars)
		if *testutil.Update {
			return
		}
		// What the transcript's --apply left in firewalld's direct
		// configuration: what was not TCPMSS or had no equivalent.
		drop := "ipv4 -t filter -I INPUT -p udp --dport 9 -j DROP"
		ipsec := "ipv4 -t mangle -A FORWARD -m policy --pol ipsec --dir in -p tcp -m tcp --tcp-flags SYN,RST SYN -m tcpmss --mss 1361:1536 -j TCPMSS --set-mss 1360"
		if got, want := w.fw.passthroughs(false), []string{drop, ipsec}; !slices.Equal(got, want) {
			t.Errorf("runtime passthroughs:\n got %q\nwant %q", got, want)
		}
		if got, want := w.fw.passthroughs(true), []string{drop}; !slices.Equal(got, want) {
			t.Errorf("permanent passthroughs:\n got %q\nwant %q", got, want)
		}
		if len(w.fw.permanentDirect.rules) != 0 {
			t.Errorf("permanent direct rules: %q", w.fw.permanentDirect.rules)
		}
	})
}

// seedDirect gives the fake firewalld of migrate-firewalld.txt its direct
// configuration (its README says what and why).
func seedDirect(f *fakeFirewalld) {
	f.addPassthrough(true, true, "ipv4", "-t mangle -I FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu")
	f.addPassthrough(true, true, "ipv4", "-t filter -I INPUT -p udp --dport 9 -j DROP")
	f.addPassthrough(true, false, "ipv6", "-t mangle -A FORWARD -i eth1 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1200")
	f.addPassthrough(true, false, "ipv4", "-t mangle -A FORWARD -m policy --pol ipsec --dir in -p tcp -m tcp --tcp-flags SYN,RST SYN -m tcpmss --mss 1361:1536 -j TCPMSS --set-mss 1360")
	f.addDirectRule("ipv4", "mangle", "FORWARD", 0, "-s 192.0.2.0/24 -p tcp --syn -j TCPMSS --set-mss 1300")
}

// TestMigrateRollback: firewalld refuses to remove a runtime passthrough;
// --apply undoes what it did, shows it, and fails with firewalld's code.
func TestMigrateRollback(t *testing.T) {
	systest.RequireCommands(t, "dbus-daemon")
	w := newWorld(t, true)
	seedDirect(w.fw)
	w.fw.failRemove = true
	got := w.run([]string{"--migrate-direct", "--apply"})
	wantErr := "Error: COMMAND_FAILED: removing runtime passthrough ipv4 -t mangle -I FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu: " +
		"removing runtime direct passthrough: firewalld direct.removePassthrough(\"ipv4\", [-t mangle -I FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu]): " +
		"COMMAND_FAILED: '/usr/sbin/iptables-restore -w -n' failed: iptables-restore: line 2 failed; everything was undone\n"
	if got.code != 13 || got.stderr != wantErr {
		t.Errorf("--apply: exit %d, stderr\n%s\nwant 13,\n%s", got.code, got.stderr, wantErr)
	}
	for _, want := range []string{
		"\nChanges:\n",
		"  added and removed again runtime policy fwd: rule family=\"ipv4\" tcp-mss-clamp\n",
		"  removed and added again permanent passthrough ipv4 -t mangle -I FORWARD",
	} {
		if !strings.Contains(got.stdout, want) {
			t.Errorf("--apply stdout lacks %q:\n%s", want, got.stdout)
		}
	}
	for _, args := range [][]string{{"--policy=fwd", "--list-rich-rules"}, {"--permanent", "--policy=fwd", "--list-rich-rules"}} {
		if got := w.run(args); got != (result{"\n", "", 0}) {
			t.Errorf("%q after the rollback: %q", args, got)
		}
	}
	if got := w.fw.passthroughs(true); len(got) != 2 {
		t.Errorf("permanent passthroughs after the rollback: %q", got)
	}
}

// TestMigrateNoBus: without a system bus a plan is still made, from the
// files; --apply needs firewalld.
func TestMigrateNoBus(t *testing.T) {
	vars := testdataVars(t)
	runNoBus := func(args ...string) result {
		var out, errOut bytes.Buffer
		code := run(args, env{stdout: &out, stderr: &errOut, machine: cliFirewalld(t),
			dial: func() (*godbus.Conn, error) { return nil, errors.New("no bus here") }})
		return result{out.String(), errOut.String(), code}
	}
	got := runNoBus("--migrate-direct", "--from="+filepath.Join(vars["TESTDATA"], "direct.xml"))
	if got.code != 0 || !strings.HasPrefix(got.stdout, "Direct configuration: 6 entries; 4 to replace, 1 left alone, 1 not TCPMSS.\n") {
		t.Errorf("dry run: %q", got)
	}
	want := result{"", "Error: NOT_RUNNING: cannot connect to the system bus: no bus here\n", 252}
	if got := runNoBus("--migrate-direct", "--apply"); got != want {
		t.Errorf("--apply:\n got %q\nwant %q", got, want)
	}
}

func TestApplyError(t *testing.T) {
	for _, c := range []struct {
		name string
		err  error
		want testutil.Coded
	}{
		{"policies missing", fmt.Errorf("%w: mss-fwd", migrate.ErrPoliciesMissing), testutil.Coded{Code: firewalld.InvalidPolicy,
			Text: "INVALID_POLICY: the plan needs policies that do not exist yet: mss-fwd; nothing was changed: create them with the firewall-cmd commands the plan lists, then run mssclamp-cmd --migrate-direct again for a new plan"}},
		{"stale", fmt.Errorf("%w: gone: runtime passthrough ipv4 -j X", migrate.ErrStale), testutil.Coded{Code: firewalld.CommandFailed,
			Text: "COMMAND_FAILED: the direct configuration changed since the plan was made: gone: runtime passthrough ipv4 -j X; nothing was changed: run mssclamp-cmd --migrate-direct again for a new plan"}},
		{"mssclampd's code", fmt.Errorf("adding runtime zone nope: rule tcp-mss-clamp: %w; everything was undone", firewalld.Errorf(firewalld.InvalidZone, "nope")),
			testutil.Coded{Code: firewalld.InvalidZone, Text: "INVALID_ZONE: adding runtime zone nope: rule tcp-mss-clamp: INVALID_ZONE: nope; everything was undone"}},
		{"firewalld's code", fmt.Errorf("removing x: firewalld direct.removePassthrough(): %w", firewalld.Errorf(firewalld.CommandFailed, "iptables")),
			testutil.Coded{Code: firewalld.CommandFailed, Text: "COMMAND_FAILED: removing x: firewalld direct.removePassthrough(): COMMAND_FAILED: iptables"}},
		{"firewalld gone", fmt.Errorf("listing: %w", mdbus.ErrNotRunning),
			testutil.Coded{Code: firewalld.NotRunning, Text: "NOT_RUNNING: listing: FirewallD is not running"}},
		{"rollback incomplete keeps the cause's code", fmt.Errorf("%w; the rollback is incomplete: %w", firewalld.Errorf(firewalld.InvalidPolicy, "p"), errors.New("bus gone")),
			testutil.Coded{Code: firewalld.InvalidPolicy, Text: "INVALID_POLICY: p; the rollback is incomplete: bus gone"}},
		{"unknown", errors.New("something else"), testutil.Coded{Code: firewalld.UnknownError, Text: "something else"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := testutil.CodedOf(applyError(c.err)); got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// TestHelpNamesEncapsulations: --help lists every encapsulation and cipher
// the calculator knows.
func TestHelpNamesEncapsulations(t *testing.T) {
	for _, k := range mss.Kinds {
		if !strings.Contains(helpText, string(k)) {
			t.Errorf("--help does not mention %s", k)
		}
	}
	for _, c := range mss.Ciphers {
		if !strings.Contains(helpText, string(c)) {
			t.Errorf("--help does not mention %s", c)
		}
	}
}

// TestMigrateWithoutOurs: with firewalld but without mssclampd a plan is
// made over D-Bus; --apply needs mssclampd and says so before planning.
func TestMigrateWithoutOurs(t *testing.T) {
	systest.RequireCommands(t, "dbus-daemon")
	w := &world{bus: systest.StartBus(t, systest.BusOptions{}), machine: testMachine(t)}
	seedDirect(startFakeFirewalld(t, w.bus))
	if got := w.run([]string{"--migrate-direct"}); got.code != 0 || !strings.HasPrefix(got.stdout, "Direct configuration: 5 entries; 3 to replace,") {
		t.Errorf("dry run: %q", got)
	}
	want := result{"", "Error: " + mdbus.ErrServiceNotRunning.Error() + "\n", 252}
	if got := w.run([]string{"--migrate-direct", "--apply"}); got != want {
		t.Errorf("--apply:\n got %q\nwant %q", got, want)
	}
}
