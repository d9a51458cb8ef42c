package systest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The system tests never run the firewalld installed on the host (if any): each release they
// test is Debian's own package of that release's suite, unpacked into a private tree
// (DebianTree), then run by the system python3 with PYTHONPATH into the tree. Nothing is
// installed system-wide and no service is ever enabled; the libraries firewalld imports
// (python3-dbus, python3-gi, python3-nftables) come from the system (scripts/deps.sh installs
// them).

// FirewalldReleaseEnv names the environment variable that picks the release tests run when
// they do not ask for one (DefaultFirewalldRelease when unset).
const FirewalldReleaseEnv = "MSSCLAMP_FIREWALLD"

// DefaultFirewalldRelease is Debian 12's firewalld.
const DefaultFirewalldRelease = "1.3.3"

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

// OpenFirewalldTree returns the tree of release ("" = FirewalldRelease()): Debian's firewalld
// and python3-firewall of the release's suite, unpacked by DebianTree.
func OpenFirewalldTree(t testing.TB, release string) *FirewalldTree {
	t.Helper()
	if release == "" {
		release = FirewalldRelease()
	}
	rel, ok := firewalldReleases[release]
	if !ok {
		t.Fatalf("firewalld release %q: the harness knows %s", release, strings.Join(FirewalldReleases(), ", "))
	}
	dir := DebianTree(t, rel.suite, append([]string{"firewalld", "python3-firewall"}, rel.extra...)...)
	version, err := debianVersion(dir, "firewalld")
	if err != nil {
		t.Fatal(err)
	}
	// A suite keeps its release through point releases; a new one would need new expectations.
	if !strings.HasPrefix(version, release+"-") {
		t.Fatalf("Debian %s has firewalld %s now, not %s (remove %s to fetch again)", rel.suite, version, release, dir)
	}
	return &FirewalldTree{Release: release, Version: version, Dir: dir, logTarget: rel.logTarget}
}
