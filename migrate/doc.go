// Package migrate moves TCPMSS clamps off firewalld's deprecated direct
// interface onto mssclampd's tcp-mss-clamp rich rules (mssclamp-cmd
// --migrate-direct). It is named for what it does, not for what it reads:
// the direct configuration is only its input, and its output is a plan of
// our rules; a package "direct" would promise a general direct-interface
// library.
//
// # Model
//
// Entries are firewalld's passthroughs (iptables command lines) and direct
// rules (table, chain, priority, arguments), each marked runtime, permanent
// or both (Merge): the permanent ones come from direct.xml (ReadDirect,
// parsed as firewalld's direct_ContentHandler does, arguments split like
// shlex.split) or from config.direct over D-Bus, the runtime ones from the
// direct interface of a running firewalld (dbus.Firewalld's Direct*
// methods). A View is the firewall's topology — zones with their interface
// and source bindings, the default zone, the policies — as the daemon's
// compiler takes it (firewalld.Topology), so plans are pure and table-tested.
//
// Make turns entries and a view into a Plan: for each entry, Replace with
// rich rules (built as text and checked by richrule.Parse, canonical form)
// and the zone or policy each goes to, with every difference in meaning;
// Keep, with the reasons, when a TCPMSS entry has no faithful equivalent;
// Other for an entry that is not TCPMSS. Policies the plan needs and the
// view lacks are listed with the firewall-cmd commands that create them:
// firewalld creates policies only in its permanent configuration and loads
// them on a reload, which also drops runtime-only changes
// (FlushAllOnReload=yes, its default), so that is the administrator's step,
// after which the plan is made again. Text and JSON render a plan.
//
// Apply carries a plan out over two small interfaces, Rules (mssclampd:
// add, query, remove) and Direct (firewalld: list, remove, and add to undo),
// so that every failure path is unit-tested with fakes; dbus.Client and
// FirewalldDirect are the D-Bus implementations. Rules go where the entry
// is (runtime, permanent, or both; a runtime-only passthrough does not
// become permanent). Nothing is removed before every rule is in; if
// anything fails, what was removed is added back and what was added is
// removed: nothing stays removed. A plan that still lists policies to
// create is refused before anything changes.
//
// # What a TCPMSS entry means, and what replaces it
//
// A rich rule in zone Z clamps forwarded TCP SYN and SYN-ACK (SYN set, RST
// clear) entering from Z; a policy clamps traffic from its ingress zones
// to its egress zones, ingress HOST being what this machine originates and
// egress HOST what it receives (see package backend). The chain says which
// traffic an entry saw:
//
//	FORWARD      forwarded                       -i IF: zone rule in zone(IF)
//	                                             -o IF: policy ANY|zone(-i) → zone(IF)
//	                                             neither: policy ANY → ANY
//	OUTPUT       originated here                 policy HOST → ANY|zone(-o)
//	POSTROUTING  forwarded and originated here   both of the above (two rules)
//	PREROUTING   forwarded and to this machine   the FORWARD rule and a policy
//	                                             ANY|zone(-i) → HOST (--set-mss only)
//	INPUT        to this machine                 policy ANY|zone(-i) → HOST
//
// FORWARD without -i/-o is every forwarded packet: a policy ANY → ANY says
// exactly that, also for zones and bindings added later, while a rule in
// every zone would miss a zone created later; the policy is chosen, and
// the every-zone form only where firewalld has no policies (< 0.9), saying
// so. An existing policy with the same ingress and egress zones is reused
// (one named mss-* first); a new one is named mss-fwd, mss-out, mss-in,
// mss-to-Z, mss-out-Z, mss-in-Z or mss-A-B, or mss-HASH when that is taken
// or longer than firewalld's 18 characters.
//
// -s and -d become source and destination address (NOT for !), one rule per
// address of a comma list, with iptables' masking (10.1.2.3/8 is
// 10.0.0.0/8); family is the entry's. --clamp-mss-to-pmtu is a bare clamp
// (pmtu: the same min of both routes' MTU − 40/60), --set-mss N is
// value=N; both only lower an MSS, like the rich rule.
//
// # Differences, always listed
//
// Converting is allowed to differ only where the plan says so, per entry:
//
//   - --syn (and --tcp-flags with ACK in the mask) matched only the SYN, or
//     only the SYN-ACK: the rich rule clamps both. Flags required clear
//     (FIN, PSH, URG) are not required by the rule; a mask without RST
//     also matched SYN+RST, which the rule does not.
//   - -i/-o IF stands for IF's zone: its other interfaces, its source
//     bindings, a wildcard binding that holds IF, being the default zone
//     (unbound interfaces) all broaden the match. Zones binding sources of
//     the entry's family (addresses overlapping -s/-d, ipsets, MACs on
//     ingress) take such packets away from IF's zone, since firewalld
//     dispatches by source first: they get the rule too, which broadens it
//     rather than silently narrowing it.
//   - an entry appended to (or deep in) a filter chain, or a direct rule in
//     filter (under firewalld's iptables backend behind its
//     established-accept), may never have seen the packets; the rule sees
//     all of them.
//   - -d in PREROUTING matched before DNAT; the rule matches after.
//
// Two hold for every replacement and are listed once (Plan.General): a SYN
// without an MSS option got one from TCPMSS but not from the nftables
// backend, and entries depended on the order of their chain while our
// rules run at mangle priority before any verdict.
//
// # Left alone, with the reason
//
// What no rule can say without narrowing or silently broadening: -m policy
// (IPsec), -m tcpmss ranges, -m conntrack/state/mark/..., ports, ! -i/-o,
// an interface (or iptables wildcard) bound to no zone, anything needing a
// policy on a firewalld without policies, a user-defined chain, a table
// other than mangle and filter, --set-mss below 536, host names, unknown
// options. TCP flags that match no SYN (! --syn, a comparison without SYN):
// such an entry never clamped a handshake. What iptables or the kernel
// refuse, so that it never loaded: no -p tcp or another protocol, -i in
// OUTPUT/POSTROUTING, -o in INPUT/PREROUTING, --clamp-mss-to-pmtu in
// INPUT/PREROUTING, filter POSTROUTING, no TCPMSS option, --set-mss above
// 65515. (Checked against iptables 1.8.9: iptables-nft loads TCPMSS
// without any flag match, which iptables-legacy refuses; such an entry is
// converted, with the difference listed. Given both TCPMSS options,
// libxt_TCPMSS keeps the last, and so does the conversion.)
package migrate
