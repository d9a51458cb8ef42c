package systest

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// NS is a named network namespace created with `ip netns add` (so `ip -n`, `ip netns exec`,
// nft and iptables under `ip netns exec` all find it).
type NS struct {
	Name string
	Path string // /run/netns/Name
}

const nameAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

// randomName returns prefix followed by n random characters from nameAlphabet.
func randomName(prefix string, n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux
	for i := range b {
		b[i] = nameAlphabet[int(b[i])%len(nameAlphabet)]
	}
	return prefix + string(b)
}

// NewNS creates a namespace named "msc-XXXXXX" with lo up. At Cleanup, processes still running
// inside are killed (stop yours in a later-registered Cleanup, as StartFirewalld does, to stop
// them cleanly) and the namespace is deleted.
func NewNS(t testing.TB) *NS {
	t.Helper()
	RequireRoot(t)
	for attempt := 0; ; attempt++ {
		n := &NS{Name: randomName("msc-", 6)}
		n.Path = "/run/netns/" + n.Name
		if _, err := os.Stat(n.Path); err == nil {
			continue // taken by a concurrent test process
		}
		out, err := exec.Command("ip", "netns", "add", n.Name).CombinedOutput()
		if err != nil {
			if attempt < 3 && strings.Contains(string(out), "exists") {
				continue
			}
			t.Fatalf("creating network namespace %s: %v: %s", n.Name, err, bytes.TrimSpace(out))
		}
		t.Cleanup(func() {
			n.killAll(t)
			if out, err := exec.Command("ip", "netns", "del", n.Name).CombinedOutput(); err != nil {
				t.Errorf("deleting network namespace %s: %v: %s", n.Name, err, bytes.TrimSpace(out))
			}
		})
		if err := n.ipBatch("link set lo up"); err != nil {
			t.Fatal(err)
		}
		return n
	}
}

// killAll sends SIGKILL to every process still in n: a leftover would keep the namespace alive.
func (n *NS) killAll(t testing.TB) {
	out, err := exec.Command("ip", "netns", "pids", n.Name).Output()
	if err != nil {
		t.Errorf("listing processes in namespace %s: %v", n.Name, err)
		return
	}
	for _, f := range strings.Fields(string(out)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			continue
		}
		t.Logf("killing process %d left in namespace %s", pid, n.Name)
		_ = unix.Kill(pid, unix.SIGKILL)
	}
}

// FD returns an open file descriptor of the namespace (e.g. for nftables.WithNetNSFd); it is
// closed at Cleanup.
func (n *NS) FD(t testing.TB) int {
	t.Helper()
	fd, err := unix.Open(n.Path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		t.Fatalf("opening network namespace %s: %v", n.Path, err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	return fd
}

// Do runs fn on a locked OS thread switched into n, the containernetworking ns.Do way: sockets
// fn creates stay in n, but goroutines fn starts run in the caller's namespace. The thread is
// switched back before it is released; if that fails it stays locked and dies with its goroutine.
func (n *NS) Do(fn func() error) error {
	target, err := netns.GetFromPath(n.Path)
	if err != nil {
		return fmt.Errorf("opening network namespace %s: %w", n.Name, err)
	}
	defer target.Close()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("opening the current network namespace: %w", err)
			return
		}
		defer orig.Close()
		if err := netns.Set(target); err != nil {
			// setns failed, so the thread is still where it was.
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("entering network namespace %s: %w", n.Name, err)
			return
		}
		var fnErr error
		defer func() {
			if err := netns.Set(orig); err != nil {
				errc <- errors.Join(fnErr, fmt.Errorf("leaving network namespace %s: %w", n.Name, err))
				return // still locked: the runtime terminates this thread
			}
			runtime.UnlockOSThread()
			errc <- fnErr
		}()
		fnErr = fn()
	}()
	return <-errc
}

// ipBatch runs ip(8) commands, one a line, with `ip -n NAME -batch -` (cheaper than
// `ip netns exec`, which also sets up a mount namespace).
func (n *NS) ipBatch(lines ...string) error {
	cmd := exec.Command("ip", "-n", n.Name, "-batch", "-")
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ip -n %s -batch (%s): %w: %s", n.Name, strings.Join(lines, "; "), err, bytes.TrimSpace(out))
	}
	return nil
}

// Command returns `ip netns exec NAME name args...`, ready to be configured and run.
func (n *NS) Command(name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
}

// Exec runs name in n and returns its output; err names the command and carries stderr.
func (n *NS) Exec(name string, args ...string) (stdout, stderr string, err error) {
	cmd := n.Command(name, args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	if err := cmd.Run(); err != nil {
		return o.String(), e.String(), fmt.Errorf("%s in namespace %s: %w: %s",
			strings.Join(append([]string{name}, args...), " "), n.Name, err, strings.TrimSpace(e.String()))
	}
	return o.String(), e.String(), nil
}

// Run is Exec that fails the test on error and returns stdout.
func (n *NS) Run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, _, err := n.Exec(name, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
