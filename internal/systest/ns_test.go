package systest

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

func nsInode(t *testing.T, path string) uint64 {
	t.Helper()
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		t.Fatalf("stat %s: %v", path, err)
	}
	return st.Ino
}

func TestNS(t *testing.T) {
	RequireRoot(t)
	lo := checkLeftovers(t)
	n := NewNS(t)
	lo.addNS(n)
	if !strings.HasPrefix(n.Name, "msc-") || n.Path != "/run/netns/"+n.Name {
		t.Errorf("NS = %+v, want name msc-XXXXXX under /run/netns", n)
	}
	if out := n.Run(t, "ip", "-o", "link", "show", "lo"); !strings.Contains(out, "UP") {
		t.Errorf("lo in %s not up: %s", n.Name, out)
	}
	want := nsInode(t, n.Path)
	root := nsInode(t, "/proc/self/ns/net") // the main thread, never switched

	var inside uint64
	if err := n.Do(func() error {
		var st unix.Stat_t
		err := unix.Stat("/proc/thread-self/ns/net", &st)
		inside = st.Ino
		return err
	}); err != nil {
		t.Fatalf("Do: %v", err)
	}
	if inside != want {
		t.Errorf("Do ran in namespace inode %d, want %d", inside, want)
	}
	sentinel := errors.New("sentinel")
	if err := n.Do(func() error { return sentinel }); !errors.Is(err, sentinel) {
		t.Errorf("Do returned %v, want fn's error", err)
	}
	// Do releases threads only after switching them back: no thread of ours stays inside.
	tasks, _ := filepath.Glob("/proc/self/task/*/ns/net")
	for _, task := range tasks {
		var st unix.Stat_t
		if unix.Stat(task, &st) == nil && st.Ino != root {
			t.Errorf("%s is in namespace inode %d after Do, want the root namespace %d", task, st.Ino, root)
		}
	}

	var st unix.Stat_t
	if err := unix.Fstat(n.FD(t), &st); err != nil || st.Ino != want {
		t.Errorf("FD: inode %d (%v), want %d", st.Ino, err, want)
	}

	if _, _, err := n.Exec("sh", "-c", "echo oops >&2; exit 3"); err == nil || !strings.Contains(err.Error(), "oops") ||
		!strings.Contains(err.Error(), n.Name) {
		t.Errorf("Exec of a failing command: err = %v, want one naming the namespace and carrying stderr", err)
	}
	if _, err := os.Stat(n.Path); err != nil {
		t.Errorf("namespace file: %v", err)
	}
}

func TestRandomName(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		n := randomName("msc-", 6)
		if len(n) != 10 || strings.Trim(n[4:], nameAlphabet) != "" {
			t.Fatalf("randomName = %q", n)
		}
		seen[n] = true
	}
	if len(seen) < 990 {
		t.Errorf("%d distinct names out of 1000", len(seen))
	}
}

func TestNSCleanupKillsLeftovers(t *testing.T) {
	RequireRoot(t)
	lo := checkLeftovers(t)
	var cmd *exec.Cmd
	t.Run("leaves a process", func(t *testing.T) {
		n := NewNS(t)
		lo.addNS(n)
		cmd = n.Command("sleep", "600")
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Start returns before ip(8) has entered the namespace.
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			out, _ := exec.Command("ip", "netns", "identify", strconv.Itoa(cmd.Process.Pid)).Output()
			if strings.TrimSpace(string(out)) == n.Name {
				return
			}
		}
		t.Fatalf("process %d never entered %s", cmd.Process.Pid, n.Name)
	})
	// The subtest's Cleanup has run: the sleep must be dead (reaped here) and the namespace gone.
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "killed") {
			t.Errorf("sleep ended with %v, want killed", err)
		}
	case <-time.After(5 * time.Second):
		t.Errorf("sleep %d still running after its namespace's Cleanup", cmd.Process.Pid)
		_ = cmd.Process.Kill()
	}
}
