package ipt

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"runtime"
	"strings"

	"github.com/vishvananda/netns"
)

// tools are the iptables binaries of one variant (nf_tables or legacy) for
// both families: mixing variants would put half the rules where the other
// half's tools cannot see them.
type tools struct {
	mode    string    // "nf_tables" or "legacy", as --version says
	cmd     [2]string // iptables, ip6tables
	save    [2]string
	restore [2]string
}

var modeRE = regexp.MustCompile(`v[0-9]+\.[0-9]+\.[0-9]+(?:\s+\((\w+)\))?`)

// modeOf reads the variant from --version output the way go-iptables does:
// "iptables v1.8.9 (nf_tables)"; no parenthesis means legacy.
func modeOf(version string) (string, error) {
	m := modeRE.FindStringSubmatch(version)
	if m == nil {
		return "", fmt.Errorf("no iptables version in %q", strings.TrimSpace(version))
	}
	if m[1] == "" {
		return "legacy", nil
	}
	return m[1], nil
}

// findTools finds `iptables` on PATH as go-iptables does, asks it which
// variant it is (unless mode is given), and takes every other tool of that
// same variant: the variant's own name (iptables-nft-restore) when installed,
// else the plain name if its --version says it is the same variant.
func findTools(mode string, lookPath func(string) (string, error), version func(path string) (string, error)) (*tools, error) {
	if mode == "" {
		path, err := lookPath("iptables")
		if err != nil {
			return nil, fmt.Errorf("finding iptables: %w", err)
		}
		v, err := version(path)
		if err != nil {
			return nil, fmt.Errorf("asking %s for its version: %w", path, err)
		}
		if mode, err = modeOf(v); err != nil {
			return nil, err
		}
	}
	suffix := map[string]string{"nf_tables": "-nft", "legacy": "-legacy"}[mode]
	if suffix == "" {
		return nil, fmt.Errorf("unknown iptables variant %q", mode)
	}
	t := &tools{mode: mode}
	for f, base := range []string{"iptables", "ip6tables"} {
		for _, kind := range []struct {
			tail string
			dst  *string
		}{{"", &t.cmd[f]}, {"-save", &t.save[f]}, {"-restore", &t.restore[f]}} {
			if p, err := lookPath(base + suffix + kind.tail); err == nil {
				*kind.dst = p
				continue
			}
			p, err := lookPath(base + kind.tail)
			if err != nil {
				return nil, fmt.Errorf("finding %s%s of the %s variant: %w", base, kind.tail, mode, err)
			}
			v, err := version(p)
			if err != nil {
				return nil, fmt.Errorf("asking %s for its version: %w", p, err)
			}
			if m, err := modeOf(v); err != nil || m != mode {
				return nil, fmt.Errorf("%s is not of the %s variant of iptables (--version: %q)", p, mode, strings.TrimSpace(v))
			}
			*kind.dst = p
		}
	}
	return t, nil
}

func versionOf(path string) (string, error) {
	out, err := exec.Command(path, "--version").Output()
	return string(out), err
}

// runner runs the tools, in the network namespace at netns when set.
type runner struct {
	netns string
}

// result is what one run of a tool gave.
type result struct {
	stdout, stderr string
	err            error
}

// run executes path with args and stdin.
func (r runner) run(ctx context.Context, path string, args []string, stdin string) result {
	if r.netns == "" {
		return execute(ctx, path, args, stdin)
	}
	done := make(chan result, 1)
	// A child process inherits the namespace of the thread that forks it:
	// switch one locked thread, run, and switch back. A thread that cannot
	// be switched back stays locked, so the runtime ends it with this
	// goroutine instead of reusing it.
	go func() {
		runtime.LockOSThread()
		res, clean := r.inNetNS(ctx, path, args, stdin)
		if clean {
			runtime.UnlockOSThread()
		}
		done <- res
	}()
	return <-done
}

// inNetNS runs the tool on the calling, locked thread switched into the
// namespace; clean is false when the thread could not be switched back.
func (r runner) inNetNS(ctx context.Context, path string, args []string, stdin string) (res result, clean bool) {
	orig, err := netns.Get()
	if err != nil {
		return result{err: fmt.Errorf("reading the current network namespace: %w", err)}, true
	}
	defer orig.Close()
	target, err := netns.GetFromPath(r.netns)
	if err != nil {
		return result{err: fmt.Errorf("opening network namespace %s: %w", r.netns, err)}, true
	}
	defer target.Close()
	if err := netns.Set(target); err != nil {
		return result{err: fmt.Errorf("entering network namespace %s: %w", r.netns, err)}, true
	}
	res = execute(ctx, path, args, stdin)
	return res, netns.Set(orig) == nil
}

func execute(ctx context.Context, path string, args []string, stdin string) result {
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return result{stdout: stdout.String(), stderr: stderr.String(), err: err}
}
