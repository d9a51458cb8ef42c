package ipt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/firewalld-mssclamp/mssclamp/backend"
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
	cfg := &netlink.Config{}
	if r.netns != "" {
		f, err := os.Open(r.netns)
		if err != nil {
			return nil, fmt.Errorf("opening network namespace %s: %w", r.netns, err)
		}
		defer f.Close()
		cfg.NetNS = int(f.Fd())
	}
	c, err := netlink.Dial(unix.NETLINK_NETFILTER, cfg)
	if err != nil {
		return nil, fmt.Errorf("opening a netfilter netlink socket: %w", err)
	}
	return &nfConn{c: c}, nil
}

func (n *nfConn) close() { n.c.Close() }

// nfRequest is an nf_tables request of type typ about protocol family fam.
func nfRequest(typ int, flags netlink.HeaderFlags, fam uint8, attrs []byte) netlink.Message {
	// struct nfgenmsg: family, version, resource id (big endian).
	data := append([]byte{fam, unix.NFNETLINK_V0, 0, 0}, attrs...)
	return netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | typ), Flags: netlink.Request | flags},
		Data:   data,
	}
}

// attributes decodes the attributes of an nf_tables message, after its
// nfgenmsg.
func attributes(m netlink.Message) (*netlink.AttributeDecoder, error) {
	if len(m.Data) < 4 {
		return nil, errors.New("short nf_tables message")
	}
	ad, err := netlink.NewAttributeDecoder(m.Data[4:])
	if err != nil {
		return nil, err
	}
	ad.ByteOrder = binary.BigEndian
	return ad, nil
}

// generation is the nftables ruleset generation.
func (n *nfConn) generation() (uint32, error) {
	replies, err := n.c.Execute(nfRequest(unix.NFT_MSG_GETGEN, 0, unix.AF_UNSPEC, nil))
	if err != nil {
		return 0, fmt.Errorf("reading the nftables ruleset generation: %w", err)
	}
	for _, m := range replies {
		ad, err := attributes(m)
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
	replies, err := n.c.Execute(nfRequest(unix.NFT_MSG_GETRULE, netlink.Dump, fam, attrs))
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
	ad, err := attributes(m)
	if err != nil {
		return r, err
	}
	for ad.Next() {
		if ad.Type() != unix.NFTA_RULE_EXPRESSIONS {
			continue
		}
		ad.Nested(func(list *netlink.AttributeDecoder) error {
			for list.Next() {
				if list.Type() == unix.NFTA_LIST_ELEM {
					list.Nested(func(e *netlink.AttributeDecoder) error { return decodeExpr(e, &r) })
				}
			}
			return nil
		})
	}
	return r, ad.Err()
}

// decodeExpr reads a counter expression, or a compat comment match (whose
// info is struct xt_comment_info: the text, NUL padded).
func decodeExpr(e *netlink.AttributeDecoder, r *kRule) error {
	name := ""
	for e.Next() {
		switch e.Type() {
		case unix.NFTA_EXPR_NAME:
			name = e.String()
		case unix.NFTA_EXPR_DATA:
			e.Nested(func(d *netlink.AttributeDecoder) error {
				match := ""
				for d.Next() {
					switch {
					case name == "counter" && d.Type() == unix.NFTA_COUNTER_PACKETS:
						r.counter.Packets = d.Uint64()
					case name == "counter" && d.Type() == unix.NFTA_COUNTER_BYTES:
						r.counter.Bytes = d.Uint64()
					case name == "match" && d.Type() == nftaMatchName:
						match = d.String()
					case name == "match" && d.Type() == nftaMatchInfo && match == "comment":
						info := d.Bytes()
						if i := bytes.IndexByte(info, 0); i >= 0 {
							info = info[:i]
						}
						r.comment = string(info)
					}
				}
				return nil
			})
		}
	}
	return nil
}
