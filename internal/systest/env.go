package systest

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
)

// RequireRoot skips the test unless it runs as uid 0 with the ip(8) command in PATH: system tests
// create network namespaces, run dbus-daemon and firewalld, and open packet sockets.
func RequireRoot(t testing.TB) {
	t.Helper()
	if uid := os.Geteuid(); uid != 0 {
		t.Skipf("system test: needs root (running as uid %d); run `go test` as root for namespaces, dbus-daemon and firewalld", uid)
	}
	RequireCommands(t, "ip")
}

// RequireCommands skips the test when one of the named commands is not in PATH.
func RequireCommands(t testing.TB, names ...string) {
	t.Helper()
	var missing []string
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			missing = append(missing, n)
		}
	}
	if len(missing) > 0 {
		t.Skipf("system test: needs command(s) not in PATH: %s (as root, scripts/deps.sh test installs the tools the tests drive)", strings.Join(missing, ", "))
	}
}

// Long-running children (dbus-daemon, firewalld) get SIGKILL when the test binary dies, so a
// crashed or timed-out test leaves no daemon behind. The kernel sends the parent-death signal
// when the forking *thread* exits, and Go retires threads whose goroutine exits while locked
// (which any test may do), so every such child is forked from one goroutine that stays locked
// to its thread for the life of the process.
var spawner struct {
	once sync.Once
	reqs chan spawnRequest
}

type spawnRequest struct {
	cmd  *exec.Cmd
	done chan error
}

// Spawn starts a long-running child like cmd.Start, with Pdeathsig set and forked from the
// spawner thread: a crashed test run leaves it behind in no namespace.
func Spawn(cmd *exec.Cmd) error { return startDaemon(cmd) }

// startDaemon starts cmd like cmd.Start, with Pdeathsig set and forked from the spawner thread.
func startDaemon(cmd *exec.Cmd) error {
	spawner.once.Do(func() {
		spawner.reqs = make(chan spawnRequest)
		go func() {
			runtime.LockOSThread() // never unlocked: this thread must outlive every child
			for r := range spawner.reqs {
				r.done <- r.cmd.Start()
			}
		}()
	})
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	done := make(chan error, 1)
	spawner.reqs <- spawnRequest{cmd: cmd, done: done}
	return <-done
}
