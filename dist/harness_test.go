package dist

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// repoRoot is the repository, whose Makefile the tests run.
const repoRoot = ".."

// makeTarget runs make in the repository; a failure fails the test.
func makeTarget(t *testing.T, args ...string) {
	t.Helper()
	cmd := exec.Command("make", append([]string{"-C", repoRoot, "--no-print-directory"}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// built is `make package`, run once for all tests.
var built struct {
	once     sync.Once
	deb, rpm string
	err      error
}

// packages runs `make package` (once) and returns the .deb and the .rpm it
// wrote into bin/.
func packages(t *testing.T) (deb, rpm string) {
	t.Helper()
	built.once.Do(func() {
		cmd := exec.Command("make", "-C", repoRoot, "--no-print-directory", "package")
		if out, err := cmd.CombinedOutput(); err != nil {
			built.err = fmt.Errorf("make package: %v\n%s", err, out)
			return
		}
		glob := func(pattern string) string {
			m, _ := filepath.Glob(filepath.Join(repoRoot, "bin", pattern))
			if len(m) != 1 {
				built.err = errors.Join(built.err, fmt.Errorf("bin/%s: %d files after make package, want 1", pattern, len(m)))
				return ""
			}
			return m[0]
		}
		built.deb, built.rpm = glob("mssclamp_*.deb"), glob("mssclamp-*.rpm")
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.deb, built.rpm
}

// run runs a command and returns its standard output; a failure fails the
// test, with standard error.
func run(t *testing.T, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
