// Package backend turns the desired state — zones with their bindings,
// policies, and the tcp-mss-clamp rules of each — into a backend-neutral
// Ruleset, and chooses the backend that makes the kernel hold it.
//
// Compile(topology, rules) is pure: the same firewalld.Topology and Rules
// always give the same Ruleset, and it never looks at the kernel. A rule it
// cannot place (its ipset vanished, a pmtu clamp towards HOST) is left out
// with a Diagnostic — scope, rule text, why — and the rest of the Ruleset is
// whole without it, so no caller compiles again to drop it. A Compiler
// remembers what unchanged scopes compiled to (including the ipsets they
// missed, so a rule comes back when its ipset does).
//
// The sub-packages nft and ipt each implement Backend for one kernel
// interface, with one shape: New(options...) (*Backend, error), WithNetNS(path),
// and a pure Render(ruleset) (string, error); their only job is to make the
// kernel hold a Ruleset. Select chooses between them through a Prober
// (SystemProber: a running firewalld, firewalld.conf, the kernel).
//
// # What a rule clamps
//
// A zone rule clamps forwarded TCP packets with SYN set and RST clear — SYN
// and SYN-ACK — that enter from the zone. The ingress zone is found as
// firewalld finds it: source bindings first (by address, the most specific
// network winning where they overlap; then MAC; then ipset), then the input
// interface (exact names, then wildcards such as "ppp+", longer first), then
// the default zone for everything unbound. A packet bound to a zone without
// rules stops there; it never falls through to the next kind of binding.
// Upstream never clamps the SYN-ACK (it is accepted as established first); we
// do, so both ends learn the smaller MSS.
//
// A policy rule clamps those packets flowing from an ingress zone to an egress
// zone; ANY matches every zone. The egress zone is found by destination
// address bindings, then the output interface, then the default zone. Ingress
// HOST means connections this machine opens (the output hook) — upstream
// cannot clamp those in a zone. Egress HOST means traffic to this machine (the
// input hook); there the kernel has no route yet, so only a fixed value works
// and a pmtu rule is refused (ErrPMTUToHost).
//
// family=ipv4|ipv6 restricts a rule to that IP version (upstream's nft rule
// ignores it). Source and destination address, NOT, MAC and ipset match as
// firewalld defines them. A rule scoped to one plain address goes into a
// verdict map, so thousands of them cost one lookup per packet; rules that
// overlap share a chain. log and nflog on a clamp rule log the packets it
// handles, and their limit limits the log, not the clamp.
//
// pmtu is the kernel's "rt mtu" (nftables) or --clamp-mss-to-pmtu
// (iptables): the smaller MTU of the routes to the source and to the
// destination, minus 40 (IPv4) or 60 (IPv6). A number is "set N" or
// --set-mss N. Both only ever lower an MSS. A SYN without an MSS option:
// nftables leaves it alone (there is no option to rewrite); iptables' TCPMSS
// adds one. Several rules may match one packet; every one of them applies and
// counts, so the result is the smallest value — which is why the order of
// rules (by priority, then as added, like firewalld) only decides the order of
// log lines and never the outcome.
//
// Our objects run before, and independently of, any accept verdict of
// firewalld or anyone else: base chains at mangle priority (-150) in our own
// table for nftables; our own chains jumped from the mangle table's built-in
// chains for iptables. Every clamp has a counter.
//
// # The neutral ruleset
//
// Each hook that has work gets a base chain whose first rule lets everything
// but SYN and SYN-ACK leave at once. Lookups (Dispatch) become verdict maps in
// nftables and one rule per element in iptables. Chain names depend only on
// what the chain does, so re-applying an unchanged part changes nothing.
package backend
