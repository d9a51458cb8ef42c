package nft

import (
	"errors"
	"fmt"

	"github.com/google/nftables/expr"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"github.com/firewalld-mssclamp/mssclamp/internal/nfnl"
)

// Reads of what the kernel holds, parsed here rather than by nftables.Conn:
// its rule decoder drops rt and byteorder expressions (so a PMTU clamp
// reads back wrong), and it cannot dump all rules of a table at once.

// request is a request of type typ; data starts with its nfgenmsg.
func request(typ int, flags netlink.HeaderFlags, data attrs) netlink.Message {
	return netlink.Message{
		Header: netlink.Header{Type: netlink.HeaderType(unix.NFNL_SUBSYS_NFTABLES<<8 | typ), Flags: netlink.Request | flags},
		Data:   data,
	}
}

// ours starts a request about our table's family.
func ours() attrs { return attrs(nfgenmsg(uint8(tableFamily), 0)) }

// getGen is the ruleset generation: it changes with every commit, anyone's.
func getGen(t transport) (uint32, error) {
	replies, err := t.execute(request(unix.NFT_MSG_GETGEN, 0, nfgenmsg(unix.AF_UNSPEC, 0)))
	if err != nil {
		return 0, fmt.Errorf("reading the ruleset generation: %w", err)
	}
	for _, m := range replies {
		ad, err := nfnl.Attributes(m)
		if err != nil {
			return 0, err
		}
		for ad.Next() {
			if ad.Type() == unix.NFTA_GEN_ID {
				return ad.Uint32(), nil
			}
		}
	}
	return 0, errors.New("reading the ruleset generation: no generation in the reply")
}

// tableExists reports whether our table is there.
func tableExists(t transport) (bool, error) {
	_, err := t.execute(request(unix.NFT_MSG_GETTABLE, 0, ours().str(unix.NFTA_TABLE_NAME, TableName)))
	if errors.Is(err, unix.ENOENT) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("reading table inet %s: %w", TableName, err)
	}
	return true, nil
}

// kChain is a chain of our table as the kernel holds it.
type kChain struct {
	name     string
	hook     string // "" for a regular chain
	priority int32
	typ      string
	policy   string
}

var hookNames = map[uint32]string{
	unix.NF_INET_PRE_ROUTING: "prerouting", unix.NF_INET_LOCAL_IN: "input", unix.NF_INET_FORWARD: "forward",
	unix.NF_INET_LOCAL_OUT: "output", unix.NF_INET_POST_ROUTING: "postrouting",
}

// listChains lists the chains of our table, in the kernel's order. The
// kernel cannot filter a chain dump by table: it sends every inet chain.
func listChains(t transport) ([]kChain, error) {
	replies, err := t.execute(request(unix.NFT_MSG_GETCHAIN, netlink.Dump, ours()))
	if err != nil {
		return nil, fmt.Errorf("listing chains: %w", err)
	}
	var out []kChain
	for _, m := range replies {
		table, c, err := parseChain(m)
		if err != nil {
			return nil, fmt.Errorf("listing chains: %w", err)
		}
		if table == TableName {
			out = append(out, c)
		}
	}
	return out, nil
}

// kSet is a set or map of our table as the kernel holds it.
type kSet struct {
	name    string
	flags   uint32
	keyType uint32
	isMap   bool
}

func listSets(t transport) ([]kSet, error) {
	replies, err := t.execute(request(unix.NFT_MSG_GETSET, netlink.Dump, ours().str(unix.NFTA_SET_TABLE, TableName)))
	if err != nil {
		return nil, fmt.Errorf("listing sets: %w", err)
	}
	var out []kSet
	for _, m := range replies {
		table, k, err := parseSet(m)
		if err != nil {
			return nil, fmt.Errorf("listing sets: %w", err)
		}
		if table == TableName {
			out = append(out, k)
		}
	}
	return out, nil
}

// kElem is one netlink element of a set.
type kElem struct {
	key     []byte
	end     bool // an interval end
	verdict *expr.Verdict
}

func listElems(t transport, set string) ([]kElem, error) {
	replies, err := t.execute(request(unix.NFT_MSG_GETSETELEM, netlink.Dump,
		ours().str(unix.NFTA_SET_ELEM_LIST_TABLE, TableName).str(unix.NFTA_SET_ELEM_LIST_SET, set)))
	if err != nil {
		return nil, fmt.Errorf("listing the elements of %q: %w", set, err)
	}
	var out []kElem
	for _, m := range replies {
		_, elems, err := parseElems(m)
		if err != nil {
			return nil, fmt.Errorf("listing the elements of %q: %w", set, err)
		}
		out = append(out, elems...)
	}
	return out, nil
}

// kRule is a rule of our table as the kernel holds it.
type kRule struct {
	chain   string
	handle  uint64
	comment string
	exprs   []expr.Any
}

// unknownExpr stands for an expression this package never loads; it is
// only ever decoded, never encoded.
type unknownExpr struct {
	expr.Any
	name string
}

// listRules dumps every rule of our table; exprs says whether to decode
// the expressions too.
func listRules(t transport, exprs bool) ([]kRule, error) {
	replies, err := t.execute(request(unix.NFT_MSG_GETRULE, netlink.Dump, ours().str(unix.NFTA_RULE_TABLE, TableName)))
	if err != nil {
		return nil, fmt.Errorf("listing rules: %w", err)
	}
	out := make([]kRule, 0, len(replies))
	for _, m := range replies {
		table, r, err := parseRule(m, exprs)
		if err != nil {
			return nil, fmt.Errorf("listing rules: %w", err)
		}
		if table == TableName {
			out = append(out, r)
		}
	}
	return out, nil
}
