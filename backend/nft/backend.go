package nft

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"syscall"

	"github.com/google/nftables"
	"github.com/mdlayher/netlink/nltest"

	"github.com/firewalld-mssclamp/mssclamp/backend"
)

// Backend makes the kernel hold a Ruleset in table inet mssclamp, through
// netlink. It is safe for concurrent use: one lock serializes its calls.
type Backend struct {
	netns string
	dial  nltest.Func

	mu      sync.Mutex
	t       transport // kept open: see use
	applied *state    // what our last Apply loaded; nil: unknown, rebuild
	gen     uint32    // the ruleset generation our last Apply produced
	genOK   bool      // gen is known to be ours
}

var _ backend.Backend = (*Backend)(nil)

// Option configures a Backend.
type Option func(*Backend)

// WithNetNS makes the Backend work in the network namespace at path (for
// example /run/netns/NAME), without moving any thread of the caller:
// netlink sockets are opened there.
func WithNetNS(path string) Option { return func(b *Backend) { b.netns = path } }

// WithTestDial hands every netlink message to fn instead of the kernel, as
// nftables.WithTestDial does: for unit tests. fn receives each request (a
// batch as one slice, from begin to end) and returns the kernel's replies.
func WithTestDial(fn nltest.Func) Option { return func(b *Backend) { b.dial = fn } }

// New returns a Backend, checking that its network namespace exists. It
// opens its netlink socket when first used; Close closes it.
func New(opts ...Option) (*Backend, error) {
	b := &Backend{}
	for _, o := range opts {
		o(b)
	}
	if b.netns != "" {
		if _, err := os.Stat(b.netns); err != nil {
			return nil, fmt.Errorf("nftables backend: %w", err)
		}
	}
	return b, nil
}

// use runs fn with the Backend's netlink socket, opening it if needed; b.mu
// is held. The socket stays open between calls: the kernel makes the
// closing of an nftables socket wait until the objects of the last commit
// are freed (an RCU grace period, some milliseconds), which would add to
// every Apply. After an error the socket is closed, as it may still hold
// replies nobody will read.
func (b *Backend) use(fn func(t transport) error) error {
	if b.t == nil {
		if b.dial != nil {
			b.t = funcTransport{b.dial}
		} else {
			t, err := dialNetlink(b.netns)
			if err != nil {
				return fmt.Errorf("nftables: %w", err)
			}
			b.t = t
		}
	}
	err := fn(b.t)
	if err != nil {
		b.t.close()
		b.t = nil
	}
	return err
}

// Close closes the Backend's netlink socket. The Backend stays usable: it
// opens another one when needed.
func (b *Backend) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.t == nil {
		return nil
	}
	err := b.t.close()
	b.t = nil
	return err
}

// Apply makes table inet mssclamp hold exactly rs, in one transaction.
//
// When the kernel still holds what the last Apply loaded (the ruleset
// generation has not moved since, or our chains, sets and rules are all
// still there), only the difference is sent: unchanged chains keep their
// rules and counters, and applying the same ruleset twice sends nothing.
// Otherwise (first Apply, someone changed our table, an unclear failure)
// the table is deleted and built again, still in one transaction.
func (b *Backend) Apply(ctx context.Context, rs *backend.Ruleset) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	p, err := newPlan(rs, b.applied)
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	return b.use(func(t transport) error { return b.apply(ctx, t, p) })
}

func (b *Backend) apply(ctx context.Context, t transport, p *plan) error {
	gen, err := getGen(t)
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	bt, err := newBatch()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	inPlace := false
	if b.applied != nil {
		inPlace = b.genOK && gen == b.gen
		if !inPlace {
			if inPlace, err = b.applied.holds(t); err != nil {
				return fmt.Errorf("nftables: %w", err)
			}
			// What the kernel holds at gen is what we loaded.
			b.gen, b.genOK = gen, inPlace
		}
	}
	if inPlace {
		if inPlace, err = b.applied.diff(bt, p); err != nil {
			return fmt.Errorf("nftables: %w", err)
		}
		if inPlace && bt.empty() {
			return nil
		}
	}
	if !inPlace {
		if bt, err = newBatch(); err != nil {
			return fmt.Errorf("nftables: %w", err)
		}
		if err := full(bt, p); err != nil {
			return fmt.Errorf("nftables: %w", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := bt.send(t); err != nil {
		if isUncertain(err) {
			b.applied = nil
		}
		return fmt.Errorf("nftables: applying the ruleset: %w", err)
	}
	if b.applied == nil {
		b.applied = newState(p)
	} else {
		b.applied.update(p)
	}
	// The generation is ours only if nobody else committed meanwhile.
	after, err := getGen(t)
	b.gen, b.genOK = after, err == nil && after == gen+1
	if err != nil { // the batch is applied all the same; start afresh
		b.t.close()
		b.t = nil
	}
	return nil
}

// Flush deletes table inet mssclamp, and nothing else.
func (b *Backend) Flush(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.applied = nil
	return b.use(func(t transport) error {
		bt, err := newBatch()
		if err != nil {
			return fmt.Errorf("nftables: %w", err)
		}
		bt.addTable()
		bt.delTable()
		if err := bt.send(t); err != nil {
			return fmt.Errorf("nftables: flushing: %w", err)
		}
		return nil
	})
}

// holds reports whether the kernel still has every chain, set and rule of
// s, and nothing else, in our table: the cheap check before a diff when
// someone has committed since our last Apply. It compares names, hooks,
// and the number and comments of the rules of each chain, not the rules'
// expressions.
func (s *state) holds(t transport) (bool, error) {
	if ok, err := tableExists(t); err != nil || !ok {
		return false, err
	}
	chains, err := listChains(t)
	if err != nil || len(chains) != len(s.chains) {
		return false, err
	}
	for _, c := range chains {
		cs, ok := s.chains[c.name]
		if !ok || c.hook != string(cs.hook) || (c.hook != "" && c.priority != basePriority) {
			return false, nil
		}
	}
	sets, err := listSets(t)
	if err != nil || len(sets) != len(s.sets) {
		return false, err
	}
	for _, k := range sets {
		sp, ok := s.sets[k.name]
		if !ok || sp.isMap != k.isMap {
			return false, nil
		}
	}
	rules, err := listRules(t, false)
	if err != nil {
		return false, err
	}
	seen := make(map[string]int, len(s.chains))
	for _, r := range rules {
		cs := s.chains[r.chain]
		i := seen[r.chain]
		if cs == nil || i >= len(cs.rules) || cs.rules[i].comment != r.comment {
			return false, nil
		}
		seen[r.chain] = i + 1
	}
	for name, cs := range s.chains {
		if seen[name] != len(cs.rules) {
			return false, nil
		}
	}
	return true, nil
}

// KernelHasNftables asks the kernel for its nftables tables: any answer,
// even an empty list, means nf_tables is there. Only root may ask; anyone
// else is told yes, nftables being firewalld's default.
func KernelHasNftables() bool {
	c, err := nftables.New()
	if err != nil {
		return false
	}
	defer c.CloseLasting()
	_, err = c.ListTables()
	return err == nil || errors.Is(err, syscall.EPERM)
}
