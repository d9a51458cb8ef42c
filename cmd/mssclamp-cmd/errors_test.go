package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/internal/testutil"
)

func TestFirewalldError(t *testing.T) {
	r, _ := parseRule("rule service name=http accept")
	for _, c := range []struct {
		name string
		err  error
		rule *ruleArg
		want testutil.Coded
	}{
		{"firewalld's text, no wrapping", fmt.Errorf("adding rich rule to zone \"nope\": %w", firewalld.Errorf(firewalld.InvalidZone, "nope")), nil,
			testutil.Coded{Code: firewalld.InvalidZone, Text: "INVALID_ZONE: nope"}},
		{"not running, for a rule", fmt.Errorf("x: %w", mdbus.ErrNotRunning), &r,
			testutil.Coded{Code: firewalld.NotRunning, Text: "NOT_RUNNING: FirewallD is not running, and 'rule service name=\"http\" accept' is not a tcp-mss-clamp rule: only firewalld can hold it"}},
		{"not running", mdbus.ErrNotRunning, nil, testutil.Coded{Code: firewalld.NotRunning, Text: "NOT_RUNNING: FirewallD is not running"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := testutil.CodedOf(firewalldError(c.err, c.rule))
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestSequence covers firewall-cmd's exit rules for several rules, with
// failures the transcripts cannot provoke.
func TestSequence(t *testing.T) {
	fail := map[string]error{
		"rule tcp-mss-clamp value=1000": firewalld.Errorf(firewalld.NotAuthorized, "no"),
		"rule tcp-mss-clamp value=1100": firewalld.Errorf(firewalld.CommandFailed, "kernel said no"),
		"rule tcp-mss-clamp value=1200": firewalld.Errorf(firewalld.InvalidZone, "nope"),
	}
	do := func(r ruleArg) error { return fail[r.typed] }
	for _, c := range []struct {
		items  []string
		code   int
		stderr string
	}{
		{[]string{"rule tcp-mss-clamp value=1000", "rule tcp-mss-clamp value=1300"}, 253, authFailedText + "\n"},
		{[]string{"rule tcp-mss-clamp value=1100"}, 13, "Error: COMMAND_FAILED: kernel said no\n"},
		{[]string{"rule tcp-mss-clamp value=1100", "rule tcp-mss-clamp value=1200"}, 254,
			"Warning: COMMAND_FAILED: kernel said no\nWarning: INVALID_ZONE: nope\n"},
		{[]string{"rule tcp-mss-clamp value=1100", "rule tcp-mss-clamp value=1300"}, proceed, "Warning: COMMAND_FAILED: kernel said no\n"},
	} {
		var out, errOut bytes.Buffer
		code := sequence(&printer{out: &out, err: &errOut}, c.items, do)
		if code != c.code || errOut.String() != c.stderr || out.Len() != 0 {
			t.Errorf("%q: got %d %q %q, want %d %q", c.items, code, out.String(), errOut.String(), c.code, c.stderr)
		}
	}
}

// TestOfflineBrokenFile: a file that does not load is never written over,
// and --list-backend-rules leaves it out, saying so.
func TestOfflineBrokenFile(t *testing.T) {
	dir := t.TempDir()
	seedStore(t, dir)
	broken := filepath.Join(dir, "zones", "internal.xml")
	if err := os.WriteFile(broken, []byte("<zone><rule><bogus/></rule></zone>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := testMachine(t)
	runOffline := func(args ...string) result {
		var out, errOut bytes.Buffer
		code := run(append([]string{"--offline", "--config-dir=" + dir}, args...), env{stdout: &out, stderr: &errOut, machine: m})
		return result{out.String(), errOut.String(), code}
	}
	got := runOffline("--zone=internal", "--add-rich-rule=rule tcp-mss-clamp")
	if got.code != 13 || !strings.HasPrefix(got.stderr, "Error: COMMAND_FAILED: "+broken) {
		t.Errorf("editing a broken zone: %q", got)
	}
	if data, _ := os.ReadFile(broken); string(data) != "<zone><rule><bogus/></rule></zone>\n" {
		t.Errorf("the broken file changed: %q", data)
	}
	got = runOffline("--list-backend-rules", "--backend=nftables")
	if got.code != 0 || !strings.HasPrefix(got.stderr, "Warning: "+broken) || !strings.Contains(got.stderr, "(file left out)") {
		t.Errorf("--list-backend-rules with a broken file: %q", got)
	}
}

// TestOfflineVersion: offline, the version is this program's.
func TestOfflineVersion(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"--offline", "--version"}, env{stdout: &out, stderr: &errOut}); code != 0 || out.String() != version+"\n" {
		t.Errorf("--offline --version: %d %q %q", code, out.String(), errOut.String())
	}
}
