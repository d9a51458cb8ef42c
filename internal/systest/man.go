package systest

import (
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"testing"
)

// ManText formats the man page file at path as a reader sees it, with
// man-db (`MANWIDTH=80 man --warnings -l`, groff's warnings on) in the C
// locale so that the text is ASCII, and returns the text. Anything man or
// groff says on standard error fails the test: a warning is a defect of the
// page. man-db and groff come from the host (scripts/deps.sh test installs
// them; see DebianTree for why not from a tree).
func ManText(t testing.TB, path string) string {
	t.Helper()
	RequireCommands(t, "man", "groff")
	cmd := exec.Command("man", "--warnings", "-l", path)
	cmd.Env = append(os.Environ(), "MANWIDTH=80", "LC_ALL=C", "MANPAGER=cat", "PAGER=cat")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("man -l %s: %v\n%s", path, err, stderr.String())
	}
	if stderr.Len() > 0 {
		t.Errorf("man -l %s printed warnings:\n%s", path, stderr.String())
	}
	// Without a terminal man-db prints plain text; overstrike (bold and
	// underline as "X\bX") is removed all the same, should a setting such
	// as MAN_KEEP_FORMATTING keep it.
	return overstrike.ReplaceAllString(stdout.String(), "")
}

var overstrike = regexp.MustCompile(".\x08")
