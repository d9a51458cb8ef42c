package systest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// The system tests never run the firewalld installed on the host (if any): each release they
// test is Debian's own package, fetched with `apt-get download` from that release's suite and
// unpacked with `dpkg-deb -x` into a private tree, then run by the system python3 with
// PYTHONPATH into the tree. Nothing is installed system-wide and no service is ever enabled;
// the libraries firewalld imports (python3-dbus, python3-gi, python3-nftables) come from the
// system (scripts/deps.sh installs them).

// FirewalldReleaseEnv names the environment variable that picks the release tests run when
// they do not ask for one (DefaultFirewalldRelease when unset).
const FirewalldReleaseEnv = "MSSCLAMP_FIREWALLD"

// DefaultFirewalldRelease is Debian 12's firewalld.
const DefaultFirewalldRelease = "1.3.3"

// firewalldCacheDir holds one tree per release, reused by every test process; the v1 is the
// layout of a tree, bumped when fetchTree changes what it leaves.
const firewalldCacheDir = "/var/tmp/mssclamp-firewalld/v1"

// debianArchiveKeyring verifies the suites' Release files (Debian 12's keyring also holds the
// keys of Debian 11 and 13).
const debianArchiveKeyring = "/usr/share/keyrings/debian-archive-keyring.gpg"

// systemPython runs every tree: the python3 of the host, never one found first in PATH.
const systemPython = "/usr/bin/python3"

type firewalldRelease struct {
	suite string
	// extra are packages of the suite the release's python3-firewall needs that later Debian
	// releases no longer have: they go into the tree too.
	extra []string
	// logTarget: firewalld has --log-target (1.0 and later); 0.9 logs to syslog as well as to
	// --log-file.
	logTarget bool
}

var firewalldReleases = map[string]firewalldRelease{
	"0.9.3": {suite: "bullseye", extra: []string{"python3-slip", "python3-slip-dbus", "python3-decorator"}},
	"1.3.3": {suite: "bookworm", logTarget: true},
	"2.3.1": {suite: "trixie", logTarget: true},
}

// FirewalldReleases lists the releases the harness can run, oldest first.
func FirewalldReleases() []string {
	var rs []string
	for r := range firewalldReleases {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return versionLess(rs[i], rs[j]) })
	return rs
}

// FirewalldRelease is the release tests run by default: $MSSCLAMP_FIREWALLD, else
// DefaultFirewalldRelease.
func FirewalldRelease() string {
	if r := os.Getenv(FirewalldReleaseEnv); r != "" {
		return r
	}
	return DefaultFirewalldRelease
}

// versionLess compares dotted release numbers ("0.9.3" < "1.3.3" < "2.3.1").
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		var x, y int
		fmt.Sscan(as[i], &x)
		fmt.Sscan(bs[i], &y)
		if x != y {
			return x < y
		}
	}
	return len(as) < len(bs)
}

// FirewalldTree is one release of firewalld unpacked from Debian's packages.
type FirewalldTree struct {
	Release string // upstream release, "1.3.3"
	Version string // Debian's package version, "1.3.3-1~deb12u2"
	Dir     string // the unpacked packages: Dir/usr/sbin/firewalld, Dir/usr/lib/firewalld, ...

	logTarget bool
}

// DefaultConfig is the release's built-in configuration (zones, services, ...), what
// /usr/lib/firewalld is to an installed firewalld.
func (tr *FirewalldTree) DefaultConfig() string {
	return filepath.Join(tr.Dir, "usr", "lib", "firewalld")
}

// PythonPath is the tree's Python library directory, to prepend to PYTHONPATH.
func (tr *FirewalldTree) PythonPath() string {
	return filepath.Join(tr.Dir, "usr", "lib", "python3", "dist-packages")
}

// Env returns env with PYTHONPATH set to the tree's libraries (anything PYTHONPATH held is
// dropped: it must not shadow them), and bytecode writing off so runs never change the tree.
func (tr *FirewalldTree) Env(env []string) []string {
	out := make([]string, 0, len(env)+2)
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PYTHONPATH=") && !strings.HasPrefix(kv, "PYTHONDONTWRITEBYTECODE=") {
			out = append(out, kv)
		}
	}
	return append(out, "PYTHONPATH="+tr.PythonPath(), "PYTHONDONTWRITEBYTECODE=1")
}

// Tool returns the argv that runs one of the tree's programs ("firewalld", "firewall-cmd",
// "firewall-offline-cmd") with args; run it with Env.
func (tr *FirewalldTree) Tool(name string, args ...string) []string {
	dir := "bin"
	if name == "firewalld" {
		dir = "sbin"
	}
	return append([]string{systemPython, filepath.Join(tr.Dir, "usr", dir, name)}, args...)
}

// ToolCommand is an exec.Cmd of Tool (in the caller's namespace), its Env set.
func (tr *FirewalldTree) ToolCommand(name string, args ...string) *exec.Cmd {
	return tr.Python(tr.Tool(name, args...)[1:]...)
}

// Python is an exec.Cmd of the system python3 with args and the tree's libraries first on its
// path (e.g. to run firewalld's own parser over test vectors).
func (tr *FirewalldTree) Python(args ...string) *exec.Cmd {
	cmd := exec.Command(systemPython, args...)
	cmd.Env = tr.Env(os.Environ())
	return cmd
}

// trees caches the trees this process has opened (or failed to open).
var trees struct {
	mu sync.Mutex
	m  map[string]*FirewalldTree
}

// OpenFirewalldTree returns the tree of release ("" = FirewalldRelease()), fetching and
// unpacking it first when no test process has done so on this host. Fetching needs root, apt-get,
// dpkg-deb and the network; without root a missing tree skips the test. Two processes fetching at
// once are serialised by a lock file and the tree appears by an atomic rename, complete or not at
// all.
func OpenFirewalldTree(t testing.TB, release string) *FirewalldTree {
	t.Helper()
	if release == "" {
		release = FirewalldRelease()
	}
	rel, ok := firewalldReleases[release]
	if !ok {
		t.Fatalf("firewalld release %q: the harness knows %s", release, strings.Join(FirewalldReleases(), ", "))
	}
	trees.mu.Lock()
	defer trees.mu.Unlock()
	if tr := trees.m[release]; tr != nil {
		return tr
	}
	dir := filepath.Join(firewalldCacheDir, release)
	version, err := treeVersion(dir)
	if err != nil && os.Geteuid() != 0 {
		t.Skipf("system test: firewalld %s is not unpacked in %s yet (%v); run the tests as root once to fetch it", release, dir, err)
	}
	if err != nil {
		RequireCommands(t, "apt-get", "dpkg-deb")
		if version, err = fetchTree(release, rel, dir); err != nil {
			t.Fatalf("fetching firewalld %s from Debian %s: %v", release, rel.suite, err)
		}
	}
	tr := &FirewalldTree{Release: release, Version: version, Dir: dir, logTarget: rel.logTarget}
	if trees.m == nil {
		trees.m = map[string]*FirewalldTree{}
	}
	trees.m[release] = tr
	return tr
}

// versionFile, in a tree, holds the Debian version of its firewalld package; it is written
// last, so a tree without it is incomplete.
const versionFile = ".debian-version"

func treeVersion(dir string) (string, error) {
	data, err := os.ReadFile(filepath.Join(dir, versionFile))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(data)), nil
}

// fetchTree downloads release's packages and unpacks them into dir, under an exclusive lock on
// dir.lock; it returns the Debian version of firewalld.
func fetchTree(release string, rel firewalldRelease, dir string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	lock, err := os.OpenFile(dir+".lock", os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", fmt.Errorf("locking %s: %w", lock.Name(), err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if v, err := treeVersion(dir); err == nil {
		return v, nil // another process fetched it while we waited
	}
	// Whatever an interrupted fetch left is ours to remove now that we hold the lock.
	stale, _ := filepath.Glob(dir + ".tmp-*")
	for _, s := range stale {
		os.RemoveAll(s)
	}
	os.RemoveAll(dir)
	work, err := os.MkdirTemp(filepath.Dir(dir), filepath.Base(dir)+".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(work)
	if err := os.Chmod(work, 0o755); err != nil {
		return "", err
	}
	a, err := newPrivateApt(filepath.Join(work, "apt"), rel.suite)
	if err != nil {
		return "", err
	}
	if _, err := a.run("apt-get", "update"); err != nil {
		return "", err
	}
	version, err := a.version("firewalld", release+"-")
	if err != nil {
		return "", err
	}
	debs := filepath.Join(work, "debs")
	if err := os.Mkdir(debs, 0o755); err != nil {
		return "", err
	}
	pkgs := append([]string{"firewalld=" + version, "python3-firewall=" + version}, rel.extra...)
	if _, err := a.runIn(debs, "apt-get", append([]string{"download"}, pkgs...)...); err != nil {
		return "", err
	}
	tree := filepath.Join(work, "tree")
	files, err := filepath.Glob(filepath.Join(debs, "*.deb"))
	if err != nil || len(files) != len(pkgs) {
		return "", fmt.Errorf("apt-get download %s left %d packages (%v)", strings.Join(pkgs, " "), len(files), err)
	}
	for _, f := range files {
		if out, err := exec.Command("dpkg-deb", "-x", f, tree).CombinedOutput(); err != nil {
			return "", fmt.Errorf("dpkg-deb -x %s: %w: %s", filepath.Base(f), err, bytes.TrimSpace(out))
		}
	}
	if err := patchForSystemPython(tree); err != nil {
		return "", err
	}
	// Compiled once here, read-only afterwards (Env turns bytecode writing off): each firewalld
	// start then skips compiling its ~100 modules.
	if out, err := exec.Command(systemPython, "-m", "compileall", "-q", filepath.Join(tree, "usr", "lib", "python3")).CombinedOutput(); err != nil {
		return "", fmt.Errorf("compiling firewalld %s: %w: %s", release, err, bytes.TrimSpace(out))
	}
	if err := os.WriteFile(filepath.Join(tree, versionFile), []byte(version+"\n"), 0o644); err != nil {
		return "", err
	}
	if err := os.Rename(tree, dir); err != nil {
		return "", err
	}
	return version, nil
}

// patchForSystemPython adapts old Python code of a tree to the system python3: Debian 11's
// python3-slip (firewalld 0.9.3) uses collections.Callable, which Python 3.10 removed.
func patchForSystemPython(tree string) error {
	return filepath.WalkDir(filepath.Join(tree, "usr", "lib", "python3"), func(path string, d os.DirEntry, err error) error {
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
}

// privateApt is apt-get and apt-cache with a configuration of their own: one Debian suite as
// the only source, their own lists, cache and (empty) dpkg status, so neither the host's
// sources, pins and installed packages nor its package lists are used or changed.
type privateApt struct {
	dir  string
	opts []string
}

func newPrivateApt(dir, suite string) (*privateApt, error) {
	empty := filepath.Join(dir, "empty.d")
	for _, d := range []string{empty, filepath.Join(dir, "lists", "partial"), filepath.Join(dir, "cache", "archives", "partial")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	sources := filepath.Join(dir, "sources.list")
	line := fmt.Sprintf("deb [signed-by=%s] %s %s main\n", debianArchiveKeyring, debianMirror(), suite)
	if err := os.WriteFile(sources, []byte(line), 0o644); err != nil {
		return nil, err
	}
	status := filepath.Join(dir, "status")
	if err := os.WriteFile(status, nil, 0o644); err != nil {
		return nil, err
	}
	return &privateApt{dir: dir, opts: []string{
		"-q",
		"-o", "Dir::Etc::sourcelist=" + sources,
		"-o", "Dir::Etc::sourceparts=" + empty,
		"-o", "Dir::Etc::preferences=" + filepath.Join(empty, "none"),
		"-o", "Dir::Etc::preferencesparts=" + empty,
		"-o", "Dir::State::Lists=" + filepath.Join(dir, "lists"),
		"-o", "Dir::State::status=" + status,
		"-o", "Dir::Cache=" + filepath.Join(dir, "cache"),
		// The download directory is root's; apt's _apt user could not write into it.
		"-o", "APT::Sandbox::User=root",
	}}, nil
}

func (a *privateApt) run(name string, args ...string) (string, error) {
	return a.runIn("", name, args...)
}

func (a *privateApt) runIn(dir, name string, args ...string) (string, error) {
	cmd := exec.Command(name, append(append([]string{}, a.opts...), args...)...)
	cmd.Dir = dir
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s %s: %w: %s", name, strings.Join(args, " "), err, bytes.TrimSpace(e.Bytes()))
	}
	return o.String(), nil
}

// version returns the version of pkg in the suite that starts with prefix.
func (a *privateApt) version(pkg, prefix string) (string, error) {
	out, err := a.run("apt-cache", "madison", pkg)
	if err != nil {
		return "", err
	}
	var seen []string
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) < 2 {
			continue
		}
		v := strings.TrimSpace(f[1])
		if strings.HasPrefix(v, prefix) {
			return v, nil
		}
		seen = append(seen, v)
	}
	return "", errors.New(pkg + ": no version " + prefix + "* in the suite (it has: " + strings.Join(seen, ", ") + ")")
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
