package dist

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// packaged is what both packages install, besides each distribution's own
// files (debOnly, rpmOnly).
var packaged = []string{
	"/usr/bin/mssclamp-cmd",
	"/usr/sbin/mssclampd",
	"/usr/lib/systemd/system/mssclampd.service",
	"/usr/share/dbus-1/system.d/org.mssclamp.MssClamp1.conf",
	"/usr/share/dbus-1/system-services/org.mssclamp.MssClamp1.service",
	"/usr/share/man/man1/mssclamp-cmd.1.gz",
	"/usr/share/man/man5/mssclamp.xml.5.gz",
	"/usr/share/man/man8/mssclampd.8.gz",
	"/usr/share/bash-completion/completions/mssclamp-cmd",
	"/usr/share/doc/mssclamp/examples/README",
	"/usr/share/doc/mssclamp/examples/zones/vpn.xml",
	"/usr/share/doc/mssclamp/examples/policies/lan-to-wan.xml",
}

var (
	debOnly = []string{
		"/etc/default/mssclampd",
		"/usr/share/zsh/vendor-completions/_mssclamp-cmd",
		"/usr/share/doc/mssclamp/README.md.gz",
		"/usr/share/doc/mssclamp/copyright",
		"/usr/share/doc/mssclamp/changelog.gz",
		"/usr/share/lintian/overrides/mssclamp",
	}
	rpmOnly = []string{
		"/etc/sysconfig/mssclampd",
		"/usr/share/zsh/site-functions/_mssclamp-cmd",
		"/usr/share/doc/mssclamp/README.md",
		"/usr/share/licenses/mssclamp/LICENSE",
	}
)

// lines splits command output into its non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// sameFiles reports, for a package, the files missing from it and those it
// has beyond want.
func sameFiles(t *testing.T, what string, got, want []string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s lacks %s", what, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			t.Errorf("%s has %s, not expected", what, g)
		}
	}
}

// TestRPM: `rpm -qpl` lists both binaries, the unit, the D-Bus files, the
// man pages and the rest; the configuration is a conffile the package
// never replaces, the dependencies are as Fedora and RHEL name them, and
// the scriptlets never enable or start the daemon. rpm is Debian's, run
// from a tree with its libraries and configuration.
func TestRPM(t *testing.T) {
	tree := systest.DebianTree(t, "", "rpm", "rpm-common")
	db := t.TempDir()
	libs, _ := filepath.Glob(filepath.Join(tree, "usr/lib/*-linux-gnu*"))
	env := append(os.Environ(), "LD_LIBRARY_PATH="+strings.Join(libs, ":"), "RPM_CONFIGDIR="+filepath.Join(tree, "usr/lib/rpm"))
	rpmQuery := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(filepath.Join(tree, "usr/bin/rpm"), append([]string{"--dbpath", db, "-qp"}, args...)...)
		cmd.Env = env
		out, err := cmd.Output()
		if ee, ok := err.(*exec.ExitError); ok {
			t.Fatalf("rpm -qp %s: %v\n%s", strings.Join(args, " "), err, ee.Stderr)
		} else if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	_, rpm := packages(t)
	var files []string
	for _, f := range lines(rpmQuery("-l", rpm)) {
		// Directories the package owns are listed too.
		if !strings.HasSuffix(f, "/mssclamp") && !strings.HasSuffix(f, "/examples") && !strings.HasSuffix(f, "/zones") && !strings.HasSuffix(f, "/policies") {
			files = append(files, f)
		}
	}
	sameFiles(t, "the .rpm", files, append(slices.Clone(packaged), rpmOnly...))
	t.Logf("rpm -qpl %s:\n%s", filepath.Base(rpm), rpmQuery("-l", rpm))
	if got := lines(rpmQuery("--configfiles", rpm)); !slices.Equal(got, []string{"/etc/sysconfig/mssclampd"}) {
		t.Errorf("config files %v", got)
	}
	if got := rpmQuery("--qf", "[%{FILEFLAGS:fflags} %{FILENAMES}\n]", rpm); !strings.Contains(got, "cn /etc/sysconfig/mssclampd") {
		t.Errorf("/etc/sysconfig/mssclampd is not %%config(noreplace):\n%s", got)
	}
	if got := lines(rpmQuery("--requires", rpm)); !slices.Contains(got, "dbus") {
		t.Errorf("requires %v, want dbus", got)
	}
	if got := lines(rpmQuery("--recommends", rpm)); !slices.Equal(got, []string{"(nftables or iptables)"}) {
		t.Errorf("recommends %v", got)
	}
	checkScripts(t, "the .rpm's scriptlets", rpmQuery("--scripts", rpm))
}

// enableLinks lists the links `systemctl enable mssclampd` makes.
func enableLinks() []string {
	m, _ := filepath.Glob("/etc/systemd/system/*.wants/mssclampd.service")
	if _, err := os.Lstat("/etc/systemd/system/dbus-org.mssclamp.MssClamp1.service"); err == nil {
		m = append(m, "/etc/systemd/system/dbus-org.mssclamp.MssClamp1.service")
	}
	return m
}

// runningInstalledDaemon lists the processes that run /usr/sbin/mssclampd
// (other tests run mssclampd binaries of their own, meanwhile).
func runningInstalledDaemon() []string {
	var pids []string
	exes, _ := filepath.Glob("/proc/[0-9]*/exe")
	for _, exe := range exes {
		if target, err := os.Readlink(exe); err == nil && strings.HasPrefix(target, "/usr/sbin/mssclampd") {
			pids = append(pids, filepath.Base(filepath.Dir(exe)))
		}
	}
	return pids
}

// checkScripts: maintainer scripts never enable, start or preset the
// daemon (comments aside).
func checkScripts(t *testing.T, what, scripts string) {
	t.Helper()
	scripts = regexp.MustCompile(`(?m)^\s*#.*$`).ReplaceAllString(scripts, "")
	// try-restart restarts only a running daemon, on upgrades; enable
	// only appears as deb-systemd-helper's, for a unit that was enabled.
	if m := regexp.MustCompile(`(systemctl|deb-systemd-invoke)[^\n]*\s(start|restart|reload-or-restart|preset|enable)(\s|$)|invoke-rc\.d`).FindString(scripts); m != "" {
		t.Errorf("%s may enable or start the daemon: %q", what, m)
	}
}

// TestDeb: the .deb holds what it should, its conffile, its dependencies as
// Debian names them, and lintian finds neither error nor warning in it.
func TestDeb(t *testing.T) {
	systest.RequireCommands(t, "dpkg-deb")
	deb, _ := packages(t)
	var files []string
	for _, l := range lines(run(t, "dpkg-deb", "-c", deb)) {
		f := strings.Fields(l)
		if name := strings.TrimPrefix(f[len(f)-1], "."); !strings.HasSuffix(name, "/") {
			files = append(files, name)
		}
	}
	sameFiles(t, "the .deb", files, append(slices.Clone(packaged), debOnly...))
	dir := t.TempDir()
	run(t, "dpkg-deb", "-e", deb, dir)
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	if got := read("conffiles"); got != "/etc/default/mssclampd\n" {
		t.Errorf("conffiles %q", got)
	}
	control := read("control")
	for _, want := range []string{"Package: mssclamp\n", "Depends: dbus\n", "Recommends: nftables | iptables\n", "Section: net\n"} {
		if !strings.Contains(control, want) {
			t.Errorf("control lacks %q:\n%s", want, control)
		}
	}
	checkScripts(t, "the .deb's maintainer scripts", read("postinst")+read("prerm")+read("postrm"))

	systest.RequireCommands(t, "lintian")
	cmd := exec.Command("lintian", "--info", "--show-overrides", deb)
	out, err := cmd.Output() // stderr only says that root should not run lintian
	t.Logf("lintian --info --show-overrides %s:\n%s", filepath.Base(deb), out)
	if err != nil {
		t.Errorf("lintian: %v", err)
	}
	for _, l := range lines(string(out)) {
		if strings.HasPrefix(l, "E:") || strings.HasPrefix(l, "W:") {
			t.Errorf("lintian: %s", l)
		}
	}
}

// TestDebInstallPurge installs the .deb with dpkg on this machine, enables
// the unit as the administrator would, then removes and purges the
// package: every step succeeds, the package starts and enables nothing,
// and in the end nothing is left, not even the administrator's links (file names with
// "mssclamp", unit files and their states, deb-systemd-helper's records).
// pid 1 may not be systemd (containers): the maintainer scripts then skip
// what needs it.
func TestDebInstallPurge(t *testing.T) {
	systest.RequireRoot(t)
	systest.RequireCommands(t, "dpkg", "systemctl", "deb-systemd-helper", "systemd-analyze", "man")
	if out, _ := exec.Command("dpkg-query", "-W", "-f=${db:Status-Abbrev}", "dbus").Output(); !strings.HasPrefix(string(out), "ii") {
		t.Skip("the .deb depends on dbus, which is not installed here (installing it would enable the system bus)")
	}
	if out, _ := exec.Command("dpkg-query", "-W", "-f=${db:Status-Abbrev}", "mssclamp").Output(); len(out) > 0 {
		t.Skipf("mssclamp is installed on this machine (%s): not touching it", strings.TrimSpace(string(out)))
	}
	if pids := runningInstalledDaemon(); len(pids) > 0 {
		t.Skipf("/usr/sbin/mssclampd runs on this machine (pid %v): not touching it", pids)
	}
	deb, _ := packages(t)
	want := gitDescribe(t)
	before := snapshot(t)
	t.Cleanup(func() {
		exec.Command("dpkg", "--purge", "mssclamp").Run()
		for _, l := range enableLinks() { // should the purge have failed
			os.Remove(l)
		}
	})

	dpkg := func(args ...string) {
		t.Helper()
		t.Logf("dpkg %s:\n%s", strings.Join(args, " "), run(t, "dpkg", args...))
	}
	notStarted := func(when string) {
		t.Helper()
		if pids := runningInstalledDaemon(); len(pids) > 0 {
			t.Errorf("%s: /usr/sbin/mssclampd runs (pid %v)", when, pids)
		}
		out, _ := exec.Command("systemctl", "--root=/", "is-enabled", "mssclampd.service").Output()
		if got := strings.TrimSpace(string(out)); got == "enabled" || strings.HasPrefix(got, "enabled-") {
			t.Errorf("%s: mssclampd.service is %s", when, got)
		}
		if m := enableLinks(); len(m) > 0 {
			t.Errorf("%s: enabled by %v", when, m)
		}
	}

	dpkg("-i", deb)
	notStarted("after dpkg -i")
	if got := strings.TrimSpace(run(t, "/usr/sbin/mssclampd", "--version")); got != want {
		t.Errorf("installed mssclampd --version = %q, want %q", got, want)
	}
	if out, err := exec.Command("systemd-analyze", "verify", "/usr/lib/systemd/system/mssclampd.service").CombinedOutput(); err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify mssclampd.service: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(run(t, "man", "-w", "mssclamp-cmd")); got != "/usr/share/man/man1/mssclamp-cmd.1.gz" {
		t.Errorf("man -w mssclamp-cmd = %q", got)
	}

	// The administrator enables the daemon (offline: pid 1 may not be
	// systemd); the purge must take the links away all the same.
	run(t, "systemctl", "--root=/", "enable", "mssclampd.service")
	if m := enableLinks(); len(m) != 2 {
		t.Errorf("systemctl enable made the links %v, want the wants link and the D-Bus alias", m)
	}

	// A removal keeps the conffile and masks the unit (so that a unit
	// file left elsewhere cannot start without the package); the purge
	// takes both away.
	dpkg("-r", "mssclamp")
	if pids := runningInstalledDaemon(); len(pids) > 0 {
		t.Errorf("after dpkg -r: /usr/sbin/mssclampd runs (pid %v)", pids)
	}
	if _, err := os.Stat("/etc/default/mssclampd"); err != nil {
		t.Errorf("dpkg -r removed the conffile: %v", err)
	}
	if target, err := os.Readlink("/etc/systemd/system/mssclampd.service"); err != nil || target != "/dev/null" {
		t.Errorf("dpkg -r did not mask mssclampd.service: %q, %v", target, err)
	}
	dpkg("--purge", "mssclamp")
	notStarted("after dpkg --purge")

	after := snapshot(t)
	for _, k := range []string{"files", "unit files", "systemd links"} {
		if before[k] != after[k] {
			t.Errorf("%s before dpkg -i and after dpkg --purge differ:\nbefore:\n%s\nafter:\n%s", k, before[k], after[k])
		}
	}
}

// snapshot is what the install and purge must leave as it was: the names
// containing "mssclamp" on the system (not the tests' own caches and
// locks), `systemctl list-unit-files`, and the links under /etc/systemd
// and deb-systemd-helper's records.
func snapshot(t *testing.T) map[string]string {
	t.Helper()
	var names []string
	for _, root := range []string{"/etc", "/usr", "/var/lib", "/run"} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return nil // a file gone meanwhile (under /run) is not ours
			}
			if d.IsDir() && (path == "/run/netns" || path == "/proc") {
				return filepath.SkipDir
			}
			if strings.Contains(strings.ToLower(d.Name()), "mssclamp") {
				names = append(names, path)
			}
			return nil
		})
	}
	units, _ := exec.Command("systemctl", "--root=/", "list-unit-files", "--no-pager").Output()
	var links []string
	for _, root := range []string{"/etc/systemd", "/var/lib/systemd/deb-systemd-helper-enabled", "/var/lib/systemd/deb-systemd-helper-masked"} {
		filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				target, _ := os.Readlink(path)
				links = append(links, path+" -> "+target)
			}
			return nil
		})
	}
	return map[string]string{
		"files":         strings.Join(names, "\n"),
		"unit files":    string(units),
		"systemd links": strings.Join(links, "\n"),
	}
}
