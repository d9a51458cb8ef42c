package dist

import (
	"bytes"
	"debug/elf"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// installed is what `make install` lays out under PREFIX=/usr/local, with
// the mode of each file.
var installed = map[string]fs.FileMode{
	"etc/dbus-1/system.d/org.mssclamp.MssClamp1.conf":                       0o644,
	"etc/default/mssclampd":                                                 0o644,
	"usr/local/bin/mssclamp-cmd":                                            0o755,
	"usr/local/sbin/mssclampd":                                              0o755,
	"usr/local/lib/systemd/system/mssclampd.service":                        0o644,
	"usr/local/share/dbus-1/system-services/org.mssclamp.MssClamp1.service": 0o644,
	"usr/local/share/man/man1/mssclamp-cmd.1":                               0o644,
	"usr/local/share/man/man5/mssclamp.xml.5":                               0o644,
	"usr/local/share/man/man8/mssclampd.8":                                  0o644,
	"usr/local/share/bash-completion/completions/mssclamp-cmd":              0o644,
	"usr/local/share/zsh/site-functions/_mssclamp-cmd":                      0o644,
	"usr/local/share/doc/mssclamp/README.md":                                0o644,
	"usr/local/share/doc/mssclamp/examples/README":                          0o644,
	"usr/local/share/doc/mssclamp/examples/zones/vpn.xml":                   0o644,
	"usr/local/share/doc/mssclamp/examples/policies/lan-to-wan.xml":         0o644,
	"usr/local/share/licenses/mssclamp/LICENSE":                             0o644,
}

// files lists the regular files under root with their modes.
func files(t *testing.T, root string) map[string]fs.FileMode {
	t.Helper()
	got := map[string]fs.FileMode{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		got[filepath.ToSlash(rel)] = info.Mode()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// gitDescribe is the version make stamps into the binaries.
func gitDescribe(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("git", "-C", repoRoot, "describe", "--tags", "--always", "--dirty").Output()
	if err != nil {
		t.Skipf("not a git checkout (%v): the version cannot be compared", err)
	}
	return strings.TrimSpace(string(out))
}

// TestInstall: make install with DESTDIR lays out every file with its mode,
// writes the daemon's place into the unit, keeps
// the administrator's /etc/default/mssclampd, and make uninstall takes all
// of it away again but that file.
func TestInstall(t *testing.T) {
	dest := t.TempDir()
	makeTarget(t, "install", "DESTDIR="+dest)
	got := files(t, dest)
	for name, mode := range installed {
		if m, ok := got[name]; !ok {
			t.Errorf("%s not installed", name)
		} else if m != mode {
			t.Errorf("%s: mode %v, want %v", name, m, mode)
		}
	}
	for name := range got {
		if _, ok := installed[name]; !ok {
			t.Errorf("%s installed, and not expected", name)
		}
	}
	unit, err := os.ReadFile(filepath.Join(dest, "usr/local/lib/systemd/system/mssclampd.service"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(unit, []byte("ExecStart=/usr/local/sbin/mssclampd ")) || bytes.Contains(unit, []byte("/usr/sbin/mssclampd")) {
		t.Errorf("the unit does not start /usr/local/sbin/mssclampd:\n%s", unit)
	}

	defaults := filepath.Join(dest, "etc/default/mssclampd")
	if err := os.WriteFile(defaults, []byte("MSSCLAMPD_ARGS=--log-level=debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	makeTarget(t, "install", "DESTDIR="+dest)
	if data, _ := os.ReadFile(defaults); string(data) != "MSSCLAMPD_ARGS=--log-level=debug\n" {
		t.Errorf("make install replaced the administrator's %s: %q", defaults, data)
	}

	makeTarget(t, "uninstall", "DESTDIR="+dest)
	if left := slices.Sorted(maps.Keys(files(t, dest))); !slices.Equal(left, []string{"etc/default/mssclampd"}) {
		t.Errorf("after make uninstall: %v, want only etc/default/mssclampd", left)
	}
}

// TestBuiltBinaries: the binaries make builds say the version git
// describes, are stripped, hold no path of the build machine (-trimpath)
// and need no shared library.
func TestBuiltBinaries(t *testing.T) {
	want := gitDescribe(t)
	makeTarget(t, "build")
	abs, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		bin  string
		args []string
	}{
		{"mssclampd", []string{"--version"}},
		{"mssclamp-cmd", []string{"--offline", "--version"}},
	} {
		path := filepath.Join(repoRoot, "bin", c.bin)
		if got := strings.TrimSpace(run(t, path, c.args...)); got != want {
			t.Errorf("%s %s = %q, want %q (git describe)", c.bin, strings.Join(c.args, " "), got, want)
		}
		f, err := elf.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if f.Section(".symtab") != nil {
			t.Errorf("%s is not stripped", c.bin)
		}
		if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
			t.Errorf("%s needs shared libraries %v (%v)", c.bin, libs, err)
		}
		f.Close()
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(data, []byte(abs+"/")) {
			t.Errorf("%s holds the build path %s: not built with -trimpath", c.bin, abs)
		}
	}
}
