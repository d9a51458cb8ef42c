package backend

import (
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// Ruleset is the backend-neutral result of Compile: a graph of chains, as both
// nftables and iptables understand them, plus the address sets it refers to.
// A backend's only job is to make the kernel hold exactly this.
//
// Chains are listed in a fixed order: base chains first (forward, output,
// input), then regular chains in the order they are first referenced. Every
// name is unique within the ruleset and stable for the same input, so that
// re-applying an unchanged part changes nothing in the kernel.
type Ruleset struct {
	Chains []*Chain
	Sets   []*Set
}

// Hook is the netfilter hook a base chain is attached to, at mangle priority.
type Hook string

const (
	HookNone    Hook = ""        // a regular chain, reached by jump or goto
	HookForward Hook = "forward" // routed through this machine
	HookOutput  Hook = "output"  // originated by this machine
	HookInput   Hook = "input"   // addressed to this machine
)

// Chain is an ordered list of rules.
type Chain struct {
	Name  string
	Hook  Hook
	Rules []*Rule
}

// Family restricts a rule to one IP version.
type Family uint8

const (
	FamilyAny Family = iota
	FamilyIPv4
	FamilyIPv6
)

// Rule is: if every Match holds (and the packet is of Family), do the
// verdict. Exactly one of Clamp, Jump, Goto, Return and Dispatch is set.
type Rule struct {
	Family  Family
	Matches []Match

	Clamp    *Clamp    // rewrite the MSS, count, maybe log; then continue
	Jump     string    // run chain Jump, then continue here
	Goto     string    // continue in chain Goto and never come back
	Return   bool      // leave this chain
	Dispatch *Dispatch // look the packet up in a verdict map
}

// MatchKind says what a Match compares.
type MatchKind uint8

const (
	// MatchSYN holds for a TCP packet with SYN set and RST clear: SYN and
	// SYN-ACK (nft: tcp flags & (syn|rst) == syn; iptables: -p tcp
	// --tcp-flags SYN,RST SYN).
	MatchSYN      MatchKind = iota + 1
	MatchInIface            // Iface: input interface name; a trailing "+" matches any suffix
	MatchOutIface           // Iface: output interface name; a trailing "+" matches any suffix
	MatchSrcAddr            // Prefix: source address (the rule's Family is the prefix's)
	MatchDstAddr            // Prefix: destination address
	MatchSrcMAC             // MAC: Ethernet source address
	MatchSrcSet             // Set: source address or MAC in the named Set
	MatchDstSet             // Set: destination address in the named Set
)

// Match is one condition of a rule. Invert negates it.
type Match struct {
	Kind   MatchKind
	Invert bool
	Iface  string
	Prefix netip.Prefix
	MAC    string // upper-case, colon-separated
	Set    string // name of a Set in the Ruleset
}

// Clamp rewrites the MSS option of the packet to at most MSS (PMTU: the
// route's MTU minus the IP and TCP headers), counts the packet, and, when Log
// is set, logs it first. The packet then continues in the chain. A clamp
// implies MatchSYN (the base chains let nothing else in, but iptables' TCPMSS
// insists on seeing it in the rule itself).
type Clamp struct {
	ID    string          // stable identity of the rich rule in its scope; see RuleID and Comment
	Scope firewalld.Scope // the zone or policy the rule belongs to
	Rule  string          // the rule's canonical text, for people reading a dump
	MSS   richrule.MSS    // richrule.PMTU or a fixed value
	Log   *Log
}

// Log describes how a clamp rule logs the packets it handles.
type Log struct {
	NFLog     bool // nflog (netlink group) rather than the kernel log
	Prefix    string
	Level     string // log only; "" means the backend's default (warning)
	Group     uint16 // nflog only
	QueueSize uint16 // nflog only; 0: the default
	Limit     *richrule.Limit
}

// DispatchKey is what a Dispatch looks up.
type DispatchKey uint8

const (
	KeyInIface  DispatchKey = iota + 1 // input interface name
	KeyOutIface                        // output interface name
	KeySrcAddr4                        // IPv4 source address
	KeySrcAddr6                        // IPv6 source address
	KeyDstAddr4                        // IPv4 destination address
	KeyDstAddr6                        // IPv6 destination address
	KeySrcMAC                          // Ethernet source address
)

// Dispatch looks one key of the packet up among its Elements and applies the
// verdict of the element that holds it; a packet matching none continues with
// the next rule. Elements never overlap (Compile resolves overlaps: the most
// specific binding wins) and are sorted, so nftables can load them as one
// interval verdict map, and iptables as one rule per element — or, for a
// long address lookup, as a search tree of chains.
type Dispatch struct {
	Key      DispatchKey
	Elements []Element
}

// Element is one entry of a Dispatch. For interface keys Iface is set (an
// exact name: Compile turns firewalld's wildcard "eth+" bindings into rules
// with a Match after the Dispatch), for address keys Range, for KeySrcMAC MAC.
type Element struct {
	Iface   string
	Range   Range
	MAC     string
	Verdict Verdict
}

// Verdict is a Dispatch element's outcome.
type Verdict struct {
	Kind  VerdictKind
	Chain string // for VerdictJump and VerdictGoto
}

// VerdictKind is one of jump, goto and return.
type VerdictKind uint8

const (
	VerdictJump VerdictKind = iota + 1
	VerdictGoto
	VerdictReturn
)

// Range is an inclusive address interval of one family.
type Range struct {
	From, To netip.Addr
}

// Set is a named set of addresses or MACs: the content of an ipset a binding
// or rule refers to. nftables loads Elements into a set of our own table;
// iptables refers to the kernel ipset of the same Name, which firewalld
// maintains, and ignores Elements.
type Set struct {
	Name     string
	Family   Family // FamilyIPv4 or FamilyIPv6 for address sets; FamilyAny for MAC sets
	MAC      bool
	Elements []Range  // address sets: sorted, not overlapping
	MACs     []string // MAC sets: sorted, upper-case
}

// Comment is the tag a backend writes on every kernel rule of a clamp (the
// nft rule comment, iptables' -m comment): "id:ID zone:NAME" or
// "id:ID policy:NAME". It holds no double quote or control character (the
// scope name is cleaned), is at most 120 bytes of whole UTF-8 characters, and
// Dump and Counters find rules by the "id:ID" prefix, so the same rule
// repeated in several chains sums into one counter.
func (c *Clamp) Comment() string {
	kind := "zone:"
	if c.Scope.Policy {
		kind = "policy:"
	}
	name := strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || unicode.IsControl(r) {
			return '_'
		}
		return r
	}, c.Scope.Name)
	s := "id:" + c.ID + " " + kind + name
	for len(s) > 120 {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// IDFromComment returns the rule ID of a comment written by Comment, or "".
func IDFromComment(comment string) string {
	if len(comment) < 3 || comment[:3] != "id:" {
		return ""
	}
	rest := comment[3:]
	for i := 0; i < len(rest); i++ {
		if rest[i] == ' ' {
			return rest[:i]
		}
	}
	return rest
}
