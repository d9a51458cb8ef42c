package ipt

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/firewalld-mssclamp/mssclamp/backend"
	"github.com/firewalld-mssclamp/mssclamp/internal/nfnl"
)

// The nf_tables variant of the tools keeps its tables in nftables, whose
// ruleset generation moves with every commit in the namespace, anyone's.
// Two reads over netlink let Apply skip iptables-save when nothing can
// have changed: the generation, and the counters of the few rules whose
// counters a change carries over.

// Attributes of the compat "match" expression (linux/netfilter/nf_tables.h,
// enum nft_match_attributes), which x/sys does not name.
const (
	nftaMatchName = 1
	nftaMatchInfo = 3
)

// nfConn is a netfilter netlink socket in the backend's namespace.
type nfConn struct {
	c *netlink.Conn
}

// dialNF opens a netfilter netlink socket in the namespace the tools run in.
func (r runner) dialNF() (*nfConn, error) {
	c, err := nfnl.Dial(r.netns)
	if err != nil {
		return nil, err
	}
	return &nfConn{c: c}, nil
}

func (n *nfConn) close() { n.c.Close() }

// generation is the nftables ruleset generation.
func (n *nfConn) generation() (uint32, error) {
	replies, err := n.c.Execute(nfnl.Request(unix.NFT_MSG_GETGEN, 0, unix.AF_UNSPEC, nil))
	if err != nil {
		return 0, fmt.Errorf("reading the nftables ruleset generation: %w", err)
	}
	for _, m := range replies {
		ad, err := nfnl.Attributes(m)
		if err != nil {
			return 0, fmt.Errorf("reading the nftables ruleset generation: %w", err)
		}
		for ad.Next() {
			if ad.Type() == unix.NFTA_GEN_ID {
				return ad.Uint32(), nil
			}
		}
	}
	return 0, errors.New("reading the nftables ruleset generation: no generation in the reply")
}

// kRule is what Apply needs of a rule iptables-nft keeps in nftables: its
// counter and its -m comment.
type kRule struct {
	counter backend.Counter
	comment string
}

// chainRules lists the rules of one chain of f's mangle table, in order.
func (n *nfConn) chainRules(f family, name string) ([]kRule, error) {
	ae := netlink.NewAttributeEncoder()
	ae.String(unix.NFTA_RULE_TABLE, Table)
	ae.String(unix.NFTA_RULE_CHAIN, name)
	attrs, err := ae.Encode()
	if err != nil {
		return nil, err
	}
	fam := uint8(unix.NFPROTO_IPV4)
	if f == ipv6 {
		fam = unix.NFPROTO_IPV6
	}
	replies, err := n.c.Execute(nfnl.Request(unix.NFT_MSG_GETRULE, netlink.Dump, fam, attrs))
	if err != nil {
		return nil, fmt.Errorf("listing the rules of %s in %s: %w", name, families[f].name, err)
	}
	out := make([]kRule, 0, len(replies))
	for _, m := range replies {
		r, err := decodeRule(m)
		if err != nil {
			return nil, fmt.Errorf("listing the rules of %s in %s: %w", name, families[f].name, err)
		}
		out = append(out, r)
	}
	return out, nil
}

// decodeRule reads the counter and the comment match of a rule message.
func decodeRule(m netlink.Message) (kRule, error) {
	var r kRule
	ad, err := nfnl.Attributes(m)
	if err != nil {
		return r, err
	}
	for ad.Next() {
		if ad.Type() == unix.NFTA_RULE_EXPRESSIONS {
			nfnl.Exprs(ad, func(name string, data []byte) { decodeExpr(name, data, &r) })
		}
	}
	return r, ad.Err()
}

// decodeExpr reads a counter expression, or a compat comment match (whose
// info is struct xt_comment_info: the text, NUL padded).
func decodeExpr(name string, data []byte, r *kRule) {
	match := ""
	nfnl.ForAttrs(data, func(typ uint16, d *netlink.AttributeDecoder) {
		switch {
		case name == "counter" && typ == unix.NFTA_COUNTER_PACKETS:
			r.counter.Packets = d.Uint64()
		case name == "counter" && typ == unix.NFTA_COUNTER_BYTES:
			r.counter.Bytes = d.Uint64()
		case name == "match" && typ == nftaMatchName:
			match = d.String()
		case name == "match" && typ == nftaMatchInfo && match == "comment":
			info := d.Bytes()
			if i := bytes.IndexByte(info, 0); i >= 0 {
				info = info[:i]
			}
			r.comment = string(info)
		}
	})
}
