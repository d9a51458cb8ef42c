package systest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// Tests run programs from Debian's packages without installing them: firewalld's releases,
// ansible-core, promtool, rpm, bash-completion. Installing would run maintainer scripts, and
// some enable services on the host (prometheus' postinst enables prometheus.service; firewalld's
// takes over the firewall at the next boot). DebianTree downloads the packages with apt-get and
// unpacks them with `dpkg-deb -x` into a cache every test process shares: nothing is installed,
// no maintainer script runs, dpkg does not know about them, later runs reuse the tree.
//
// Only the tools that cannot run from a tree are installed on the host, by `scripts/deps.sh
// test` (make test runs it first, under a policy-rc.d that forbids starts, disabling again what
// a package enabled): lintian (a Perl program whose XS modules, data under /usr/share/lintian
// and a dozen programs it runs by name would all have to be redirected) and man-db with groff
// (man loads private libraries by an absolute RUNPATH and reads /etc/manpath.config; the
// package test also asks the host's man for the page dpkg installed). Tests that need them
// skip when they are missing.

// debianCacheDir holds one tree per suite and package list; v1 is the layout of a tree,
// bumped when unpackDebian changes what it leaves.
const debianCacheDir = "/var/tmp/mssclamp-debian/v1"

// debianVersions, in a tree, lists "PACKAGE VERSION" per unpacked package; it is written
// last, so a tree without it is incomplete.
const debianVersions = ".debian-versions"

// debianArchiveKeyring verifies the suites' Release files (Debian 12's keyring also holds the
// keys of Debian 11 and 13).
const debianArchiveKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

// systemPython runs the Python programs of a tree: the python3 of the host, never one found
// first in PATH.
const systemPython = "/usr/bin/python3"

// DebianTree returns a directory in which Debian's packages pkgs are unpacked, fetching them
// the first time any test process asks on this host.
//
// suite "" is the host's own suite, through the host's apt: pkgs come with every package they
// depend on that the host lacks (what `apt-get install` would add), for tools that run on the
// host's libraries (set LD_LIBRARY_PATH, PYTHONPATH or PATH into the tree). A named suite
// ("bullseye", "bookworm", "trixie") is fetched with apt configured privately — that suite
// alone as source, its own lists and an empty dpkg status, so the host's sources, pins and
// package state are neither used nor changed — and holds exactly pkgs: their dependencies must
// be on the host (firewalld's releases run by the system python3).
//
// Fetching needs root, apt-get, dpkg-deb and the network; without root a missing tree skips
// the test. Processes fetching the same tree are serialised by a lock file, and the tree
// appears by an atomic rename, complete or not at all.
func DebianTree(t testing.TB, suite string, pkgs ...string) string {
	t.Helper()
	name := suite
	if name == "" {
		name = "host"
	}
	dir := filepath.Join(debianCacheDir, name, strings.Join(pkgs, "+"))
	if _, err := os.Stat(filepath.Join(dir, debianVersions)); err == nil {
		return dir
	}
	if uid := os.Geteuid(); uid != 0 {
		t.Skipf("system test: %s is not unpacked in %s yet, and fetching it needs root (running as uid %d)", strings.Join(pkgs, " "), dir, uid)
	}
	RequireCommands(t, "apt-get", "dpkg-deb")
	if err := unpackDebian(suite, pkgs, dir); err != nil {
		t.Fatalf("unpacking Debian's %s (suite %s): %v", strings.Join(pkgs, " "), name, err)
	}
	return dir
}

// debianVersion is the version of pkg in the tree at dir.
func debianVersion(dir, pkg string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, debianVersions))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, pkg+" "); ok {
			return v, nil
		}
	}
	return "", fmt.Errorf("%s: no package %s in the tree", dir, pkg)
}

// unpackDebian fetches pkgs and unpacks them into dir, under an exclusive lock on dir.lock
// (flock: it also excludes another open of the file within this process).
func unpackDebian(suite string, pkgs []string, dir string) error {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return err
	}
	lock, err := os.OpenFile(dir+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	if _, err := os.Stat(filepath.Join(dir, debianVersions)); err == nil {
		return nil // another process unpacked it while we waited
	}
	// Whatever an interrupted fetch left is ours to remove now that we hold the lock.
	stale, _ := filepath.Glob(dir + ".tmp-*")
	for _, s := range append(stale, dir) {
		os.RemoveAll(s)
	}
	work, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".tmp-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if err := os.Chmod(work, 0o755); err != nil {
		return err
	}
	debs := filepath.Join(work, "debs")
	if err := os.MkdirAll(filepath.Join(debs, "partial"), 0o755); err != nil {
		return err
	}
	if suite == "" {
		err = hostDownload(debs, pkgs)
	} else {
		err = suiteDownload(filepath.Join(work, "apt"), suite, debs, pkgs)
	}
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(debs, "*.deb"))
	if err != nil || len(files) < len(pkgs) {
		return fmt.Errorf("apt-get left %d packages for %d asked (%v)", len(files), len(pkgs), err)
	}
	tree := filepath.Join(work, "tree")
	var versions strings.Builder
	for _, f := range files {
		if _, err := run("", "dpkg-deb", "-x", f, tree); err != nil {
			return err
		}
		v, err := run("", "dpkg-deb", "--show", "--showformat=${Package} ${Version}\n", f)
		if err != nil {
			return err
		}
		versions.WriteString(v)
	}
	if err := readyPython(tree); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tree, debianVersions), []byte(versions.String()), 0o644); err != nil {
		return err
	}
	return os.Rename(tree, dir)
}

// hostDownload has the host's apt fetch pkgs (even installed ones) and what they need that the
// host lacks into debs, installing nothing. Package lists that do not know a package (never
// fetched) or name files the archive no longer has (older than a point release) are updated
// once and the download tried again.
func hostDownload(debs string, pkgs []string) error {
	args := append([]string{"-qq", "-y", "--no-install-recommends", "--download-only", "--reinstall",
		"-o", "APT::Sandbox::User=root", "-o", "DPkg::Lock::Timeout=300", "-o", "Dir::Cache::archives=" + debs, "install"}, pkgs...)
	_, err := run("", "apt-get", args...)
	if err == nil || !strings.Contains(err.Error(), "Unable to locate package") &&
		!strings.Contains(err.Error(), "has no installation candidate") && !strings.Contains(err.Error(), "Failed to fetch") {
		return err
	}
	if _, err := run("", "apt-get", "-qq", "update"); err != nil {
		return err
	}
	_, err = run("", "apt-get", args...)
	return err
}

// suiteDownload fetches exactly pkgs of suite into debs, with apt configured under dir.
func suiteDownload(dir, suite, debs string, pkgs []string) error {
	empty := filepath.Join(dir, "empty.d")
	for _, d := range []string{empty, filepath.Join(dir, "lists", "partial"), filepath.Join(dir, "cache", "archives", "partial")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	sources := filepath.Join(dir, "sources.list")
	line := fmt.Sprintf("deb [signed-by=%s] %s %s main\n", debianArchiveKeyring, debianMirror(), suite)
	status := filepath.Join(dir, "status")
	if err := os.WriteFile(sources, []byte(line), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(status, nil, 0o644); err != nil {
		return err
	}
	opts := []string{"-q",
		"-o", "Dir::Etc::sourcelist=" + sources,
		"-o", "Dir::Etc::sourceparts=" + empty,
		"-o", "Dir::Etc::preferences=" + filepath.Join(empty, "none"),
		"-o", "Dir::Etc::preferencesparts=" + empty,
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::State::status=" + status,
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		// The download directory is root's; apt's _apt user could not write into it.
		"-o", "APT::Sandbox::User=root",
	}
	if _, err := run("", "apt-get", append(opts, "update")...); err != nil {
		return err
	}
	_, err := run(debs, "apt-get", append(append(opts, "download"), pkgs...)...)
	return err
}

// readyPython adapts a tree's Python code to the system python3 and compiles it once, so that
// runs (read-only: see FirewalldTree.Env) skip compiling hundreds of modules. Debian 11's
// python3-slip (firewalld 0.9.3) uses collections.Callable, which Python 3.10 removed.
func readyPython(tree string) error {
	lib := filepath.Join(tree, "usr", "lib", "python3")
	if _, err := os.Stat(lib); err != nil {
		return nil
	}
	err := filepath.WalkDir(lib, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".py") {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil || !bytes.Contains(data, []byte("collections.Callable")) {
			return err
		}
		data = bytes.ReplaceAll(data, []byte("collections.Callable"), []byte("collections.abc.Callable"))
		data = bytes.Replace(data, []byte("\nimport collections\n"), []byte("\nimport collections, collections.abc\n"), 1)
		return os.WriteFile(path, data, 0o644)
	})
	if err != nil {
		return err
	}
	_, err = run("", systemPython, "-m", "compileall", "-q", lib)
	return err
}

// run runs a command in dir and returns its standard output; an error carries its standard
// error.
func run(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(e.Bytes()))
	}
	return o.String(), nil
}

// debianMirror is the Debian mirror the host's apt uses (deb.debian.org by default), asked for
// another suite; MSSCLAMP_DEBIAN_MIRROR overrides it (e.g. http://archive.debian.org/debian
// once a suite has left the mirrors).
func debianMirror() string {
	if m := os.Getenv("MSSCLAMP_DEBIAN_MIRROR"); m != "" {
		return m
	}
	if data, err := os.ReadFile("/etc/apt/sources.list.d/debian.sources"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if u, ok := strings.CutPrefix(line, "URIs:"); ok {
				if f := strings.Fields(u); len(f) > 0 && !strings.Contains(f[0], "security") {
					return f[0]
				}
			}
		}
	}
	if data, err := os.ReadFile("/etc/apt/sources.list"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			f := strings.Fields(line)
			if len(f) >= 3 && f[0] == "deb" && !strings.HasPrefix(f[1], "[") && !strings.Contains(f[1], "security") {
				return f[1]
			}
		}
	}
	return "http://deb.debian.org/debian"
}
