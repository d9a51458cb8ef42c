package migrate

import (
	"fmt"
	"slices"
	"strings"

	"github.com/firewalld-mssclamp/mssclamp/internal/firewalld"
	"github.com/firewalld-mssclamp/mssclamp/richrule"
)

// What iptables and the kernel accept of a TCPMSS entry, and how its
// packet match differs from a tcp-mss-clamp rule's.

// validate checks what iptables and the kernel demand of a TCPMSS rule and
// what a rich rule can say; it returns the addresses in rich-rule form.
func validate(c *clamp, ipv string, why []string) (src, dst []string, _ []string) {
	builtin := map[string][]string{
		"filter": {"INPUT", "FORWARD", "OUTPUT"},
		"mangle": {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"},
	}
	chains, knownTable := builtin[c.table]
	switch {
	case !knownTable:
		why = append(why, "TCPMSS in the "+c.table+" table: only mangle and filter are converted")
	case c.chain == "":
		why = append(why, "no chain (-A or -I)")
	case !slices.Contains(chains, c.chain) && slices.Contains(builtin["mangle"], c.chain):
		why = append(why, "the filter table has no "+c.chain+" chain: iptables refuses this rule, so it never loaded")
	case !slices.Contains(chains, c.chain):
		why = append(why, "user-defined chain "+c.chain+": it sees only what other rules send to it")
	}
	switch p := strings.ToLower(c.proto); {
	case p == "":
		why = append(why, "no -p tcp: iptables refuses TCPMSS without it, so this rule never loaded")
	case c.protoInvert || p != "tcp" && p != "6":
		why = append(why, "-p "+c.proto+": the kernel refuses TCPMSS on anything but TCP, so this rule never loaded")
	}
	// The kernel's TCPMSS check wants a positive SYN match, but only
	// iptables-legacy gets to make it: iptables-nft loads any flags.
	switch {
	case !c.flagsSet:
	case c.flagsInvert || c.comp&flagSYN == 0 && c.comp&^c.mask == 0:
		why = append(why, "the TCP flags match no SYN: this entry never clamped a handshake (iptables-legacy refuses it; iptables-nft loads it)")
	case c.comp&^c.mask != 0:
		why = append(why, fmt.Sprintf("--tcp-flags %s %s requires flags it does not test: it matches no packet", flagList(c.mask), flagList(c.comp)))
	case c.comp&^(flagSYN|flagACK) != 0:
		why = append(why, fmt.Sprintf("--tcp-flags requires %s set besides SYN: only invalid or unusual packets, which a rich rule cannot single out", flagList(c.comp&^(flagSYN|flagACK))))
	}
	switch {
	case !c.pmtu && c.setMSS == "":
		why = append(why, "TCPMSS without --set-mss or --clamp-mss-to-pmtu: iptables refuses this rule")
	case c.setMSS != "":
		if n, ok := atoiStrict(c.setMSS); !ok || n > maxSetMSS {
			why = append(why, fmt.Sprintf("--set-mss %s: iptables takes 0..%d", c.setMSS, maxSetMSS))
		} else if n < int(richrule.MinMSS) {
			why = append(why, fmt.Sprintf("--set-mss %d is below %d, the smallest value a tcp-mss-clamp rule takes", n, richrule.MinMSS))
		}
	}
	if c.in != nil && (c.chain == "OUTPUT" || c.chain == "POSTROUTING") {
		why = append(why, "iptables refuses -i in "+c.chain+", so this rule never loaded")
	}
	if c.out != nil && (c.chain == "INPUT" || c.chain == "PREROUTING") {
		why = append(why, "iptables refuses -o in "+c.chain+", so this rule never loaded")
	}
	if c.pmtu && (c.chain == "INPUT" || c.chain == "PREROUTING") {
		why = append(why, "the kernel refuses --clamp-mss-to-pmtu in "+c.chain+" (no route yet), so this rule never loaded")
	}
	src, why = addrs("-s", c.src, c.srcInv, ipv, why)
	dst, why = addrs("-d", c.dst, c.dstInv, ipv, why)
	return src, dst, why
}

func addrs(opt string, list []string, inverted bool, ipv string, why []string) ([]string, []string) {
	if inverted && len(list) > 1 {
		return nil, append(why, "! "+opt+" with several addresses: iptables refuses this rule")
	}
	var out []string
	for _, a := range list {
		s, err := parseAddr(a, ipv)
		if err != nil {
			why = append(why, opt+" "+err.Error())
			continue
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, why
}

func atoiStrict(s string) (int, bool) {
	if !firewalld.IsDigits(s) || len(s) > 6 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}

// maxSetMSS is the largest --set-mss libxt_TCPMSS takes (65535 − 20).
const maxSetMSS = 65515

// flagDifferences compares the entry's TCP flag match with a rich rule's:
// SYN set and RST clear, so SYN and SYN-ACK.
func flagDifferences(c *clamp) []string {
	if !c.flagsSet {
		return []string{"no TCP flag match: the entry handled every TCP segment and added an MSS option to segments without data (iptables-nft loads that; iptables-legacy refuses it, so there it never clamped); the MSS option only counts in SYN and SYN-ACK (RFC 9293 §3.7.1), which the rich rules clamp, leaving other segments alone"}
	}
	spelled := "--tcp-flags " + flagList(c.mask) + " " + flagList(c.comp)
	if c.synOpt {
		spelled = "--syn"
	}
	var d []string
	if c.mask&flagACK != 0 {
		if c.comp&flagACK == 0 {
			d = append(d, spelled+" matched only the SYN without ACK: the SYN-ACK is clamped too, so the answering side also learns the lower MSS")
		} else {
			d = append(d, spelled+" matched only the SYN-ACK: the initial SYN is clamped too")
		}
	}
	if extra := c.mask &^ (flagSYN | flagRST | flagACK); extra != 0 {
		d = append(d, fmt.Sprintf("%s required %s clear: SYN packets with %s set (invalid or unusual) are clamped too", spelled, flagList(extra), flagList(extra)))
	}
	if c.mask&flagRST == 0 {
		d = append(d, spelled+" also matched SYN packets with RST set (invalid, they open no connection); a rich rule leaves them alone")
	}
	return d
}

// orderDifferences: where the entry sat in the filter table, packets could
// be accepted before they reached it.
func orderDifferences(c *clamp, e Entry) []string {
	if c.table != "filter" || c.insert && c.position <= 1 {
		return nil
	}
	where := "appended to filter " + c.chain
	switch {
	case e.Kind == DirectRule:
		where = "a direct rule in filter " + c.chain
	case c.insert:
		where = fmt.Sprintf("inserted at position %d of filter %s", c.position, c.chain)
	}
	return []string{where + ": rules before it (under firewalld's iptables backend, its own, which accept established connections and allowed new ones first) may have kept packets from it, so it may have clamped little or nothing; the rich rules see every packet"}
}

// placeNotes: runtime and permanent are kept apart, as the entry had them.
func placeNotes(c *clamp, e Entry) []string {
	var n []string
	switch {
	case e.Runtime && !e.Permanent:
		n = append(n, "runtime only: the rich rules are added at runtime only, as the entry was")
	case e.Permanent && !e.Runtime:
		n = append(n, "permanent only (not in firewalld's runtime configuration): the rich rules are added to the permanent configuration only")
	}
	if c.bothMSS {
		n = append(n, "both --set-mss and --clamp-mss-to-pmtu: iptables keeps the last one, as the rich rules do")
	}
	if c.comment != "" {
		n = append(n, fmt.Sprintf("the comment %q is not kept", c.comment))
	}
	return n
}
