// Package nft makes the kernel hold a backend.Ruleset in nftables objects of
// our own, through netlink (github.com/google/nftables; never the nft tool).
//
// # Table layout
//
// Everything lives in one table, `table inet mssclamp`; nothing outside it
// is read for decisions or ever changed (Flush deletes just this table).
//
//   - Chains: one per Ruleset chain, named as in the Ruleset. A chain with a
//     Hook is a base chain `type filter hook <hook> priority mangle; policy
//     accept;` (-150, before any filter-priority chain, so another table's
//     accept cannot skip the clamp); the others are regular chains reached
//     by jump and goto.
//   - Sets: one per Ruleset Set, named "ipset_" + its name: `type ipv4_addr`
//     or `ipv6_addr` with `flags interval`, or `type ether_addr` for MACs.
//   - Verdict maps: one per Dispatch rule, named <chain>_<rule index>_<key>
//     (key: iif, oif, saddr4, saddr6, daddr4, daddr6, smac), `type ifname :
//     verdict`, `ipv4_addr : verdict` / `ipv6_addr : verdict` with `flags
//     interval`, or `ether_addr : verdict`. The rule is `iifname vmap @map`.
//   - Rules: a Ruleset rule is one kernel rule, in order: `meta nfproto` when
//     the rule has a Family (implied by address matches, as nft does), its
//     matches (`tcp flags syn / syn,rst`, `iifname "eth0"`, `iifname
//     "eth*"` for "eth+", `ip saddr 10.0.0.0/8`, `ether saddr ...`, `ip
//     saddr @ipset_x`, each maybe `!=`), then the verdict. A Clamp is
//     `counter tcp option maxseg size set rt mtu` (or `set 1200`) with the
//     comment Clamp.Comment(); a Clamp with Log is preceded by a rule with
//     the same matches doing `limit rate ... log ...` (or `log group N`) and
//     the same comment, so that the limit never limits the clamp.
//
// Render writes this table as `nft list table inet mssclamp` shows it, so a
// person (and the system tests) can compare it with the kernel's listing.
//
// # Applying
//
// Apply sends one netlink batch, which the kernel commits as one
// transaction: it holds the old ruleset or the new one, never a mix, and a
// refused message (its error names the chain, rule, set or map) leaves the
// old one. The batch is built with the library's expression encoders but
// sent by this package, which asks for one acknowledgement per batch
// instead of one per message, grows the socket's send buffer as nft does,
// and maps a kernel error back to the object of the message that failed.
// Its socket stays open between calls (Close closes it): the kernel makes
// the closing of an nftables socket wait for the last commit's cleanup.
//
// The Backend remembers what its last Apply loaded. If the kernel still
// holds it (the ruleset generation has not moved since, or our chains,
// sets, maps and their rules are all still there), Apply sends only the
// difference: changed chains are flushed and refilled, unchanged chains are
// not touched (their counters go on), map and set elements are added and
// deleted one by one, and what is gone is deleted, all in one batch; the
// same ruleset twice sends nothing. Otherwise (the first Apply, someone
// changed our table, a failure whose outcome is unknown) it deletes the
// table and builds it again, still in one batch.
//
// Counters and Dump read the table back. The library's rule decoder drops
// rt and byteorder expressions, so rules are decoded here; a clamp rule is
// found by its comment ("id:ID ..."), and Counters sums its counter per ID.
package nft
