package migrate

import (
	"slices"
	"strconv"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
)

// Kind says what firewalld's direct interface holds an entry as.
type Kind string

const (
	// Passthrough is an iptables command line (firewall-cmd --direct
	// --add-passthrough): the table and chain are in Args.
	Passthrough Kind = "passthrough"
	// DirectRule is a direct rule (firewall-cmd --direct --add-rule):
	// firewalld adds Args to Table and Chain (to CHAIN_direct for a built-in
	// chain under its iptables backend), ordered by Priority.
	DirectRule Kind = "rule"
)

// Entry is one passthrough or direct rule, and where firewalld has it.
type Entry struct {
	Kind     Kind     `json:"kind"`
	IPV      string   `json:"ipv"`                // "ipv4", "ipv6" or "eb"
	Table    string   `json:"table,omitempty"`    // DirectRule only
	Chain    string   `json:"chain,omitempty"`    // DirectRule only
	Priority int      `json:"priority,omitempty"` // DirectRule only
	Args     []string `json:"args"`
	// Runtime and Permanent say where firewalld holds the entry: in its
	// running configuration, in direct.xml, or both.
	Runtime   bool `json:"runtime"`
	Permanent bool `json:"permanent"`
}

// String is the entry as firewall-cmd lists it: "ipv4 -t mangle -I FORWARD
// ..." for a passthrough (--get-all-passthroughs), "ipv4 mangle FORWARD 0
// ..." for a rule (--get-all-rules); arguments quoted as firewalld's
// joinArgs does.
func (e Entry) String() string {
	head := e.IPV
	if e.Kind == DirectRule {
		head += " " + firewalld.Quote(e.Table) + " " + firewalld.Quote(e.Chain) + " " + strconv.Itoa(e.Priority)
	}
	if len(e.Args) == 0 {
		return head
	}
	return head + " " + firewalld.Join(e.Args)
}

// Where names the places the entry is in: "runtime", "permanent" or
// "runtime, permanent".
func (e Entry) Where() string {
	var w []string
	if e.Runtime {
		w = append(w, "runtime")
	}
	if e.Permanent {
		w = append(w, "permanent")
	}
	return strings.Join(w, ", ")
}

// key identifies an entry the way firewalld does: kind, family, table,
// chain, priority and the exact argument list.
func (e Entry) key() string {
	return string(e.Kind) + "\x00" + e.String()
}

// same reports whether a and b are the same passthrough or rule.
func (a Entry) same(b Entry) bool {
	return a.Kind == b.Kind && a.IPV == b.IPV && a.Table == b.Table && a.Chain == b.Chain &&
		a.Priority == b.Priority && slices.Equal(a.Args, b.Args)
}

// Merge combines the permanent and the runtime entries into one list, each
// entry once with both places marked: permanent ones first in their order,
// then those only in the runtime configuration.
func Merge(permanent, runtime []Entry) []Entry {
	var out []Entry
	index := map[string]int{}
	add := func(list []Entry, perm bool) {
		for _, e := range list {
			k := e.key()
			i, ok := index[k]
			if !ok {
				e.Runtime, e.Permanent = false, false
				e.Args = slices.Clone(e.Args)
				i = len(out)
				index[k] = i
				out = append(out, e)
			}
			if perm {
				out[i].Permanent = true
			} else {
				out[i].Runtime = true
			}
		}
	}
	add(permanent, true)
	add(runtime, false)
	return out
}
