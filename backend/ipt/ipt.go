package ipt

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// rollbackTimeout bounds putting IPv4 back after IPv6 failed.
const rollbackTimeout = 30 * time.Second

// Backend makes the kernel hold a Ruleset in the mangle tables of iptables
// and ip6tables. It is safe for concurrent use; changes are serialised.
type Backend struct {
	run   runner
	tools *tools
	mu    sync.Mutex // one Apply or Flush at a time
}

var _ backend.Backend = (*Backend)(nil)

// Option configures New.
type Option func(*config)

type config struct {
	netns string
	mode  string // variant to use instead of the one `iptables` is; for tests
}

// WithNetNS runs every iptables tool inside the network namespace at path
// (for example /run/netns/NAME). Without it, the tools run in the current
// namespace.
func WithNetNS(path string) Option {
	return func(c *config) { c.netns = path }
}

// New finds the iptables tools (see findTools) and returns a Backend.
func New(opts ...Option) (*Backend, error) {
	var c config
	for _, o := range opts {
		o(&c)
	}
	t, err := findTools(c.mode, exec.LookPath, versionOf)
	if err != nil {
		return nil, fmt.Errorf("iptables backend: %w", err)
	}
	return &Backend{run: runner{netns: c.netns}, tools: t}, nil
}

// Mode is the iptables variant in use: "nf_tables" or "legacy".
func (b *Backend) Mode() string { return b.tools.mode }

// Render returns what Apply would load into an empty kernel: an
// iptables-restore --noflush script per family, each under a "# iptables" or
// "# ip6tables" title line. It is pure.
func Render(rs *backend.Ruleset) (string, error) {
	if rs == nil {
		rs = &backend.Ruleset{}
	}
	want, _, err := build(rs)
	if err != nil {
		return "", fmt.Errorf("iptables backend: %w", err)
	}
	var sb strings.Builder
	for _, f := range allFamilies {
		sb.WriteString("# " + families[f].name + "\n")
		sb.WriteString(joinLines(plan(&table{}, want[f])))
	}
	return sb.String(), nil
}

// Apply makes the mangle tables hold rs and nothing else of ours. Each
// family changes in one iptables-restore transaction; if the IPv6 one fails
// after the IPv4 one succeeded, IPv4 is put back as it was.
func (b *Backend) Apply(ctx context.Context, rs *backend.Ruleset) error {
	if rs == nil {
		rs = &backend.Ruleset{}
	}
	want, setUse, err := build(rs)
	if err != nil {
		return fmt.Errorf("iptables backend: %w", err)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.checkSets(ctx, setUse); err != nil {
		return err
	}
	var cur [2]*table
	for _, f := range allFamilies {
		if cur[f], err = b.read(ctx, f); err != nil {
			return err
		}
	}
	changed := false
	for _, f := range allFamilies {
		lines := plan(cur[f], want[f])
		if lines == nil {
			continue
		}
		if err := b.restore(ctx, f, lines); err != nil {
			if changed {
				err = errors.Join(err, b.rollback(ctx, ipv4, cur[ipv4]))
			}
			return err
		}
		changed = true
	}
	return nil
}

// rollback puts one family's table back to what was read before Apply. It
// runs even when ctx is done: the half-applied state must not stay.
func (b *Backend) rollback(ctx context.Context, f family, old *table) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rollbackTimeout)
	defer cancel()
	now, err := b.read(ctx, f)
	if err == nil {
		if lines := plan(now, old); lines != nil {
			err = b.restore(ctx, f, lines)
		}
	}
	if err != nil {
		return fmt.Errorf("iptables backend: putting %s back: %w", families[f].name, err)
	}
	return nil
}

// Flush removes our jumps and chains from both mangle tables.
func (b *Backend) Flush(ctx context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	var errs []error
	for _, f := range allFamilies {
		cur, err := b.read(ctx, f)
		if err == nil {
			if lines := plan(cur, &table{}); lines != nil {
				err = b.restore(ctx, f, lines)
			}
		}
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Dump lists, per family, our chains, the jumps to them and their rules, in
// iptables-save -c form: "[packets:bytes] -A CHAIN ...".
func (b *Backend) Dump(ctx context.Context) (string, error) {
	var sb strings.Builder
	for _, f := range allFamilies {
		t, err := b.read(ctx, f)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&sb, "# %s: table %s\n", families[f].name, Table)
		for _, c := range t.chains {
			sb.WriteString(":" + c.name + " - [0:0]\n")
		}
		for _, j := range t.jumps {
			sb.WriteString(counterText(j.counter) + "-A " + j.builtin + " " + j.spec + "\n")
		}
		for _, c := range t.chains {
			for _, r := range c.rules {
				sb.WriteString(counterText(r.counter) + "-A " + c.name + " " + r.spec + "\n")
			}
		}
	}
	return sb.String(), nil
}

func counterText(c *backend.Counter) string {
	if c == nil {
		return ""
	}
	return fmt.Sprintf("[%d:%d] ", c.Packets, c.Bytes)
}

// Counters sums the TCPMSS rules' counters per clamp rule ID, over every
// chain and both families.
func (b *Backend) Counters(ctx context.Context) (map[string]backend.Counter, error) {
	out := map[string]backend.Counter{}
	for _, f := range allFamilies {
		t, err := b.read(ctx, f)
		if err != nil {
			return nil, err
		}
		for _, c := range t.chains {
			for _, r := range c.rules {
				if r.clamp && r.id != "" && r.counter != nil {
					sum := out[r.id]
					sum.Packets += r.counter.Packets
					sum.Bytes += r.counter.Bytes
					out[r.id] = sum
				}
			}
		}
	}
	return out, nil
}

// read lists what one family's mangle table holds of ours.
func (b *Backend) read(ctx context.Context, f family) (*table, error) {
	res := b.run.run(ctx, b.tools.save[f], []string{"-t", Table, "-c"}, "")
	if res.err != nil {
		return nil, fmt.Errorf("iptables backend: %s -t %s: %s: %w", b.tools.save[f], Table, strings.TrimSpace(res.stderr), res.err)
	}
	t, err := parseSave(res.stdout)
	if err != nil {
		return nil, fmt.Errorf("iptables backend: reading %s output: %w", b.tools.save[f], err)
	}
	return t, nil
}

// restore loads a script as one transaction.
func (b *Backend) restore(ctx context.Context, f family, lines []line) error {
	res := b.run.run(ctx, b.tools.restore[f], []string{"--noflush", "--counters", "-w"}, joinLines(lines))
	if res.err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return fmt.Errorf("iptables backend: %s: %w", b.tools.restore[f], ctx.Err())
	}
	return restoreError(families[f].name+"-restore", lines, res)
}

var lineRE = regexp.MustCompile(`line:? ([0-9]+)`)

// restoreError names the object of the line the tool complains about. The
// legacy tools report kernel refusals at the COMMIT line.
func restoreError(tool string, lines []line, res result) error {
	var msg []string
	for _, l := range strings.Split(res.stderr, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "Try `") {
			msg = append(msg, l)
		}
	}
	text := strings.Join(msg, " ")
	if m := lineRE.FindStringSubmatch(res.stderr); m != nil {
		n, _ := strconv.Atoi(m[1])
		if n >= 1 && n <= len(lines) {
			return fmt.Errorf("iptables backend: %s refused %s: %s: %w", tool, lines[n-1].origin, text, res.err)
		}
	}
	return fmt.Errorf("iptables backend: %s: %s: %w", tool, text, res.err)
}
