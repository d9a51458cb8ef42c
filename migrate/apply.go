package migrate

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// Rules is mssclampd's rich rules, at runtime or in the permanent
// configuration (its D-Bus API, or a fake in tests).
type Rules interface {
	AddRule(ctx context.Context, t firewalld.Scope, permanent bool, rule string) error
	QueryRule(ctx context.Context, t firewalld.Scope, permanent bool, rule string) (bool, error)
	RemoveRule(ctx context.Context, t firewalld.Scope, permanent bool, rule string) error
}

// Direct is firewalld's direct interface, runtime or permanent.
type Direct interface {
	// Entries lists the passthroughs and direct rules.
	Entries(ctx context.Context, permanent bool) ([]Entry, error)
	Remove(ctx context.Context, e Entry, permanent bool) error
	// Add puts an entry back; Apply calls it only to undo its own removals.
	Add(ctx context.Context, e Entry, permanent bool) error
}

// Change is one rich rule in one place.
type Change struct {
	Target    firewalld.Scope `json:"target"`
	Permanent bool            `json:"permanent"`
	Rule      string          `json:"rule"`
}

func (c Change) String() string {
	return fmt.Sprintf("%s %s: %s", place(c.Permanent), c.Target, c.Rule)
}

// Removal is one entry removed from one place.
type Removal struct {
	Entry     Entry `json:"entry"`
	Permanent bool  `json:"permanent"`
}

func (r Removal) String() string {
	return fmt.Sprintf("%s %s %s", place(r.Permanent), r.Entry.Kind, r.Entry)
}

func place(permanent bool) string {
	if permanent {
		return "permanent"
	}
	return "runtime"
}

// Result is what Apply did. After a failure, Added and Removed are what it
// did before the failure and RolledBack says they were undone; what could
// not be undone is in the error.
type Result struct {
	Added      []Change  `json:"added"`
	Present    []Change  `json:"present"` // already there: neither added nor undone
	Removed    []Removal `json:"removed"`
	RolledBack bool      `json:"rolled_back"`
}

// Text lists the changes, one per line.
func (r *Result) Text() string {
	var b strings.Builder
	for _, c := range r.Present {
		fmt.Fprintf(&b, "present %s\n", c)
	}
	verb, removed := "added", "removed"
	if r.RolledBack {
		verb, removed = "added and removed again", "removed and added again"
	}
	for _, c := range r.Added {
		fmt.Fprintf(&b, "%s %s\n", verb, c)
	}
	for _, e := range r.Removed {
		fmt.Fprintf(&b, "%s %s\n", removed, e)
	}
	return b.String()
}

// ErrPoliciesMissing means the plan needs policies that do not exist yet:
// create them as the plan says, then make a new plan.
var ErrPoliciesMissing = errors.New("the plan needs policies that do not exist yet")

// ErrStale means firewalld's direct configuration no longer holds what the
// plan replaces: make a new plan.
var ErrStale = errors.New("the direct configuration changed since the plan was made")

// Apply carries out the plan's replacements: it refuses a plan that needs
// new policies, checks that every entry to replace is still where the plan
// saw it and that every target exists,
// adds the rich rules (where the entry is: runtime, permanent or both),
// and only then removes the entries, permanent before runtime. While the
// entries are still there both clamp, which is harmless: the smaller value
// wins. If anything fails, nothing stays removed: the entries removed so
// far are added back (a runtime passthrough inserted with -I comes back at
// the top of its chain) and the rules added are removed again. Items kept
// or not TCPMSS are never touched.
func Apply(ctx context.Context, p *Plan, rules Rules, direct Direct) (*Result, error) {
	var items []Item
	for _, it := range p.Items {
		if it.Status == Replace {
			items = append(items, it)
		}
	}
	res := &Result{}
	if len(items) == 0 {
		return res, nil
	}
	if len(p.NewPolicies) > 0 {
		var names []string
		for _, s := range p.NewPolicies {
			names = append(names, s.Name)
		}
		return res, fmt.Errorf("%w: %s", ErrPoliciesMissing, strings.Join(names, ", "))
	}
	if err := checkCurrent(ctx, items, direct); err != nil {
		return res, err
	}
	var todo []Change
	for _, it := range items {
		for _, perm := range []bool{false, true} {
			if perm && !it.Entry.Permanent || !perm && !it.Entry.Runtime {
				continue
			}
			for _, r := range it.Rules {
				c := Change{Target: r.Target, Permanent: perm, Rule: r.Rule}
				if !slices.Contains(todo, c) && !slices.Contains(res.Present, c) {
					found, err := rules.QueryRule(ctx, c.Target, c.Permanent, c.Rule)
					if err != nil {
						return res, fmt.Errorf("checking %s: %w", c, err)
					}
					if found {
						res.Present = append(res.Present, c)
					} else {
						todo = append(todo, c)
					}
				}
			}
		}
	}
	for _, c := range todo {
		if err := rules.AddRule(ctx, c.Target, c.Permanent, c.Rule); err != nil {
			return res, rollback(ctx, res, rules, direct, fmt.Errorf("adding %s: %w", c, err))
		}
		res.Added = append(res.Added, c)
	}
	for _, it := range items {
		for _, perm := range []bool{true, false} {
			if perm && !it.Entry.Permanent || !perm && !it.Entry.Runtime {
				continue
			}
			if err := direct.Remove(ctx, it.Entry, perm); err != nil {
				return res, rollback(ctx, res, rules, direct, fmt.Errorf("removing %s %s %s: %w", place(perm), it.Entry.Kind, it.Entry, err))
			}
			res.Removed = append(res.Removed, Removal{Entry: it.Entry, Permanent: perm})
		}
	}
	return res, nil
}

// checkCurrent fails with ErrStale unless every entry is still where the
// plan saw it.
func checkCurrent(ctx context.Context, items []Item, direct Direct) error {
	var missing []string
	for _, perm := range []bool{true, false} {
		have, err := direct.Entries(ctx, perm)
		if err != nil {
			return fmt.Errorf("listing the %s direct configuration: %w", place(perm), err)
		}
		for _, it := range items {
			if perm && !it.Entry.Permanent || !perm && !it.Entry.Runtime {
				continue
			}
			if !slices.ContainsFunc(have, it.Entry.same) {
				missing = append(missing, fmt.Sprintf("%s %s %s", place(perm), it.Entry.Kind, it.Entry))
			}
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: gone: %s", ErrStale, strings.Join(missing, "; "))
	}
	return nil
}

// rollback undoes res in reverse order and returns cause, joined with
// whatever could not be undone.
func rollback(ctx context.Context, res *Result, rules Rules, direct Direct, cause error) error {
	var failed []error
	for _, r := range slices.Backward(res.Removed) {
		if err := direct.Add(ctx, r.Entry, r.Permanent); err != nil {
			failed = append(failed, fmt.Errorf("adding back %s: %w", r, err))
		}
	}
	for _, c := range slices.Backward(res.Added) {
		if err := rules.RemoveRule(ctx, c.Target, c.Permanent, c.Rule); err != nil {
			failed = append(failed, fmt.Errorf("removing again %s: %w", c, err))
		}
	}
	res.RolledBack = true
	if len(failed) > 0 {
		return fmt.Errorf("%w; the rollback is incomplete: %w", cause, errors.Join(failed...))
	}
	return fmt.Errorf("%w; everything was undone", cause)
}
