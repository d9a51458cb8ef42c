package backend

import "context"

// Backend makes the kernel hold a Ruleset in objects we own, and nothing else.
type Backend interface {
	// Apply replaces everything we own with rs, atomically: the kernel holds
	// the old ruleset or the new one, never a mix, and on error the old one.
	// Applying the ruleset the kernel already holds changes nothing.
	Apply(ctx context.Context, rs *Ruleset) error
	// Flush removes everything we own and touches nothing else.
	Flush(ctx context.Context) error
	// Dump describes what the kernel holds now, counters included, as text.
	Dump(ctx context.Context) (string, error)
	// Counters reads the clamp counters, summed per rule ID.
	Counters(ctx context.Context) (map[string]Counter, error)
}

// Counter is how many packets (and bytes) a clamp rule has handled.
type Counter struct {
	Packets uint64
	Bytes   uint64
}

// Kind names a backend.
type Kind string

const (
	KindNftables Kind = "nftables"
	KindIptables Kind = "iptables"
)
