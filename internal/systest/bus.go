package systest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// BusOptions selects the policy of a private bus.
type BusOptions struct {
	SystemPolicy bool     // the real system-bus policy (deny by default + /usr/share/dbus-1/system.d)
	ConfigDirs   []string // extra <includedir>s (e.g. our dist/ busconfig)
}

// Bus is a private dbus-daemon playing the system bus; give its Env to processes (firewalld,
// firewall-cmd, our daemon) so their "system bus" is this one.
type Bus struct {
	Address string

	dir string // holds bus.conf, bus.sock, bus.log
}

// busStartTimeout bounds how long dbus-daemon may take to print its address.
const busStartTimeout = 10 * time.Second

// StartBus starts a private dbus-daemon listening on a socket in a fresh directory; it is
// killed and the directory removed at Cleanup. The directory is world-readable so that tests
// can connect as an unprivileged user.
func StartBus(t testing.TB, o BusOptions) *Bus {
	t.Helper()
	RequireCommands(t, "dbus-daemon")
	// Not t.TempDir: a unix socket path must stay under 108 bytes and be reachable by other uids.
	dir, err := os.MkdirTemp("", "msc-bus-")
	if err != nil {
		t.Fatalf("bus directory: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatalf("bus directory: %v", err)
	}
	b := &Bus{dir: dir}
	var system []byte
	if o.SystemPolicy {
		if system, err = os.ReadFile(systemBusConfig); err != nil {
			t.Fatalf("bus config: %v", err)
		}
	}
	conf, err := busConfig(filepath.Join(dir, "bus.sock"), o.SystemPolicy, string(system), o.ConfigDirs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b.configPath(), []byte(conf), 0o644); err != nil {
		t.Fatalf("bus config: %v", err)
	}
	logf, err := os.Create(filepath.Join(dir, "bus.log"))
	if err != nil {
		t.Fatalf("bus log: %v", err)
	}
	defer logf.Close()

	cmd := exec.Command("dbus-daemon", "--config-file="+b.configPath(), "--nofork", "--nopidfile", "--print-address=1")
	cmd.Stderr = logf
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatalf("dbus-daemon: %v", err)
	}
	if err := startDaemon(cmd); err != nil {
		t.Fatalf("starting dbus-daemon: %v", err)
	}
	exited := make(chan struct{})
	addr := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(stdout).ReadString('\n')
		addr <- strings.TrimSpace(line)
		_ = cmd.Wait() // after the read: Wait closes the pipe
		close(exited)
	}()
	t.Cleanup(func() { terminate(cmd, exited, 5*time.Second) })
	select {
	case b.Address = <-addr:
	case <-time.After(busStartTimeout):
		t.Fatalf("dbus-daemon did not print its address within %v; log: %s", busStartTimeout, tail(b.logPath(), 20))
	}
	if b.Address == "" {
		t.Fatalf("dbus-daemon exited at start; log: %s", tail(b.logPath(), 20))
	}
	return b
}

func (b *Bus) configPath() string { return filepath.Join(b.dir, "bus.conf") }
func (b *Bus) logPath() string    { return filepath.Join(b.dir, "bus.log") }

// Env returns os.Environ() with DBUS_SYSTEM_BUS_ADDRESS pointing at b.
func (b *Bus) Env() []string {
	env := []string{}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DBUS_SYSTEM_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	return append(env, "DBUS_SYSTEM_BUS_ADDRESS="+b.Address)
}

// Conn returns a private, authenticated, Hello'd connection to b; it is closed at Cleanup.
func (b *Bus) Conn(t testing.TB) *dbus.Conn {
	t.Helper()
	c, err := b.dial()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func (b *Bus) dial() (*dbus.Conn, error) {
	c, err := dbus.Connect(b.Address)
	if err != nil {
		return nil, fmt.Errorf("connecting to bus %s: %w", b.Address, err)
	}
	return c, nil
}

// tail returns the last n lines of the file at path, or why it could not be read.
func tail(path string, n int) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%v)", err)
	}
	text := strings.TrimRight(string(data), "\n")
	if text == "" {
		return " (empty)"
	}
	lines := strings.Split(text, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return "\n" + strings.Join(lines, "\n")
}
