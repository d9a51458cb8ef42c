// Package ipt is the iptables backend: it makes the mangle tables of
// iptables (IPv4) and ip6tables (IPv6) hold a backend.Ruleset, in objects
// it owns, and touches nothing else.
//
// # Chain layout
//
// Every chain of the Ruleset becomes a user chain in the mangle table of
// each family whose packets can enter it: the base chains, and the chains
// no rule leads to, in both; any other chain in the families of the rules
// leading to it from a chain of that family (a rule's family follows from
// its Family, addresses, ipsets and lookup key). A chain reached only
// through IPv4-only rules or an IPv4 address lookup thus exists in iptables
// only, and costs ip6tables nothing. A chain may still be empty in a family
// that has it. Its name is
//
//	MSSCLAMP_<tag>_<hash>
//
// where tag is FWD, OUT or IN for the base chains, else the first 8
// characters of the neutral name, and hash is 10 base32 characters of a
// SHA-256 over the neutral name, the hook and the chain's rules in both
// families, the names of the chains they lead to included. Names thus fit
// iptables' 28 characters for any zone name, and a name stands for exactly
// one content. A regular chain's first rule is a comment without a target,
// "chain <neutral name>", so a dump says which chain is which (and counts
// the packets entering it).
//
// The built-in mangle chains FORWARD, OUTPUT and INPUT each get one rule,
// inserted at the top, "-j MSSCLAMP_FWD_…" (OUT, IN): the clamp then runs
// before any rule of someone else's in mangle can end the packet's way, and
// mangle runs before filter, so no filter ACCEPT can skip it.
//
// Rules map one to one (see rule.go); a Dispatch becomes one rule per
// element (-s/-d for a prefix, -m iprange for another range, -i/-o, -m
// mac); a Clamp becomes an optional LOG or NFLOG rule carrying the log
// limit, then the TCPMSS rule, each with "-p tcp -m tcp --tcp-flags SYN,RST
// SYN" (the TCPMSS target refuses a rule without it) and "-m comment
// --comment <Clamp.Comment()>". Counters sums the TCPMSS rules by that
// comment's ID.
//
// A lookup by address of 64 elements or more is the exception: as a list
// it would cost a packet one rule per element (10,000 rules for 10,000
// source-scoped clamps), so it becomes a search tree of chains, about
// fanout rules per level, a few dozen in all (see tree.go). The tree is
// entered with -j when every element jumps, else with -g, the rules after
// the lookup then moving into a continuation chain, so that every verdict
// does what the list would. The tree's chains carry the tag of the chain
// they belong to, have no comment rule, and exist in their family's table
// only; since their names are content hashes too, a change to one element
// renames only the chains on its path.
//
// Rules are written exactly as iptables-save prints them back, so the golden
// files in testdata/ipt are both what we load and what the kernel lists.
// Anything iptables cannot express (a log prefix over 29 bytes, a pmtu
// clamp reached from INPUT, a MAC match reached from OUTPUT, ...) is an error
// wrapping ErrUnsupported that names the rule.
//
// # Update scheme
//
// Apply finds out what the tables hold of ours, compares it with what the
// Ruleset wants, and loads the difference with one iptables-restore
// --noflush --counters per family, which commits as a single transaction.
// Because names are content hashes, "a chain of the wanted name with the
// wanted number of rules exists" means that chain is already right: it is
// left alone, rules, counters and all. Otherwise the script
//
//  1. declares the chains that are new (or were emptied by someone else:
//     declaring an existing chain flushes it) and fills them;
//  2. where a built-in chain's jumps to us are not exactly the wanted ones,
//     inserts the new jump at the top and deletes the old ones (by rule
//     text, wherever they are; duplicates go too);
//  3. flushes, then deletes, the chains no longer wanted.
//
// A change to one chain therefore renames it and the chains leading to it
// up to the base chain, and swaps the base jump; in the same transaction,
// so the kernel holds the old ruleset or the new one, never a mix, never
// none, never two. Unchanged chains (typically every other zone's) keep
// their counters; a clamp rule rebuilt with the same text (a sibling of the
// changed rule) is given its old counters with "[packets:bytes]", though
// ip6tables-nft 1.8.9 ignores those. Applying the same Ruleset again finds
// nothing to do and runs no restore at all.
//
// What the tables hold is read with iptables-save -t mangle -c, both
// families at once, except when it cannot have changed. With the nf_tables
// variant every commit in the namespace, anyone's (firewalld's reload, an
// iptables or nft command), moves the nftables ruleset generation; Apply
// reads it over netlink before anything else and again after its restores,
// and if it moved by exactly the number of restores (nobody else
// committed), remembers the generation and the tables it loaded. While the
// generation stays there, the next Apply plans against those tables without
// reading the kernel; it only lists, over netlink, the rules of the few
// chains whose counters it carries over (each chain as loaded, or it reads
// everything after all). The legacy variant has no such generation: Apply
// always reads. Counters and Dump always read the kernel.
//
// The two families are two transactions on different tables, run at once.
// If one fails, the other, if it changed, is put back to the state it
// planned from (its old chains re-created with their counters), so an error
// leaves the old ruleset. The error names the object of the line the tool
// refused (legacy iptables reports kernel refusals at COMMIT). Before
// loading, every ipset a rule of a chain in the table names must exist in
// the kernel with the table's family: firewalld creates them in iptables
// mode; the Set elements of the Ruleset are for nftables.
//
// Flush deletes our jumps and chains the same way, one transaction per
// family. Dump lists our chains, jumps and rules with counters, in
// iptables-save -c form.
//
// # Tools and namespaces
//
// New finds iptables on PATH as go-iptables does, asks it its variant
// (nf_tables or legacy), and uses that variant's save and restore tools for
// both families, so all rules live where the other tools see them. The
// backend does not go through go-iptables itself: one iptables-save gives a
// consistent snapshot of every chain with counters where go-iptables takes
// one exec per chain, and every change must go through iptables-restore to
// be atomic. WithNetNS runs each tool on a locked OS thread switched into
// the given network namespace (the child inherits the thread's namespace),
// and opens the netlink socket that reads the generation there; without it
// the tools and the socket work in the caller's namespace.
package ipt
