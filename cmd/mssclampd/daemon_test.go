package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	godbus "github.com/godbus/dbus/v5"

	mdbus "github.com/firewalld-mssclamp/mssclamp/dbus"
	"github.com/firewalld-mssclamp/mssclamp/internal/systest"
)

// The system tests of this package run the real mssclampd binary, built once
// per test run, inside the router namespace of a systest.Topology, on a
// private bus, and drive it over D-Bus as any client would. The kernel (nft,
// iptables-save, packets) is the oracle, never the daemon's own word.

// Time limits: a daemon start, a stop, and how long the kernel may take to
// follow a change (polled, never slept).
const (
	daemonStartTimeout = 20 * time.Second
	daemonStopTimeout  = 15 * time.Second
	settleTimeout      = 8 * time.Second
)

var built struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// daemonBinary builds mssclampd from this directory, once per test run.
func daemonBinary(t testing.TB) string {
	t.Helper()
	systest.RequireCommands(t, "go")
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "mssclampd-test-")
		if built.err != nil {
			return
		}
		built.path = filepath.Join(built.dir, "mssclampd")
		out, err := exec.Command("go", "build", "-o", built.path, ".").CombinedOutput()
		if err != nil {
			built.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if built.err != nil {
		t.Fatal(built.err)
	}
	return built.path
}

// daemonOptions says where and how to run mssclampd.
type daemonOptions struct {
	NS        *systest.NS
	Bus       *systest.Bus
	ConfigDir string   // --config-dir
	Args      []string // more flags; --firewalld-conf defaults to a missing file
}

// daemon is one mssclampd process.
type daemon struct {
	opts    daemonOptions
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
	done    bool // stopped or killed, and waited for
	killed  bool
}

// startDaemon starts mssclampd and waits until it owns its bus name, which
// it takes only once its rules are in the kernel. It is stopped with SIGTERM
// at Cleanup unless stopped or killed before; its log is printed when the
// test failed.
func startDaemon(t testing.TB, o daemonOptions) *daemon {
	t.Helper()
	bin := daemonBinary(t)
	args := []string{"--config-dir=" + o.ConfigDir, "--log-level=debug"}
	if !hasFlag(o.Args, "--firewalld-conf") {
		args = append(args, "--firewalld-conf="+filepath.Join(o.ConfigDir, "no-firewalld.conf"))
	}
	args = append(args, o.Args...)
	logf, err := os.CreateTemp(t.TempDir(), "mssclampd-*.log")
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	d := &daemon{opts: o, logPath: logf.Name(), exited: make(chan struct{})}
	d.cmd = o.NS.Command(bin, args...)
	d.cmd.Env = o.Bus.Env()
	d.cmd.Stdout, d.cmd.Stderr = logf, logf
	if err := systest.Spawn(d.cmd); err != nil {
		t.Fatalf("starting mssclampd: %v", err)
	}
	go func() { _ = d.cmd.Wait(); close(d.exited) }()
	t.Cleanup(func() {
		d.stop(t)
		if t.Failed() && !d.killed {
			t.Logf("mssclampd (pid %d) log:\n%s", d.pid(), d.log())
		}
	})
	if err := d.waitOnBus(); err != nil {
		t.Fatalf("mssclampd %s: %v; log:\n%s", strings.Join(args, " "), err, d.log())
	}
	return d
}

func hasFlag(args []string, name string) bool {
	for _, a := range args {
		if a == name || strings.HasPrefix(a, name+"=") {
			return true
		}
	}
	return false
}

// waitOnBus polls until our name belongs to this process (`ip netns exec`
// execs the daemon, so the pid is the one we started): after a kill -9 the
// bus may still list the dead one for a moment.
func (d *daemon) waitOnBus() error {
	conn, err := godbus.Connect(d.opts.Bus.Address)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), daemonStartTimeout)
	defer cancel()
	for {
		var owner string
		var pid uint32
		bus := conn.BusObject()
		err := bus.CallWithContext(ctx, "org.freedesktop.DBus.GetNameOwner", 0, mdbus.ServiceName).Store(&owner)
		if err == nil {
			err = bus.CallWithContext(ctx, "org.freedesktop.DBus.GetConnectionUnixProcessID", 0, owner).Store(&pid)
		}
		if err == nil && int(pid) == d.pid() {
			return nil
		}
		select {
		case <-d.exited:
			return fmt.Errorf("exited at start (%s)", d.cmd.ProcessState)
		case <-ctx.Done():
			return fmt.Errorf("not on the bus within %v (last: %v)", daemonStartTimeout, err)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (d *daemon) pid() int { return d.cmd.Process.Pid }

// log returns what the daemon wrote so far.
func (d *daemon) log() string {
	data, err := os.ReadFile(d.logPath)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	return string(data)
}

// stop sends SIGTERM and waits; the test fails if the daemon does not exit
// cleanly in time (it is killed then).
func (d *daemon) stop(t testing.TB) {
	t.Helper()
	if d.done {
		return
	}
	d.done = true
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-d.exited:
		if !d.cmd.ProcessState.Success() {
			t.Errorf("mssclampd exited with %s after SIGTERM; log:\n%s", d.cmd.ProcessState, d.log())
		}
	case <-time.After(daemonStopTimeout):
		_ = d.cmd.Process.Kill()
		<-d.exited
		t.Errorf("mssclampd did not stop within %v of SIGTERM; killed", daemonStopTimeout)
	}
}

// kill sends SIGKILL and waits: no cleanup of any kind happens.
func (d *daemon) kill(t testing.TB) {
	t.Helper()
	if d.done {
		return
	}
	d.done, d.killed = true, true
	_ = d.cmd.Process.Kill()
	<-d.exited
}

// signal sends sig to the running daemon.
func (d *daemon) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		t.Fatalf("signalling mssclampd: %v", err)
	}
}

// waitLog polls the log until it contains every one of parts on one line
// and returns that line.
func (d *daemon) waitLog(t testing.TB, parts ...string) string {
	t.Helper()
	deadline := time.Now().Add(settleTimeout)
	for {
		for _, line := range strings.Split(d.log(), "\n") {
			if containsAll(line, parts) {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q within %v; log:\n%s", parts, settleTimeout, d.log())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func containsAll(s string, parts []string) bool {
	for _, p := range parts {
		if !strings.Contains(s, p) {
			return false
		}
	}
	return true
}

// client calls mssclampd's D-Bus API.
type client struct{ conn *godbus.Conn }

func newClient(t testing.TB, bus *systest.Bus) *client { return &client{bus.Conn(t)} }

func (c *client) call(path godbus.ObjectPath, method string, args []any, out ...any) error {
	call := c.conn.Object(mdbus.ServiceName, path).Call(method, godbus.FlagNoAutoStart, args...)
	if call.Err != nil || len(out) == 0 {
		return call.Err
	}
	return call.Store(out...)
}

// addRule is runtime addRichRule; timeout in seconds, 0 for none.
func (c *client) addRule(zone, rule string, timeout int32) error {
	var got string
	return c.call(mdbus.ServicePath, mdbus.ServiceZoneInterface+".addRichRule", []any{zone, rule, timeout}, &got)
}

func (c *client) removeRule(zone, rule string) error {
	var got string
	return c.call(mdbus.ServicePath, mdbus.ServiceZoneInterface+".removeRichRule", []any{zone, rule}, &got)
}

// addPermanentRule is addRichRule on the zone's config object.
func (c *client) addPermanentRule(zone, rule string) error {
	var path godbus.ObjectPath
	if err := c.call(mdbus.ServiceConfigPath, mdbus.ServiceConfigInterface+".getZoneByName", []any{zone}, &path); err != nil {
		return err
	}
	return c.call(path, mdbus.ServiceConfigZoneInterface+".addRichRule", []any{rule})
}

func (c *client) reload() error {
	return c.call(mdbus.ServicePath, mdbus.ServiceInterface+".reload", nil)
}

func (c *client) property(name string) (string, error) {
	var v godbus.Variant
	if err := c.call(mdbus.ServicePath, "org.freedesktop.DBus.Properties.Get", []any{mdbus.ServiceInterface, name}, &v); err != nil {
		return "", err
	}
	s, _ := v.Value().(string)
	return s, nil
}

// must fails the test on err, naming what was done.
func must(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// errorName is the D-Bus error name of err, "" if it is not a D-Bus error.
func errorName(err error) string {
	var de godbus.Error
	if errors.As(err, &de) {
		return de.Name
	}
	return ""
}

// waitUntil polls cond until it holds or settleTimeout passes; the test
// fails with what the last look said.
func waitUntil(t testing.TB, what string, cond func() (ok bool, last string)) {
	t.Helper()
	deadline := time.Now().Add(settleTimeout)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v; last: %s", what, settleTimeout, last)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// waitMode waits for the mode property.
func waitMode(t testing.TB, c *client, want string) {
	t.Helper()
	waitUntil(t, "mode "+want, func() (bool, string) {
		got, err := c.property("mode")
		return err == nil && got == want, fmt.Sprintf("%q, %v", got, err)
	})
}
