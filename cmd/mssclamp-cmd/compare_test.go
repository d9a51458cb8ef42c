package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// ourOptions are the options firewall-cmd does not have: a step using one
// has nothing to compare.
var ourOptions = []string{"--output", "--config-dir", "--backend", "--list-backend-rules", "--offline",
	"--migrate-direct", "--suggest-mss"}

// detailSuffix is what our rule errors add to firewalld's terse text
// ("INVALID_RULE: 535" + " (column 20, ...)"), a documented difference.
var detailSuffix = regexp.MustCompile(`(?m) \(column \d+, [^\n]*\)$`)

// compareRelease is the firewalld the transcripts were compared with: other
// releases word some errors differently (2.3.1: `INVALID_RULE: tcp-mss-clamp
// value="535"`) or have no tcp-mss-clamp at all (0.9.3).
const compareRelease = "1.3.3"

// newAnyPolicy creates the policy name from ANY zone to ANY zone in fw,
// permanently, and reloads it so that it is there at runtime too.
func newAnyPolicy(t *testing.T, fw *systest.Firewalld, name string) {
	t.Helper()
	for _, args := range [][]string{
		{"--permanent", "--new-policy=" + name},
		{"--permanent", "--policy=" + name, "--add-ingress-zone=ANY"},
		{"--permanent", "--policy=" + name, "--add-egress-zone=ANY"},
		{"--reload"},
	} {
		fw.MustCmd(t, args...)
	}
}

// comparable reports whether firewall-cmd can do what a step does.
func comparable(s *step, args []string) bool {
	for _, l := range s.before {
		if strings.HasPrefix(l, "# ~") {
			return false // a deliberate difference, said in the transcript
		}
	}
	verbose, list := false, false
	for _, a := range args {
		name, _, _ := strings.Cut(a, "=")
		if slices.Contains(ourOptions, name) {
			return false
		}
		verbose = verbose || a == "-v" || a == "--verbose"
		list = list || a == "--list-rich-rules"
	}
	return !(verbose && list) // counters are ours
}

// TestSystemCompareFirewallCmd is the acceptance comparison: every step of
// standalone.txt goes to firewall-cmd against firewalld 1.3.3, which has
// tcp-mss-clamp natively, and to mssclamp-cmd against mssclampd, each with
// the same zones and policy and no rules at start; stdout, stderr and exit
// status must be equal, our program name and rule-error details aside.
func TestSystemCompareFirewallCmd(t *testing.T) {
	ours := newSysWorld(t)
	ours.startDaemon(t, "--firewalld=off")

	fw := systest.StartFirewalldWith(t, nil, nil, systest.FirewalldOptions{Backend: "nftables", Release: compareRelease})
	newAnyPolicy(t, fw, "fwd")

	path := filepath.Join(transcriptDir, "standalone.txt")
	steps, _ := readTranscript(t, path)
	compared := 0
	for _, s := range steps {
		args, err := splitWords(s.command)
		if err != nil {
			t.Fatal(err)
		}
		// Both run every step, so that both keep the same state.
		stdout, stderr, code := fw.Cmd(args...)
		want := result{stdout, stderr, code}
		got := ours.run(args)
		if !comparable(s, args) {
			continue
		}
		compared++
		got.stdout = strings.ReplaceAll(got.stdout, "mssclamp-cmd", "firewall-cmd")
		got.stderr = detailSuffix.ReplaceAllString(strings.ReplaceAll(got.stderr, "mssclamp-cmd", "firewall-cmd"), "")
		if zoneListing(args) {
			got.stdout, want.stdout = sortLines(got.stdout), sortLines(want.stdout)
		}
		if got != want {
			t.Errorf("standalone.txt:%d: %s\nmssclamp-cmd:\n%sfirewall-cmd:\n%s", s.lineNo, s.command, formatResult(got), formatResult(want))
		}
	}
	t.Logf("compared %d of %d steps with firewall-cmd", compared, len(steps))
}

// zoneListing reports whether the step lists a zone's rules, which firewalld
// keeps as a set: it lists them in no fixed order.
func zoneListing(args []string) bool {
	list, policy := false, false
	for _, a := range args {
		list = list || a == "--list-rich-rules"
		policy = policy || strings.HasPrefix(a, "--policy")
	}
	return list && !policy
}

func sortLines(s string) string {
	l := lines(s)
	slices.Sort(l)
	if len(l) == 0 {
		return s
	}
	return strings.Join(l, "\n") + "\n"
}

// TestSystemCompareOffline runs every step of offline.txt with
// firewall-offline-cmd 1.3.3 on a copy of its /etc/firewalld too (which holds
// tcp-mss-clamp natively) and requires the same output, except for steps
// with our own options and the deliberate differences ("# ~").
func TestSystemCompareOffline(t *testing.T) {
	systest.RequireRoot(t)
	tree := systest.OpenFirewalldTree(t, compareRelease)
	fwDir := filepath.Join(t.TempDir(), "etc")
	if out, err := exec.Command("cp", "-r", filepath.Join(tree.Dir, "etc", "firewalld"), fwDir).CombinedOutput(); err != nil {
		t.Fatalf("copying firewalld's /etc/firewalld: %v: %s", err, out)
	}
	fwOffline := func(args []string) result {
		return runBinary(tree.ToolCommand("firewall-offline-cmd", append([]string{"--system-config=" + fwDir, "--default-config=" + tree.DefaultConfig()}, args...)...), &systest.Bus{})
	}
	for _, args := range [][]string{{"--new-policy=fwd"}, {"--zone=dmz", "--list-rich-rules"}} {
		if got := fwOffline(args); got.code != 0 {
			t.Fatalf("firewall-offline-cmd %q: %q", args, got)
		}
	}

	dir := t.TempDir()
	seedStore(t, dir)
	m := machine{firewalldConf: filepath.Join(fwDir, "firewalld.conf"), firewalldDirs: []string{tree.DefaultConfig(), fwDir},
		kernelHasNftables: func() bool { return true }}
	ours := func(args []string) result {
		var out, errOut bytes.Buffer
		code := run(args, env{stdout: &out, stderr: &errOut, machine: m})
		return result{out.String(), errOut.String(), code}
	}

	steps, _ := readTranscript(t, filepath.Join(transcriptDir, "offline.txt"))
	compared := 0
	for _, s := range steps {
		args, err := splitWords(strings.ReplaceAll(s.command, "$CONFIG", dir))
		if err != nil {
			t.Fatal(err)
		}
		got := ours(args)
		var fwArgs []string
		for _, a := range args {
			if a != "--offline" && !strings.HasPrefix(a, "--config-dir=") {
				fwArgs = append(fwArgs, a)
			}
		}
		if !comparable(s, fwArgs) || slices.Contains(fwArgs, "--permanent") {
			continue
		}
		want := fwOffline(fwArgs)
		compared++
		got.stderr = detailSuffix.ReplaceAllString(got.stderr, "")
		got.stderr = strings.ReplaceAll(got.stderr, "'mssclamp-cmd --help' for usage information or see mssclamp-cmd(1) man page", "see firewall-offline-cmd man page")
		if got != want {
			t.Errorf("offline.txt:%d: %s\nmssclamp-cmd:\n%sfirewall-offline-cmd:\n%s", s.lineNo, s.command, formatResult(got), formatResult(want))
		}
	}
	t.Logf("compared %d of %d steps with firewall-offline-cmd", compared, len(steps))
}
