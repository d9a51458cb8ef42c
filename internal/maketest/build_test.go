package maketest

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// packageTools are the programs that install, remove or query Debian packages.
var packageTools = []string{"apt-get", "apt", "apt-cache", "apt-mark", "aptitude", "dpkg", "dpkg-query", "debconf-set-selections"}

// recorders writes, into a new directory, one script per packageTools name that appends its
// name and arguments to log and fails (dpkg-query fails silently: nothing is installed).
func recorders(t *testing.T, log string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range packageTools {
		script := "#!/bin/sh\necho \"" + name + " $*\" >>" + log + "\nexit 100\n"
		if name == "dpkg-query" {
			script = "#!/bin/sh\necho \"" + name + " $*\" >>" + log + "\nexit 1\n"
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// copyRepo copies the module's files (not .git, not bin) into a new directory.
func copyRepo(t *testing.T) string {
	t.Helper()
	src, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	dst := filepath.Join(t.TempDir(), "repo")
	err = filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		if d.IsDir() && (rel == ".git" || rel == "bin") {
			return filepath.SkipDir
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case info.Mode().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, info.Mode().Perm())
		}
		return nil
	})
	if err != nil {
		t.Fatalf("copying the repository: %v", err)
	}
	return dst
}

// makeEnv is the environment for a make of our own: none of the make running this test's
// flags or job server.
func makeEnv(path string) []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES", "PATH":
			continue
		}
		env = append(env, kv)
	}
	return append(env, "PATH="+path)
}

// underRecorders returns argv run so that the package tools are the recorders in dir, also by
// their absolute paths: as root, in a private mount namespace with each bound over the real
// one; otherwise first in PATH only.
func underRecorders(dir string, argv ...string) []string {
	if os.Geteuid() != 0 {
		return argv
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return argv
	}
	script := `dir=$1; shift
for name in ` + strings.Join(packageTools, " ") + `; do
	for p in /usr/bin/$name /bin/$name /usr/sbin/$name /sbin/$name; do
		[ -e "$p" ] && [ ! -L "$p" ] && mount --bind "$dir/$name" "$p"
	done
done
exec "$@"`
	return append([]string{"unshare", "--mount", "--propagation", "private", "sh", "-c", script, "recorders", dir}, argv...)
}

// TestBuildAsksAptForNothing is issue 13's acceptance item: `make build` with apt-get shimmed
// and dpkg-query reporting nothing installed asks apt (and dpkg) for nothing, and builds.
func TestBuildAsksAptForNothing(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	repo := copyRepo(t)
	log := filepath.Join(t.TempDir(), "calls")
	shims := recorders(t, log)
	argv := underRecorders(shims, "make", "-C", repo, "build")
	cmd := exec.Command(argv[0], argv[1:]...)
	// -trimpath: the copy is built from the cache of earlier runs, whatever its directory.
	cmd.Env = append(makeEnv(shims+":"+os.Getenv("PATH")), "GOFLAGS=-trimpath")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	t.Logf("make build (%s):\n%s", map[bool]string{true: "recorders in PATH and over /usr/bin", false: "recorders in PATH"}[len(argv) > 4], out)
	if calls, err := os.ReadFile(log); err == nil || !os.IsNotExist(err) {
		t.Errorf("make build asked the package tools:\n%s(read: %v)", calls, err)
	}
	for _, bin := range []string{"mssclampd", "mssclamp-cmd"} {
		if _, err := os.Stat(filepath.Join(repo, "bin", bin)); err != nil {
			t.Errorf("make build made no bin/%s: %v", bin, err)
		}
	}
}
