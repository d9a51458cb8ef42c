package systest

import (
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// leftovers checks, after every other Cleanup of a test has run, that the namespaces and
// processes the test created are gone.
type leftovers struct {
	mu       sync.Mutex
	ns       []string
	patterns []string // pgrep -f patterns, each unique to one process (a temp dir in its command line)
}

// checkLeftovers must be called first in a test: Cleanups run last-in first-out, so its check
// runs after those of everything the test creates later.
func checkLeftovers(t *testing.T) *leftovers {
	l := &leftovers{}
	t.Cleanup(func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		out, err := exec.Command("ip", "netns", "list").Output()
		if err != nil {
			t.Errorf("ip netns list: %v", err)
		}
		for _, line := range strings.Split(string(out), "\n") {
			for _, n := range l.ns {
				if f := strings.Fields(line); len(f) > 0 && f[0] == n {
					t.Errorf("namespace %s left behind", n)
				}
			}
		}
		for _, p := range l.patterns {
			if out, err := exec.Command("pgrep", "-a", "-f", p).Output(); err == nil {
				t.Errorf("process left behind: %s", strings.TrimSpace(string(out)))
			}
		}
	})
	return l
}

func (l *leftovers) addNS(ns ...*NS) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, n := range ns {
		l.ns = append(l.ns, n.Name)
	}
}

func (l *leftovers) addBus(b *Bus) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.patterns = append(l.patterns, b.configPath())
}

func (l *leftovers) addFirewalld(f *Firewalld) {
	l.addNS(f.NS)
	l.addBus(f.Bus)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.patterns = append(l.patterns, f.ConfigDir)
}
