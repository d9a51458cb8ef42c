package systest

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/godbus/dbus/v5"
)

// BusOptions selects the policy of a private bus.
type BusOptions struct {
	SystemPolicy bool     // the real system-bus policy (deny by default + /usr/share/dbus-1/system.d + what StartFirewalld adds)
	ConfigDirs   []string // extra <includedir>s (e.g. our dist/ busconfig)
}

// Bus is a private dbus-daemon playing the system bus; give its Env to processes (firewalld,
// firewall-cmd, our daemon) so their "system bus" is this one.
type Bus struct {
	Address string

	dir          string // holds bus.conf, bus.sock, bus.log, policy.d
	systemPolicy bool
	mu           sync.Mutex // guards policy.d
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
	b := &Bus{dir: dir, systemPolicy: o.SystemPolicy}
	var system string
	if o.SystemPolicy {
		if system, err = systemBusConfigText(); err != nil {
			t.Fatalf("bus config: %v", err)
		}
	}
	extra := o.ConfigDirs
	if o.SystemPolicy {
		if err := os.Mkdir(b.policyDir(), 0o755); err != nil {
			t.Fatalf("bus policy directory: %v", err)
		}
		extra = append(append([]string{}, extra...), b.policyDir())
	}
	conf, err := busConfig(filepath.Join(dir, "bus.sock"), o.SystemPolicy, system, extra)
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
func (b *Bus) policyDir() string  { return filepath.Join(b.dir, "policy.d") }

// allow adds the busconfig file conf (a service's policy, e.g. firewalld's FirewallD.conf from
// its package) to a SystemPolicy bus and has the daemon reload its configuration; on an
// allow-all bus it does nothing. It stands in for the file a package would install into
// /usr/share/dbus-1/system.d.
func (b *Bus) allow(t testing.TB, conf string) {
	t.Helper()
	if !b.systemPolicy {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	target := filepath.Join(b.policyDir(), filepath.Base(conf))
	if _, err := os.Stat(target); err == nil {
		return
	}
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatalf("bus policy: %v", err)
	}
	if err := os.WriteFile(target, data, 0o644); err != nil {
		t.Fatalf("bus policy: %v", err)
	}
	c, err := b.dial()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// The bus driver reloads before it replies, so the policy applies once the call returns.
	if err := c.BusObject().Call("org.freedesktop.DBus.ReloadConfig", 0).Err; err != nil {
		t.Fatalf("bus %s: ReloadConfig after adding %s: %v", b.Address, filepath.Base(conf), err)
	}
}

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
