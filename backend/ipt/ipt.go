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
	held  *held      // what our last Apply left, while nobody commits; nil: read the kernel
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
// family changes in one iptables-restore transaction, both at once; if one
// fails after the other succeeded, the other is put back as it was.
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
	w := b.watch()
	defer w.close()
	cur, err := b.current(ctx, w, want)
	if err != nil {
		return err
	}
	var scripts [2][]line
	commits := 0
	for _, f := range allFamilies {
		if scripts[f] = plan(cur[f], want[f]); scripts[f] != nil {
			commits++
		}
	}
	b.held = nil
	if commits > 0 {
		if err := b.load(ctx, cur, scripts); err != nil {
			return err
		}
	}
	b.held = w.heldAfter(want, commits)
	return nil
}

// load runs both families' scripts at once: they are transactions on
// different tables, and most of each is the tool starting, reading what it
// needs and waiting for the kernel, which overlap. If one fails, the other,
// if it changed anything, is put back to cur.
func (b *Backend) load(ctx context.Context, cur [2]*table, scripts [2][]line) error {
	var errs [2]error
	each(func(f family) {
		if scripts[f] != nil {
			errs[f] = b.restore(ctx, f, scripts[f])
		}
	})
	var out []error
	for _, f := range allFamilies {
		if errs[f] == nil {
			continue
		}
		out = append(out, errs[f])
		other := ipv4
		if f == ipv4 {
			other = ipv6
		}
		if scripts[other] != nil && errs[other] == nil {
			out = append(out, b.rollback(ctx, other, cur[other]))
		}
	}
	return errors.Join(out...)
}

// each runs fn for both families at once.
func each(fn func(f family)) {
	var wg sync.WaitGroup
	for _, f := range allFamilies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(f)
		}()
	}
	wg.Wait()
}

// readBoth reads both families' tables at once.
func (b *Backend) readBoth(ctx context.Context) ([2]*table, error) {
	var t [2]*table
	var errs [2]error
	each(func(f family) { t[f], errs[f] = b.read(ctx, f) })
	return t, errors.Join(errs[:]...)
}

// rollback puts one family's table back to what it held before Apply. It
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
	b.held = nil
	var errs [2]error
	each(func(f family) {
		cur, err := b.read(ctx, f)
		if err == nil {
			if lines := plan(cur, &table{}); lines != nil {
				err = b.restore(ctx, f, lines)
			}
		}
		errs[f] = err
	})
	return errors.Join(errs[:]...)
}

// Dump lists, per family, our chains, the jumps to them and their rules, in
// iptables-save -c form: "[packets:bytes] -A CHAIN ...".
func (b *Backend) Dump(ctx context.Context) (string, error) {
	tables, err := b.readBoth(ctx)
	if err != nil {
		return "", err
	}
	var sb strings.Builder
	for _, f := range allFamilies {
		t := tables[f]
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
// chain and both families. Like Dump, it always reads the kernel.
func (b *Backend) Counters(ctx context.Context) (map[string]backend.Counter, error) {
	tables, err := b.readBoth(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string]backend.Counter{}
	for _, t := range tables {
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
