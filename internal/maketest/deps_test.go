package maketest

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// depsShim stands in for apt-get (and deb-systemd-helper) while scripts/deps.sh runs: it logs
// each call, asks policy-rc.d whether a service may start, and for `install` does what the
// scenario in $DEPS_SCENARIO says a package's postinst would do.
const depsShim = `#!/bin/sh
name=$(basename "$0")
echo "$name $*" >>"$DEPS_LOG"
case "$name $*" in
apt-get*" install "*)
	/usr/sbin/policy-rc.d fake.service start; echo "policy-rc.d start: $?" >>"$DEPS_LOG"
	case $DEPS_SCENARIO in
	enables)
		mkdir -p /etc/systemd/system/multi-user.target.wants /etc/rc2.d
		ln -s /lib/systemd/system/fake.service /etc/systemd/system/multi-user.target.wants/fake.service
		ln -s ../init.d/fake /etc/rc2.d/S01fake ;;
	static)
		mkdir -p /usr/lib/systemd/system/sockets.target.wants
		ln -s ../fake.socket /usr/lib/systemd/system/sockets.target.wants/fake.socket ;;
	esac ;;
deb-systemd-helper" disable "*)
	rm -f /etc/systemd/system/*.wants/"$2" ;;
esac
exit 0
`

// TestDepsScript runs scripts/deps.sh test as root in a private mount namespace, where
// /usr/sbin, the unit directories and /etc/rc2.d are empty tmpfs, with dpkg-query reporting
// nothing installed and apt-get a recorder: it installs exactly the test packages (no
// firewalld), with a policy-rc.d that forbids starts, puts an existing policy-rc.d back, and
// undoes what a package enabled (or fails when a package enables a unit statically).
func TestDepsScript(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root (a private mount namespace for policy-rc.d and unit directories)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Skip("needs unshare(1)")
	}
	script, err := filepath.Abs("../../scripts/deps.sh")
	if err != nil {
		t.Fatal(err)
	}
	want, err := exec.Command(script, "--list", "test").Output()
	if err != nil {
		t.Fatalf("deps.sh --list test: %v", err)
	}
	packages := strings.Fields(string(want))
	for _, p := range []string{"firewalld", "python3-firewall", "dbus", "dbus-system-bus-common"} {
		if slices.Contains(packages, p) {
			t.Errorf("deps.sh would install %s", p)
		}
	}
	for _, sc := range []struct {
		name, wantOut string
		wantOK        bool
	}{
		{"clean", "", true},
		{"enables", "a package enabled fake.service; disabling it again", true},
		{"static", "a package enables fake.socket statically", false},
	} {
		t.Run(sc.name, func(t *testing.T) {
			dir := t.TempDir()
			log := filepath.Join(dir, "calls")
			for _, name := range []string{"apt-get", "dpkg-query", "deb-systemd-helper"} {
				text := depsShim
				if name == "dpkg-query" {
					text = "#!/bin/sh\nexit 1\n"
				}
				if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o755); err != nil {
					t.Fatal(err)
				}
			}
			// In the namespace: empty /usr/sbin holding an administrator's policy-rc.d that
			// allows everything; empty unit and rc directories.
			ns := `set -e
for d in /usr/sbin /etc/systemd/system /lib/systemd/system /usr/lib/systemd/system /etc/rc2.d; do
	[ -d "$d" ] && mount -t tmpfs mssclamp-test "$d"
done
printf '#!/bin/sh\nexit 0\n' >/usr/sbin/policy-rc.d; chmod 755 /usr/sbin/policy-rc.d
status=0; "$@" || status=$?
echo "exit $status"
echo "policy-rc.d after: $(cat /usr/sbin/policy-rc.d | tail -n1)"; ls /usr/sbin
find /etc/systemd/system /etc/rc2.d -type l | sed 's/^/left: /'`
			cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", ns, "deps", script, "test")
			cmd.Env = append(os.Environ(), "PATH="+dir+":"+os.Getenv("PATH"), "DEPS_LOG="+log, "DEPS_SCENARIO="+sc.name)
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			calls, _ := os.ReadFile(log)
			t.Logf("output:\n%s\ncalls:\n%s", out, calls)
			got := string(out)
			if ok := strings.Contains(got, "\nexit 0\n"); ok != sc.wantOK {
				t.Errorf("deps.sh succeeded: %v, want %v", ok, sc.wantOK)
			}
			if !strings.Contains(got, sc.wantOut) {
				t.Errorf("output lacks %q", sc.wantOut)
			}
			if !strings.Contains(got, "policy-rc.d after: exit 0\npolicy-rc.d\n") {
				t.Errorf("the administrator's policy-rc.d was not put back alone")
			}
			if strings.Contains(got, "left: ") {
				t.Errorf("enabled links left behind")
			}
			wantInstall := "apt-get -o DPkg::Lock::Timeout=300 -qq install -y --no-install-recommends " + strings.Join(packages, " ") + "\npolicy-rc.d start: 101\n"
			if !strings.Contains(string(calls), wantInstall) {
				t.Errorf("calls lack\n%s", wantInstall)
			}
		})
	}
}
