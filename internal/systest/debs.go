package systest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// Some tests drive tools the project does not install: ansible-core (a playbook against
// mssclampd) and promtool (from the prometheus package). Installing them would run their
// maintainer scripts, and prometheus' postinst enables prometheus.service on the host. So the
// harness downloads their Debian packages with apt-get and unpacks them with dpkg-deb into a
// cache directory of its own: nothing runs, nothing is enabled, dpkg does not know about them,
// and later runs reuse the tree.

// debCacheDir holds one unpacked tree per DebTree request, and the lock that serializes their
// creation across test processes.
const debCacheDir = "/var/cache/mssclamp-systest"

// DebOptions selects what DebTree unpacks.
type DebOptions struct {
	Package string
	// WithDeps also unpacks whatever Package depends on that this machine lacks, as apt
	// resolves it against the installed packages (Python libraries for ansible-core).
	WithDeps bool
	// Only lists the files to unpack ("./usr/bin/promtool"); empty means all of them.
	Only []string
}

// DebTree returns a directory in which Package is unpacked: "/" when the package is installed
// on this machine, else a tree in debCacheDir, downloaded and unpacked the first time. Skips
// the test without root or without apt-get and dpkg-deb; fails it when the download fails.
func DebTree(t testing.TB, o DebOptions) string {
	t.Helper()
	RequireRoot(t)
	if installed(o.Package) {
		return "/"
	}
	RequireCommands(t, "apt-get", "dpkg-deb", "tar")
	name := o.Package
	if o.WithDeps {
		name += "+deps"
	}
	if len(o.Only) > 0 {
		name += "-" + strings.NewReplacer("/", "_", ".", "").Replace(strings.Join(o.Only, ","))
	}
	root := filepath.Join(debCacheDir, name)
	if err := os.MkdirAll(debCacheDir, 0o755); err != nil {
		t.Fatalf("debian tools: %v", err)
	}
	unlock, err := lockFile(filepath.Join(debCacheDir, ".lock"))
	if err != nil {
		t.Fatalf("debian tools: %v", err)
	}
	defer unlock()
	if _, err := os.Stat(root); err == nil {
		return root
	}
	if err := unpackDebs(o, root); err != nil {
		t.Fatalf("debian tools: %s: %v", o.Package, err)
	}
	return root
}

func installed(pkg string) bool {
	out, err := exec.Command("dpkg-query", "-W", "-f=${Status}", pkg).Output()
	return err == nil && string(out) == "install ok installed"
}

// lockFile takes an exclusive flock, which also excludes other opens within this process.
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// unpackDebs downloads o's packages into a scratch directory and unpacks them beside root,
// renaming the finished tree to root so that an interrupted run leaves no half tree behind.
func unpackDebs(o DebOptions, root string) error {
	scratch, err := os.MkdirTemp(debCacheDir, ".download-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	debs := filepath.Join(scratch, "debs")
	if err := os.MkdirAll(filepath.Join(debs, "partial"), 0o755); err != nil {
		return err
	}
	args := []string{"-qq", "-o", "APT::Sandbox::User=root", "download", o.Package}
	if o.WithDeps {
		// --download-only resolves and fetches exactly what an install would, into our
		// directory, and installs nothing.
		args = []string{"-qq", "-y", "--no-install-recommends", "--download-only", "-o", "APT::Sandbox::User=root",
			"-o", "DPkg::Lock::Timeout=300", "-o", "Dir::Cache::archives=" + debs, "install", o.Package}
	}
	if err := aptGet(debs, args); err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(debs, "*.deb"))
	if err != nil || len(files) == 0 {
		return fmt.Errorf("apt-get %s left no .deb in %s", strings.Join(args, " "), debs)
	}
	tree := filepath.Join(scratch, "tree")
	if err := os.Mkdir(tree, 0o755); err != nil {
		return err
	}
	for _, deb := range files {
		if err := extractDeb(deb, tree, o.Only); err != nil {
			return err
		}
	}
	return os.Rename(tree, root)
}

// aptGet runs apt-get in dir; when the package lists do not know the package (a machine
// whose lists were never fetched) or name a file the archive no longer has (lists older than
// a point release), it updates them once and tries again.
func aptGet(dir string, args []string) error {
	run := func() (string, error) {
		cmd := exec.Command("apt-get", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	out, err := run()
	stale := strings.Contains(out, "Unable to locate package") || strings.Contains(out, "has no installation candidate") ||
		strings.Contains(out, "Failed to fetch")
	if err != nil && stale {
		if upd, uerr := exec.Command("apt-get", "-qq", "update").CombinedOutput(); uerr != nil {
			return fmt.Errorf("apt-get update: %v: %s", uerr, bytes.TrimSpace(upd))
		}
		out, err = run()
	}
	if err != nil {
		return fmt.Errorf("apt-get %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(out))
	}
	return nil
}

// extractDeb unpacks the data of deb into dir (only the listed members, when some are).
func extractDeb(deb, dir string, only []string) error {
	if len(only) == 0 {
		if out, err := exec.Command("dpkg-deb", "-x", deb, dir).CombinedOutput(); err != nil {
			return fmt.Errorf("dpkg-deb -x %s: %v: %s", deb, err, bytes.TrimSpace(out))
		}
		return nil
	}
	data := exec.Command("dpkg-deb", "--fsys-tarfile", deb)
	untar := exec.Command("tar", append([]string{"-x", "-C", dir, "-f", "-"}, only...)...)
	pipe, err := data.StdoutPipe()
	if err != nil {
		return err
	}
	untar.Stdin = pipe
	var errData, errTar bytes.Buffer
	data.Stderr, untar.Stderr = &errData, &errTar
	if err := data.Start(); err != nil {
		return err
	}
	errU := untar.Run()
	errD := data.Wait()
	if errU != nil || errD != nil {
		return fmt.Errorf("unpacking %v from %s: dpkg-deb: %v %s; tar: %v %s", only, deb,
			errD, bytes.TrimSpace(errData.Bytes()), errU, bytes.TrimSpace(errTar.Bytes()))
	}
	return nil
}
