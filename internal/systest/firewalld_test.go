package systest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

func TestFirewalld(t *testing.T) {
	RequireRoot(t)
	RequireCommands(t, "nft")
	for _, tc := range []struct {
		backend string
		bus     BusOptions
	}{
		{"nftables", BusOptions{SystemPolicy: true}}, // firewalld may own its name under the real policy
		{"iptables", BusOptions{}},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			t.Parallel() // two firewalld instances on two buses at once
			lo := checkLeftovers(t)
			tp := NewTopology(t, 1400)
			lo.addNS(tp.Client, tp.Router, tp.Server)
			start := time.Now()
			fw := StartFirewalld(t, StartBus(t, tc.bus), tp.Router, tc.backend)
			lo.addFirewalld(fw)
			t.Logf("started in %v", time.Since(start))

			if got := fw.MustCmd(t, "--state"); got != "running\n" {
				t.Errorf("--state = %q, want running", got)
			}
			tables := tp.Router.Run(t, "nft", "list", "tables")
			if owns := strings.Contains(tables, "table inet firewalld"); owns != (tc.backend == "nftables") {
				t.Errorf("backend %s: nft tables in the router:\n%s", tc.backend, tables)
			}
			if tc.backend == "iptables" {
				// FWD_public since 1.0, FWDI_public (ingress) in 0.9.
				if rules := tp.Router.Run(t, "iptables", "-S"); !regexp.MustCompile(`-N FWDI?_public\n`).MatchString(rules) {
					t.Errorf("iptables backend: no FWD_public chain in the router:\n%s", rules)
				}
			}
			// firewalld really filters in the router: it forwards only between interfaces bound
			// to a zone with <forward/> (public has it; 0.9 has no intra-zone forwarding).
			if _, err := tp.probe(ProbeOptions{}, 500*time.Millisecond); err == nil {
				t.Errorf("probe through firewalld with no interface bound passed, want it rejected")
			}
			fw.MustCmd(t, "--zone=public", "--add-interface="+tp.RouterClientIf, "--add-interface="+tp.RouterServerIf)
			if !fw.IntraZoneForward() {
				fw.ForwardWithinZone(t, "public")
			}
			if got, want := tp.Probe(t, ProbeOptions{}), (ProbeResult{1460, 1360}); got != want {
				t.Errorf("probe through firewalld = %+v, want %+v", got, want)
			}

			start = time.Now()
			fw.Stop(t)
			t.Logf("stopped in %v", time.Since(start))
			if out, stderr, code := fw.Cmd("--state"); code != 252 || !strings.Contains(stderr, "not running") {
				t.Errorf("--state after Stop = %q %q, exit %d; want not running, 252", out, stderr, code)
			}
			if tables := tp.Router.Run(t, "nft", "list", "tables"); strings.Contains(tables, "inet firewalld") {
				t.Errorf("firewalld's table left after Stop:\n%s", tables)
			}

			start = time.Now()
			fw.Start(t)
			t.Logf("restarted in %v", time.Since(start))
			if got := fw.MustCmd(t, "--state"); got != "running\n" {
				t.Errorf("--state after Start = %q, want running", got)
			}
			if got := fw.MustCmd(t, "--get-default-zone"); got != "public\n" {
				t.Errorf("--get-default-zone = %q, want public", got)
			}
		})
	}
}

func TestFirewalldOwnNamespace(t *testing.T) {
	RequireRoot(t)
	lo := checkLeftovers(t)
	fw := StartFirewalld(t, nil, nil, "nftables")
	lo.addFirewalld(fw)
	if fw.NS == nil || fw.Bus == nil || !strings.HasPrefix(fw.NS.Name, "msc-") {
		t.Fatalf("StartFirewalld(nil, nil) = %+v", fw)
	}
	// The leftover check looks for these processes by their unique paths: make sure it would
	// find them.
	for _, p := range []string{fw.Bus.configPath(), fw.ConfigDir} {
		if out, err := exec.Command("pgrep", "-f", p).Output(); err != nil {
			t.Errorf("pgrep -f %s while running: %v %s", p, err, out)
		}
	}
	if _, stderr, code := fw.Cmd("--no-such-option"); code == 0 || stderr == "" {
		t.Errorf("firewall-cmd --no-such-option: exit %d, stderr %q", code, stderr)
	}
}

// fatalTB records the first Fatal instead of failing the test; the code under test must run
// in its own goroutine, which Fatal ends.
type fatalTB struct {
	*testing.T
	msg string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
func (f *fatalTB) Fatal(args ...any) { f.msg = fmt.Sprint(args...); runtime.Goexit() }

func TestFirewalldStartFailureShowsLog(t *testing.T) {
	RequireRoot(t)
	lo := checkLeftovers(t)
	// A tree whose firewalld logs and exits at once stands in for one that fails to start.
	tree := &FirewalldTree{Release: "fake", Dir: t.TempDir()}
	script := "import sys\nlog = sys.argv[sys.argv.index('--log-file') + 1]\n" +
		"open(log, 'a').write('ERROR: systest fake firewalld gives up\\n')\nsys.exit(3)\n"
	for path, text := range map[string]string{"usr/sbin/firewalld": script, "etc/firewalld/firewalld.conf": "DefaultZone=public\n"} {
		path = filepath.Join(tree.Dir, path)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ns := NewNS(t)
	lo.addNS(ns)
	f := &fatalTB{T: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		StartFirewalldWith(f, nil, ns, FirewalldOptions{Backend: "nftables", Tree: tree})
	}()
	<-done
	t.Log(f.msg)
	for _, want := range []string{"exited during start", "exit status 3", "systest fake firewalld gives up"} {
		if !strings.Contains(f.msg, want) {
			t.Errorf("StartFirewalld failure = %q, want it to contain %q", f.msg, want)
		}
	}
}
