package systest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// Firewalld is upstream firewalld, one release unpacked from Debian's packages (Tree), running
// in NS with its own system configuration directory (ConfigDir, made from the package's
// /etc/firewalld) and default configuration (Tree.DefaultConfig()), talking to Bus as its system
// bus.
type Firewalld struct {
	NS        *NS
	Bus       *Bus
	Tree      *FirewalldTree
	ConfigDir string
	Backend   string // FirewallBackend in ConfigDir/firewalld.conf

	dir    string // logs, one pair per start
	starts int
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

// FirewalldOptions chooses the firewalld StartFirewalldWith runs.
type FirewalldOptions struct {
	Backend string         // FirewallBackend: "nftables" or "iptables"
	Release string         // "0.9.3", "1.3.3", "2.3.1"; "" = FirewalldRelease()
	Tree    *FirewalldTree // run this tree instead of Release's (tests of the harness)
}

const (
	fwBusName = "org.fedoraproject.FirewallD1"
	fwPath    = dbus.ObjectPath("/org/fedoraproject/FirewallD1")

	// firewalldReadyTimeout bounds one start; firewalld 1.3.3 takes 1-3 s, more on a loaded host.
	firewalldReadyTimeout = 20 * time.Second
	// firewalldStopTimeout bounds the clean shutdown (CleanupOnExit removes its rules) before
	// SIGKILL.
	firewalldStopTimeout = 15 * time.Second
	// firewallCmdTimeout bounds one firewall-cmd run so a hung call fails instead of the test.
	firewallCmdTimeout = 60 * time.Second
)

var backendLineRE = regexp.MustCompile(`(?m)^FirewallBackend=.*$`)

// StartFirewalld is StartFirewalldWith the default release and backend.
func StartFirewalld(t testing.TB, bus *Bus, ns *NS, backend string) *Firewalld {
	t.Helper()
	return StartFirewalldWith(t, bus, ns, FirewalldOptions{Backend: backend})
}

// StartFirewalldWith starts firewalld o.Release in ns (nil: a new NS) on bus (nil: a new
// allow-all bus) with a private copy of the package's /etc/firewalld whose FirewallBackend is
// o.Backend, and waits until it answers on the bus in state RUNNING. It is stopped at Cleanup.
func StartFirewalldWith(t testing.TB, bus *Bus, ns *NS, o FirewalldOptions) *Firewalld {
	t.Helper()
	RequireRoot(t)
	tree := o.Tree
	if tree == nil {
		tree = OpenFirewalldTree(t, o.Release)
	}
	if bus == nil {
		bus = StartBus(t, BusOptions{})
	}
	if ns == nil {
		ns = NewNS(t)
	}
	f := &Firewalld{NS: ns, Bus: bus, Tree: tree, Backend: o.Backend, dir: t.TempDir()}
	bus.allow(t, filepath.Join(tree.Dir, "usr", "share", "dbus-1", "system.d", "FirewallD.conf"))
	f.ConfigDir = filepath.Join(f.dir, "etc")
	if err := copyTree(filepath.Join(tree.Dir, "etc", "firewalld"), f.ConfigDir); err != nil {
		t.Fatalf("copying firewalld %s's /etc/firewalld: %v", tree.Release, err)
	}
	conf := filepath.Join(f.ConfigDir, "firewalld.conf")
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatalf("firewalld config: %v", err)
	}
	line := "FirewallBackend=" + o.Backend
	if backendLineRE.Match(data) {
		data = backendLineRE.ReplaceAllLiteral(data, []byte(line))
	} else {
		data = append(data, []byte("\n"+line+"\n")...)
	}
	if err := os.WriteFile(conf, data, 0o644); err != nil {
		t.Fatalf("firewalld config: %v", err)
	}
	t.Cleanup(func() { f.Stop(t) })
	f.Start(t)
	return f
}

// Start starts firewalld (again, after Stop) and waits until it is RUNNING; on failure the test
// fails with the tail of firewalld's log.
func (f *Firewalld) Start(t testing.TB) {
	t.Helper()
	if f.running() {
		t.Fatalf("firewalld in %s: Start while running", f.NS.Name)
	}
	f.starts++
	logFile := filepath.Join(f.dir, fmt.Sprintf("firewalld-%d.log", f.starts))
	out, err := os.Create(filepath.Join(f.dir, fmt.Sprintf("output-%d.log", f.starts)))
	if err != nil {
		t.Fatalf("firewalld output: %v", err)
	}
	defer out.Close()
	// firewalld checks for /run/firewalld and then creates it: two first
	// starts at once (tests of several packages) race on it.
	if err := os.MkdirAll("/run/firewalld", 0o750); err != nil {
		t.Fatalf("firewalld runtime dir: %v", err)
	}
	args := []string{"--nofork", "--nopid", "--system-config", f.ConfigDir,
		"--default-config", f.Tree.DefaultConfig(), "--log-file", logFile}
	if f.Tree.logTarget {
		args = append(args, "--log-target", "file")
	}
	argv := f.Tree.Tool("firewalld", args...)
	cmd := f.NS.Command(argv[0], argv[1:]...)
	cmd.Env = f.Tree.Env(f.Bus.Env())
	cmd.Stdout, cmd.Stderr = out, out
	if err := startDaemon(cmd); err != nil {
		t.Fatalf("starting firewalld in %s: %v", f.NS.Name, err)
	}
	f.cmd, f.exited = cmd, make(chan struct{})
	go func(exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(f.exited)
	if err := f.waitReady(); err != nil {
		t.Fatalf("firewalld (%s) in %s on %s: %v; log:%s\noutput:%s", f.Backend, f.NS.Name, f.Bus.Address, err,
			tail(logFile, 30), tail(out.Name(), 10))
	}
}

// waitReady polls the `state` property until it is RUNNING and the bus name belongs to our
// process (not to another firewalld already on this bus). Calls wait while firewalld
// initialises (it owns its name before loading the rules), so one call usually suffices.
func (f *Firewalld) waitReady() error {
	conn, err := f.Bus.dial()
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), firewalldReadyTimeout)
	defer cancel()
	obj := conn.Object(fwBusName, fwPath)
	for {
		var state string
		err := obj.CallWithContext(ctx, "org.freedesktop.DBus.Properties.Get", dbus.FlagNoAutoStart,
			fwBusName, "state").Store(&state)
		if err == nil {
			switch state {
			case "RUNNING":
				if err = f.ownsName(ctx, conn); err == nil {
					return nil
				}
			case "FAILED":
				return errors.New("firewalld state FAILED")
			}
		}
		select {
		case <-f.exited:
			return fmt.Errorf("firewalld %s exited during start (%s)", f.Tree.Release, f.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("not ready within %v (state %q, last error: %v)", firewalldReadyTimeout, state, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// ownsName reports an error unless firewalld's bus name belongs to f's process (`ip netns exec`
// execs firewalld, so the pid is the same).
func (f *Firewalld) ownsName(ctx context.Context, conn *dbus.Conn) error {
	var owner string
	var pid uint32
	bus := conn.BusObject()
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, fwBusName).Store(&owner); err != nil {
		return err
	}
	if err := bus.CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionUnixProcessID", 0, owner).Store(&pid); err != nil {
		return err
	}
	if int(pid) != f.cmd.Process.Pid {
		return fmt.Errorf("%s is owned by pid %d, not by this firewalld (pid %d)", fwBusName, pid, f.cmd.Process.Pid)
	}
	return nil
}

func (f *Firewalld) running() bool {
	if f.exited == nil {
		return false
	}
	select {
	case <-f.exited:
		return false
	default:
		return true
	}
}

// Stop stops firewalld with SIGTERM (it removes its rules on the way out) and waits for it;
// after firewalldStopTimeout it is killed and the test fails. Stopping a stopped firewalld does
// nothing.
func (f *Firewalld) Stop(t testing.TB) {
	t.Helper()
	if !f.running() {
		return
	}
	_ = f.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-f.exited:
	case <-time.After(firewalldStopTimeout):
		_ = f.cmd.Process.Kill()
		<-f.exited
		t.Errorf("firewalld in %s did not stop within %v of SIGTERM; killed", f.NS.Name, firewalldStopTimeout)
	}
}

// Cmd runs the tree's firewall-cmd with args in f.NS on f.Bus and returns its output and exit
// code (-1 if it could not run; stderr then says why).
func (f *Firewalld) Cmd(args ...string) (stdout, stderr string, code int) {
	ctx, cancel := context.WithTimeout(context.Background(), firewallCmdTimeout)
	defer cancel()
	argv := append([]string{"netns", "exec", f.NS.Name}, f.Tree.Tool("firewall-cmd", args...)...)
	cmd := exec.CommandContext(ctx, "ip", argv...)
	cmd.Env = f.Tree.Env(f.Bus.Env())
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		return o.String(), e.String(), 0
	case errors.As(err, &exitErr) && exitErr.Exited():
		return o.String(), e.String(), exitErr.ExitCode()
	default:
		return o.String(), e.String() + fmt.Sprintf("firewall-cmd: %v\n", err), -1
	}
}

// MustCmd is Cmd that fails the test unless firewall-cmd exits 0; it returns stdout as printed
// (with its trailing newline).
func (f *Firewalld) MustCmd(t testing.TB, args ...string) string {
	t.Helper()
	stdout, stderr, code := f.Cmd(args...)
	if code != 0 {
		t.Fatalf("firewall-cmd %s in %s: exit %d: %s%s", strings.Join(args, " "), f.NS.Name, code, stdout, stderr)
	}
	return stdout
}

// IntraZoneForward reports whether f's release forwards between the interfaces of one zone
// with the zone's <forward/> (firewalld 1.0 and later; the built-in zones have it).
func (f *Firewalld) IntraZoneForward() bool { return !versionLess(f.Tree.Release, "1.0") }

// ForwardWithinZone makes zone forward between its own interfaces on every release: firewalld
// 0.9, which has no intra-zone forwarding, gets the zone's target ACCEPT (permanent only, so it
// reloads); later releases get <forward/> at runtime.
func (f *Firewalld) ForwardWithinZone(t testing.TB, zone string) {
	t.Helper()
	if f.IntraZoneForward() {
		f.MustCmd(t, "--zone="+zone, "--add-forward")
		return
	}
	f.MustCmd(t, "--permanent", "--zone="+zone, "--set-target=ACCEPT")
	f.MustCmd(t, "--reload")
}

// copyTree copies the directory src to dst (which must not exist), keeping modes and symlinks.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(target, info.Mode().Perm())
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case d.Type().IsRegular():
			return copyFile(path, target, info.Mode().Perm())
		default:
			return nil // no sockets or devices in a config directory
		}
	})
}

func copyFile(src, dst string, perm fs.FileMode) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copying %s: %w", src, err)
	}
	return out.Close()
}
