package systest

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// mssclampdName is the bus name mssclampd owns (dbus.ServiceName; systest
// does not import the packages it tests).
const mssclampdName = "org.mssclamp.MssClamp1"

// mssclampdReadyTimeout bounds mssclampd's start on a loaded machine.
const mssclampdReadyTimeout = 30 * time.Second

// Build builds the command at pkg (a path relative to the test's package,
// e.g. "../cmd/mssclampd") into a temporary directory and returns the binary.
func Build(t testing.TB, pkg string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, out)
	}
	return bin
}

// StartMssclampd runs the mssclampd binary bin with args in ns, on bus,
// and waits until it owns its bus name. It is stopped (SIGTERM, then
// SIGKILL after 15s) at Cleanup or by the returned function; its log is
// shown when the test failed.
func StartMssclampd(t testing.TB, bin string, bus *Bus, ns *NS, args ...string) (stop func()) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), "mssclampd.log")
	logf, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	cmd := ns.Command(bin, args...)
	cmd.Env = bus.Env()
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := startDaemon(cmd); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	log := func() string { b, _ := os.ReadFile(logPath); return string(b) }
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		terminate(cmd, exited, 15*time.Second)
		if t.Failed() {
			t.Logf("mssclampd log:\n%s", log())
		}
	}
	t.Cleanup(stop)
	conn := bus.Conn(t)
	deadline := time.Now().Add(mssclampdReadyTimeout)
	for {
		var has bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, mssclampdName).Store(&has)
		if err == nil && has {
			return stop
		}
		select {
		case <-exited:
			t.Fatalf("mssclampd exited at start:\n%s", log())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("mssclampd not on the bus after %v:\n%s", mssclampdReadyTimeout, log())
		}
	}
}

// terminate stops a child with SIGTERM, and with SIGKILL when it has not
// exited (closed exited) after grace.
func terminate(cmd *exec.Cmd, exited <-chan struct{}, grace time.Duration) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(grace):
		_ = cmd.Process.Kill()
		<-exited
	}
}
