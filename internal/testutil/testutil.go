package testutil

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// Update is -update: tests rewrite their golden files and the expected
// parts of their vectors from what the code does, instead of comparing.
var Update = flag.Bool("update", false, "rewrite golden files and vectors from what the code does")

// Golden compares got with the file at path, or writes it there with
// -update.
func Golden(t testing.TB, path, got string) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs (run the test with -update to accept); got:\n%s", path, got)
	}
}

// WantErr checks err against a table test's expectation: with want set, err
// must contain it, and the case is done (true); without, err must be nil.
func WantErr(t testing.TB, err error, want string) (done bool) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("error %v, want one containing %q", err, want)
	}
	return true
}

// Coded is an error as a firewall-cmd-like client prints it: its firewalld
// code (the exit status) and its whole text.
type Coded struct {
	Code firewalld.Code
	Text string
}

// CodedOf is err as a client prints it.
func CodedOf(err error) Coded {
	e := firewalld.AsError(err)
	return Coded{e.Code, e.Error()}
}

// LineDiff shows the lines of two texts that differ, enough to read a
// golden mismatch, then the whole text got.
func LineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			fmt.Fprintf(&b, "line %d:\n-%s\n+%s\n", i+1, wl, gl)
		}
	}
	return b.String() + "\ngot:\n" + got
}
