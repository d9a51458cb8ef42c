package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// TestLeftoverTemp: what a crash mid-save leaves (temporary files) is not
// read by Load and is deleted by the next save of that file only.
func TestLeftoverTemp(t *testing.T) {
	s := Open(t.TempDir())
	if err := s.SaveZone(&Zone{Name: "a", Rules: rules(t, "rule tcp-mss-clamp")}); err != nil {
		t.Fatal(err)
	}
	zones := filepath.Join(s.Dir(), "zones")
	half := `<?xml version="1.0" encoding="utf-8"?>` + "\n<zone>\n  <rule>\n    <tcp-mss"
	leftovers := []string{".a.xml.tmp1234", ".a.xml.old.tmp99", ".b.xml.tmp5678"}
	for _, name := range leftovers {
		writeFile(t, filepath.Join(zones, name), half)
	}
	cfg, errs := s.Load()
	if errs != nil || len(cfg.Zones) != 1 || cfg.Zones[0].Name != "a" {
		t.Fatalf("Load with leftovers: %v, %v; want zone a only", cfg.Zones, errs)
	}
	if err := s.SaveZone(&Zone{Name: "a", Rules: rules(t, "rule tcp-mss-clamp value=1200")}); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(zones)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	// b's temporary file may belong to a save of b in progress.
	if got, want := strings.Join(names, " "), ".b.xml.tmp5678 a.xml a.xml.old"; got != want {
		t.Errorf("directory after the save: %s, want %s", got, want)
	}
}

// TestFailedSave: a save that fails half-way leaves the file as it was and
// no temporary file behind.
func TestFailedSave(t *testing.T) {
	s := Open(t.TempDir())
	if err := s.SaveZone(&Zone{Name: "a", Short: "first"}); err != nil {
		t.Fatal(err)
	}
	before := readString(t, s.zonePath("a"))
	// A non-empty directory where a.xml.old goes: the rename of the
	// written temporary file fails.
	writeFile(t, filepath.Join(s.zonePath("a")+".old", "x"), "")
	if err := s.SaveZone(&Zone{Name: "a", Short: "second"}); err == nil {
		t.Fatal("save with a blocked .old succeeded")
	}
	if got := readString(t, s.zonePath("a")); got != before {
		t.Errorf("file changed by a failed save:\n%s", got)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Dir(), "zones"))
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

// TestFirewalldReadsOurFiles runs firewalld 1.3.3's own zone_reader and
// policy_reader over the golden files (2.3.1 reads them alike; 0.9.3 knows no
// tcp-mss-clamp element and refuses them).
func TestFirewalldReadsOurFiles(t *testing.T) {
	tree := systest.OpenFirewalldTree(t, "1.3.3")
	dir, err := filepath.Abs(filepath.Join(testdata, "golden"))
	if err != nil {
		t.Fatal(err)
	}
	script := `
import os, sys
from firewall.core.io.zone import zone_reader
from firewall.core.io.policy import policy_reader
d = sys.argv[1]
for f in sorted(os.listdir(d + "/zones")):
    z = zone_reader(f, d + "/zones")
    print(z.name, len(z.rules), z.interfaces, z.sources)
for f in sorted(os.listdir(d + "/policies")):
    p = policy_reader(f, d + "/policies")
    print(p.name, len(p.rules), p.priority, p.ingress_zones, p.egress_zones)
`
	out, err := tree.Python("-c", script, dir).CombinedOutput()
	if err != nil {
		t.Fatalf("firewalld's reader: %v\n%s", err, out)
	}
	want := `bindings-only 0 ['eth9'] []
empty 0 [] []
uplink 3 ['ppp0', 'wg0'] ['10.1.0.0/16', 'fd00::/8', '02:00:00:00:00:01', 'ipset:vpn-peers']
host-out 1 -1 ['HOST'] ['ANY']
lan-to-wan 2 100 ['internal', 'dmz'] ['external']
`
	if string(out) != want {
		t.Errorf("firewalld read:\n%s\nwant:\n%s", out, want)
	}
}

// TestConcurrentFiles: saving different files at once is safe (the same
// file is not: see doc.go).
func TestConcurrentFiles(t *testing.T) {
	s := Open(filepath.Join(t.TempDir(), "new"))
	done := make(chan error)
	clamp := rules(t, "rule tcp-mss-clamp")
	for i := range 8 {
		go func() {
			z := &Zone{Name: fmt.Sprintf("z%d", i), Rules: clamp}
			for range 5 {
				if err := s.SaveZone(z); err != nil {
					done <- err
					return
				}
			}
			_, errs := s.Load()
			done <- errors.Join(fileErrors(errs)...)
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	cfg, errs := s.Load()
	if errs != nil || len(cfg.Zones) != 8 {
		t.Errorf("after concurrent saves: %d zones, %v", len(cfg.Zones), errs)
	}
}

func fileErrors(fes []*FileError) []error {
	errs := make([]error, len(fes))
	for i, fe := range fes {
		errs[i] = fe
	}
	return errs
}
