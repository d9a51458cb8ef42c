package systest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// AptLock serialises the package changes of all test processes (go test
// runs packages in parallel): only one at a time may put policy-rc.d in
// place and take it away, or compare the system before and after.
const AptLock = "/run/lock/mssclamp-test-apt.lock"

// policyRC is the policy-rc.d(8) that forbids every service start while
// tests install tools (lintian, rpm, man-db): installing must never start
// or enable anything on the host.
const policyRC = "/usr/sbin/policy-rc.d"

// RequireDebianPackages makes sure the named Debian packages are installed.
// The missing ones are installed with apt-get, as root, under a policy-rc.d
// that lets no service start; when that cannot be done (not root, not
// Debian, apt fails) the test is skipped with the reason.
func RequireDebianPackages(t testing.TB, pkgs ...string) {
	t.Helper()
	if _, err := exec.LookPath("dpkg-query"); err != nil {
		t.Skipf("system test: needs the Debian package(s) %s, and this is not Debian (no dpkg-query)", strings.Join(pkgs, ", "))
	}
	missing := missingPackages(pkgs)
	if len(missing) == 0 {
		return
	}
	if uid := os.Geteuid(); uid != 0 {
		t.Skipf("system test: needs the Debian package(s) %s, not installed, and installing needs root (running as uid %d)", strings.Join(missing, ", "), uid)
	}
	if err := aptInstall(missing); err != nil {
		t.Skipf("system test: needs the Debian package(s) %s, which could not be installed: %v", strings.Join(missing, ", "), err)
	}
}

func missingPackages(pkgs []string) []string {
	var missing []string
	for _, p := range pkgs {
		out, err := exec.Command("dpkg-query", "-W", "-f=${db:Status-Abbrev}", p).Output()
		if err != nil || !strings.HasPrefix(string(out), "ii") {
			missing = append(missing, p)
		}
	}
	return missing
}

// LockPackages holds, until the test ends, the lock under which test
// processes change the system's packages: RequireDebianPackages installs
// under it, and a test that installs and removes a package of its own
// takes it so that the system does not change under its comparisons.
func LockPackages(t testing.TB) {
	t.Helper()
	unlock, err := lockPackages()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
}

func lockPackages() (unlock func(), err error) {
	lock, err := os.OpenFile(AptLock, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		lock.Close()
		return nil, fmt.Errorf("locking %s: %w", AptLock, err)
	}
	return func() { lock.Close() }, nil
}

func aptInstall(pkgs []string) (err error) {
	unlock, err := lockPackages()
	if err != nil {
		return err
	}
	defer unlock()
	// Another test process may have installed them while we waited.
	if pkgs = missingPackages(pkgs); len(pkgs) == 0 {
		return nil
	}
	if _, err := os.Lstat(policyRC); errors.Is(err, os.ErrNotExist) {
		if err := os.WriteFile(policyRC, []byte("#!/bin/sh\n# mssclamp tests: install tools, start nothing\nexit 101\n"), 0o755); err != nil {
			return err
		}
		defer func() {
			if rmErr := os.Remove(policyRC); rmErr != nil && err == nil {
				err = rmErr
			}
		}()
	}
	apt := func(args ...string) error {
		cmd := exec.Command("apt-get", append([]string{"-q", "-y", "-o", "DPkg::Lock::Timeout=300"}, args...)...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %w\n%s", strings.Join(args, " "), err, lastBytes(out, 2000))
		}
		return nil
	}
	if err := apt(append([]string{"install", "--no-install-recommends"}, pkgs...)...); err != nil {
		// The package lists may be missing or stale on a fresh machine.
		if err := apt("update"); err != nil {
			return err
		}
		return apt(append([]string{"install", "--no-install-recommends"}, pkgs...)...)
	}
	return nil
}

// lastBytes is the end of a command's output, enough to see why it failed.
func lastBytes(out []byte, n int) string {
	if len(out) > n {
		out = out[len(out)-n:]
	}
	return string(out)
}
